"""MQTT 3.1, 3.1.1 and 5 control packets, as MQTT-over-WebSocket clients send them.

Read after the OASIS specifications (MQTT Version 3.1.1, 2014, section 2 and 3; MQTT Version
5.0, 2019, section 2.2.2 for properties): CONNECT (client id, will topic and message, user name,
password), PUBLISH (topic, payload), SUBSCRIBE/UNSUBSCRIBE (topic filters); v5 properties are
skipped except user properties and the content type, which are kept. Pure parsers that return
None where the bytes are no MQTT; :mod:`analyzer.decode.framed` emits what they find.
"""

from __future__ import annotations

from typing import NamedTuple

from analyzer.decode.framing import MAX_FRAMES


class MqttPacket(NamedTuple):
    """One MQTT control packet: its type name, text fields as (name, value), and for PUBLISH
    the topic and the application payload."""

    kind: str
    fields: list[tuple[str, str]]
    topic: str
    payload: bytes | None


_MQTT_TYPES = {
    1: "connect",
    3: "publish",
    8: "subscribe",
    10: "unsubscribe",
    12: "pingreq",
    14: "disconnect",
    4: "puback",
    5: "pubrec",
    6: "pubrel",
    7: "pubcomp",
    15: "auth",
}


def mqtt_level(data: bytes) -> int | None:
    """The protocol level (3, 4 = 3.1.1, 5) of an MQTT CONNECT packet, else None."""
    if data[:1] != b"\x10":
        return None
    length, pos = _remaining_length(data, 1)
    if length is None:
        return None
    name, pos = _mqtt_string(data, pos)
    if name not in ("MQTT", "MQIsdp") or pos >= len(data):
        return None
    return data[pos]


# The first byte of each packet a client sends: type and the flags the specification fixes
# (MQTT 3.1.1 section 2.2.2; PUBLISH takes any flags but QoS 3).
_CLIENT_FIRST_BYTES = frozenset(
    {0x10, 0x40, 0x50, 0x62, 0x70, 0x82, 0xA2, 0xC0, 0xE0, 0xF0}
    | {0x30 | flags for flags in range(16) if (flags >> 1) & 3 != 3}
)
_PROTOCOL_NAMES = (b"\x00\x04MQTT", b"\x00\x06MQIsdp")


def packet_end(data: bytes | bytearray, pos: int) -> int | None:
    """Where the client packet that starts at ``pos`` ends (may lie beyond ``data``: the packet
    continues in later messages); None while its fixed header is incomplete; -1 where no
    client packet starts at ``pos`` (a type or flags a client never sends, a remaining length
    over 4 bytes)."""
    if data[pos] not in _CLIENT_FIRST_BYTES:
        return -1
    length, body_start = _remaining_length(data, pos + 1)
    if length is None:
        return None if body_start - pos - 1 < 4 else -1
    return body_start + length


def connect_prefix(data: bytes | bytearray) -> bool | None:
    """True where ``data`` starts with a whole CONNECT packet, None while what it holds may
    still become one (a client may send the CONNECT in pieces), False where it cannot."""
    if data[:1] != b"\x10":
        return False
    end = packet_end(data, 0)
    if end == -1:
        return False
    if end is None:
        return None
    _, body_start = _remaining_length(data, 1)
    head = bytes(data[body_start : min(end, body_start + 8)])
    if not any(name[: len(head)] == head[: len(name)] for name in _PROTOCOL_NAMES):
        return False
    if end > len(data):
        return None
    return _mqtt_connect(bytes(data[body_start:end])) is not None


def mqtt(data: bytes, level: int | None) -> list[MqttPacket] | None:
    """The client packets in ``data`` (one WebSocket message may hold several), read for the
    protocol ``level`` (from the flow's CONNECT; 4 when unknown). None unless the packets'
    lengths cover ``data`` exactly."""
    packets = []
    pos = 0
    while pos < len(data):
        if len(packets) >= MAX_FRAMES:
            return None
        first = data[pos]
        kind = _MQTT_TYPES.get(first >> 4)
        length, body_start = _remaining_length(data, pos + 1)
        if kind is None or length is None or body_start + length > len(data):
            return None
        body = data[body_start : body_start + length]
        pos = body_start + length
        packet: MqttPacket | None
        if kind == "connect":
            found = _mqtt_connect(body)
            if found is None:
                return None
            packet, level = found
        elif kind == "publish":
            packet = _mqtt_publish(body, (first >> 1) & 3, level or 4)
        elif kind in ("subscribe", "unsubscribe"):
            packet = _mqtt_subscribe(body, kind, level or 4)
        else:
            packet = MqttPacket(kind, [], "", None)
        if packet is None:
            return None
        packets.append(packet)
    return packets or None


