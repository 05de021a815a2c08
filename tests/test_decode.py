"""Decoders: from a stored flow to flat fields, bounded, never raising on hostile input."""

from __future__ import annotations

import base64
import gzip
import json
import plistlib
import zlib
from types import SimpleNamespace
from typing import Any

import blackboxprotobuf
import brotli
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.decode import Field, Limits, decode_flow
from analyzer.decode.protobuf import READINGS


def flow(
    body: bytes = b"",
    content_type: str | None = "application/json",
    encoding: str | None = None,
    url: str = "https://api.example.com/v1/collect",
    headers: list[list[str]] | None = None,
    truncated: bool = False,
    **extra: Any,
) -> SimpleNamespace:
    return SimpleNamespace(
        id=1,
        url=url,
        method="POST",
        host="api.example.com",
        request_headers=headers or [],
        request_body=body,
        request_body_truncated=truncated,
        request_content_encoding=encoding,
        request_content_type=content_type,
        **extra,
    )


def structured(fields: list[Field]) -> dict[tuple[str, str], Field]:
    """Non-raw fields by (location, path); the deepest decoding of a path wins (not counting
    protobuf numbers' alternative readings, see test_protobuf.py)."""
    out: dict[tuple[str, str], Field] = {}
    for field in fields:
        if not field.raw and field.encoding.rsplit(">", 1)[-1] not in READINGS:
            out[(field.location, field.path)] = field
    return out


BODY = {
    "device": {"model": "Pixel 7", "ids": [{"gaid": "6a1c1487-a0af-4223-b142-a0f4621d0311"}]},
    "n": 3,
    "ok": True,
    "ratio": 0.5,
}


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),  # raw deflate, seen in the wild
        ("br", brotli.compress),
        ("zstd", lambda data: zstandard.ZstdCompressor().compress(data)),
    ],
)
def test_content_encodings(coding: str, compress: Any) -> None:
    fields, notes = decode_flow(flow(compress(json.dumps(BODY).encode()), encoding=coding))
    found = structured(fields)
    assert found[("body", "device.model")].value == "Pixel 7"
    assert found[("body", "device.ids.0.gaid")].encoding == f"{coding}>json"
    assert found[("body", "ok")].value == "true" and found[("body", "n")].value == "3"
    assert notes == []


def test_stacked_content_encodings_are_undone_in_reverse() -> None:
    data = brotli.compress(gzip.compress(b'{"imei": "356938035643809"}'))
    found = structured(decode_flow(flow(data, encoding="gzip, br"))[0])
    # Read from the wire inwards: br outside, then gzip, then JSON.
    assert found[("body", "imei")].encoding == "br>gzip>json"


def test_url_headers_and_cookies() -> None:
    fields, _ = decode_flow(
        flow(
            url="https://api.example.com/users/tester%40example.org/imei/356938035643809?lat=52.1&tags=a&tags=b",
            headers=[
                ["Cookie", "uid=abc123; theme=dark"],
                ["X-Device-Model", "Pixel 7"],
                ["Content-Length", "0"],
            ],
        )
    )
    found = structured(fields)
    assert found[("path", "/2")].value == "tester@example.org"
    assert found[("path", "/4")].key == "imei"  # the segment before names the value
    assert found[("query", "lat")].value == "52.1"
    assert [f.value for f in fields if f.path == "tags"] == ["a", "b"]
    assert found[("cookie", "uid")].value == "abc123"
    assert found[("header", "x-device-model")].value == "Pixel 7"
    assert ("header", "content-length") not in found
    assert not any(f.raw for f in fields)  # all parsed: nothing kept as undivided text


