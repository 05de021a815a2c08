"""Values hidden in blob encodings: lz-string, HTML entities, base32, base64 in lines, URL twice,
compression inside base64 or hex; each decoded value names its chain, random IDs stay as sent.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import string
import time
import zlib
from pathlib import Path
from urllib.parse import quote

import brotli
import pytest

from analyzer.decode import Limits
from analyzer.decode.fields import Budget
from analyzer.decode.lzstring import (
    LZStringError,
    LZStringTimeout,
    decompress_base64,
    decompress_uri,
    decompress_utf16,
)
from analyzer.decode.walker import Walker
from analyzer.detect import Detector
from analyzer.profile import profile_from_dict
from tests.support.decode import decoded, flow, values

GAID = "3f9e2c71-55d0-4b8e-a1c4-9d07e6b2f318"
# Invented texts compressed by the reference implementation, lz-string 1.5.0 from npm (pieroxy,
# MIT licence), in its three text forms: tests/data/lzstring/make_vectors.js wrote the file.
DATA = json.loads((Path(__file__).parent / "data" / "lzstring" / "vectors.json").read_text())
VECTORS = DATA["vectors"]
TEXT = VECTORS[0]["text"]
LZ_BASE64, LZ_URI, LZ_UTF16 = VECTORS[0]["base64"], VECTORS[0]["uri"], VECTORS[0]["utf16"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["text"][:12])
def test_lz_string_decoder_matches_the_reference_implementation(vector: dict[str, str]) -> None:
    assert decompress_base64(vector["base64"], 100_000) == vector["text"]
    assert decompress_uri(vector["uri"], 100_000) == vector["text"]
    assert decompress_utf16(vector["utf16"], 100_000) == vector["text"]


def test_lz_string_output_is_bounded() -> None:
    with pytest.raises(LZStringError):
        decompress_base64(LZ_BASE64, 50)


def test_random_strings_are_no_lz_string() -> None:
    rng = random.Random(9)
    alphabet = string.ascii_letters + string.digits + "+/"
    decoded_count = 0
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12, 80)))
        try:
            decompress_base64(text, 10_000)
            decoded_count += 1
        except LZStringError:
            pass
    assert (
        decoded_count < 50
    )  # the end-of-stream code rarely falls right; plausibility does the rest


@pytest.mark.parametrize(
    ("blob", "chain"),
    [
        (LZ_BASE64, "json>lz-string>json"),
        (LZ_UTF16, "json>lz-string-utf16>json"),
    ],
)
def test_lz_string_in_a_json_body(blob: str, chain: str) -> None:
    fields, _ = decoded(flow(json.dumps({"d": blob, "t": 1}).encode()))
    assert values(fields, "d.dev.gaid") == {chain: GAID}
    assert values(fields, "d.pos.0")[chain] == "-23.55052"


@pytest.mark.parametrize("vector", [v for v in VECTORS if len(v["uri"]) >= 48])
def test_lz_string_uri_form_in_a_query(vector: dict[str, str]) -> None:
    # The URI form is unpadded; its "+" arrives as a space after form decoding.
    fields, _ = decoded(flow(b"", None, url=f"https://rec.example.io/i?q={vector['uri']}"))
    decoded_values = values(fields, "q", "query")
    assert vector["text"] in decoded_values.values(), decoded_values
    assert any(chain.startswith("lz-string") for chain in decoded_values)


@pytest.mark.parametrize(
    ("text", "chain"),
    [
        ("".join(f"&#{ord(c)};" for c in GAID), "html"),
        ("".join(f"&#x{ord(c):x};" for c in GAID), "html"),
    ],
)
def test_html_character_references(text: str, chain: str) -> None:
    fields, _ = decoded(flow(json.dumps({"aid": text}).encode()))
    assert values(fields, "aid")[f"json>{chain}"] == GAID


def test_html_escaped_json() -> None:
    escaped = json.dumps({"email": "ana.lima@example.com.br"}).replace('"', "&quot;")
    fields, _ = decoded(flow(json.dumps({"payload": escaped}).encode()))
    assert values(fields, "payload.email") == {"json>html>json": "ana.lima@example.com.br"}


def test_base32_and_line_wrapped_base64() -> None:
    inner = json.dumps({"imei": "490154203237518", "note": "x" * 80}).encode()
    body = {
        "b32": base64.b32encode(inner).decode(),
        "b32lower": base64.b32encode(inner).decode().lower().rstrip("="),
        # Android's Base64.DEFAULT: lines of 76 characters, a final line break.
        "wrapped": "\n".join(
            base64.b64encode(inner).decode()[i : i + 76] for i in range(0, 200, 76)
        )
        + "\n",
    }
    fields, _ = decoded(flow(json.dumps(body).encode()))
    assert values(fields, "b32.imei")["json>base32>json"] == "490154203237518"
    assert values(fields, "b32lower.imei")["json>base32>json"] == "490154203237518"
    assert values(fields, "wrapped.imei")["json>base64>json"] == "490154203237518"


@pytest.mark.parametrize(
    ("pack", "chain"),
    [
        (lambda d: quote(base64.b64encode(gzip.compress(d)).decode(), safe=""), "base64>gzip>json"),
        (
            lambda d: quote(quote(base64.b64encode(zlib.compress(d)).decode(), safe=""), safe=""),
            "url>base64>zlib>json",
        ),
        (lambda d: base64.b64encode(zlib.compress(d)[2:-4]).decode(), "base64>deflate>json"),
        (lambda d: base64.urlsafe_b64encode(brotli.compress(d)).decode(), "base64url>br>json"),
        (lambda d: gzip.compress(d).hex(), "hex>gzip>json"),
    ],
)
def test_compression_inside_text_encodings(pack, chain: str) -> None:  # type: ignore[no-untyped-def]
    data = json.dumps({"dev": {"gaid": GAID}, "ts": 1714000000}).encode()
    url = f"https://t.example.org/c?e={pack(data)}"
    fields, _ = decoded(flow(b"", None, url=url))
    assert values(fields, "e.dev.gaid", "query") == {chain: GAID}


def test_random_ids_are_not_decoded() -> None:
    rng = random.Random(4)
    ids = {
        "fid": "dYPvivoVTOWuVT5l_T_rmF",
        "b32": "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32)),
        "b64": base64.b64encode(rng.randbytes(24)).decode(),
        "hex": rng.randbytes(16).hex(),
        "uri": "".join(rng.choice(string.ascii_letters + "$-+") for _ in range(30)),
        "amp": "Tom & Jerry; Laurel & Hardy",
    }
    fields, notes = decoded(flow(json.dumps(ids).encode()))
    assert {f.encoding for f in fields if f.location == "body"} == {"json"}
    assert notes == []


def test_the_profile_is_found_through_the_chain() -> None:
    detector = Detector(profile_from_dict({"known": {"advertisingId": GAID}}))
    packed = quote(base64.b64encode(gzip.compress(json.dumps({"a": GAID}).encode())).decode())
    findings = detector.detect(flow(b"", None, url=f"https://t.example.org/c?e={packed}"))
    assert [(f.property, f.encoding) for f in findings] == [("advertisingId", "base64>gzip>json")]
    findings = detector.detect(flow(json.dumps({"d": LZ_BASE64}).encode()))
    assert ("advertisingId", "json>lz-string>json") in {(f.property, f.encoding) for f in findings}


def test_a_long_lz_string_stops_at_the_flows_time_limit() -> None:
    # The pure-Python decoder checks the flow's deadline as it goes (every 4,096 codes): a long
    # stream past it stops the flow's decoding with the usual note. (Deadlines in the past, so
    # that the test does not depend on how fast this machine decodes.)
    blob = DATA["long"]["base64"]
    assert len(blob) > 30_000
    assert len(decompress_base64(blob, 1 << 20)) == DATA["long"]["length"]
    with pytest.raises(LZStringTimeout):
        decompress_base64(blob, 1 << 20, deadline=time.monotonic() - 1)
    walker = Walker(Budget(Limits(max_seconds=2.0)))
    walker.budget.deadline = time.monotonic() - 1
    assert walker.lz_string(blob, "body", "d", "d", "json", 1, "")
    assert walker.budget.exhausted
    assert walker.budget.notes == ["decoding took longer than 2.0 s"]
