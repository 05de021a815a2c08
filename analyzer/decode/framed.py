"""Emitting what framings wrap: JSON behind Socket.IO, SignalR, XSSI and JSONP frames, SockJS and
STOMP frames, MQTT packets, gRPC frames. The parsers are in :mod:`analyzer.decode.framing`,
:mod:`analyzer.decode.engineio` and :mod:`analyzer.decode.mqtt`; payloads go back to
:func:`analyzer.decode.body.decode_payload`.
"""

from __future__ import annotations

import re

from analyzer.decode import body, engineio, framing, mqtt
from analyzer.decode.blobs import TOO_DEEP, json_value
from analyzer.decode.content import DecodeError, decompress, sniff_coding
from analyzer.decode.fields import join
from analyzer.decode.protobuf import looks_like_protobuf, parse_message
from analyzer.decode.walker import Walker

# A JSON array whose first string starts with a STOMP command line (``["SEND\ndest...``).
_STOMP_IN_ARRAY = re.compile(r'\[\s*"(?:\\[rn])*[A-Z]{3,11}\\[rn]')


def binary_frames(
    walker: Walker, data: bytes, location: str, prefix: str, chain: str, depth: int
) -> bool:
    """gRPC frames (their exact lengths are the signature), Engine.IO v3 binary polling bodies,
    and MQTT packets (where the flow offered the ``mqtt`` subprotocol or sent a CONNECT). True
    when one of them read ``data``."""
    first = data[0]
    frames = framing.grpc_frames(data) if first in (0, 1, 0x80) else None
    # Undeclared, the frames must prove themselves: all whole, each a protobuf message, JSON,
    # or compressed data with a signature.
    if frames is not None and all(
        not flags & 0x100
        and (
            sniff_coding(frame) is not None
            if flags & 1
            else not frame or frame[:1] in (b"{", b"[") or parse_message(frame) is not None
        )
        for flags, frame in frames
    ):
        json_payload = all(frame[:1] in (b"{", b"[") for flags, frame in frames if not flags & 1)
        _grpc_frames(walker, frames, "grpc", json_payload, location, prefix, chain, depth)
        return True
    if first < 2 and (packets := engineio.binary_payload(data)) is not None:
        socketio_packets(walker, packets, location, prefix, join(chain, "socketio"), depth)
        return True
    if first < 0x10 or first >= 0xF0:
        return False  # no MQTT packet type
    level = mqtt.mqtt_level(data)
    if level is not None:
        walker.mqtt_level = level
    elif walker.mqtt_level is None and "mqtt" not in walker.subprotocols:
        return False
    packets = mqtt.mqtt(data, walker.mqtt_level)
    if packets is None:
        return False
    _mqtt(walker, packets, location, prefix, join(chain, "mqtt"), depth)
    return True


def text_frames(
    walker: Walker, text: str, location: str, prefix: str, chain: str, depth: int
) -> bool:
    """JSON behind a frame prefix or in a wrapper (see :mod:`analyzer.decode.framing`)."""
    first = text[:1]
    if first.isdigit():
        packets = engineio.socketio(text)
        # Control packets alone ("2", "3probe", "40"): Engine.IO's in a WebSocket, a number
        # in a body.
        if packets is not None and (packets or location == "websocket"):
            socketio_packets(walker, packets, location, prefix, join(chain, "socketio"), depth)
            return True
        return False
    if first and first in "[amch" and (messages := _sockjs(text, location)) is not None:
        step = join(chain, "sockjs")
        for index, item in enumerate(messages):
            sub = indexed(prefix, index, len(messages))
            data = item.encode("utf-8", "surrogatepass")
            body.decode_payload(walker, data, "text/plain", location, sub, step, depth + 1)
        return True
    if first == "{" and "\x1e" in text:
        records = framing.signalr(text)
        if records is not None:
            step = join(chain, "signalr")
            for index, record in enumerate(records):
                sub = indexed(prefix, index, len(records))
                _json(walker, record, location, sub, "", step, depth + 1)
            return True
        return False
    if first in ")wf" and (guarded := framing.xssi_guard(text)) is not None:
        _json(walker, guarded, location, prefix, "", join(chain, "xssi"), depth + 1)
        return True
    if (first.isalpha() or first in "_$/") and (call := framing.jsonp(text)) is not None:
        callback, arguments = call
        parsed = json_value(arguments)
        if isinstance(parsed, list):
            value = parsed[0] if len(parsed) == 1 else parsed
            walker.walk(value, location, prefix, callback, join(chain, "jsonp>json"), depth + 1)
            return True
    return False


