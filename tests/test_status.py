"""The status addon: connection help at start, live counters while recording."""

from __future__ import annotations

import io

from mitmproxy.test import taddons, tflow

from addons.recorder import Recorder
from addons.status import Status
from tests.support.net import wait_for


def test_counters_show_flows_hosts_and_tls_failures(sqlite_url: str) -> None:
    recorder, status = Recorder(), Status(out=io.StringIO())
    with taddons.context(recorder, status) as tctx:
        tctx.configure(recorder, leakmap_db=sqlite_url, leakmap_session="s")
        assert status.counters() == "leakmap: not recording"
        recorder.running()
        for host in ("a.example", "b.example", "a.example"):
            flow = tflow.tflow(resp=True)
            flow.request.host = host
            recorder.response(flow)
        assert recorder.writer is not None
        wait_for(lambda: recorder.writer.stats.flows_stored == 3)  # type: ignore[union-attr]
        line = status.counters()
        recorder.done()
    assert line.startswith("flows 3 stored, 0 queued | hosts 2 | TLS failures 0")
