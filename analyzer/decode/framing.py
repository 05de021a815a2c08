"""Frames around a payload: what a body or WebSocket message wraps its JSON or protobuf in.

Pure parsers, each returning None where its framing does not fit exactly (so that the caller
tries the next), for :mod:`analyzer.decode.body` to emit. Each names its framing as a step of
the encoding chain (``websocket>socketio>json``):

- ``socketio``: Engine.IO / Socket.IO packets (v3 and v4, WebSocket messages and polling
  bodies), in :mod:`analyzer.decode.engineio`.
- ``sockjs``: SockJS frames (https://github.com/sockjs/sockjs-protocol, version 0.3.3): a client
  sends a JSON array of strings, a server ``o`` (open), ``h`` (heart-beat), ``a[...]`` (array of
  messages), ``m"..."`` (one message), ``c[code,"reason"]`` (close); each string is a message of
  the protocol above it, usually a STOMP frame (Spring) or JSON (Vert.x event bus).
- ``signalr``: JSON hub protocol records, each ended by U+001E (ASP.NET Core SignalR,
  https://github.com/dotnet/aspnetcore/blob/main/src/SignalR/docs/specs/HubProtocol.md).
- ``xssi``: anti-hijacking guards before JSON: ``)]}'``, ``while(1);``, ``for(;;);``.
- ``jsonp``: ``callback({...});``, also ``/**/ typeof cb === 'function' && cb(...)``.
- ``stomp``: STOMP 1.0-1.2 frames, a command line, ``name:value`` headers, a blank line, the
  body and NUL (https://stomp.github.io/stomp-specification-1.2.html).
- ``mqtt``: MQTT control packets, in :mod:`analyzer.decode.mqtt`.
- ``grpc``/``grpc-web``: messages of 1 flag byte and a 4-byte big-endian length (gRPC over HTTP/2,
  https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md; gRPC-web,
  https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md, whose ``-text`` form is base64
  of the same frames, chunk by chunk).
- ``delimited``: protobuf messages each prefixed by its varint length (Java's
  ``writeDelimitedTo``, many SDKs' event batches).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import NamedTuple

from analyzer.decode.protobuf import parse_message

MAX_FRAMES = 10_000  # frames, packets or records read from one body or message

# --- text framings --------------------------------------------------------------------------

_XSSI = (")]}',", ")]}'", "while(1);", "while (1);", "for(;;);", "for (;;);")
_JSONP = re.compile(
    r"\s*(?:/\*\*/\s*)?"
    r"(?:typeof\s+[A-Za-z_$][\w$.]{0,99}\s*={2,3}\s*['\"]function['\"]\s*&&\s*)?"
    r"([A-Za-z_$][\w$]{0,99}(?:\.[A-Za-z_$][\w$]{0,99}){0,9})\s*\("
)
_SOCKJS_CONTROL = frozenset({"o", "h"})
_STOMP_COMMANDS = frozenset(
    {
        b"CONNECT",
        b"STOMP",
        b"SEND",
        b"SUBSCRIBE",
        b"UNSUBSCRIBE",
        b"BEGIN",
        b"COMMIT",
        b"ABORT",
        b"ACK",
        b"NACK",
        b"DISCONNECT",
        b"MESSAGE",
        b"CONNECTED",
        b"RECEIPT",
        b"ERROR",
    }
)
_STOMP_ESCAPES = {"\\r": "\r", "\\n": "\n", "\\c": ":", "\\\\": "\\"}
_STOMP_ESCAPE = re.compile(r"\\[rnc\\]")


class Frame(NamedTuple):
    """One STOMP frame."""

    command: str
    headers: list[tuple[str, str]]
    body: bytes


def xssi_guard(text: str) -> str | None:
    """The JSON after an anti-XSSI guard, or None when ``text`` starts with none."""
    for guard in _XSSI:
        if text.startswith(guard):
            return text[len(guard) :].lstrip()
    return None


def jsonp(text: str) -> tuple[str, str] | None:
    """(callback name, the JSON array of its arguments) for a JSONP call, else None."""
    stripped = text.rstrip().removesuffix(";").rstrip()
    if not stripped.endswith(")"):
        return None
    match = _JSONP.match(stripped)
    if match is None:
        return None
    inner = stripped[match.end() : -1].strip()
    return match.group(1), f"[{inner}]"


def signalr(text: str) -> list[str] | None:
    """The records of a SignalR JSON hub message (each ends with U+001E), else None."""
    if not text.endswith("\x1e") or text[:1] != "{":
        return None
    records = [record for record in text.split("\x1e") if record.strip()]
    if not records or len(records) > MAX_FRAMES or any(r.lstrip()[:1] != "{" for r in records):
        return None
    return records


def sockjs(text: str) -> list[str] | None:
    """The messages of a SockJS frame (see the module text): the strings of a client's array or
    of a server's ``a``/``m`` frame, the reason of a ``c`` frame, ``[]`` for ``o`` and ``h``;
    None unless ``text`` is exactly one such frame."""
    if text in _SOCKJS_CONTROL:
        return []
    first = text[:1]
    if first == "[" or (first == "a" and text[1:2] == "["):
        parsed = _json_or_none(text if first == "[" else text[1:])
        if isinstance(parsed, list) and parsed and all(type(item) is str for item in parsed):
            return parsed[:MAX_FRAMES]
        return None
    if first == "m" and text[1:2] == '"':
        parsed = _json_or_none(text[1:])
        return [parsed] if isinstance(parsed, str) else None
    if first == "c" and text[1:2] == "[":
        parsed = _json_or_none(text[1:])
        if (
            isinstance(parsed, list)
            and len(parsed) == 2
            and type(parsed[0]) is int
            and type(parsed[1]) is str
        ):
            return [parsed[1]] if parsed[1] else []
    return None


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def stomp(data: bytes) -> list[Frame] | None:
    """The STOMP frames of a body or message; None unless it starts with a STOMP command line
    followed by headers and a NUL-terminated body (heart-beat line breaks between frames)."""
    command = data[: data.find(b"\n")].rstrip(b"\r") if b"\n" in data[:16] else b""
    if command not in _STOMP_COMMANDS:
        return None
    frames: list[Frame] = []
    pos = 0
    while pos < len(data) and len(frames) < MAX_FRAMES:
        while pos < len(data) and data[pos] in b"\r\n":
            pos += 1  # heart-beats
        if pos >= len(data):
            break
        frame, pos = _stomp_frame(data, pos)
        if frame is None:
            return None
        frames.append(frame)
    return frames or None


def _stomp_frame(data: bytes, pos: int) -> tuple[Frame | None, int]:
    head_end = data.find(b"\n\n", pos)
    crlf_end = data.find(b"\r\n\r\n", pos)
    if crlf_end != -1 and (head_end == -1 or crlf_end < head_end):
        head, body_start = data[pos:crlf_end], crlf_end + 4
    elif head_end != -1:
        head, body_start = data[pos:head_end], head_end + 2
    else:
        return None, pos
    lines = head.decode("utf-8", "backslashreplace").splitlines()
    command = lines[0].strip()
    if command.encode() not in _STOMP_COMMANDS:
        return None, pos
    headers = []
    length = None
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            return None, pos
        if command not in ("CONNECT", "CONNECTED"):
            name, value = _stomp_unescape(name), _stomp_unescape(value)
        headers.append((name, value))
        if name.lower() == "content-length" and value.strip().isdigit() and length is None:
            length = int(value.strip())
    if length is not None and body_start + length <= len(data):
        body, end = data[body_start : body_start + length], body_start + length
        end = end + 1 if data[end : end + 1] == b"\x00" else end
    else:
        nul = data.find(b"\x00", body_start)
        body, end = (data[body_start:nul], nul + 1) if nul != -1 else (data[body_start:], len(data))
    return Frame(command, headers, body), end


def _stomp_unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _STOMP_ESCAPE.sub(lambda match: _STOMP_ESCAPES[match.group(0)], text)


# --- binary framings ------------------------------------------------------------------------


def grpc_frames(data: bytes) -> list[tuple[int, bytes]] | None:
    """(flags, message) of each length-prefixed gRPC / gRPC-web / Connect frame; None unless
    the frames cover ``data`` exactly (a capped body's cut last frame is kept, marked by its
    flags | 0x100) and the flags are ones these protocols use (0, 1 compressed, 0x80
    trailers)."""
    frames = []
    pos = 0
    while pos < len(data):
        if len(frames) >= MAX_FRAMES or pos + 5 > len(data) or data[pos] not in (0, 1, 0x80):
            return None
        flags, size = data[pos], int.from_bytes(data[pos + 1 : pos + 5], "big")
        frame = data[pos + 5 : pos + 5 + size]
        if len(frame) < size:
            flags |= 0x100
        frames.append((flags, frame))
        pos += 5 + size
    return frames or None


def grpc_web_text(text: str) -> bytes | None:
    """The frames of ``application/grpc-web-text``: base64, where each chunk a client flushed
    carries its own padding (so chunks are decoded one by one)."""
    chunks = re.findall(r"[A-Za-z0-9+/]+={0,2}", text.strip())
    if not chunks or sum(len(chunk) for chunk in chunks) != len("".join(text.split())):
        return None
    try:
        return b"".join(base64.b64decode(chunk + "=" * (-len(chunk) % 4)) for chunk in chunks)
    except (binascii.Error, ValueError):
        return None


def delimited(data: bytes, max_depth: int) -> list[dict[str, list[object]]] | None:
    """Protobuf messages each prefixed by its varint length, covering ``data`` exactly (at
    least two, or one that fills all but its prefix); None otherwise."""
    messages = []
    pos = 0
    while pos < len(data):
        if len(messages) >= MAX_FRAMES:
            return None
        size = shift = 0
        while True:
            if pos >= len(data) or shift > 28:
                return None
            byte = data[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
        if size == 0 or pos + size > len(data):
            return None
        message = parse_message(data[pos : pos + size], max_depth=max_depth)
        if message is None:
            return None
        messages.append(message)
        pos += size
    return messages or None
