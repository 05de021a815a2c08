"""Hostile bodies in the analyzer: decompression bombs, huge and deep bodies, broken encodings,
thousands of headers or fields. ``decode_flow`` and ``Detector.detect`` return (never raise),
stay within the decoder's limits (memory measured with tracemalloc, never a duration), say in
their notes what they skipped and why, and still find what came before the hostile part."""

from __future__ import annotations

import base64
import json
import os
import tracemalloc
import zlib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import brotli
import pytest
import zstandard

from analyzer.cli import main
from analyzer.decode import Limits, decode_flow
from analyzer.decode.body import MAX_RAW_CHARS
from analyzer.detect import Detector, Finding
from analyzer.importer import import_files
from analyzer.profile import profile_from_dict
from analyzer.store import Store
from tests.support.har import har_entry

IMEI = "356938035643809"
EMAIL = "tester@example.org"
ADID = "6a1c1487-a0af-4223-b142-a0f4621d0311"
LIMITS = Limits()
MiB = 1024 * 1024
GiB = 1024 * MiB
# Decoding holds the decoded bytes, one copy of them and the parsed structure: a few times the
# decoded-bytes cap at most. (A brotli bomb took 2 GiB before its output was capped.)
PEAK_BOUND = 8 * LIMITS.max_decoded_bytes
DETECTOR = Detector(
    profile_from_dict({"known": {"imei": IMEI, "email": EMAIL, "advertisingId": ADID}})
)


def _flow(
    body: bytes | None = None,
    *,
    encoding: str | None = None,
    content_type: str | None = None,
    url: str = f"https://t.example/v1/collect?imei={IMEI}",
    headers: list[list[str]] | None = None,
) -> SimpleNamespace:
    return SimpleNamespace(
        id=7,
        host="t.example",
        url=url,
        request_headers=headers or [],
        request_body=body,
        request_body_truncated=False,
        request_content_encoding=encoding,
        request_content_type=content_type,
    )


def _run(
    flow: Any, messages: Iterable[Any] = (), detector: Detector = DETECTOR
) -> tuple[list[Any], list[str], list[Finding]]:
    """Decode and detect one flow; both within PEAK_BOUND of newly allocated memory."""
    messages = list(messages)
    tracemalloc.start()
    try:
        fields, notes = decode_flow(flow, messages, detector.limits)
        _, decode_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        findings = detector.detect(flow, messages)
        _, detect_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decode_peak < PEAK_BOUND, f"decode_flow peaked at {decode_peak / MiB:.0f} MiB"
    assert detect_peak < PEAK_BOUND, f"detect peaked at {detect_peak / MiB:.0f} MiB"
    assert len(fields) <= LIMITS.max_fields
    assert all(isinstance(f.value, str) and isinstance(f.encoding, str) for f in fields)
    assert detector.last_notes == notes
    return fields, notes, findings


def _known(findings: list[Finding], location: str, prop: str = "imei") -> list[Finding]:
    return [
        f
        for f in findings
        if f.method == "known-value" and f.property == prop and f.location == location
    ]


# --- decompression bombs: about 1 MB (or far less) on the wire, 1 GiB of zeros decoded --------


def _gzip_bomb(size: int = GiB) -> bytes:
    # After a full flush, compressing the same MiB again gives the same bytes: repeat them.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MiB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * (size // MiB - 1) + compressor.flush()