def _mqtt_connect(body: bytes) -> tuple[MqttPacket, int] | None:
    name, pos = _mqtt_string(body, 0)
    if name not in ("MQTT", "MQIsdp") or pos + 4 > len(body):
        return None
    level, flags = body[pos], body[pos + 1]
    pos += 4  # level, flags, keep-alive
    fields: list[tuple[str, str]] = []
    if level == 5:
        pos = _mqtt_properties(body, pos, fields)
        if pos < 0:
            return None
    client_id, pos = _mqtt_string(body, pos)
    if client_id is None:
        return None
    fields.append(("clientId", client_id))
    if flags & 0x04:  # will flag
        if level == 5:
            pos = _mqtt_properties(body, pos, fields)
            if pos < 0:
                return None
        topic, pos = _mqtt_string(body, pos)
        message, pos = _mqtt_bytes(body, pos)
        if topic is None or message is None:
            return None
        fields += [("willTopic", topic), ("willMessage", _text(message))]
    if flags & 0x80:
        username, pos = _mqtt_string(body, pos)
        if username is None:
            return None
        fields.append(("username", username))
    if flags & 0x40:
        password, pos = _mqtt_bytes(body, pos)
        if password is None:
            return None
        fields.append(("password", _text(password)))
    return MqttPacket("connect", fields, "", None), level


def _mqtt_publish(body: bytes, qos: int, level: int) -> MqttPacket | None:
    topic, pos = _mqtt_string(body, 0)
    if topic is None or qos == 3:
        return None
    if qos:
        pos += 2  # packet identifier
    fields: list[tuple[str, str]] = []
    if level == 5:
        pos = _mqtt_properties(body, pos, fields)
        if pos < 0:
            return None
    if pos > len(body):
        return None
    return MqttPacket("publish", fields, topic, body[pos:])


def _mqtt_subscribe(body: bytes, kind: str, level: int) -> MqttPacket | None:
    pos = 2  # packet identifier
    fields: list[tuple[str, str]] = []
    if level == 5:
        pos = _mqtt_properties(body, pos, fields)
        if pos < 0:
            return None
    while pos < len(body):
        topic, pos = _mqtt_string(body, pos)
        if topic is None:
            return None
        fields.append(("topic", topic))
        if kind == "subscribe":
            pos += 1  # options
    return MqttPacket(kind, fields, "", None) if pos == len(body) else None


# MQTT 5 property identifiers and their value types (OASIS MQTT 5.0, section 2.2.2.2).
_BYTE, _TWO, _FOUR, _VARINT, _STRING, _BINARY, _PAIR = range(7)
_PROPERTIES = {
    0x01: _BYTE,
    0x02: _FOUR,
    0x03: _STRING,
    0x08: _STRING,
    0x09: _BINARY,
    0x0B: _VARINT,
    0x11: _FOUR,
    0x12: _STRING,
    0x13: _TWO,
    0x15: _STRING,
    0x16: _BINARY,
    0x17: _BYTE,
    0x18: _FOUR,
    0x19: _BYTE,
    0x1A: _STRING,
    0x1C: _STRING,
    0x1F: _STRING,
    0x21: _TWO,
    0x22: _TWO,
    0x23: _TWO,
    0x24: _BYTE,
    0x25: _BYTE,
    0x26: _PAIR,
    0x27: _FOUR,
    0x28: _BYTE,
    0x29: _BYTE,
    0x2A: _BYTE,
}


def _mqtt_properties(body: bytes, pos: int, fields: list[tuple[str, str]]) -> int:
    """Skips v5 properties, keeping user properties (0x26) and content type (0x03) as fields;
    returns the position after them, -1 if malformed."""
    length, pos = _remaining_length(body, pos)
    if length is None or pos + length > len(body):
        return -1
    end = pos + length
    while pos < end:
        kind = _PROPERTIES.get(body[pos])
        identifier = body[pos]
        pos += 1
        if kind is None:
            return -1
        if kind in (_BYTE, _TWO, _FOUR):
            pos += {_BYTE: 1, _TWO: 2, _FOUR: 4}[kind]
        elif kind == _VARINT:
            _, pos = _remaining_length(body, pos)
        elif kind in (_STRING, _BINARY):
            value, pos = _mqtt_bytes(body, pos)
            if value is None:
                return -1
            if identifier == 0x03:
                fields.append(("contentType", _text(value)))
        else:
            name, pos = _mqtt_string(body, pos)
            value_text, pos = _mqtt_string(body, pos)
            if name is None or value_text is None:
                return -1
            fields.append((name, value_text))
        if pos > end:
            return -1
    return end


def _remaining_length(data: bytes, pos: int) -> tuple[int | None, int]:
    value = shift = 0
    for _ in range(4):
        if pos >= len(data):
            return None, pos
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None, pos


def _mqtt_bytes(data: bytes, pos: int) -> tuple[bytes | None, int]:
    if pos + 2 > len(data):
        return None, pos
    size = int.from_bytes(data[pos : pos + 2], "big")
    if pos + 2 + size > len(data):
        return None, pos
    return data[pos + 2 : pos + 2 + size], pos + 2 + size


def _mqtt_string(data: bytes, pos: int) -> tuple[str | None, int]:
    raw, pos = _mqtt_bytes(data, pos)
    if raw is None:
        return None, pos
    try:
        return raw.decode("utf-8"), pos
    except UnicodeDecodeError:
        return None, pos


def _text(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")
