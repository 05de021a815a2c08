"""Packed repeated numbers in protobuf: coordinates in every wire form, and decoys that stay quiet.

proto3 packs repeated scalars by default, so ``repeated double position`` holding [latitude,
longitude] is one length-delimited field. Messages are written by blackboxprotobuf (an independent
encoder, with the ``packed_*`` types a real schema would give); the places are invented.
"""

from __future__ import annotations

import random
import struct
from typing import Any

import blackboxprotobuf
import pytest

from analyzer.decode.fields import Field
from analyzer.decode.protobuf import MAX_PACKED_BYTES, MAX_PACKED_VALUES, Packed, parse_message
from analyzer.detect import Detector
from analyzer.profile import profile_from_dict
from tests.support.decode import decoded, flow

PROTOBUF = "application/x-protobuf"

# (latitude, longitude): four hemispheres, 6 decimals.
PLACES = [
    (-34.603722, -58.381592),  # south, west
    (59.329323, 18.068581),  # north, east
    (-1.292066, 36.821945),  # south, east, near the equator
    (45.50169, -73.567253),  # north, west
]

# (blackboxprotobuf type, scale, chain step of the reading that holds the coordinate)
KINDS = [
    ("packed_double", 1, "double"),
    ("packed_float", 1, "float"),
    ("packed_sfixed64", 10**7, "sfixed64"),
    ("packed_sfixed64", 10**6, "sfixed64"),
    ("packed_sfixed32", 10**7, "sfixed32"),
    ("packed_sint", 10**7, "sint32"),
    ("packed_sint", 10**6, "sint32"),
    ("packed_sint", 10**5, "sint32"),
    ("packed_int", 10**6, "int64"),  # a negative int64: ten bytes of two's complement
    ("packed_int", 10**7, "int64"),
]


def encode(fields: dict[str, Any], types: dict[str, str]) -> bytes:
    typedef = {number: {"type": kind} for number, kind in types.items()}
    return blackboxprotobuf.encode_message(fields, typedef)


def scaled(values: list[float], scale: int) -> list[float] | list[int]:
    return values if scale == 1 else [round(v * scale) for v in values]


def readings(fields: list[Field], path: str, step: str) -> list[str]:
    """The values at ``path`` whose chain ends with ``step``, in order."""
    return [f.value for f in fields if f.path == path and f.encoding.endswith(step)]


def detector(lat: float, lon: float) -> Detector:
    return Detector(profile_from_dict({"known": {"latitude": lat, "longitude": lon}}))


@pytest.mark.parametrize(("lat", "lon"), PLACES)
@pytest.mark.parametrize(("kind", "scale", "step"), KINDS)
def test_packed_coordinates_are_found_in_every_wire_form(
    kind: str, scale: int, step: str, lat: float, lon: float
) -> None:
    body = encode(
        {"1": "route-31", "2": 1_767_225_600, "4": scaled([lat, lon], scale), "5": 3},
        {"1": "string", "2": "uint", "4": kind, "5": "uint"},
    )
    found = {f.property: f for f in detector(lat, lon).detect(flow(body, PROTOBUF))}
    assert {"latitude", "longitude"} <= set(found), found
    for prop, value in (("latitude", lat), ("longitude", lon)):
        # A positive int64 is its unsigned value.
        reading = "uint32" if kind == "packed_int" and value > 0 else step
        assert found[prop].path == "4"
        assert found[prop].encoding.startswith(f"protobuf>packed>{reading}"), found[prop]


@pytest.mark.parametrize(("kind", "scale", "step"), KINDS)
def test_a_packed_track_reads_as_its_values_in_order(kind: str, scale: int, step: str) -> None:
    track = [coordinate for place in PLACES[:3] for coordinate in place]
    values = scaled(track, scale)
    body = encode({"3": values}, {"3": kind})
    fields, notes = decoded(flow(body, PROTOBUF))
    assert notes == []
    got = readings(fields, "3", f"packed>{step}")
    if kind == "packed_float":
        assert [struct.pack("<f", float(v)) for v in got] == [struct.pack("<f", v) for v in track]
    elif kind == "packed_double":
        assert got == [repr(v) for v in track]
    elif kind == "packed_int":  # negative values as int64, positive ones as they are
        assert got == [str(v) for v in values if v < 0]
        assert readings(fields, "3", "packed>uint32") == [str(v) for v in values if v > 0]
    else:
        assert got == [str(v) for v in values]


