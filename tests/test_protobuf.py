"""Protobuf without a schema: every reading of a number, so that negative values are found.

Messages are written by blackboxprotobuf (an independent encoder, with the field types a real
schema would give: sint32, sfixed32, int32, float, double, ...); the coordinates are invented.
"""

from __future__ import annotations

import random
import struct
from typing import Any

import blackboxprotobuf
import pytest

from analyzer.decode.protobuf import Fixed, parse_message, varint_readings
from analyzer.detect import Detector
from analyzer.profile import profile_from_dict
from tests.support.decode import decoded, flow, values

PROTOBUF = "application/x-protobuf"

# Four hemispheres: (latitude, longitude) with 6 decimals.
PLACES = [
    (-33.868820, 151.209296),  # south, east
    (-22.906847, -43.172897),  # south, west
    (64.146582, -21.942635),  # north, west
    (35.689487, 139.691706),  # north, east
]


def encode(fields: dict[str, Any], types: dict[str, str]) -> bytes:
    typedef = {number: {"type": kind} for number, kind in types.items()}
    return blackboxprotobuf.encode_message(fields, typedef)


@pytest.mark.parametrize(
    ("kind", "scale", "step"),
    [
        ("sfixed32", 10**7, "sfixed32"),
        ("int", 10**7, "int64"),  # a negative int32/int64: ten bytes of two's complement
        ("sint", 10**7, "sint32"),  # zigzag
        ("sint", 10**6, "sint32"),
        ("sint", 10**5, "sint32"),
        ("sfixed64", 10**6, "sfixed64"),
    ],
)
@pytest.mark.parametrize(("lat", "lon"), PLACES)
def test_signed_integer_coordinates_have_their_signed_reading(
    kind: str, scale: int, step: str, lat: float, lon: float
) -> None:
    lat_int, lon_int = round(lat * scale), round(lon * scale)
    body = encode(
        {"1": "city-walk", "2": lat_int, "3": lon_int}, {"1": "string", "2": kind, "3": kind}
    )
    fields, notes = decoded(flow(body, PROTOBUF))
    assert notes == []
    for path, expected in (("2", lat_int), ("3", lon_int)):
        readings = values(fields, path)
        assert str(expected) in readings.values(), readings
        if expected < 0 or kind == "sint":
            # Read as unsigned only, the number would be something else entirely.
            assert readings["protobuf"] != str(expected)
            assert readings[f"protobuf>{step}"] == str(expected)


@pytest.mark.parametrize(("lat", "lon"), PLACES)
@pytest.mark.parametrize("kind", ["float", "double"])
def test_float_and_double_coordinates_read_as_written(kind: str, lat: float, lon: float) -> None:
    body = encode({"2": lat, "3": lon}, {"2": kind, "3": kind})
    fields, _ = decoded(flow(body, PROTOBUF))
    for path, expected in (("2", lat), ("3", lon)):
        first = values(fields, path)["protobuf"]
        if kind == "double":
            assert first == repr(expected)
        else:  # the shortest decimal that is the same float32, as the app printed it
            assert struct.pack("<f", float(first)) == struct.pack("<f", expected)
            assert len(first.lstrip("-").replace(".", "")) <= 9  # not float64's 16 digits
            if len(repr(expected).lstrip("-").replace(".", "")) <= 7:
                assert first == repr(expected)


@pytest.mark.parametrize(("lat", "lon"), PLACES)
@pytest.mark.parametrize(
    ("kind", "scale"), [("sfixed32", 10**7), ("int", 10**7), ("sint", 10**6), ("double", 1)]
)
def test_the_profile_finds_coordinates_in_every_hemisphere(
    kind: str, scale: int, lat: float, lon: float
) -> None:
    detector = Detector(profile_from_dict({"known": {"latitude": lat, "longitude": lon}}))
    value = (lambda x: x) if kind == "double" else (lambda x: round(x * scale))
    body = encode({"4": value(lat), "5": value(lon)}, {"4": kind, "5": kind})
    found = {f.property: f for f in detector.detect(flow(body, PROTOBUF))}
    assert {"latitude", "longitude"} <= set(found), found
    assert found["latitude"].path == "4" and found["longitude"].path == "5"
    assert found["latitude"].encoding.startswith("protobuf")


