"""The status addon: connection help at start, live counters while recording."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from mitmproxy.test import taddons, tflow

from addons.recorder import Recorder
from addons.status import CONNECTION_LOGGER, SERVERS_LOGGER, Status
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


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def collect() -> Iterator[_Collect]:
    """A handler on mitmproxy's proxy loggers, which log at every level during the test."""
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in (CONNECTION_LOGGER, SERVERS_LOGGER)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_wireguard_private_key_never_reaches_a_log_handler(collect: _Collect) -> None:
    Status(out=io.StringIO())
    servers = logging.getLogger(SERVERS_LOGGER)
    servers.info("------\n[Interface]\nPrivateKey = cHJpdmF0ZS1rZXktb2YtdGhlLXBob25l\n------")
    servers.info("WireGuard server listening at *:51820.")
    assert collect.messages == ["WireGuard server listening at *:51820."]


@pytest.mark.parametrize("verbose", [False, True])
def test_connection_lines_show_only_when_verbose(collect: _Collect, verbose: bool) -> None:
    status = Status(out=io.StringIO())
    with taddons.context(status) as tctx:
        tctx.configure(status, leakmap_verbose=verbose)
        connections = logging.getLogger(CONNECTION_LOGGER)
        connections.info("client connect")
        connections.warning("Client TLS handshake failed.")
        status.done()
        connections.info("client disconnect")  # after the capture: filters are gone
    shown = ["client connect"] if verbose else []
    assert collect.messages == [*shown, "Client TLS handshake failed.", "client disconnect"]