def _json(
    walker: Walker, text: str, location: str, prefix: str, key: str, chain: str, depth: int
) -> None:
    """JSON taken out of a frame; where it does not parse, the text itself (with a note)."""
    parsed = json_value(text) if text else None
    if parsed is None or parsed is TOO_DEEP:
        if text:
            walker.budget.note(f"{location} {prefix}".rstrip() + ": framed payload is no JSON")
            walker.string(text, location, prefix, key, chain, depth)
        return
    walker.walk(parsed, location, prefix, key, join(chain, "json"), depth)


def _sockjs(text: str, location: str) -> list[str] | None:
    """The messages of a SockJS frame worth naming so. A client's array of strings is claimed
    where one string is a STOMP frame, or, in a WebSocket message, where all are JSON texts or
    heart-beats; a plain JSON array of other strings is left to the JSON reader."""
    if text[:1] != "[":
        if location != "websocket" and text in ("o", "h"):
            return None
        return framing.sockjs(text)
    # JSON arrays are common bodies: parsed twice only where they may be SockJS.
    if not (location == "websocket" and text[:2] == '["') and not _STOMP_IN_ARRAY.match(text):
        return None
    messages = framing.sockjs(text)
    if not messages:
        return None
    stomp = [item[:1].isupper() and framing.stomp(item.encode()) is not None for item in messages]
    if any(stomp):
        return messages
    if location == "websocket" and all(
        item.strip()[:1] in ("{", "[") or not item.strip() for item in messages
    ):
        parsed = [json_value(item) for item in messages if item.strip()]
        if parsed and all(value is not None and value is not TOO_DEEP for value in parsed):
            return [item for item in messages if item.strip()]
    return None


def socketio_packets(
    walker: Walker,
    packets: list[engineio.Packet],
    location: str,
    prefix: str,
    chain: str,
    depth: int,
) -> None:
    """Emit Socket.IO packets: JSON arguments named by their event; a binary packet (an
    attachment in a polling body) decoded where its event's placeholder is."""
    carrying = [packet for packet in packets if packet.payload or packet.data]
    expected: list[str] = []  # where the next attachments belong
    for index, packet in enumerate(carrying):
        sub = indexed(prefix, index, len(carrying))
        if packet.kind == "binary":
            target = expected.pop(0) if expected else sub
            body.decode_payload(walker, packet.data, "", location, target, chain, depth + 1)
            continue
        if expected:
            walker.budget.note(f"{location} {sub}: Socket.IO attachments announced, not sent")
            expected = []
        # Event arguments are named by their event ("register"), for the name rules' context.
        _json(walker, packet.payload, location, sub, packet.event, chain, depth + 1)
        if packet.attachments:
            expected = attachment_paths(packet, sub)
    # A WebSocket sends attachments as messages of their own: see analyzer.decode.stream.
    if expected and location != "websocket":
        walker.budget.note(f"{location} {prefix}".rstrip() + ": Socket.IO attachments not sent")


def attachment_paths(packet: engineio.Packet, prefix: str) -> list[str]:
    """The paths where the attachments of a binary event or ack belong, in order: each
    placeholder's path under ``prefix`` (``msg4.1.photo``), ``<prefix>.attachmentN`` where
    the JSON names none."""
    count = min(packet.attachments, engineio.MAX_PLACEHOLDERS)
    spots = engineio.placeholders(packet.payload)
    paths = []
    for num in range(count):
        path = spots.get(num, f"attachment{num}")
        paths.append(f"{prefix}.{path}" if prefix else path)
    return paths