def _zstd_bomb(size: int = GiB) -> bytes:
    compressor = zstandard.ZstdCompressor(level=1).compressobj(size=size)
    zeros = bytes(MiB)
    return b"".join(compressor.compress(zeros) for _ in range(size // MiB)) + compressor.flush()


def _brotli_bomb(size: int = GiB) -> bytes:
    compressor = brotli.Compressor(quality=1)
    zeros = bytes(MiB)
    return b"".join(compressor.process(zeros) for _ in range(size // MiB)) + compressor.finish()


BOMBS = {"gzip": _gzip_bomb, "br": _brotli_bomb, "zstd": _zstd_bomb}


@pytest.mark.parametrize("coding", sorted(BOMBS))
def test_a_decompression_bomb_stops_at_the_cap_and_the_query_is_still_read(coding: str) -> None:
    bomb = BOMBS[coding]()
    assert len(bomb) < 1.1 * MiB  # small on the wire, 1 GiB decoded
    fields, notes, findings = _run(_flow(bomb, encoding=coding, content_type="application/json"))
    body = [f for f in fields if f.location == "body"]
    assert sum(len(f.value) for f in body) <= LIMITS.max_decoded_bytes
    assert f"body: {coding} body cut short or over the size limit" in notes
    assert _known(findings, "query")


def test_a_gzip_bomb_without_a_content_encoding_is_sniffed_and_capped() -> None:
    _fields, notes, findings = _run(_flow(_gzip_bomb(256 * MiB)))
    assert "body: gzip body cut short or over the size limit" in notes
    assert _known(findings, "query")


def test_a_bomb_in_base64_in_json_counts_against_the_same_cap() -> None:
    blob = base64.b64encode(_gzip_bomb(64 * MiB)).decode()
    body = json.dumps({"imei": IMEI, "blob": blob}).encode()
    _fields, notes, findings = _run(_flow(body, content_type="application/json"))
    assert any("gzip data cut short" in n or "decoded more than" in n for n in notes), notes
    assert [f.encoding for f in _known(findings, "body")] == ["json"]


# --- huge bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["application/x-protobuf", "application/json", "multipart/form-data", None]
)
def test_a_100_mb_body_is_scanned_as_a_prefix_with_a_note(content_type: str | None) -> None:
    # The store caps bodies at 1 MiB, but a HAR import or a larger leakmap_body_limit does not.
    record = b"\x0a\x05hello\x10\x01"  # a valid protobuf message, repeated
    body = f"imei={IMEI}&".encode() + record * (100 * MiB // len(record))
    fields, notes, findings = _run(_flow(body, content_type=content_type))
    assert (
        f"body: {len(body)} bytes, over the {LIMITS.max_decoded_bytes}-byte limit: not parsed, "
        f"the first {MAX_RAW_CHARS} scanned as text"
    ) in notes
    assert sum(len(f.value) for f in fields if f.location == "body") <= MAX_RAW_CHARS
    assert _known(findings, "query")
    assert _known(findings, "body")  # before the hostile part: in the scanned prefix


def test_a_json_body_over_the_raw_text_window_is_parsed_whole() -> None:
    # 2 MiB of JSON (under the decoded-bytes cap): the value at its end is found with its path.
    padding = [{"event": "tick " * 2000, "n": i} for i in range(200)]
    body = json.dumps({"events": padding, "device": {"imei": IMEI}}).encode()
    assert len(body) > 4 * MAX_RAW_CHARS
    _fields, _notes, findings = _run(_flow(body, content_type="application/json", url="https://t/"))
    (found,) = _known(findings, "body")
    assert (found.path, found.encoding) == ("device.imei", "json")


# --- deep, broken, noisy -----------------------------------------------------------------------


def test_json_nested_10000_deep_is_noted_and_the_rest_still_read() -> None:
    body = b'{"imei": "' + IMEI.encode() + b'", "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    _fields, notes, findings = _run(_flow(body, content_type="application/json"))
    assert "body : JSON nested too deeply: not parsed" in notes
    assert _known(findings, "query")
    assert _known(findings, "body")  # in the raw text of the body


@pytest.mark.parametrize("opener", [b'{"a":', b"["])
def test_json_deeper_than_the_walker_goes_is_noted(opener: bytes) -> None:
    depth = LIMITS.max_depth * 4 + 5  # parses, but deeper than the walker follows
    closer = b"}" if opener.startswith(b"{") else b"]"
    body = b'{"imei": "' + IMEI.encode() + b'", "x": ' + opener * depth + b"1" + closer * depth
    body += b"}"
    _fields, notes, findings = _run(_flow(body, content_type="application/json"))
    assert any(n.endswith("nested too deeply: skipped") for n in notes), notes
    assert [f.path for f in _known(findings, "body")] == ["imei"]


def test_invalid_utf8_around_a_value_is_read_as_text() -> None:
    body = b"\xff\xfe\xc3(" + f'{{"imei": "{IMEI}"}}'.encode() + b"\xed\xa0\x80" * 100_000
    fields, notes, findings = _run(_flow(body, content_type="application/json"))
    assert _known(findings, "body")
    assert f"body: {len(body)} bytes not parsed: the first {MAX_RAW_CHARS} scanned as text" in notes
    assert all("\udcff" not in f.value for f in fields)  # replacement, never lone surrogates


def test_truncated_protobuf_is_noted_and_its_text_still_scanned() -> None:
    message = b"\x0a" + bytes([len(IMEI)]) + IMEI.encode() + b"\x12\xff\x7f" + b"\x00" * 10
    _fields, notes, findings = _run(_flow(message, content_type="application/x-protobuf"))
    assert "body: not valid protobuf" in notes
    assert _known(findings, "query")
    assert _known(findings, "body")  # the raw bytes, scanned as text


def test_binary_noise_yields_no_findings_but_the_query() -> None:
    noise = os.urandom(MiB)
    fields, notes, findings = _run(_flow(noise, content_type="application/octet-stream"))
    assert {f.location for f in findings if f.method == "known-value"} == {"query"}
    assert sum(len(f.value) for f in fields if f.location == "body") <= MAX_RAW_CHARS
    assert f"body: {MiB} bytes not parsed: the first {MAX_RAW_CHARS} scanned as text" in notes


def test_thousands_of_headers_are_read_up_to_the_field_cap() -> None:
    headers = [["X-Imei", IMEI]] + [[f"x-h{i}", f"value-{i}"] for i in range(30_000)]
    fields, notes, findings = _run(_flow(headers=headers, url="https://t.example/"))
    assert len(fields) == LIMITS.max_fields
    assert f"more than {LIMITS.max_fields} fields: stopped" in notes
    assert [f.path for f in _known(findings, "header")] == ["x-imei"]


def test_a_1_mib_url_is_decoded_within_bounds() -> None:
    url = f"https://t.example/p?imei={IMEI}&junk=" + "ab" * (MiB // 2) + "&m=" + "%41" * 100_000
    fields, _notes, findings = _run(_flow(url=url))
    assert _known(findings, "query")
    assert any(f.key == "junk" and len(f.value) == MiB for f in fields)


def test_100000_form_fields_stop_at_the_field_cap_after_the_first_ones() -> None:
    body = f"imei={IMEI}&".encode() + b"&".join(b"k%d=v%d" % (i, i) for i in range(100_000))
    # The field cap is under test, not the clock: under tracemalloc on a loaded machine the 2 s
    # budget ran out first, and the two runs' notes then differed.
    patient = Detector(DETECTOR.profile, limits=replace(LIMITS, max_seconds=120.0))
    fields, notes, findings = _run(
        _flow(body, content_type="application/x-www-form-urlencoded", url="https://t.example/"),
        detector=patient,
    )
    assert len(fields) == LIMITS.max_fields
    assert f"more than {LIMITS.max_fields} fields: stopped" in notes
    (found,) = _known(findings, "body")
    assert (found.path, found.encoding) == ("imei", "form")


def _nested_base64(levels: int) -> str:
    text = json.dumps({"imei": IMEI})
    for _ in range(levels):
        text = base64.b64encode(text.encode()).decode()
    return text


def test_base64_in_base64_is_followed_to_the_depth_limit_and_no_further() -> None:
    shallow = _nested_base64(3)
    deep = _nested_base64(40)  # 40 levels: about 16 MB of base64
    body = json.dumps({"a": shallow, "b": deep}).encode()
    _fields, notes, findings = _run(_flow(body, content_type="application/json"))
    found = _known(findings, "body")
    assert [(f.path, f.encoding) for f in found] == [("a.imei", "json>base64>base64>base64>json")]
    assert any("not decoded further (depth or size)" in n or "over the" in n for n in notes), notes


def test_thousands_of_websocket_messages_stop_at_the_message_cap() -> None:
    messages = [
        SimpleNamespace(from_client=True, is_text=True, content=json.dumps({"imei": IMEI}))
    ] + [SimpleNamespace(from_client=True, is_text=True, content="ping") for _ in range(5000)]
    _fields, notes, findings = _run(_flow(url="https://t.example/"), messages)
    assert f"more than {LIMITS.max_messages} WebSocket messages: the rest skipped" in notes
    assert [f.path for f in _known(findings, "websocket")] == ["msg0.imei"]


def test_the_time_limit_stops_decoding_with_a_note() -> None:
    # The clock is checked every 256 fields; a zero budget shows the check without timing it.
    body = b"&".join(b"k%d=v%d" % (i, i) for i in range(2000))
    flow = _flow(body, content_type="application/x-www-form-urlencoded")
    fields, notes = decode_flow(flow, (), Limits(max_seconds=0.0))
    assert "decoding took longer than 0.0 s" in notes
    assert len(fields) <= 256


# --- end to end: a HAR with hostile bodies, imported and reported -------------------------------


def _har_entry(n: int, url: str, post: dict[str, Any] | None) -> dict[str, Any]:
    return har_entry(
        f"2026-01-02T10:00:{n:02}.000Z",
        url,
        "127.0.0.9",
        method="POST" if post else "GET",
        headers=[{"name": "content-type", "value": (post or {}).get("mimeType", "")}],
        post=post or None,
    )


def test_a_har_with_hostile_bodies_imports_and_reports_with_its_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    deep = '{"x": ' + "[" * 10_000 + "]" * 10_000 + "}"
    hostile = {
        "bomb.example": {
            "mimeType": "application/json",
            "text": base64.b64encode(_gzip_bomb(256 * MiB)).decode(),
            "encoding": "base64",
        },
        "deep.example": {"mimeType": "application/json", "text": deep},
        "form.example": {
            "mimeType": "application/x-www-form-urlencoded",
            "text": "&".join(f"k{i}=v{i}" for i in range(30_000)),
        },
        "noise.example": {
            "mimeType": "application/x-protobuf",
            "text": base64.b64encode(b"\x0a\xff\xff\x03" + os.urandom(4096)).decode(),
            "encoding": "base64",
        },
    }
    entries = [
        _har_entry(n, f"https://{host}/c?imei={IMEI}", post)
        for n, (host, post) in enumerate(hostile.items())
    ]
    har = tmp_path / "hostile.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    profile = tmp_path / "device.toml"
    profile.write_text(f'[device]\nname = "lab"\n[known]\nimei = "{IMEI}"\n')
    db = str(tmp_path / "lab.db")
    with Store(db) as store:
        import_files(store, [har], session="hostile")

    assert (
        main(["report", "hostile", "--db", db, "--profile", str(profile), "--format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["session"]["flows"] == len(hostile)
    assert {d["host"] for d in report["destinations"]} == set(hostile)
    # Every flow still yields the IMEI in its query.
    assert {
        f["host"]
        for f in report["findings"]
        if f["property"] == "imei" and f["location"] == "query"
    } == set(hostile)
    notes = "\n".join(report["notes"])
    assert report["headline"]["analysis_notes"] == len(report["notes"])
    assert "(bomb.example): body: gzip body cut short or over the size limit" in notes
    assert "(deep.example): body : JSON nested too deeply: not parsed" in notes
    assert f"(form.example): more than {LIMITS.max_fields} fields: stopped" in notes
    assert "(noise.example): body: not valid protobuf" in notes
