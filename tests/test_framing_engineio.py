"""Engine.IO / Socket.IO payloads that real clients split, prefix or wrap: v3 polling bodies whose
lengths count UTF-16 units (or code points, or UTF-8 bytes), binary polling bodies, base64
attachments, and binary attachments sent as WebSocket messages after their event.

Socket.IO packets and v4 payloads come from python-socketio/python-engineio's encoders; v3
bodies follow engine.io-parser 2.x (tests/support/framing.py). All values are invented.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import engineio.packet
import engineio.payload
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from socketio import packet as sio

from analyzer.decode import engineio as eio
from tests.support.decode import by_path, decoded, flow, message, values
from tests.support.framing import eio3_binary_payload, eio3_text_payload, socketio_message

EMAIL = "ines.okafor@example.net"
GAID = "5d0e9c3b-8a71-4f26-b3e4-19c0d7a6f258"
POLLING = "https://rt.example-chat.io/socket.io/?EIO=3&transport=polling&sid=Qw7"


def event(name: str, data: Any, kind: int = sio.EVENT) -> str:
    """The Engine.IO message packet of one Socket.IO event, as python-socketio writes it."""
    encoded = sio.Packet(kind, data=[name, data]).encode()
    assert isinstance(encoded, str)
    return "4" + encoded


def proto(text: str, number: int) -> bytes:
    """A protobuf message: field 1 the string, field 2 the varint (< 128), field 3 a time in
    seconds (a varint of 5 bytes, as binary as real messages are)."""
    raw = text.encode()
    stamp = b"\x18\xc0\xa9\xc8\xca\x06"  # 1767000000
    return b"\x0a" + bytes([len(raw)]) + raw + b"\x10" + bytes([number]) + stamp


# --- v3 polling: what the length counts ----------------------------------------------------


@pytest.mark.parametrize("unit", ["utf-16", "codepoint", "utf-8", "utf-8-twice"])
@pytest.mark.parametrize("nick", ["Ines 🦩🌵", "Инес 日本", "plain"])
def test_v3_polling_lengths_in_every_unit_encoders_count(unit: str, nick: str) -> None:
    first = event("hello", {"nick": nick, "email": EMAIL})
    second = event("where", {"lat": 6.5244, "tz": "Africa/Lagos 🌍"})
    body = eio3_text_payload([first, second, "2"], unit).encode("utf-8")
    fields, notes = decoded(flow(body, "text/plain;charset=UTF-8", url=POLLING))
    found = by_path(fields, "body")
    assert found["0.1.email"].value == EMAIL
    assert found["0.1.email"].encoding == "socketio>json"
    assert found["0.1.nick"].value == nick  # the text as the client had it
    assert found["1.1.tz"].value == "Africa/Lagos 🌍"
    assert found["1.1.lat"].parent == "where"
    assert notes == []


@pytest.mark.parametrize(
    "text",
    [
        "12:hello world",  # one short: no packet boundary fits
        "3:abc",  # fits, but "abc" is no Engine.IO packet
        "10:30 meeting room 4",
        "2:42",  # an event without arguments
        "5:42[1]9:",  # a dangling length
        "0:",
    ],
)
def test_text_that_only_looks_length_prefixed_is_not_socketio(text: str) -> None:
    assert eio.socketio(text) is None
    fields, _ = decoded(flow(text.encode(), "text/plain", url=POLLING))
    assert [f.value for f in fields if f.location == "body"] == [text]  # kept, unmangled


def test_a_length_that_cuts_a_character_is_a_wrong_reading() -> None:
    # 4 UTF-16 units or UTF-8 bytes end inside an emoji; there are only 3 code points.
    assert eio.length_prefixed("4:4🐙🐙") is None
    assert eio.length_prefixed("5:4🐙🐙") == ["4🐙🐙"]  # UTF-16: 1 + 2 + 2
    assert eio.length_prefixed("3:4🐙🐙") == ["4🐙🐙"]  # code points (python-engineio)
    assert eio.length_prefixed("9:4🐙🐙") == ["4🐙🐙"]  # UTF-8 bytes: 1 + 4 + 4


# --- binary attachments in polling bodies ----------------------------------------------------


def test_v3_binary_polling_body_with_an_attachment() -> None:
    announce = event("upload", {"meta": {"_placeholder": True, "num": 0}, "name": "Ines ✓"})
    announce = "451-" + announce[2:]  # a binary event (5) with one attachment
    body = eio3_binary_payload([announce, proto(GAID, 7), "2"])
    fields, notes = decoded(flow(body, "application/octet-stream", url=POLLING))
    found = by_path(fields, "body")
    assert found["0.1.meta.1"].value == GAID  # where the placeholder was
    assert found["0.1.meta.1"].encoding == "socketio>protobuf"
    assert found["0.1.name"].value == "Ines ✓"
    assert notes == []


def test_v3_text_polling_body_with_a_base64_attachment() -> None:
    announce = "451-" + event("avatar", {"_placeholder": True, "num": 0})[2:]
    attachment = "b4" + base64.b64encode(proto(EMAIL, 3)).decode()
    body = eio3_text_payload([announce, attachment]).encode()
    fields, _ = decoded(flow(body, "text/plain;charset=UTF-8", url=POLLING))
    assert values(fields, "0.1.1", "body") == {"socketio>protobuf": EMAIL}


def test_v4_polling_body_from_the_real_encoder_with_attachments() -> None:
    data = {"photo": b"\x89PNG\r\n\x1a\n", "profile": proto(EMAIL, 9), "gaid": GAID}
    text, *attachments = sio.Packet(sio.EVENT, data=["sync", data]).encode()
    packets = [engineio.packet.Packet(engineio.packet.MESSAGE, data=text)]
    packets += [engineio.packet.Packet(engineio.packet.MESSAGE, data=a) for a in attachments]
    body = engineio.payload.Payload(packets=packets).encode().encode()
    assert b"\x1eb" in body  # v4: attachments as b<base64> records
    fields, notes = decoded(flow(body, "text/plain;charset=UTF-8"))
    found = by_path(fields, "body")
    assert found["0.1.gaid"].value == GAID
    assert found["0.1.profile.1"].value == EMAIL
    assert found["0.1.profile.1"].encoding == "socketio>protobuf"
    assert any("PNG image" in note for note in notes)  # the photo: named, scanned raw


def test_announced_attachments_missing_from_a_polling_body_are_noted() -> None:
    announce = "452-" + event("pair", [{"_placeholder": True, "num": 0}])[2:]
    body = eio3_text_payload([announce]).encode()
    fields, notes = decoded(flow(body, "text/plain", url=POLLING))
    assert "body: Socket.IO attachments not sent" in notes
    assert values(fields, "0", "body") == {"socketio>json": "pair"}


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x01\xff",  # a length with no packet
        b"\x00\x02\xff42",  # one byte short of its declared length ... then nothing
        b"\x00\x0a\xff4",  # a "digit" of 10
        b"\x01\x03\xff\x09ab",  # a binary record of Engine.IO type 9
        b"\x01\x03\xff\x04ab",  # only binary records: no event to belong to
        b"\x00\x03\xffxyz",  # a text record that is no Engine.IO packet
    ],
)
def test_bytes_that_only_look_like_a_binary_payload(body: bytes) -> None:
    assert eio.binary_payload(body) is None


# --- attachments over WebSocket -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "prefixed"),
    [
        ("wss://rt.example-chat.io/socket.io/?EIO=3&transport=websocket", True),
        ("wss://rt.example-chat.io/socket.io/?EIO=4&transport=websocket", False),
        ("wss://rt.example-chat.io/live", True),  # no version in the URL: the 0x04 tells
        ("wss://rt.example-chat.io/live", False),
    ],
)
def test_websocket_attachments_land_at_their_placeholders(url: str, prefixed: bool) -> None:
    data = ["batch", {"first": proto(GAID, 1)}, [1, proto(EMAIL, 2)]]
    sent = socketio_message(sio.EVENT, data)  # python-socketio: binary event + 2 attachments
    assert len(sent) == 3 and str(sent[0]).startswith("452-")
    attachments = [b"\x04" + a if prefixed else a for a in sent[1:] if isinstance(a, bytes)]
    messages = [message("40"), message(sent[0]), message("2"), *map(message, attachments)]
    messages.insert(3, message(b"\x00\x00", from_client=False))  # the server's: not counted
    fields, notes = decoded(flow(url=url), messages)
    found = by_path(fields, "websocket")
    assert found["msg1.1.first.1"].value == GAID
    assert found["msg1.1.first.1"].encoding == "websocket>socketio>protobuf"
    assert found["msg1.2.1.1"].value == EMAIL
    assert notes == []


def test_websocket_attachment_that_never_came_is_noted() -> None:
    sent = socketio_message(sio.EVENT, ["avatar", {"img": b"\x0a\x01x"}, "tail"])
    fields, notes = decoded(flow(), [message(sent[0]), message("2")])
    assert any("1 Socket.IO attachment(s) announced, not sent" in note for note in notes)
    assert values(fields, "msg0.2", "websocket") == {"websocket>socketio>json": "tail"}


def test_v3_binary_message_outside_an_event_loses_its_type_byte() -> None:
    url = "wss://rt.example-chat.io/socket.io/?EIO=3&transport=websocket"
    fields, _ = decoded(flow(url=url), [message(b"\x04" + proto(EMAIL, 5))])
    assert values(fields, "msg0.1", "websocket") == {"websocket>socketio>protobuf": EMAIL}


def test_engineio_version_from_the_url() -> None:
    assert eio.engineio_version("https://x.example/socket.io/?EIO=3&transport=polling") == 3
    assert eio.engineio_version("https://x.example/socket.io/?transport=polling&EIO=4") == 4
    assert eio.engineio_version("https://x.example/?NEIO=3") is None


def test_placeholders_are_found_anywhere_in_the_arguments() -> None:
    payload = json.dumps(
        ["ev", {"a": [{"_placeholder": True, "num": 1}]}, {"_placeholder": True, "num": 0}]
    )
    assert eio.placeholders(payload) == {1: "1.a.0", 0: "2"}
    assert eio.placeholders('["ev", {"_placeholder": "yes", "num": 0}]') == {}
    assert eio.placeholders("[not json") == {}


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.sampled_from(["4:42[]", "5:", "1:2", "\x00\x02\xff", "\x01\x01\xff", "42\x1eb"]),
    rest=st.text(max_size=60),
)
def test_hostile_polling_bodies_never_stop_decoding(prefix: str, rest: str) -> None:
    body = (prefix + rest).encode("utf-8", "surrogatepass")
    for content_type in ("text/plain;charset=UTF-8", "application/octet-stream"):
        _fields, notes = decoded(flow(body, content_type, url=POLLING))
        assert not [note for note in notes if note.startswith("decoder error")], notes
