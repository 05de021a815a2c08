"""Framed messages: JSON or protobuf behind a frame prefix or inside a wrapper, in bodies and
WebSocket messages; each finding's chain names the framing.

Frames come from real encoders where one exists (python-socketio's packet encoder, a paho-mqtt
client talking to a recording socket, blackboxprotobuf); the others follow their specifications
(cited in analyzer/decode/framing.py). All values are invented.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import blackboxprotobuf
import paho.mqtt.client as mqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from socketio import packet as sio

from analyzer.decode import engineio, framing
from analyzer.detect import Detector
from tests.support.decode import by_path, decoded, flow, message, values
from tests.support.framing import paho_session, socketio_message, split_packets

GAID = "b7c1e0d2-4f3a-4e5b-9c8d-7a6b5c4d3e2f"
DEVICE = {"advertising_id": GAID, "device_model": "SM-S918B", "lat": -34.6037, "lng": -58.3816}


# --- Socket.IO / Engine.IO --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "namespace", "ack", "key"),
    [
        (sio.EVENT, None, None, "register"),
        (sio.EVENT, "/telemetry", None, "register"),
        (sio.EVENT, "/telemetry", 17, "register"),
        (sio.BINARY_EVENT, None, None, "register"),
    ],
)
def test_socketio_events_decode_as_json(
    kind: int, namespace: str | None, ack: int | None, key: str
) -> None:
    data: list[Any] = ["register", DEVICE]
    if kind == sio.BINARY_EVENT:  # the encoder makes a binary event of bytes in the data
        data = ["register", DEVICE, {"avatar": b"\x89PNG\r\n"}]
    sent = socketio_message(sio.EVENT, data, namespace, ack)
    assert len(sent) == (2 if kind == sio.BINARY_EVENT else 1)
    messages = [message("2probe"), message("5"), *[message(m) for m in sent], message("3")]
    fields, notes = decoded(flow(), messages)
    index = 2  # after the probe and the upgrade packet
    found = by_path(fields, "websocket")
    field = found[f"msg{index}.1.advertising_id"]
    assert (field.value, field.encoding, field.parent) == (GAID, "websocket>socketio>json", key)
    assert found[f"msg{index}.1.lat"].value == "-34.6037"
    assert not any(f.path in ("msg0", "msg1") for f in fields)  # control packets hold nothing
    # The binary attachment is a PNG: named in a note, scanned raw.
    assert all("bytes of a PNG image" in note for note in notes), notes


def test_socketio_connect_with_auth_and_acks() -> None:
    sent = socketio_message(sio.CONNECT, {"token": "tok-81c2", "uid": "u-5521"}, "/chat")
    sent += socketio_message(sio.ACK, [{"imsi": "310150123456789"}], "/chat", 4)
    fields, _ = decoded(flow(), [message(m) for m in sent])
    assert values(fields, "msg0.uid") == {"websocket>socketio>json": "u-5521"}
    assert values(fields, "msg1.0.imsi") == {"websocket>socketio>json": "310150123456789"}


def test_socketio_polling_bodies_of_both_engineio_versions() -> None:
    first = socketio_message(sio.EVENT, ["hello", {"email": "zoe.park@example.com"}])[0]
    second = socketio_message(sio.EVENT, ["geo", {"lat": 1.3521, "lng": 103.8198}])[0]
    v4 = f"{first}\x1e{second}".encode()  # Engine.IO 4: packets joined by a record separator
    v3 = f"{len(first)}:{first}{len(second)}:{second}".encode()  # Engine.IO 3: length-prefixed
    for body in (v4, v3):
        fields, _ = decoded(flow(body, "text/plain;charset=UTF-8"))
        found = by_path(fields, "body")
        assert found["0.1.email"].value == "zoe.park@example.com"
        assert found["1.1.lng"].value == "103.8198"
        assert found["0.1.email"].encoding == "socketio>json"


@pytest.mark.parametrize("text", ["42", "4", "123", "42xyz", "45-[1]", "7", "4x[1]"])
def test_short_or_malformed_packets_are_not_socketio(text: str) -> None:
    assert engineio.socketio(text) is None


@pytest.mark.parametrize("text", ["2", "3probe", "40", "41", "6"])
def test_control_packets_carry_nothing(text: str) -> None:
    assert engineio.socketio(text) == []
    fields, _ = decoded(flow(), [message(text)])
    assert [f for f in fields if f.location == "websocket"] == []
    fields, _ = decoded(flow(text.encode(), "application/json"))  # a body: a JSON number
    assert values(fields, "", "body") in ({"plain": text}, {})


# --- SignalR, XSSI guards, JSONP -------------------------------------------------------------


def test_signalr_records() -> None:
    handshake = '{"protocol":"json","version":1}\x1e'
    invocation = json.dumps(
        {"type": 1, "target": "SendLocation", "arguments": [{"lat": 48.8566, "deviceId": GAID}]}
    )
    fields, _ = decoded(
        flow(), [message(handshake), message(invocation + "\x1e" + invocation + "\x1e")]
    )
    assert values(fields, "msg0.protocol") == {"websocket>signalr>json": "json"}
    assert values(fields, "msg1.0.arguments.0.deviceId") == {"websocket>signalr>json": GAID}
    assert values(fields, "msg1.1.target") == {"websocket>signalr>json": "SendLocation"}


@pytest.mark.parametrize("guard", [")]}'\n", ")]}',\n", "while(1);", "for(;;);", "while (1);"])
def test_xssi_guards(guard: str) -> None:
    body = (guard + json.dumps({"user": {"email": "kai.meyer@example.de"}})).encode()
    fields, _ = decoded(flow(body, "application/json"))
    assert values(fields, "user.email") == {"xssi>json": "kai.meyer@example.de"}


@pytest.mark.parametrize(
    "template",
    [
        "cb_4821({});",
        "jQuery3310_171({})",
        "/**/ typeof window.onGeo === 'function' && window.onGeo({});",
        "track.send({}, 2)",
    ],
)
def test_jsonp_calls(template: str) -> None:
    body = template.replace("{}", json.dumps({"gaid": GAID, "n": 1}), 1).encode()
    fields, _ = decoded(flow(body, "text/javascript"))
    found = [f for f in fields if f.value == GAID and not f.raw]
    assert found and found[0].encoding == "jsonp>json", fields
    assert found[0].path.endswith("gaid")


# --- STOMP -----------------------------------------------------------------------------------


def test_stomp_frames_with_headers_and_json_body() -> None:
    connect = (
        "CONNECT\naccept-version:1.2\nhost:broker.example.org\nlogin:mo.chen\npasscode:pw-77\n"
        "\n\x00"
    )
    send = (
        "SEND\ndestination:/app/location\ncontent-type:application/json\n"
        "x-device\\cid:dev\\c9\n\n" + json.dumps({"lat": 22.3193, "lng": 114.1694}) + "\x00\n"
    )
    subscribe = "SUBSCRIBE\nid:sub-0\ndestination:/user/queue/reply\n\n\x00"
    fields, _ = decoded(flow(), [message(connect), message(send + "\n" + subscribe)])
    assert values(fields, "msg0.login") == {"websocket>stomp": "mo.chen"}
    assert values(fields, "msg1.0.lng") == {"websocket>stomp>json": "114.1694"}
    assert values(fields, "msg1.0.x-device:id") == {"websocket>stomp": "dev:9"}  # escapes
    assert values(fields, "msg1.1.destination") == {"websocket>stomp": "/user/queue/reply"}


def test_stomp_body_with_content_length_may_hold_nul() -> None:
    body = b'{"imei":"356938035643809"}\x00pad'
    frame = b"SEND\ndestination:/q\ncontent-length:%d\n\n" % len(body) + body + b"\x00"
    assert framing.stomp(frame) == [
        framing.Frame("SEND", [("destination", "/q"), ("content-length", str(len(body)))], body)
    ]


# --- MQTT over WebSocket ---------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5])
def test_mqtt_from_a_real_client(protocol: int) -> None:
    def publish(client: mqtt.Client) -> None:
        properties = None
        if protocol == mqtt.MQTTv5:
            properties = Properties(PacketTypes.PUBLISH)
            properties.UserProperty = ("serial", "R58N1234ABC")
            properties.ContentType = "application/json"
        payload = json.dumps({"lat": -1.2921, "lon": 36.8219, "gaid": GAID}).encode()
        client.publish("devices/dev-7742/location", payload, qos=1, properties=properties)
        client.publish("devices/dev-7742/battery", b"87", qos=0)

    stream = paho_session(protocol, publish)
    headers = [["Sec-WebSocket-Protocol", "mqtt"]]
    fields, notes = decoded(flow(headers=headers), [message(m) for m in split_packets(stream)])
    found = by_path(fields, "websocket")
    assert found["msg0.clientId"].value == "dev-7742"
    assert found["msg0.username"].value == "lina.haddad@example.com"
    assert found["msg0.willTopic"].value == "devices/dev-7742/status"
    assert found["msg1.topic"].value == "devices/dev-7742/location"
    assert found["msg1.payload.gaid"].value == GAID
    assert found["msg1.payload.gaid"].encoding == "websocket>mqtt>json"
    if protocol == mqtt.MQTTv5:
        assert found["msg1.serial"].value == "R58N1234ABC"
    assert notes == []
    # Without the subprotocol header, the CONNECT packet alone says it is MQTT; all packets in
    # one message read the same.
    fields, _ = decoded(flow(), [message(stream)])
    assert values(fields, "msg0.0.clientId") == {"websocket>mqtt": "dev-7742"}
    assert values(fields, "msg0.1.payload.gaid") == {"websocket>mqtt>json": GAID}


def test_binary_messages_are_not_mqtt_without_a_sign_of_it() -> None:
    # A PUBLISH-shaped protobuf message in a flow that never spoke MQTT stays protobuf.
    body = b"\x30\x05" + b"\x0a\x03abc"  # 0x30 = field 6, varint 5; then field 1 "abc"
    fields, _ = decoded(flow(), [message(body)])
    assert {f.encoding for f in fields if f.location == "websocket"} == {"websocket>protobuf"}


# --- gRPC, gRPC-web, length-delimited protobuf -----------------------------------------------

TYPES = {"1": {"type": "string"}, "2": {"type": "sint"}, "3": {"type": "string"}}


def proto(lat_e7: int, gaid: str) -> bytes:
    return blackboxprotobuf.encode_message({"1": "fix", "2": lat_e7, "3": gaid}, TYPES)


def grpc_frame(payload: bytes, compressed: bool = False) -> bytes:
    if compressed:
        payload = gzip.compress(payload)
    return bytes([1 if compressed else 0]) + len(payload).to_bytes(4, "big") + payload


@pytest.mark.parametrize(
    ("content_type", "chain"),
    [
        ("application/grpc", "grpc>protobuf"),
        ("application/grpc+proto", "grpc>protobuf"),
        ("application/grpc-web+proto", "grpc-web>protobuf"),
        ("application/grpc-web-text", "base64>grpc-web>protobuf"),
        (None, "grpc>protobuf"),  # undeclared: the exact frame lengths say it
    ],
)
def test_grpc_frames(content_type: str | None, chain: str) -> None:
    body = grpc_frame(proto(-345678901, GAID)) + grpc_frame(proto(-1000, "x"), compressed=True)
    if content_type == "application/grpc-web-text":
        # Each flushed chunk is base64 on its own, with its own padding.
        body = b"".join(base64.b64encode(frame) for frame in (body[:7], body[7:]))
    fields, notes = decoded(flow(body, content_type))
    assert values(fields, "0.3") == {chain: GAID}
    assert values(fields, "0.2")[f"{chain}>sint32"] == "-345678901"
    assert "-1000" in values(fields, "1.2").values()
    assert notes == []


def test_grpc_json_payloads() -> None:
    body = grpc_frame(json.dumps({"email": "ivo.horvat@example.hr"}).encode())
    fields, _ = decoded(flow(body, "application/grpc+json"))
    assert values(fields, "0.email") == {"grpc>json": "ivo.horvat@example.hr"}


def test_length_delimited_protobuf() -> None:
    messages = [proto(-123456789, GAID), proto(987654321, "second")]
    body = b"".join(bytes([len(m)]) + m for m in messages)
    fields, _ = decoded(flow(body, "application/octet-stream"))
    assert values(fields, "0.3") == {"delimited>protobuf": GAID}
    assert values(fields, "1.3") == {"delimited>protobuf": "second"}


# --- hostile frames --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.sampled_from(
        ["42", "451-", "42/ns,7", "SEND\n", ")]}'", "cb(", "{}\x1e", "\x10", "\x30", "\x00"]
    ),
    rest=st.binary(max_size=300),
)
def test_hostile_frames_never_raise(prefix: str, rest: bytes) -> None:
    data = prefix.encode() + rest
    headers = [["Sec-WebSocket-Protocol", "mqtt, v12.stomp"]]
    for row, messages in (
        (flow(data, "text/plain"), []),
        (flow(data, "application/grpc-web-text"), []),
        (flow(headers=headers), [message(data), message(data.decode("latin-1"))]),
    ):
        fields, notes = decoded(row, messages)
        assert all(isinstance(f.value, str) for f in fields)
        assert all(isinstance(n, str) for n in notes)


def test_detector_reports_the_framing_in_the_chain() -> None:
    sent = socketio_message(sio.EVENT, ["register", DEVICE])
    findings = Detector().detect(flow(), [message(m) for m in sent])
    chains = {f.property: f.encoding for f in findings}
    assert chains["advertisingId"] == "websocket>socketio>json"
    assert {"latitude", "longitude"} <= set(chains)


@pytest.mark.parametrize(
    "body",
    [
        b"\x01\x02garbage gaid=" + GAID.encode() + b";\xff",  # a cut "compressed frame"
        b"\x00\x00\x00\x00\x05hello" + GAID.encode(),  # a frame, then bytes it does not cover
        b"\x01\x00\x00\x00\x04abcd",  # "compressed" without a compression signature
    ],
)
def test_undeclared_bytes_that_only_look_like_grpc_stay_raw(body: bytes) -> None:
    fields, _ = decoded(flow(body, "application/octet-stream"))
    assert not any("grpc" in f.encoding for f in fields)
    assert any(f.raw and f.location == "body" for f in fields)
