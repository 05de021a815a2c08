"""Hostile input on the capture side: huge bodies, thousands of headers, huge URLs, and files
that are not what they claim to be. The flow is still recorded, within the stated caps; a bad
file gives a one-line error and leaves the store unchanged."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import zlib
from pathlib import Path

import pytest
from mitmproxy.test import taddons, tflow

from addons.recorder import Recorder
from analyzer import importer
from analyzer.errors import LeakmapError
from analyzer.importer import import_files
from analyzer.store import Store
from tests.support.capture import LEAKMAP, Servers, curl, start_capture

MiB = 1024 * 1024


def _record(db: str, *flows) -> Store:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    with taddons.context(recorder) as tctx:
        tctx.configure(recorder, leakmap_db=db, leakmap_session="s")
        recorder.running()
        for flow in flows:
            recorder.response(flow)
        recorder.done()
    return Store(db)


def test_thousands_of_headers_and_a_1_mib_url_are_stored_whole(sqlite_url: str) -> None:
    flow = tflow.tflow(resp=True)
    for i in range(5000):
        flow.request.headers.add(f"x-h{i}", "v" * 20)
    flow.request.path = "/track?" + "a=" + "b" * MiB
    store = _record(sqlite_url, flow)
    (row,) = list(store.iter_flows(store.session("s").id))
    assert len(row.request_headers) == 5000 + len(tflow.tflow().request.headers)
    assert len(row.url) > MiB


def test_invalid_utf8_in_headers_is_kept_visible(db_url: str) -> None:
    flow = tflow.tflow(resp=True)
    flow.request.headers.fields = ((b"x-bin", b"\xff\xfe\x00ok"),)
    store = _record(db_url, flow)
    (row,) = list(store.iter_flows(store.session("s").id))
    assert row.request_headers == [["x-bin", "\\xff\\xfe\x00ok"]]


def test_a_100_mib_body_through_a_real_capture_is_capped_with_size_and_digest(
    tmp_path: Path, sqlite_url: str, servers: Servers
) -> None:
    body = tmp_path / "body.bin"
    with open(body, "wb") as handle:
        for _ in range(100):
            handle.write(os.urandom(MiB))
    digest = hashlib.sha256(body.read_bytes()).hexdigest()
    capture = start_capture(tmp_path, sqlite_url, servers)
    try:
        result = curl(
            capture, f"http://127.0.0.4:{servers.plain_port}/upload", "-X", "POST",
            "--data-binary", f"@{body}", "--max-time", "600",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    finally:
        code, output = capture.stop()
    assert code == 0, output
    with Store(sqlite_url) as store:
        (row,) = list(store.iter_flows(store.session("e2e").id))
    assert row.request_body_size == 100 * MiB
    assert len(row.request_body) == MiB and row.request_body_truncated
    assert row.request_body_sha256 == digest


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + os.urandom(200), "neither a HAR file nor a mitmproxy dump: a PNG"),
        (b"PK\x03\x04" + os.urandom(200), "neither a HAR file nor a mitmproxy dump: a ZIP"),
        # Called what it is; 1 in ~1000 random files looks zlib-compressed or like a dump.
        (os.urandom(4096), "unknown kind|HAR|mitmproxy dump"),
        (b"", "empty file"),
        (b'\xef\xbb\xbf{"log": {"entries": "no"}}', "not a HAR file"),
        (b'{"log": {"entries": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}}", "too deeply nested"),
        (
            b'{"log": {"entries": [{"request": {"url": 5, "method": "GET"}, "startedDateTime": '
            b'"2024-01-01T00:00:00Z"}]}}',
            "HAR entry 1 is malformed",
        ),
        (
            b'{"log": {"entries": [{"request": {"url": "https://a.test/", "method": []}, '
            b'"startedDateTime": "yesterday"}]}}',
            "HAR entry 1 is malformed",
        ),
        (zlib.compress(b'{"log": {"entries": []'), "not valid JSON"),
        (gzip.compress(b"x" * 100)[:-8], "cannot be decompressed"),
    ],
    ids=[
        "png",
        "zip",
        "noise",
        "empty",
        "entries-not-list",
        "nested",
        "url-type",
        "method-type",
        "zhar-truncated-json",
        "gzip-truncated",
    ],
)
def test_files_that_are_not_what_they_claim(
    tmp_path: Path, store: Store, content: bytes, message: str
) -> None:
    path = tmp_path / "capture.har"
    path.write_bytes(content)
    with pytest.raises(LeakmapError, match=message) as raised:
        import_files(store, [path], session="s")
    assert "capture.har" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert store.sessions() == []


def test_an_entry_whose_date_lies_is_kept_and_noted(tmp_path: Path, store: Store) -> None:
    # A date is no part of what the phone sent: the entry's request still reaches detection.
    path = tmp_path / "capture.har"
    path.write_bytes(
        b'{"log": {"entries": [{"request": {"url": "https://a.test/?u=1", "method": "GET"}, '
        b'"startedDateTime": "yesterday"}]}}'
    )
    result = import_files(store, [path], session="s")
    assert result.flows == 1
    (row,) = list(store.iter_flows(store.session("s").id))
    assert row.url == "https://a.test/?u=1" and row.timestamp_start is None
    assert "startedDateTime that is not a date" in (store.session("s").notes or "")


def test_a_directory_is_not_a_capture(tmp_path: Path, store: Store) -> None:
    with pytest.raises(LeakmapError, match="Is a directory"):
        import_files(store, [tmp_path], session="s")


def test_har_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_HAR_BYTES", 1000)
    path = tmp_path / "big.har"
    path.write_text(json.dumps({"log": {"entries": [], "pad": "x" * 2000}}))
    with pytest.raises(LeakmapError, match="over the 0 MiB limit"):
        import_files(store, [path], session="s")


def test_compressed_har_bomb_is_refused(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_HAR_BYTES", 10 * MiB)
    path = tmp_path / "bomb.zhar"
    path.write_bytes(
        zlib.compress(b'{"log": {"entries": [], "pad": "' + b"x" * (50 * MiB) + b'"}}')
    )
    assert path.stat().st_size < MiB
    with pytest.raises(LeakmapError, match="expands beyond"):
        import_files(store, [path], session="s")
    assert store.sessions() == []


def test_cli_errors_on_hostile_files_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "noise.mitm"
    path.write_bytes(os.urandom(10_000))
    db = tmp_path / "h.db"
    result = subprocess.run(
        [LEAKMAP, "import", str(path), "--session", "x", "--db", str(db)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "noise.mitm" in result.stderr


def test_lone_surrogates_and_nul_from_har_are_stored_and_reported(
    tmp_path: Path, store: Store
) -> None:
    """JSON escapes such as "\\ud800" (JavaScript cutting an emoji in half) and NUL are valid
    JSON; the store takes them as visible escapes on both backends, and the report runs."""
    har = {"log": {"entries": [{
        "startedDateTime": "2024-01-01T00:00:00Z", "time": 5,
        "request": {
            "method": "POST", "url": "https://a.test/p\ud800?q=\udcff&n=\u0000",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "x-\ud800", "value": "v\u0000"}],
            "postData": {"mimeType": "application/x-www-form-urlencoded",
                         "params": [{"name": "imei\ud800", "value": "356938035643809\udcff"}]},
        },
        "response": {"status": 200, "httpVersion": "HTTP/1.1", "headers": [],
                     "content": {"text": '{"k":"\\ud800356938035643809"}'}},
    }, {
        "startedDateTime": "2024-01-01T00:00:01Z", "time": 5,
        "request": {"method": "POST", "url": "https://a.test/j", "httpVersion": "HTTP/1.1",
                    "headers": [], "postData": {"mimeType": "application/json",
                                                "text": '{"k":"\\ud800356938035643809\\u0000"}'}},
        "response": {"status": 200, "httpVersion": "HTTP/1.1", "headers": []},
    }]}}  # fmt: skip
    path = tmp_path / "surrogates.har"
    path.write_text(json.dumps(har))  # ensure_ascii keeps the escapes as in the wild
    import_files(store, [path], session="s")
    rows = list(store.iter_flows(store.session("s").id))
    assert len(rows) == 2
    assert rows[0].url == "https://a.test/p\\ud800?q=\\udcff&n=\\x00"
    result = subprocess.run(
        [LEAKMAP, "report", "s", "--db", store.url, "--format", "json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["session"]["flows"] == 2
    assert any(f["property"] == "imei" for f in report["findings"])