def _jwt(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_nested_encodings_record_their_chain() -> None:
    inner = base64.b64encode(json.dumps({"email": "a@b.org", "n": 1}).encode()).decode()
    body = {
        "payload": json.dumps({"idfa": "ABC-DEF-1234-5678"}),
        "blob": inner,
        "form": "a=1&mac=02%3A00%3A00%3A00%3A00%3A01",
        "twice": "tester%2540example.org",
        "hex": b"tester@example.org".hex(),
        "gz": base64.b64encode(gzip.compress(b'{"imsi": "262019876543210"}')).decode(),
    }
    headers = [["Authorization", "Bearer " + _jwt({"sub": "user-42", "imei": "356938035643809"})]]
    found = structured(decode_flow(flow(json.dumps(body).encode(), headers=headers))[0])
    assert found[("body", "payload.idfa")].encoding == "json>json"
    assert found[("body", "blob.email")].encoding == "json>base64>json"
    assert found[("body", "form.mac")].value == "02:00:00:00:00:01"
    assert found[("body", "form.mac")].encoding == "json>form"
    assert found[("body", "twice")].value == "tester@example.org"
    assert found[("body", "twice")].encoding == "json>url>url"
    assert found[("body", "hex")].encoding == "json>hex"
    assert found[("body", "gz.imsi")].encoding == "json>base64>gzip>json"
    assert found[("header", "authorization.jwt.payload.imei")].encoding == "jwt"


def test_random_ids_and_words_are_not_decoded_as_base64() -> None:
    body = {
        "fid": "dYPvivoVTOWuVT5l_T_rmF",
        "event": "session_start_now",
        "rid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    }
    fields, _ = decode_flow(flow(json.dumps(body).encode()))
    assert {f.encoding for f in fields if f.location == "body" and not f.raw} == {"json"}


def test_ndjson_multipart_xml_plist() -> None:
    ndjson = b'{"e": 1}\n{"model": "Pixel 7"}\n'
    found = structured(decode_flow(flow(ndjson, content_type="application/x-ndjson"))[0])
    assert found[("body", "1.model")].value == "Pixel 7"

    boundary = "XyZ"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="meta"\r\n'
        'Content-Type: application/json\r\n\r\n{"imei": "356938035643809"}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello world\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    found = structured(
        decode_flow(flow(multipart, content_type=f"multipart/form-data; boundary={boundary}"))[0]
    )
    assert found[("body", "meta.imei")].encoding == "multipart>json"
    assert found[("body", "note")].value == "hello world"

    xml = b'<req><device os="android"><model>Pixel 7</model></device></req>'
    found = structured(decode_flow(flow(xml, content_type="application/xml"))[0])
    assert found[("body", "req.device.model")].value == "Pixel 7"
    assert found[("body", "req.device.os")].value == "android"

    plist = plistlib.dumps({"deviceName": "Anna's iPhone", "nums": [1, 2]}, fmt=plistlib.FMT_BINARY)
    found = structured(decode_flow(flow(plist, content_type="application/x-plist"))[0])
    assert found[("body", "deviceName")].value == "Anna's iPhone"
    assert found[("body", "deviceName")].encoding == "plist"


def test_xml_with_entities_is_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>'
    )
    fields, notes = decode_flow(flow(bomb, content_type="text/xml"))
    assert any("DOCTYPE" in note for note in notes)
    assert all("aaaaaaaaaaaaaaaaaaaa" not in f.value for f in fields)


def test_protobuf_without_schema() -> None:
    typedef = {
        "1": {"type": "bytes"},
        "2": {
            "type": "message",
            "message_typedef": {
                "3": {"type": "int"},
                "4": {"type": "bytes"},
                "5": {"type": "double"},
            },
        },
    }
    message = blackboxprotobuf.encode_message(
        {
            "1": b"Pixel 7",
            "2": {"3": 150, "4": b"6a1c1487-a0af-4223-b142-a0f4621d0311", "5": 52.235},
        },
        typedef,
    )
    found = structured(decode_flow(flow(message, content_type="application/x-protobuf"))[0])
    assert found[("body", "1")].value == "Pixel 7"
    assert found[("body", "2.3")].value == "150"
    assert found[("body", "2.4")].encoding == "protobuf"
    assert found[("body", "2.5")].value == "52.235"

    grpc = b"\x00" + len(message).to_bytes(4, "big") + message
    found = structured(decode_flow(flow(grpc, content_type="application/grpc"))[0])
    assert found[("body", "0.1")].encoding == "grpc>protobuf"


