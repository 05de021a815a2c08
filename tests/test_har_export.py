"""leakmap's own HAR export (analyzer/report/har.py): a form other tools read, and every form
it ever wrote read back by ``leakmap import``."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path

from analyzer.importer import import_files
from analyzer.report.har import write_har
from analyzer.store import Store
from analyzer.store import records as rec
from analyzer.store.marks import add_mark, marks
from tests.support.report import T0, flow, make_session

PROTOBUF = b"\x0a\x07android\x12\x04\xde\xad\xbe\xef\x20\x96\x01"


def _export(store: Store, name: str) -> dict:
    out = io.StringIO()
    write_har(store, store.session(name), out)
    return json.loads(out.getvalue())


def _posts(har: dict) -> dict[str, dict]:
    return {e["request"]["url"]: e["request"].get("postData") for e in har["log"]["entries"]}


def test_bodies_are_written_in_forms_other_tools_read(store: Store) -> None:
    body = json.dumps({"email": "kim.probe@example.net"}).encode()
    packed = gzip.compress(body)
    records: list[rec.Record] = [
        flow("https://a.example.org/pb", method="POST", body=PROTOBUF,
             headers=[("content-type", "application/x-protobuf")]),
        flow("https://a.example.org/form", method="POST", body=b"a=1&b=x%40y", at=1,
             headers=[("content-type", "application/x-www-form-urlencoded")]),
        flow("https://a.example.org/gz", method="POST", body=packed, at=2,
             headers=[("content-type", "application/json"), ("content-encoding", "gzip")]),
        flow("https://a.example.org/big", method="POST", body=b"x" * (1024 * 1024 + 10), at=3,
             headers=[("content-type", "text/plain")]),
    ]  # fmt: skip
    make_session(store, "s", records)
    posts = _posts(_export(store, "s"))
    pb = posts["https://a.example.org/pb"]
    assert pb["encoding"] == "base64" and "_encoding" not in pb
    assert base64.b64decode(pb["text"]) == PROTOBUF
    form = posts["https://a.example.org/form"]
    assert form["text"] == "a=1&b=x%40y" and "encoding" not in form
    assert form["params"] == [{"name": "a", "value": "1"}, {"name": "b", "value": "x@y"}]
    gz = posts["https://a.example.org/gz"]
    assert gz["text"] == body.decode()  # decoded, for TrackHAR and browsers
    assert gz["_raw"]["contentEncoding"] == "gzip"
    assert base64.b64decode(gz["_raw"]["text"]) == packed
    big = posts["https://a.example.org/big"]
    assert big["_truncated"] is True and "1048576 of the body's 1048586 bytes" in big["comment"]


def test_websocket_text_frames_that_are_not_utf8_keep_their_bytes(
    store: Store, tmp_path: Path
) -> None:
    records: list[rec.Record] = [
        flow("wss://ws.example.org/s", websocket=True, mitm_id="w"),
        rec.WebSocketRecord("w", True, True, T0 + 1, b"\xff\xfeimei=1"),
    ]
    make_session(store, "ws", records)
    har = _export(store, "ws")
    (message,) = har["log"]["entries"][0]["_webSocketMessages"]
    assert message["opcode"] == 1 and message["encoding"] == "base64"
    path = tmp_path / "ws.har"
    path.write_text(json.dumps(har))
    import_files(store, [path], session="again")
    (back,) = list(store.websocket_messages(store.session("again").id))
    assert back.content == b"\xff\xfeimei=1" and back.is_text


def test_steps_ride_along_and_come_back(store: Store, tmp_path: Path) -> None:
    info = make_session(store, "steps", [flow("https://a.example.org/", at=5)])
    add_mark(store, info.id, "consent refused", T0 + 2, source="page")
    har = _export(store, "steps")
    assert har["log"]["_leakmap"]["marks"] == [{"label": "consent refused", "at": T0 + 2}]
    path = tmp_path / "steps.har"
    path.write_text(json.dumps(har))
    result = import_files(store, [path], session="again")
    assert result.marks == 1
    again = marks(store, store.session("again").id)
    assert [(m.label, m.at, m.source) for m in again] == [("consent refused", T0 + 2, "import")]


def test_an_older_leakmap_export_is_read_back(store: Store, tmp_path: Path) -> None:
    """Before 0.2 leakmap marked binary request bodies with ``_encoding`` only."""
    old = {"log": {"version": "1.2", "creator": {"name": "leakmap", "version": "0.1.0"},
                   "_leakmap": {"session": "x"}, "entries": [{
        "startedDateTime": "2026-01-05T10:00:00.000+00:00", "time": 5,
        "request": {"method": "POST", "url": "https://app-measurement.com/a",
                    "httpVersion": "HTTP/1.1", "cookies": [], "queryString": [],
                    "headers": [{"name": "content-type", "value": "application/x-protobuf"}],
                    "headersSize": -1, "bodySize": len(PROTOBUF),
                    "postData": {"mimeType": "application/x-protobuf",
                                 "text": base64.b64encode(PROTOBUF).decode(),
                                 "_encoding": "base64"}},
        "response": {"status": 204, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [],
                     "headers": [], "content": {"size": 0, "mimeType": ""}, "redirectURL": "",
                     "headersSize": -1, "bodySize": 0},
        "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0},
        "_leakmap_flow_id": 1, "serverIPAddress": "142.250.74.46"}]}}  # fmt: skip
    path = tmp_path / "old.har"
    path.write_text(json.dumps(old))
    result = import_files(store, [path], session="old")
    (row,) = list(store.iter_flows(result.session_id))
    assert row.request_body == PROTOBUF and result.notes == [] and result.marks == 0