def test_packed_coordinates_in_a_nested_message_inside_grpc() -> None:
    lat, lon = PLACES[3]
    inner = encode(
        {"1": 1_767_225_600_000, "3": scaled([lat, lon], 10**6), "4": "gps"},
        {"1": "uint", "3": "packed_int", "4": "string"},
    )
    message = encode({"1": "session-ab12", "2": inner}, {"1": "string", "2": "bytes"})
    body = b"\x00" + len(message).to_bytes(4, "big") + message  # one uncompressed gRPC frame
    findings = detector(lat, lon).detect(flow(body, "application/grpc"))
    found = {f.property: f for f in findings}
    assert {"latitude", "longitude"} <= set(found), findings
    assert found["latitude"].path == "0.2.3"
    assert found["latitude"].encoding == "grpc>protobuf>packed>uint32>e6"  # north: positive
    assert found["longitude"].encoding == "grpc>protobuf>packed>int64>e6"


# --- decoys --------------------------------------------------------------------------------------


def test_text_and_messages_of_8n_bytes_get_no_packed_reading() -> None:
    sub = encode(
        {"1": 5, "2": 2_000_000, "3": "abcdefgh"}, {"1": "uint", "2": "uint", "3": "string"}
    )
    assert len(sub) == 16
    body = encode(
        {"1": "Galaxy A55 5G EU", "2": sub, "3": "ab" * 12},
        {"1": "string", "2": "bytes", "3": "string"},
    )
    message = parse_message(body)
    assert message is not None
    assert not any(type(v) is Packed for values in message.values() for v in values)
    fields, _ = decoded(flow(body, PROTOBUF))
    assert [f for f in fields if "packed" in f.encoding] == []


def test_a_message_keeps_its_coordinates_in_their_own_fields() -> None:
    # 4 x n bytes of sfixed32 coordinates in a sub-message with field numbers: its own readings
    # find them, and no packed reading of the same bytes is offered.
    lat, lon = PLACES[0]
    sub = encode(
        {"1": round(lat * 10**7), "2": round(lon * 10**7), "3": 7},
        {"1": "sfixed32", "2": "sfixed32", "3": "uint"},
    )
    assert len(sub) % 4 == 0
    body = encode({"1": "fix", "2": sub}, {"1": "string", "2": "bytes"})
    findings = detector(lat, lon).detect(flow(body, PROTOBUF))
    assert {(f.property, f.path, f.encoding) for f in findings} == {
        ("latitude", "2.1", "protobuf>sfixed32>e7"),
        ("longitude", "2.2", "protobuf>sfixed32>e7"),
    }


def test_random_bytes_of_8n_yield_no_coordinate_and_no_pattern_finding() -> None:
    # Digests, UUIDs and keys in bytes fields are read as packed numbers where they parse:
    # none of those readings may be taken for the profile's place or for an identifier.
    rng = random.Random(29)
    with_profile = detector(*PLACES[1])
    without = Detector()
    packed_fields = 0
    for _ in range(150):
        blobs = {str(n): rng.randbytes(8 * rng.randint(1, 8)) for n in range(1, 9)}
        body = encode(blobs, dict.fromkeys(blobs, "bytes"))
        fields, _ = decoded(flow(body, PROTOBUF))
        packed = [f for f in fields if "packed" in f.encoding]
        packed_fields += len(packed)
        assert len(packed) <= 8 * 2 * MAX_PACKED_VALUES
        for found in (
            with_profile.detect(flow(body, PROTOBUF)),
            without.detect(flow(body, PROTOBUF)),
        ):
            assert [f for f in found if "packed" in f.encoding] == [], found
    assert packed_fields > 0  # the readings were there to be mistaken


# --- bounds --------------------------------------------------------------------------------------


