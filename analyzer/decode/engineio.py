"""Engine.IO and Socket.IO packets, in WebSocket messages and long-polling bodies.

Read after the protocol documents (https://socket.io/docs/v4/engine-io-protocol/,
https://socket.io/docs/v4/socket-io-protocol/, https://github.com/socketio/engine.io-protocol
branch ``v3``) and engine.io-parser 2.x (``lib/index.js``, the Engine.IO v3 encoder):

- A packet is an Engine.IO type digit (4 = message; 2 ping, 3 pong, 5 upgrade, 6 noop, 1 close),
  for a message a Socket.IO type digit (2 event, 3 ack, 5/6 binary event/ack with ``<n>-``
  attachments, 0 connect with an auth object), an optional ``/namespace,`` and ack id, then JSON.
- v4 polling bodies join packets with U+001E; a binary packet is ``b<base64>``.
- v3 polling bodies prefix each packet with ``<length>:``, the length counted as JavaScript's
  ``String.length`` (UTF-16 code units: an emoji counts 2). Other encoders count code points
  (python-engineio's ``len``) or UTF-8 bytes (Socket.IO 1.x encoded packets to UTF-8 first, the
  body then holds that UTF-8 re-encoded); all three are tried. A binary packet is
  ``b<type digit><base64>``.
- v3 binary polling bodies (XHR2): per packet ``0x00`` (text) or ``0x01`` (binary), the length as
  one byte per decimal digit, ``0xff``, then the packet (text as UTF-8; binary as its type byte
  and the data).
- Binary attachments follow their event packet; the event's JSON holds
  ``{"_placeholder": true, "num": k}`` where the k-th attachment belongs. Over WebSocket v3 a
  binary message starts with its Engine.IO type byte (``0x04``); v4 sends the bare data.

Pure parsers that return None where the text is no Engine.IO payload.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import NamedTuple

MAX_PACKETS = 10_000  # packets read from one body or message
MAX_PLACEHOLDERS = 100  # attachments one event may announce

_SOCKETIO = re.compile(r"([0-6])(?:(\d{1,6})-)?(?:(/[^,\[{]{0,200}),)?(\d{0,18})")
_LENGTH = re.compile(r"(\d{1,9}):")
_LENGTH_BYTES = re.compile(rb"(\d{1,9}):")
_LENGTH_UTF16 = re.compile(rb"((?:\d\x00){1,9}):\x00")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class Packet(NamedTuple):
    """One Socket.IO packet: its JSON text (may be "") and what names it; for a binary packet
    (an attachment in a polling body) its bytes."""

    kind: str  # "event", "ack", "connect", "control", "binary"
    event: str  # the event name of an event packet ("" otherwise)
    namespace: str
    payload: str
    attachments: int = 0  # binary events and acks: how many attachments follow
    data: bytes = b""


def socketio(text: str) -> list[Packet] | None:
    """The Socket.IO packets that carry something in a WebSocket message or polling body; ``[]``
    where all are control packets (ping "2", pong "3probe", connect "40"); None where ``text``
    is no Engine.IO payload."""
    if not text[:1].isdigit():
        return None
    records: list[str] | None
    polling = True
    if "\x1e" in text:
        records = [record for record in text.split("\x1e") if record]
        version = 4
    elif _LENGTH.match(text):
        records, version = length_prefixed(text), 3
    else:
        records, version, polling = [text], 4, False
    if records is None or len(records) > MAX_PACKETS:
        return None
    packets = []
    for record in records:
        packet = (
            binary_record(record, version)
            if polling and record[:1] == "b"
            else engineio_packet(record)
        )
        if packet is None:
            return None
        packets.append(packet)
    return [packet for packet in packets if packet.payload or packet.data]


def length_prefixed(text: str) -> list[str] | None:
    """The packets of an Engine.IO v3 text payload ``<len>:<packet>...``, the lengths read as
    UTF-16 code units, else as code points, else as UTF-8 bytes (see the module text); None
    where no reading covers ``text`` exactly."""
    if text.isascii():
        return _split_codepoints(text)  # every unit counts alike
    records = None
    if max(text) > "\uffff":  # astral characters: 2 UTF-16 units, 1 code point
        records = _split_encoded(text.encode("utf-16-le", "surrogatepass"), "utf-16-le")
    if records is None:
        records = _split_codepoints(text)
    if records is None:
        records = _split_encoded(text.encode("utf-8", "surrogatepass"), "utf-8")
    if records is None:
        return None
    return [_utf8_twice(record) for record in records]


def _split_codepoints(text: str) -> list[str] | None:
    records, pos = [], 0
    while pos < len(text):
        match = _LENGTH.match(text, pos)
        if match is None or len(records) >= MAX_PACKETS:
            return None
        size, start = int(match.group(1)), match.end()
        if size == 0 or start + size > len(text):
            return None
        records.append(text[start : start + size])
        pos = start + size
    return records


def _split_encoded(data: bytes, codec: str) -> list[str] | None:
    """Split ``data`` (the payload in ``codec``) by lengths counted in that codec's units."""
    width, length = (2, _LENGTH_UTF16) if codec == "utf-16-le" else (1, _LENGTH_BYTES)
    records, pos = [], 0
    while pos < len(data):
        match = length.match(data, pos)
        if match is None or len(records) >= MAX_PACKETS:
            return None
        size, start = int(match.group(1)[::width]) * width, match.end()
        if size == 0 or start + size > len(data):
            return None
        try:  # a length that cuts a character in two is a wrong reading
            records.append(data[start : start + size].decode(codec))
        except UnicodeDecodeError:
            return None
        pos = start + size
    return records