def test_websocket_reads_client_messages_only() -> None:
    messages = [
        SimpleNamespace(from_client=True, is_text=True, content=b'{"lat": 52.1}'),
        SimpleNamespace(from_client=False, is_text=True, content=b'{"secret": "server"}'),
        SimpleNamespace(from_client=True, is_text=False, content=b"\x0a\x07Pixel 7"),
    ]
    fields, _ = decode_flow(flow(), messages)
    found = structured(fields)
    assert found[("websocket", "msg0.lat")].value == "52.1"
    assert found[("websocket", "msg1.1")].value == "Pixel 7"
    assert all("server" not in f.value for f in fields)


def test_responses_are_never_read() -> None:
    fields, _ = decode_flow(flow(response_body=b'{"imei": "356938035643809"}'))
    assert all("356938035643809" not in f.value for f in fields)


def test_broken_and_truncated_bodies_give_notes_not_exceptions() -> None:
    fields, notes = decode_flow(flow(b"\x1f\x8b\x08\x00garbage", encoding="gzip"))
    assert any("could not be decompressed" in note for note in notes)

    pad = " ".join(str(i * 7919 % 10007) for i in range(3000))  # compresses poorly
    whole = gzip.compress(json.dumps({"model": "Pixel 7", "pad": pad}).encode())
    fields, notes = decode_flow(flow(whole[: len(whole) // 2], encoding="gzip", truncated=True))
    assert any("capped" in note for note in notes)
    assert any("Pixel 7" in f.value for f in fields)  # the prefix was still searched

    fields, notes = decode_flow(flow(b"{" * 100_000 + b"}" * 100_000))
    assert isinstance(fields, list)


def test_form_like_text_cannot_make_the_parser_backtrack() -> None:
    # With an ambiguous form pattern these inputs took exponential time (never returned).
    hostile = "a=1&" + "&".join(["x" * 10] * 3000) + "&"
    fields, _ = decode_flow(flow(hostile.encode(), content_type="text/plain"))
    assert any(f.value.startswith("a=1&xxxxxxxxxx") for f in fields)
    fields, _ = decode_flow(flow(json.dumps({"v": hostile + " "}).encode()))
    assert any(f.path == "v" for f in fields)


def test_decompression_bomb_is_bounded() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    limits = Limits(max_decoded_bytes=1024 * 1024)
    fields, notes = decode_flow(flow(bomb, encoding="gzip", content_type=None), limits=limits)
    assert sum(len(f.value) for f in fields) <= 2 * 1024 * 1024
    assert notes


def test_field_count_is_bounded() -> None:
    body = json.dumps({f"k{i}": i for i in range(5000)}).encode()
    fields, notes = decode_flow(flow(body), limits=Limits(max_fields=100))
    assert len(fields) <= 100
    assert any("more than 100 fields" in note for note in notes)


@settings(max_examples=150, deadline=None)
@given(
    body=st.binary(max_size=600),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-protobuf",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=a",
            "text/xml",
            "application/grpc",
            None,
        ]
    ),
    encoding=st.sampled_from([None, "gzip", "br", "zstd", "deflate", "bogus"]),
)
def test_hostile_bodies_never_raise(
    body: bytes, content_type: str | None, encoding: str | None
) -> None:
    fields, notes = decode_flow(flow(body, content_type=content_type, encoding=encoding))
    assert all(isinstance(f.value, str) for f in fields)
    assert all(isinstance(note, str) for note in notes)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=30),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_every_json_scalar_becomes_a_field(document: Any) -> None:
    fields, _ = decode_flow(flow(json.dumps({"root": document}).encode()))
    values = {f.value for f in fields if not f.raw}
    for scalar in _scalars(document):
        assert scalar in values


def _scalars(obj: Any) -> list[str]:
    if isinstance(obj, dict):
        return [s for value in obj.values() for s in _scalars(value)]
    if isinstance(obj, list):
        return [s for value in obj for s in _scalars(value)]
    if obj is None or obj == "":
        return []
    if isinstance(obj, bool):
        return ["true" if obj else "false"]
    if isinstance(obj, float):
        return [repr(obj)]
    return [str(obj)]