def test_a_long_array_is_read_to_its_bound_and_named_in_a_note() -> None:
    rng = random.Random(5)
    track = [round(rng.uniform(-80, 80), 6) for _ in range(150)]
    body = encode({"7": track}, {"7": "packed_double"})
    fields, notes = decoded(flow(body, PROTOBUF))
    assert readings(fields, "7", "packed>double") == [repr(v) for v in track[:MAX_PACKED_VALUES]]
    assert f"body 7: a packed array of 150 numbers: the first {MAX_PACKED_VALUES} read" in notes


def test_bytes_over_the_packed_limit_are_not_tried() -> None:
    values = [1.25] * (MAX_PACKED_BYTES // 8 + 1)
    body = encode({"2": values}, {"2": "packed_double"})
    message = parse_message(body)
    assert message is not None and [type(v) for v in message["2"]] == [bytes]
    # At the limit, they are.
    body = encode({"2": values[:-1]}, {"2": "packed_double"})
    assert [type(v) for v in parse_message(body)["2"]] == [bytes, Packed]  # type: ignore[index]


@pytest.mark.parametrize(("count", "offered"), [(1, True), (16, True), (17, False)])
def test_sfixed32_arrays_are_read_only_when_short(count: int, offered: bool) -> None:
    # Any 4 x n bytes are n plausible sfixed32 values: a long blob would give a flood of them.
    values = [-(10**9) + 12_345 * i for i in range(count)]
    got, note = Packed(struct.pack(f"<{count}i", *values)).readings()
    assert note is None
    sfixed = [text for step, text in got if step == "packed>sfixed32"]
    assert sfixed == ([str(v) for v in values] if offered else [])


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (bytes([0x01, 0x02, 0xAC, 0x02]), "one-byte values (flags, enums)"),
        (bytes([0xAC, 0x02, 0xAC]), "the last varint is cut"),
        (bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x7F]), "2^35 - 1: no reading in the 32-bit range"),
        (bytes([0xFF] * 11 + [0x01]), "a varint over ten bytes"),
    ],
)
def test_bytes_that_are_no_packed_varints_get_no_varint_reading(data: bytes, why: str) -> None:
    got, _ = Packed(data).readings()
    steps = {step for step, _ in got}
    assert not steps & {"packed>uint32", "packed>sint32", "packed>int32", "packed>int64"}, why


def test_packed_readings_of_one_array_in_every_form() -> None:
    # Two zigzag varints of 5 bytes: only the varint readings (10 bytes: no fixed width).
    pair = encode({"1": [-345_678_901, 1_234_567_890]}, {"1": "packed_sint"})[2:]
    got, note = Packed(pair).readings()
    assert note is None
    assert ("packed>sint32", "-345678901") in got and ("packed>sint32", "1234567890") in got
    assert {step for step, _ in got} <= {"packed>uint32", "packed>sint32", "packed>int32"}
    # 16 bytes of two doubles: the doubles; their halves are no plausible floats here, and no
    # sfixed64 (out of the 32-bit range); sfixed32 (short) always.
    doubles = struct.pack("<2d", -12.345678, 98.765432)
    got, _ = Packed(doubles).readings()
    assert [text for step, text in got if step == "packed>double"] == ["-12.345678", "98.765432"]
    assert not any(step == "packed>sfixed64" for step, _ in got)
    assert len([1 for step, _ in got if step == "packed>sfixed32"]) == 4
    # All zero: nothing worth reading.
    assert Packed(bytes(16)).readings() == ([], None)


def test_random_packed_bytes_never_raise_and_stay_bounded() -> None:
    rng = random.Random(41)
    for _ in range(3000):
        data = rng.randbytes(rng.choice([1, 3, 4, 8, 12, 16, 40, 64, 200, 1000]))
        got, note = Packed(data).readings()
        for step, text in got:
            assert step.startswith("packed>")
            if step.endswith(("int32", "int64", "sfixed64", "sfixed32")):
                assert -(2**31) <= int(text) < 2**31
        # Two readings a varint, one a double, float and sfixed64; 16 sfixed32 at most.
        assert len(got) <= 5 * MAX_PACKED_VALUES + 16
        assert note is None or "packed array of" in note