def _utf8_twice(record: str) -> str:
    """A packet that was UTF-8 encoded before the body was (Socket.IO 1.x): its text; any
    other packet as it is."""
    if record.isascii() or max(record) > "\xff":
        return record
    try:
        return record.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return record


def binary_record(record: str, version: int) -> Packet | None:
    """A binary packet of a polling body as base64 text: v3 ``b4<base64>``, v4 ``b<base64>``."""
    body = record[1:]
    if version == 3:
        if body[:1] not in ("4",):  # only message packets carry attachments
            return None
        body = body[1:]
    if not _BASE64.fullmatch(body):
        return None
    try:
        data = base64.b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return None
    return Packet("binary", "", "", "", 0, data)


def binary_payload(data: bytes) -> list[Packet] | None:
    """The packets of an Engine.IO v3 binary polling body (see the module text); None unless
    the records cover ``data`` exactly, each text record is an Engine.IO packet and at least
    one is."""
    packets: list[Packet] = []
    pos, texts = 0, 0
    while pos < len(data):
        if len(packets) >= MAX_PACKETS or data[pos] not in (0, 1):
            return None
        is_text = data[pos] == 0
        end = data.find(b"\xff", pos + 1, pos + 12)
        digits = data[pos + 1 : end]
        if end == -1 or not digits or any(digit > 9 for digit in digits):
            return None
        size = int("".join(str(digit) for digit in digits))
        record = data[end + 1 : end + 1 + size]
        if size == 0 or len(record) < size:
            return None
        pos = end + 1 + size
        if is_text:
            try:
                packet = engineio_packet(record.decode("utf-8"))
            except UnicodeDecodeError:
                return None
            texts += 1
        elif record[0] <= 6:
            packet = Packet("binary", "", "", "", 0, record[1:])
        else:
            return None
        if packet is None:
            return None
        packets.append(packet)
    if not texts:
        return None
    return [packet for packet in packets if packet.payload or packet.data]


def engineio_packet(record: str) -> Packet | None:
    """One Engine.IO packet as text; None where it is none."""
    kind = record[:1]
    if kind in ("2", "3", "5", "6", "1"):  # ping, pong (+ "probe"), upgrade, noop, close
        return Packet("control", "", "", "") if record[1:] in ("", "probe") else None
    if kind != "4":
        return None
    match = _SOCKETIO.match(record, 1)
    if match is None:
        return None
    sio_type, attachments, namespace, _ack = match.groups()
    payload = record[match.end() :]
    if payload and payload[0] not in "[{":
        return None
    count = int(attachments) if attachments else 0
    if sio_type in ("2", "5"):
        if not payload.startswith("["):
            return None
        return Packet("event", _event_name(payload), namespace or "", payload, count)
    if sio_type in ("3", "6"):
        if payload[:1] not in ("[", ""):
            return None
        return Packet("ack", "", namespace or "", payload, count)
    if sio_type in ("0", "4"):
        return Packet("connect", "", namespace or "", payload)
    return Packet("control", "", namespace or "", "") if not payload else None  # 1: disconnect


def _event_name(payload: str) -> str:
    match = re.match(r'\[\s*"([^"\\]{1,100})"', payload)
    return match.group(1) if match else ""


def placeholders(payload: str) -> dict[int, str]:
    """Where each attachment of a binary event belongs: {num: the key path of its
    ``{"_placeholder": true, "num": num}`` in the packet's JSON, as the walker writes paths
    (``1.photo``)}; {} where the JSON does not parse."""
    try:
        parsed = json.loads(payload)
    except (ValueError, RecursionError):
        return {}
    found: dict[int, str] = {}
    stack: list[tuple[object, str]] = [(parsed, "")]
    while stack and len(found) < MAX_PLACEHOLDERS:
        value, path = stack.pop()
        if isinstance(value, dict):
            num = value.get("num")
            if value.get("_placeholder") is True and type(num) is int and num >= 0:
                found.setdefault(num, path)
                continue
            items = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            continue
        stack.extend((item, f"{path}.{key}" if path else str(key)) for key, item in items)
    return found


def engineio_version(url: str) -> int | None:
    """The Engine.IO protocol version a URL asks for (``EIO=3`` in its query), else None."""
    match = re.search(r"[?&]EIO=(\d)(?:&|$)", url)
    return int(match.group(1)) if match else None
