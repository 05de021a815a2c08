"""MQTT over WebSocket where packets and messages do not line up: a packet split over several
messages, several packets in one, a CONNECT sent byte by byte; bounded (a packet over the size
cap, a packet still incomplete when the connection ends) and never fooled by binary messages
that only start like MQTT.

The byte stream comes from a real paho-mqtt client (tests/support/framing.py); the cuts are ours.
All values are invented.
"""

from __future__ import annotations

import json
import random

import paho.mqtt.client as mqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.decode import Limits
from analyzer.decode import mqtt as mqtt_parser
from tests.support.decode import by_path, decoded, flow, message, values
from tests.support.framing import paho_session, split_packets

IMEI = "490154203237518"
PAYLOAD = json.dumps({"imei": IMEI, "lat": 60.1699, "lon": 24.9384, "acc": 12}).encode()
OFFERED = [["Sec-WebSocket-Protocol", "mqtt"]]


def session(protocol: int = mqtt.MQTTv311) -> bytes:
    def publish(client: mqtt.Client) -> None:
        client.publish(f"trackers/{IMEI}/pos", PAYLOAD, qos=1)
        client.publish("trackers/batt", b"64", qos=0)

    return paho_session(protocol, publish)


STREAMS = {protocol: session(protocol) for protocol in (mqtt.MQTTv311, mqtt.MQTTv5)}


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[pos : pos + size] for pos in range(0, len(data), size)]


def random_cuts(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), 9))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def mqtt_values(fields: list) -> set[tuple[str, str]]:
    """(key, value) of the fields read from MQTT packets, wherever the packets were cut."""
    return {
        (f.key, f.value)
        for f in fields
        if f.location == "websocket" and not f.raw and f.encoding.startswith("websocket>mqtt")
    }


@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5])
@pytest.mark.parametrize("offered", [True, False])
@pytest.mark.parametrize("cut", ["bytes-1", "bytes-5", "bytes-64", "random-1", "random-2"])
def test_packets_split_over_messages_are_reassembled(
    protocol: int, offered: bool, cut: str
) -> None:
    stream = STREAMS[protocol]
    kind, number = cut.split("-")
    pieces = chunks(stream, int(number)) if kind == "bytes" else random_cuts(stream, int(number))
    messages = [message(piece) for piece in pieces]
    messages.insert(2, message(b"\x20\x02\x00\x00", from_client=False))  # CONNACK: not read
    fields, notes = decoded(flow(headers=OFFERED if offered else None), messages)
    assert {
        ("clientId", "dev-7742"),
        ("username", "lina.haddad@example.com"),
        ("topic", f"trackers/{IMEI}/pos"),
        ("topic", "trackers/batt"),
        ("lon", "24.9384"),
    } <= mqtt_values(fields)
    payload = [f for f in fields if f.path.endswith("payload.imei")]
    assert {(f.value, f.encoding) for f in payload} == {(IMEI, "websocket>mqtt>json")}
    assert notes == []


def test_one_message_with_several_packets_and_a_packet_begun() -> None:
    packets = split_packets(STREAMS[mqtt.MQTTv311])
    connect, first, second = packets[0], packets[1], packets[2]
    cut = len(first) // 2
    messages = [message(connect + first[:cut]), message(first[cut:] + second)]
    fields, notes = decoded(flow(headers=OFFERED), messages)
    found = by_path(fields, "websocket")
    assert found["msg0.clientId"].value == "dev-7742"  # whole in msg0
    assert found["msg1.0.payload.lat"].value == "60.1699"  # completed in msg1
    assert found["msg1.1.payload"].value == "64"
    assert notes == []


def test_empty_messages_between_the_pieces_change_nothing() -> None:
    stream = STREAMS[mqtt.MQTTv311]
    pieces = [piece for chunk in chunks(stream, 40) for piece in (chunk, b"")]
    fields, notes = decoded(flow(headers=OFFERED), [message(piece) for piece in pieces])
    assert ("imei", IMEI) in mqtt_values(fields)
    assert notes == []