def stomp_frames(
    walker: Walker,
    frames: list[framing.Frame],
    location: str,
    prefix: str,
    chain: str,
    depth: int,
) -> None:
    for index, frame in enumerate(frames):
        sub = indexed(prefix, index, len(frames))
        content_type = ""
        parent = frame.command.lower()
        for name, value in frame.headers:
            if name.lower() == "content-type":
                content_type = value
            elif name.lower() not in ("content-length", "receipt", "id", "ack"):
                path = f"{sub}.{name}" if sub else name
                walker.string(value, location, path, name, chain, depth + 1, parent)
        if frame.body:
            body.decode_payload(walker, frame.body, content_type, location, sub, chain, depth + 1)


def _mqtt(
    walker: Walker,
    packets: list[mqtt.MqttPacket],
    location: str,
    prefix: str,
    chain: str,
    depth: int,
) -> None:
    carrying = [p for p in packets if p.fields or p.topic or p.payload]
    for index, packet in enumerate(carrying):
        sub = indexed(prefix, index, len(carrying))
        content_type = ""
        for name, value in packet.fields:
            if name == "contentType":
                content_type = value
            path = f"{sub}.{name}" if sub else name
            walker.string(value, location, path, name, chain, depth + 1, packet.kind)
        if packet.topic:
            path = f"{sub}.topic" if sub else "topic"
            walker.string(packet.topic, location, path, "topic", chain, depth + 1, packet.kind)
        if packet.payload:
            path = f"{sub}.payload" if sub else "payload"
            body.decode_payload(
                walker, packet.payload, content_type, location, path, chain, depth + 1
            )


def indexed(prefix: str, index: int, count: int) -> str:
    if count == 1:
        return prefix
    return f"{prefix}.{index}" if prefix else str(index)


def grpc_body(
    walker: Walker, data: bytes, mime: str, location: str, prefix: str, chain: str, depth: int
) -> bool:
    """A gRPC / gRPC-web(-text) / Connect body; False (with a note) where it holds no frames."""
    step = "grpc-web" if mime.startswith("application/grpc-web") else "grpc"
    if mime.startswith("application/grpc-web-text"):
        decoded = framing.grpc_web_text(data.decode("latin-1"))
        if decoded is None:
            walker.budget.note(f"{location}: gRPC-web-text body is not base64")
            return False
        data, chain = decoded, join(chain, "base64")
    frames = framing.grpc_frames(data)
    if frames is None:
        walker.budget.note(f"{location}: {mime} body is not length-prefixed gRPC frames")
        message = parse_message(data) if looks_like_protobuf(data) else None
        if message is None:
            return False
        walker.walk(message, location, prefix, "", join(chain, "protobuf"), depth + 1)
        return True
    json_payload = "json" in mime
    _grpc_frames(walker, frames, step, json_payload, location, prefix, chain, depth)
    return True


def _grpc_frames(
    walker: Walker,
    frames: list[tuple[int, bytes]],
    step: str,
    json_payload: bool,
    location: str,
    prefix: str,
    chain: str,
    depth: int,
) -> None:
    budget = walker.budget
    for index, (flags, frame) in enumerate(frames):
        if budget.exhausted:
            return
        sub = f"{prefix}.{index}" if prefix else str(index)
        frame_chain = join(chain, step)
        if flags & 0x100:
            budget.note(f"{location} {sub}: gRPC frame cut short: decoded its prefix")
        if flags & 0x80:  # trailers, as HTTP/1 header lines
            walker.emit(location, sub, "", frame.decode("utf-8", "replace"), frame_chain, raw=True)
            continue
        if flags & 1:
            coding = sniff_coding(frame) or "gzip"  # grpc-encoding is gzip unless it says
            try:
                frame, _ = decompress(frame, coding, budget.limits.max_decoded_bytes)
            except DecodeError:
                budget.note(f"{location} {sub}: gRPC frame in an unknown compression")
                continue
            frame_chain = join(frame_chain, coding)
        if json_payload:
            body.decode_payload(
                walker, frame, "application/json", location, sub, frame_chain, depth
            )
            continue
        message = parse_message(frame, max_depth=budget.limits.max_depth)
        if message is not None:
            walker.walk(message, location, sub, "", join(frame_chain, "protobuf"), depth + 1)
        else:
            body.decode_payload(walker, frame, "", location, sub, frame_chain, depth + 1)
