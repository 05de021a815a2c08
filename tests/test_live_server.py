"""The live page's server on a real loopback socket: token, Host and Origin checks, CSP, steps."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from analyzer.live.page import live_assets, render_live_page
from analyzer.live.process import Follower
from analyzer.live.server import CSP, MAX_STREAMS, LiveServer
from analyzer.live.state import LiveState
from analyzer.store import Store
from analyzer.store.marks import marks
from tests.support.live import event_stream, raw_request

TOKEN = "t0k3n-for-the-live-server-tests-only-xyz"


@dataclass
class Running:
    server: LiveServer
    state: LiveState
    store: Store
    follower: Follower

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def origin(self) -> str:
        return self.base

    def url(self, route: str = "") -> str:
        return f"{self.base}/{TOKEN}/{route}"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    store = Store(str(tmp_path / "live.db"))
    state = LiveState("probe-1")
    follower = Follower(store, state, "probe-1", None, None, None, threading.Event())
    sock = socket.create_server(("127.0.0.1", 0))
    server = LiveServer(
        sock, TOKEN, state, render_live_page("probe-1"), live_assets(), follower.set_mark
    )
    server.start()
    try:
        yield Running(server, state, store, follower)
    finally:
        server.stop()
        store.close()


def _start_recording(running: Running) -> int:
    running.store.create_session("probe-1")
    assert running.follower.step()  # finds the session: steps can be set from now on
    assert running.follower.session_id is not None
    return running.follower.session_id


def test_the_page_loads_only_its_own_files_under_a_strict_policy(running: Running) -> None:
    response = httpx.get(running.url())
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe" not in CSP and "default-src 'none'" in CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    html = response.text
    assert re.findall(r"<script[^>]*>", html) == ['<script src="assets/live.js">']
    assert not re.search(r"\son[a-z]+=|\sstyle=|javascript:|https?://(?!www\.w3\.org/2000/svg)",
                         html)  # fmt: skip
    for name in ("live.js", "live.css", "base.css", "report.css"):
        asset = httpx.get(running.url(f"assets/{name}"))
        assert asset.status_code == 200 and asset.content
        assert asset.headers["content-type"].startswith(("text/css", "text/javascript"))
    assert httpx.get(running.url("assets/../process.py")).status_code == 404


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", {}),
        ("/state", {}),
        ("/not-the-token/state", {}),
        (f"/{TOKEN[:-1]}/state", {}),
        (f"/{TOKEN}x/state", {}),
        (f"/{TOKEN}/state", {"Host": "rebound.probe.example:{port}"}),  # DNS rebinding
        (f"/{TOKEN}/state", {"Host": "127.0.0.1:1"}),
        (f"/{TOKEN}/state", {"Origin": "http://attacker.probe.example"}),
        (f"/{TOKEN}/state", {"Origin": "null"}),
        (f"/{TOKEN}/events", {"Origin": "http://127.0.0.1:1"}),
        (f"/{TOKEN}/", {"Sec-Fetch-Site": "cross-site"}),
        (f"/{TOKEN}/state", {"Sec-Fetch-Site": "same-site"}),
    ],
)
def test_requests_without_the_token_or_from_elsewhere_get_403_and_no_data(
    running: Running, path: str, headers: dict[str, str]
) -> None:
    with running.state.changing():
        running.state.add_flow("secret-host.probe.example", "CN")
    headers = {k: v.format(port=running.server.port) for k, v in headers.items()}
    host = headers.pop("Host", f"127.0.0.1:{running.server.port}")
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    answer = raw_request(running.server.port, f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{lines}\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403 ")
    assert body == b"forbidden\n"
    assert b"access-control-allow" not in head.lower()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),  # no Origin: a POST must say where it comes from
        ({"Origin": "http://attacker.probe.example"}, 403),
        ({"Origin": "{origin}", "Content-Type": "text/plain"}, 415),  # what a form could send
        ({"Origin": "{origin}", "Content-Type": "application/x-www-form-urlencoded"}, 415),
    ],
)
def test_a_step_from_elsewhere_or_not_as_json_is_refused(
    running: Running, headers: dict[str, str], status: int
) -> None:
    session = _start_recording(running)
    headers = {"Content-Type": "application/json", **headers}
    headers = {k: v.format(origin=running.origin) for k, v in headers.items()}
    response = httpx.post(running.url("marks"), content=b'{"label": "login"}', headers=headers)
    assert response.status_code == status
    assert marks(running.store, session) == []


def test_a_step_set_from_the_page_is_stored(running: Running) -> None:
    def post(body: bytes) -> httpx.Response:
        return httpx.post(running.url("marks"), content=body, headers={
            "Origin": running.origin, "Content-Type": "application/json"})  # fmt: skip

    assert post(b'{"label": "consent shown"}').status_code == 409  # not recording yet
    session = _start_recording(running)
    answer = post(json.dumps({"label": "  consent   refused "}).encode())
    assert answer.status_code == 201
    assert answer.json()["label"] == "consent refused"
    (stored,) = marks(running.store, session)
    assert (stored.label, stored.source) == ("consent refused", "page")
    assert abs(stored.at - answer.json()["at"]) < 1e-6
    assert post(b'{"label": ""}').status_code == 400
    assert post(b'{"label": 7}').status_code == 400
    assert post(b"not json").status_code == 400
    assert post(json.dumps({"label": "x" * 5000}).encode()).status_code == 413
    assert len(marks(running.store, session)) == 1


def test_events_bring_a_snapshot_then_each_change(running: Running) -> None:
    finding = {"property": "imei", "country": "BR", "started": 1.0, "placeholder": False,
               "host": "<script>x</script>.probe.example", "value": "4901*******7518"}  # fmt: skip
    with event_stream(running.url("events")) as events:
        name, first = next(events)
        assert name == "snapshot" and first["findings"] == []
        with running.state.changing():
            running.state.add_finding(finding)
        name, update = next(events)
    assert name == "update"
    assert [f["host"] for f in update["findings"]] == [finding["host"]]
    assert update["matrix"]["cells"] == {"imei": {"BR": 1}}


def test_open_event_streams_are_bounded(running: Running) -> None:
    connections = []
    try:
        for _ in range(MAX_STREAMS):
            conn = http.client.HTTPConnection("127.0.0.1", running.server.port, timeout=30)
            conn.request("GET", f"/{TOKEN}/events")
            assert conn.getresponse().status == 200
            connections.append(conn)
        assert httpx.get(running.url("events")).status_code == 503
        assert httpx.get(running.url("state")).status_code == 200  # the rest still works
    finally:
        for conn in connections:
            conn.close()


def test_a_client_that_sends_nothing_does_not_hold_up_the_others(running: Running) -> None:
    with socket.create_connection(("127.0.0.1", running.server.port)):
        assert httpx.get(running.url("state")).json()["session"]["name"] == "probe-1"


@pytest.mark.parametrize(
    "request_text",
    [
        "BREW /{token}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n",
        "GET /<script>x</script> HTTP/9.9\r\n\r\n",
        "HEAD /{token}/state HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n",
    ],
)
def test_odd_requests_get_a_bare_error_that_echoes_nothing(
    running: Running, request_text: str
) -> None:
    answer = raw_request(
        running.server.port, request_text.format(token=TOKEN, port=running.server.port)
    )
    assert b"<script>" not in answer and TOKEN.encode() not in answer
    if not answer.startswith(b"HTTP/"):  # answered as HTTP/0.9: no status line, no headers
        assert answer.strip() in (b"400", b"505")
        return
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] in (b"400", b"501", b"505")
    assert body.strip() == head.split(b" ")[1]
    assert b"content-security-policy: default-src 'none'" in head.lower()
