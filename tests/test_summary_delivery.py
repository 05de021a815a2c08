"""Requests the proxy answered itself (the server was never reached) are not delivered: they
left the phone, but evidence and counts keep them apart from what arrived."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from analyzer.geo import GeoResolver
from analyzer.store import Store
from analyzer.summary import build_report
from analyzer.summary.delivery import delivered
from tests.support.capture import PLAIN_HOST, Servers, curl, start_capture
from tests.support.mmdb import write_country_db
from tests.support.net import free_port, wait_for
from tests.support.report import (
    CN_IP,
    US_IP,
    HandFinding,
    flow,
    flow_ids,
    geo_files,
    make_session,
    summarise,
)


@pytest.mark.parametrize(
    ("error", "status", "expected"),
    [
        (None, 200, True),
        (None, None, True),  # no response and no error (capture stopped): may have arrived
        ("Connection refused", None, False),
        ("[Errno 111] Connect call failed ('10.1.2.3', 443)", None, False),
        ("[Errno -2] Name or service not known", None, False),
        ("Temporary failure in name resolution", None, False),
        ("connect timed out", None, False),
        ("TLS handshake failed: certificate verify failed", None, False),
        ("Connection killed.", None, False),
        ("Request body exceeds mitmproxy's body_size_limit.", None, False),
        ("net::ERR_NAME_NOT_RESOLVED", 0, False),  # Chrome's HAR: status 0 and _error
        ("net::ERR_CONNECTION_REFUSED", 0, False),
        ("net::ERR_CERT_AUTHORITY_INVALID", 0, False),
        ("net::ERR_BLOCKED_BY_CLIENT", 0, False),
        # The server saw the request, whatever went wrong afterwards.
        ("server closed connection", None, True),
        ("Cannot parse HTTP response: bad status line", None, True),
        ("unexpected server response: b'garbage'", None, True),
        ("net::ERR_CONNECTION_RESET", 0, True),
        ("net::ERR_EMPTY_RESPONSE", 0, True),
        ("Response body exceeds mitmproxy's body_size_limit.", None, True),
        # A response came: delivered, even with an error after it.
        ("Connection refused", 502, True),
        ("something nobody has seen before", None, True),
    ],
)
def test_delivered(error: str | None, status: int | None, expected: bool) -> None:
    assert delivered(error, status) is expected


def test_not_delivered_findings_are_counted_apart(store: Store, tmp_path: Path) -> None:
    geo = GeoResolver(*geo_files(tmp_path))
    sent = flow("https://log.example-cn.com/a?email=jo@example.org", server_ip=CN_IP, at=1)
    refused = flow(
        "https://log.example-cn.com/b?imei=490154203237518", server_ip=CN_IP, at=2, status=None
    )
    refused.error = "Connection refused"
    failed = flow("http://t.example-us.com/c?imei=490154203237518", server_ip=US_IP, at=3,
                  status=None)  # fmt: skip
    failed.error = "[Errno -2] Name or service not known"
    session = make_session(store, "undelivered", [sent, refused, failed])
    ids = list(flow_ids(store, session).values())
    findings = [
        HandFinding(ids[0], "email", value="jo@example.org"),
        HandFinding(ids[1], "imei", value="490154203237518"),
        HandFinding(ids[2], "imei", value="490154203237518"),
    ]
    report = summarise(store, session, findings, geo)

    assert [f["delivered"] for f in report["findings"]] == [True, False, False]
    # Counts: only what arrived.
    assert report["by_country"]["CN"]["properties"] == ["email"]
    assert report["by_country"]["CN"]["not_delivered"] == {
        "properties": ["imei"], "findings": 1, "flows": 1
    }  # fmt: skip
    assert report["by_country"]["US"]["properties"] == []
    headline = report["headline"]
    assert headline["findings"] == 1 and headline["properties"] == 1
    assert headline["not_delivered"] == 2
    assert headline["countries"] == ["CN"]
    assert headline["plaintext_leaks"] == 0  # the plaintext request never arrived
    assert (
        "The phone also tried to send the IMEI to log.example-cn.com and t.example-us.com, but "
        "the proxy could not reach the server: not delivered."
    ) in headline["sentences"]
    # Evidence keeps them, marked, with the proxy's error.
    cell = report["matrix"]["cells"]["imei"]["CN"]
    assert (cell["count"], cell["not_delivered"]) == (0, 1)
    section = next(
        s for s in report["evidence"] if s["property"] == "imei" and s["country"] == "CN"
    )
    (example,) = section["hosts"][0]["examples"]
    assert example["delivered"] is False
    assert example["error"] == "Connection refused"
    destination = next(d for d in report["destinations"] if d["host"] == "log.example-cn.com")
    assert destination["properties"] == ["email"]
    assert destination["not_delivered_flows"] == 1
    assert report["methods"]["flows_not_delivered"] == 2


def test_a_real_proxy_that_cannot_reach_the_server(
    tmp_path: Path, sqlite_url: str, servers: Servers
) -> None:
    """mitmproxy answers a request to a closed port itself (502): the flow has an error and no
    response; the report says the advertising ID left the phone but was not delivered."""
    aaid = "3c9d7e21-5b8a-4f06-9e1d-7a2b4c6d8e0f"
    closed = free_port("127.0.0.4")  # nothing listens here
    capture = start_capture(tmp_path, sqlite_url, servers)
    try:
        sent = curl(capture, f"http://{PLAIN_HOST}:{servers.plain_port}/ok?aaid={aaid}")
        assert sent.returncode == 0, sent.stderr
        refused = curl(capture, f"http://{PLAIN_HOST}:{closed}/collect?aaid={aaid}",
                       "-o", "/dev/null", "-w", "%{http_code}")  # fmt: skip
        assert refused.stdout == b"502"  # the proxy's own answer
        with Store(capture.db) as store:
            session_id = store.session("e2e").id
            wait_for(lambda: store.counts(session_id)["flows"] >= 2)
    finally:
        code, output = capture.stop()
    assert code == 0, output

    profile = tmp_path / "p.toml"
    profile.write_text(f'[device]\nname = "p"\n[known]\nadvertisingId = "{aaid}"\n')
    geoip = write_country_db(tmp_path / "c.mmdb", {"127.0.0.4/32": "US"})
    with Store(capture.db) as store:
        report = build_report(store, "e2e", profile=profile, geoip_db=geoip)
    delivered_flags = {
        urlsplit(e["request_line"].split(" ", 1)[1]).path: e["delivered"]
        for s in report["evidence"]
        for h in s["hosts"]
        for e in h["examples"]
    }
    assert delivered_flags == {"/ok": True, "/collect": False}
    assert sorted(f["delivered"] for f in report["findings"]) == [False, True]
    assert report["by_country"]["US"]["findings"] == 1
    # The proxy never connected: no server address, so no country either.
    assert report["by_country"]["unknown"]["findings"] == 0
    assert report["by_country"]["unknown"]["not_delivered"]["findings"] == 1
    assert report["headline"]["not_delivered"] == 1
    (failed,) = [
        e for s in report["evidence"] for h in s["hosts"] for e in h["examples"]
        if not e["delivered"]
    ]  # fmt: skip
    assert "connect call failed" in failed["error"].lower()  # mitmproxy's own words