def test_a_packet_still_incomplete_at_the_end_is_scanned_raw_and_noted() -> None:
    packets = split_packets(STREAMS[mqtt.MQTTv311])
    publish = packets[1]
    messages = [message(packets[0]), message(publish[:-6])]  # the client went away
    fields, notes = decoded(flow(headers=OFFERED), messages)
    assert any("msg1: MQTT packet incomplete at the end of the connection" in n for n in notes)
    raw = [f for f in fields if f.raw and f.path == "msg1"]
    assert raw and IMEI in raw[0].value and raw[0].encoding == "websocket>mqtt"


def test_a_packet_over_the_size_cap_is_scanned_raw_and_the_next_one_read() -> None:
    limits = Limits(max_decoded_bytes=4096)
    big = b"\x30" + bytes([0x90, 0x4E]) + b"\x00\x03a/b" + b"z" * (10_000 - 5)  # 10,000 bytes
    assert mqtt_parser.packet_end(big, 0) == len(big)
    packets = split_packets(STREAMS[mqtt.MQTTv311])
    stream = packets[0] + big + packets[1]
    messages = [message(piece) for piece in chunks(stream, 3000)]
    fields, notes = decoded(flow(headers=OFFERED), messages, limits)
    assert any("MQTT packet of 10003 bytes, over the 4096-byte limit" in n for n in notes)
    assert [f.value for f in fields if f.path.endswith("payload.imei")] == [IMEI]


def test_no_mqtt_where_a_packet_should_start_is_noted_and_read_as_it_is() -> None:
    protobuf = b"\x0a\x0f" + IMEI.encode()  # field 1: the IMEI; 0x0a is no MQTT packet type
    fields, notes = decoded(flow(headers=OFFERED), [message(protobuf)])
    assert "websocket msg0: no MQTT packet where one should start" in notes
    assert values(fields, "msg0.1", "websocket") == {"websocket>protobuf": IMEI}


@pytest.mark.parametrize(
    "first",
    [
        b"\x10",  # a byte that is a CONNECT's first, then a message that continues no CONNECT
        b"\x10\x0c\x00\x04MQ",
    ],
)
def test_binary_messages_that_start_like_a_connect_but_are_none(first: bytes) -> None:
    other = b"\x12\x0f" + IMEI.encode()  # protobuf: field 2, the IMEI
    fields, notes = decoded(flow(), [message(first), message(b"XX" + other), message(other)])
    assert values(fields, "msg2.2", "websocket") == {"websocket>protobuf": IMEI}
    assert not any("MQTT packet" in note for note in notes)


def test_a_connect_that_never_completes_is_read_as_it_is() -> None:
    # Held while it might become a CONNECT; at the end, read as what it is (raw bytes).
    fields, notes = decoded(flow(), [message(b"\x10\x20\x00\x04MQTT\x04")])
    assert [f.path for f in fields if f.location == "websocket"] == ["msg0"]
    assert any("msg0: 9 bytes of binary data" in note for note in notes), notes


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x10", None),
        (b"\x10\x80", None),
        (b"\x10\x0c\x00\x06MQIs", None),
        (b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00", True),
        (b"\x10\x02\x00\x04", False),  # whole, and too short to be a CONNECT
        (b"\x11", False),  # flags a CONNECT never has
        (b"\x30\x02\x00\x00", False),
    ],
)
def test_connect_prefix(data: bytes, expected: bool | None) -> None:
    assert mqtt_parser.connect_prefix(data) is expected


@settings(max_examples=150, deadline=None)
@given(
    pieces=st.lists(
        st.one_of(
            st.binary(max_size=40),
            st.sampled_from([b"\x10", b"\x10\x0c\x00\x04MQTT", b"\x30\xff\xff\xff\x7f", b"\x04"]),
            st.sampled_from(['451-[{"_placeholder":true,"num":0}]', "2", "\n"]),
        ),
        max_size=12,
    ),
    offered=st.booleans(),
)
def test_hostile_message_sequences_never_stop_decoding(
    pieces: list[bytes | str], offered: bool
) -> None:
    url = "wss://rt.example.net/socket.io/?EIO=3&transport=websocket"
    fields, notes = decoded(
        flow(url=url, headers=OFFERED if offered else None), [message(p) for p in pieces]
    )
    assert not [note for note in notes if note.startswith("decoder error")], notes
    assert all(f.location in ("path", "query", "websocket") for f in fields)
