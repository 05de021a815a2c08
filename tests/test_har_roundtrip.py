"""Round trip: a real .mitm dump -> ``leakmap report --format har`` -> ``leakmap import`` ->
``leakmap diff --fail-on new-finding`` shows no change, for every kind of body: text, binary
protobuf, compressed, non-UTF-8 charset, form, multipart, WebSocket text and binary messages.

The dump is written with mitmproxy's own ``FlowWriter``; every step runs the real CLI.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from mitmproxy import http
from mitmproxy.io import FlowWriter
from mitmproxy.test import tflow
from mitmproxy.websocket import WebSocketData, WebSocketMessage
from wsproto.frame_protocol import Opcode

LEAKMAP = str(Path(sys.executable).with_name("leakmap"))
T0 = 1_770_000_000.0
AD_ID = "3f9c2b7e-5a1d-4c8e-9b6f-0d2e4a6c8b1f"
IMEI = "358240051111110"
EMAIL = "lena.probe@example.net"
PHONE = "+4915112345678"
PROFILE = f"""
[device]
name = "round-trip"
[known]
advertisingId = "{AD_ID}"
imei = "{IMEI}"
email = "{EMAIL}"
phoneNumber = "{PHONE}"
"""


def _protobuf(*fields: tuple[int, bytes]) -> bytes:
    out = b""
    for number, value in fields:
        out += bytes([number << 3 | 2, len(value)]) + value
    return out


PROTOBUF = _protobuf((1, b"android"), (2, AD_ID.encode())) + b"\x20\x96\x01"


def _flow(
    n: int, host: str, ip: str, path: str, body: bytes, headers: list[tuple[str, str]]
) -> http.HTTPFlow:
    request = http.Request(
        host=host, port=443, method=b"POST", scheme=b"https", authority=b"", path=path.encode(),
        http_version=b"HTTP/1.1",
        headers=http.Headers([(k.encode(), v.encode()) for k, v in [("host", host), *headers]]),
        content=body, trailers=None, timestamp_start=T0 + n, timestamp_end=T0 + n + 0.1,
    )  # fmt: skip
    response = http.Response(
        http_version=b"HTTP/1.1", status_code=200, reason=b"OK",
        headers=http.Headers([(b"content-type", b"application/json")]), content=b'{"ok":1}',
        trailers=None, timestamp_start=T0 + n + 0.2, timestamp_end=T0 + n + 0.3,
    )  # fmt: skip
    flow = tflow.tflow(req=request, resp=response)
    flow.server_conn.address = (host, 443)
    flow.server_conn.peername = (ip, 443)
    flow.server_conn.sni = host
    return flow


def _dump(path: Path) -> None:
    boundary = "----lmroundtrip"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="msisdn"\r\n\r\n{PHONE}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="meta"; filename="m.json"\r\n'
        f'Content-Type: application/json\r\n\r\n{{"mail":"{EMAIL}"}}\r\n--{boundary}--\r\n'
    ).encode()
    flows: list[Any] = [
        _flow(1, "api.example-sdk.io", "157.240.1.35", "/v1/json",
              json.dumps({"imei": IMEI, "note": "Grüße"}).encode(),
              [("content-type", "application/json")]),
        _flow(2, "app-measurement.com", "142.250.74.46", "/a", PROTOBUF,
              [("content-type", "application/x-protobuf")]),
        _flow(3, "log.example-cn.com", "106.11.172.9", "/gz",
              gzip.compress(json.dumps({"aid": AD_ID, "mail": EMAIL}).encode()),
              [("content-type", "application/json"), ("content-encoding", "gzip")]),
        _flow(4, "form.example-sdk.io", "157.240.1.35", "/f",
              f"imei={IMEI}&email={EMAIL.replace('@', '%40')}".encode(),
              [("content-type", "application/x-www-form-urlencoded")]),
        _flow(5, "upload.example-sdk.io", "157.240.1.35", "/m", multipart,
              [("content-type", f"multipart/form-data; boundary={boundary}")]),
        _flow(6, "gbk.example-cn.com", "106.11.172.9", "/t",
              f"设备={IMEI}&邮箱={EMAIL}".encode("gbk"),
              [("content-type", "text/plain; charset=gbk")]),
    ]  # fmt: skip
    socket = _flow(7, "ws.example-chat.io", "157.240.1.35", "/socket", b"", [])
    socket.request.method = "GET"
    socket.websocket = WebSocketData(
        messages=[
            WebSocketMessage(Opcode.TEXT, True, json.dumps({"email": EMAIL}).encode(), T0 + 8),
            WebSocketMessage(Opcode.BINARY, True, PROTOBUF, T0 + 9),
            WebSocketMessage(Opcode.TEXT, False, b'{"welcome":true}', T0 + 9.5),
        ]
    )
    flows.append(socket)
    with open(path, "wb") as handle:
        writer = FlowWriter(handle)
        for flow in flows:
            writer.add(flow)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEAKMAP, *args], capture_output=True, text=True, timeout=600)


def _findings(report: dict[str, Any]) -> set[tuple[str, ...]]:
    return {
        (f["property"], f["host"], f["location"], f["path"], f["encoding"], f["value"])
        for f in report["findings"]
    }


def test_round_trip_through_leakmap_har_changes_nothing(tmp_path: Path) -> None:
    dump = tmp_path / "capture.mitm"
    _dump(dump)
    profile = tmp_path / "device.toml"
    profile.write_text(PROFILE)
    db = str(tmp_path / "lab.db")
    har = tmp_path / "export.har"
    assert _run("import", str(dump), "--session", "from-mitm", "--db", db).returncode == 0
    exported = _run("report", "from-mitm", "--db", db, "--format", "har", "-o", str(har))
    assert exported.returncode == 0, exported.stderr
    again = _run("import", str(har), "--session", "from-har", "--db", db)
    assert again.returncode == 0, again.stderr
    assert "note:" not in again.stderr  # leakmap reads its own export whole

    reports = {}
    for name in ("from-mitm", "from-har"):
        out = tmp_path / f"{name}.json"
        result = _run("report", name, "--db", db, "--profile", str(profile), "--format", "json",
                      "--show-values", "-o", str(out))  # fmt: skip
        assert result.returncode == 0, result.stderr
        reports[name] = json.loads(out.read_text())
    original = _findings(reports["from-mitm"])
    # Real findings in every kind of body, with the chain that hid them.
    seen = {(p, h, loc) for p, h, loc, _path, _enc, _v in original}
    chains = {(p, h): enc for p, h, _loc, _path, enc, _v in original}
    assert ("imei", "api.example-sdk.io", "body") in seen
    assert "protobuf" in chains[("advertisingId", "app-measurement.com")]
    assert "gzip" in chains[("advertisingId", "log.example-cn.com")]
    assert ("imei", "form.example-sdk.io", "body") in seen
    assert ("phoneNumber", "upload.example-sdk.io", "body") in seen
    assert ("imei", "gbk.example-cn.com", "body") in seen
    assert ("email", "ws.example-chat.io", "websocket") in seen
    assert "protobuf" in chains[("advertisingId", "ws.example-chat.io")]
    # ... and exactly the same ones after the round trip.
    assert _findings(reports["from-har"]) == original

    diff_path = tmp_path / "diff.json"
    diff = _run("diff", "from-mitm", "from-har", "--db", db, "--profile", str(profile),
                "--format", "json", "-o", str(diff_path), "--fail-on", "new-finding")  # fmt: skip
    assert diff.returncode == 0, diff.stderr + diff.stdout
    changes = json.loads(diff_path.read_text())
    assert changes["added"]["findings"] == [] and changes["removed"]["findings"] == []
    assert changes["added"]["hosts"] == [] and changes["removed"]["hosts"] == []
    assert changes["changed"] == []


def test_the_export_is_read_by_mitmproxy_s_own_har_reader(tmp_path: Path) -> None:
    """Another tool's reader: mitmproxy's (mitmproxy.io.har) loads every entry of the export
    and gets the text bodies as they were sent."""
    from mitmproxy.io.har import request_to_flow

    dump = tmp_path / "capture.mitm"
    _dump(dump)
    db = str(tmp_path / "lab.db")
    har = tmp_path / "export.har"
    assert _run("import", str(dump), "--session", "s", "--db", db).returncode == 0
    assert _run("report", "s", "--db", db, "--format", "har", "-o", str(har)).returncode == 0
    entries = json.loads(har.read_text())["log"]["entries"]
    flows = {flow.request.path: flow for flow in map(request_to_flow, entries)}
    assert len(flows) == 7
    assert json.loads(flows["/v1/json"].request.content or b"")["imei"] == IMEI
    assert flows["/f"].request.urlencoded_form["imei"] == IMEI
    assert IMEI in (flows["/t"].request.text or "")  # GBK text, written as text