def test_one_byte_varints_and_big_numbers_get_no_alternative_readings() -> None:
    # Flags and enums (one byte) stay single fields; a microsecond timestamp has no 32-bit
    # reading, so no 15-digit zigzag number appears that an IMEI rule could mistake.
    body = encode(
        {"1": 1, "2": 127, "3": 1_714_000_000_123_456, "4": 2**63 + 5},
        {"1": "uint", "2": "uint", "3": "uint", "4": "uint"},
    )
    fields, _ = decoded(flow(body, PROTOBUF))
    for path in ("1", "2", "3", "4"):
        assert list(values(fields, path)) == ["protobuf"], values(fields, path)


def test_readings_are_bounded_to_the_32_bit_range() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        value = rng.getrandbits(rng.choice([8, 16, 31, 32, 40, 63, 64]))
        for _step, text in varint_readings(value):
            assert -(2**31) <= int(text) < 2**31
        for width in (4, 8):
            bits = rng.getrandbits(8 * width)
            _first, alternatives = Fixed(bits, width).readings()
            for _step, text in alternatives:
                assert -(2**31) <= int(text) < 2**31


def test_no_new_pattern_findings_from_readings_of_random_numbers() -> None:
    # Readings are new text: none of them may look like an identifier to the format rules.
    rng = random.Random(3)
    detector = Detector()
    for _ in range(50):
        fields = {
            str(n): rng.getrandbits(rng.choice([14, 28, 35, 49, 56, 64])) for n in range(1, 30)
        }
        fixed = {str(n): rng.getrandbits(64) for n in range(30, 40)}
        types = {n: "uint" for n in fields} | {n: "fixed64" for n in fixed}
        body = encode(fields | fixed, types)
        findings = detector.detect(flow(body, PROTOBUF))
        assert [f for f in findings if ">" in f.encoding] == [], findings


def test_fixed_width_readings_text() -> None:
    assert Fixed(0, 4).readings() == ("0.0", [])
    negative = struct.unpack("<I", struct.pack("<i", -739856640))[0]
    first, alternatives = Fixed(negative, 4).readings()
    assert first == str(negative) and alternatives == [("sfixed32", "-739856640")]
    # Bits that are also a plausible float (18.08...): the integer is the alternative.
    first, alternatives = Fixed(1_100_000_000, 4).readings()
    assert float(first) == pytest.approx(18.0835, abs=1e-3)
    assert alternatives == [("fixed32", "1100000000")]
    # Bits that are no plausible float (2.6e-24): the integer is the first reading.
    assert Fixed(407_484_170, 4).readings() == ("407484170", [])
    double = struct.unpack("<Q", struct.pack("<d", -46.63331))[0]
    assert Fixed(double, 8).readings() == ("-46.63331", [])


def test_parse_message_keeps_fixed_fields_as_their_bits() -> None:
    body = encode({"1": -5, "2": 2.5}, {"1": "sfixed32", "2": "double"})
    message = parse_message(body)
    assert message is not None
    assert message["1"] == [Fixed(2**32 - 5, 4)]
    assert message["2"] == [Fixed(struct.unpack("<Q", struct.pack("<d", 2.5))[0], 8)]


def test_raw_digest_bytes_reach_the_known_value_matcher() -> None:
    import hashlib

    email = "rui.tanaka@example.jp"
    detector = Detector(profile_from_dict({"known": {"email": email}}))
    digest = hashlib.sha256(email.encode()).digest()  # 32 raw bytes in a bytes field
    noise = bytes(range(200, 256)) * 2  # 112 bytes of no text, protobuf or compression
    body = encode({"1": digest, "2": noise}, {"1": "bytes", "2": "bytes"})
    fields, notes = decoded(flow(body, PROTOBUF))
    # The hex, and as 32 bytes may be a packed array, eight sfixed32 numbers.
    assert values(fields, "1")["protobuf>bytes"] == digest.hex()
    sfixed = [f.value for f in fields if f.path == "1" and f.encoding.endswith("sfixed32")]
    assert sfixed == [str(number) for number in struct.unpack("<8i", digest)]
    assert any("2: 112 bytes of binary data" in note for note in notes), notes
    findings = detector.detect(flow(body, PROTOBUF))
    assert [(f.property, f.encoding) for f in findings] == [("email", "protobuf>bytes>sha256")]
