"""Compression no header declares (zlib, raw deflate, brotli, gzip, zstd), a header that lies,
and binary bodies nothing reads: decoded where the output looks like something, else named."""

from __future__ import annotations

import gzip
import json
import os
import random
import zlib

import blackboxprotobuf
import brotli
import pytest
import zstandard

from analyzer.decode.content import sniff_coding, try_headerless
from tests.support.decode import decoded, flow, values

BODY = {"device": {"imei": "490154203237518", "model": "moto g84"}, "events": [{"n": "open"}] * 8}
DATA = json.dumps(BODY).encode()

CODINGS = {
    "gzip": gzip.compress,
    "zstd": lambda d: zstandard.ZstdCompressor().compress(d),
    "zlib": zlib.compress,
    "deflate": lambda d: zlib.compress(d, wbits=-15),
    "br": brotli.compress,
}


@pytest.mark.parametrize("coding", list(CODINGS))
@pytest.mark.parametrize("content_type", [None, "application/octet-stream", "application/json"])
def test_undeclared_compression_of_a_body(coding: str, content_type: str | None) -> None:
    fields, notes = decoded(flow(CODINGS[coding](DATA), content_type))
    assert values(fields, "device.imei", "body") == {f"{coding}>json": "490154203237518"}
    assert notes == []


@pytest.mark.parametrize("coding", ["zlib", "deflate", "br"])
def test_undeclared_compression_of_protobuf_and_form(coding: str) -> None:
    message = blackboxprotobuf.encode_message(
        {"1": "moto g84", "2": -1234567}, {"1": {"type": "string"}, "2": {"type": "sint"}}
    )
    fields, _ = decoded(flow(CODINGS[coding](message), None))
    assert values(fields, "1", "body") == {f"{coding}>protobuf": "moto g84"}
    form = b"imei=490154203237518&model=moto+g84&lang=pt-BR"
    fields, _ = decoded(flow(CODINGS[coding](form), "application/x-www-form-urlencoded"))
    assert values(fields, "model", "body") == {f"{coding}>form": "moto g84"}


def test_a_declared_coding_on_a_body_that_is_not_compressed_is_read_as_it_is() -> None:
    # Exporters that decoded the body but kept the header (a HAR's "decoded" text).
    fields, notes = decoded(flow(DATA, "application/json", encoding="gzip"))
    assert values(fields, "device.imei", "body") == {"json": "490154203237518"}
    assert any("could not be decompressed" in note and "read as it is" in note for note in notes)


def test_random_binary_is_named_in_a_note_not_decoded() -> None:
    rng = random.Random(12)
    for _ in range(300):
        body = rng.randbytes(rng.randrange(8, 400))
        fields, notes = decoded(flow(body, "application/octet-stream"))
        chains = {f.encoding for f in fields if f.location == "body"}
        assert not any(c.startswith(("deflate", "br", "zlib")) for c in chains), (body, chains)
    noise = os.urandom(2048)
    _, notes = decoded(flow(b"\x8b" + noise, "application/octet-stream"))
    assert any("bytes of application/octet-stream data, in no format read here" in n for n in notes)


@pytest.mark.parametrize(
    ("magic", "name"),
    [
        (b"\xff\xd8\xff\xe0", "a JPEG image"),
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"%PDF-1.7\n\x00\x01", "a PDF document"),
    ],
)
def test_media_bodies_are_named(magic: bytes, name: str) -> None:
    _, notes = decoded(flow(magic + bytes(range(256)) * 4, None))
    assert any(f"bytes of {name}" in note for note in notes), notes


def test_a_zlib_signature_that_is_not_zlib_is_read_otherwise() -> None:
    # 0x78 0x9c is the most common zlib header, and also protobuf field 15 (varint) = 28.
    message = b"\x78\x9c\x01" + b"\x0a\x08moto g84"[0:0] + b"\x12\x08moto g84"
    assert sniff_coding(message) == "zlib"
    fields, notes = decoded(flow(message, None))
    assert values(fields, "2", "body") == {"protobuf": "moto g84"}
    assert notes == []


def test_headerless_output_is_bounded() -> None:
    bomb = zlib.compress(b"\0" * (20 << 20), wbits=-15)
    out = try_headerless(bomb, 1 << 20)
    assert out is None or len(out[0]) <= 1 << 20
