"""Request bodies and WebSocket messages: from bytes on the wire to fields.

The content-encoding is undone first (with a cap), then the body is parsed by its content type,
or by sniffing when the type is missing or generic: JSON, NDJSON, form-urlencoded, multipart,
protobuf (also gRPC frames), XML, plist, plain text. Whatever fails leaves a note; the prefix of a
capped body is decoded as far as it goes.
"""

from __future__ import annotations

import plistlib
import re
import xml.etree.ElementTree as ElementTree
from email.message import Message
from functools import lru_cache

from analyzer.decode.content import CODINGS, DecodeError, decompress, sniff_coding
from analyzer.decode.form import parse_form
from analyzer.decode.protobuf import looks_like_protobuf, parse_message
from analyzer.decode.walker import Walker, join, printable_text

MAX_RAW_CHARS = 256 * 1024  # raw text kept for known-value matching
# Unambiguous (see walker._FORM): keys exclude "=" and "&", values exclude "&".
_FORM_BODY = re.compile(rb"[\w.\-\[\]%*+]+=[^&]*(?:&[\w.\-\[\]%*+]+(?:=[^&]*)?)*")


def decode_body(
    walker: Walker,
    body: bytes,
    content_type: str | None,
    content_encoding: str | None,
    location: str = "body",
    prefix: str = "",
    truncated: bool = False,
) -> None:
    """Emit the fields of one body (or message) into ``walker``."""
    budget = walker.budget
    if truncated:
        budget.note(f"{location} {prefix or 'body'}: stored body was capped; decoded its prefix")
    chain = ""
    data = body
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    if not codings and sniff_coding(data):
        codings = [sniff_coding(data) or ""]
    # Codings are listed in the order applied; undo them in reverse.
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding not in CODINGS:
            budget.note(f"{location}: unknown content-encoding {coding!r}: not decoded")
            return
        room = budget.limits.max_decoded_bytes - budget.decoded_bytes
        try:
            data, complete = decompress(data, coding, max(room, 0))
        except DecodeError as error:
            budget.note(f"{location}: {coding} body could not be decompressed ({error})")
            return
        if not complete and not truncated:
            budget.note(f"{location}: {coding} body cut short or over the size limit")
        if not budget.take_bytes(len(data)):
            return
        chain = join(chain, "gzip" if coding == "x-gzip" else coding)
    decode_payload(walker, data, content_type or "", location, prefix, chain, 0)


def decode_payload(
    walker: Walker,
    data: bytes,
    content_type: str,
    location: str,
    prefix: str,
    chain: str,
    depth: int,
) -> None:
    """Parse decompressed bytes by type (or by sniffing).

    Where no parser gets anything out, the bytes are kept as one raw text field, so that known
    values are still found in them (name rules skip raw fields). A parsed body is not kept raw
    as well: its values are all in fields, and scanning it twice would double the cost.
    """
    if not data:
        return
    before = len(walker.fields)
    limit = walker.budget.limits.max_decoded_bytes
    if len(data) > limit:
        # Parsed structures take several times their input in memory (a 100 MB protobuf body
        # took 700 MiB and minutes): past the decoded-bytes cap only a prefix is scanned, raw.
        walker.budget.note(
            f"{location} {prefix}".rstrip() + f": {len(data)} bytes, over the {limit}-byte limit: "
            f"not parsed, the first {MAX_RAW_CHARS} scanned as text"
        )
        raw = data[:MAX_RAW_CHARS].decode("utf-8", "replace")
        walker.emit(location, prefix, "", raw, chain, raw=True)
        return
    mime, params = (_media_type_cached if len(content_type) <= 200 else _media_type)(content_type)
    # The whole text, not a prefix: a JSON body of 300 KB cut at MAX_RAW_CHARS does not parse.
    text = printable_text(data) if not mime.startswith("multipart/") else None
    _parse(walker, data, text, mime, params, location, prefix, chain, depth)
    if len(walker.fields) == before and not walker.budget.exhausted:
        raw = (
            text[:MAX_RAW_CHARS]
            if text is not None
            else data[:MAX_RAW_CHARS].decode("utf-8", "replace")
        )
        if len(data) > MAX_RAW_CHARS:
            walker.budget.note(
                f"{location} {prefix}".rstrip()
                + f": {len(data)} bytes not parsed: the first {MAX_RAW_CHARS} scanned as text"
            )
        walker.emit(location, prefix, "", raw, chain, raw=True)


def _parse(
    walker: Walker,
    data: bytes,
    text: str | None,
    mime: str,
    params: dict[str, str],
    location: str,
    prefix: str,
    chain: str,
    depth: int,
) -> None:
    kind = _kind(mime, data)
    if kind == "multipart":
        _multipart(walker, data, params.get("boundary", ""), location, prefix, chain, depth)
    elif kind == "grpc":
        _grpc(walker, data, location, prefix, chain, depth)
    elif kind == "protobuf":
        message = parse_message(data, max_depth=walker.budget.limits.max_depth)
        if message is None:
            walker.budget.note(f"{location}: not valid protobuf")
        else:
            walker.walk(message, location, prefix, "", join(chain, "protobuf"), depth + 1)
    elif kind == "plist":
        _plist(walker, data, location, prefix, chain, depth)
    elif text is None:
        if looks_like_protobuf(data) and (message := parse_message(data)) is not None:
            walker.walk(message, location, prefix, "", join(chain, "protobuf"), depth + 1)
    elif kind == "form" or (kind == "text" and _FORM_BODY.fullmatch(data.strip())):
        items = parse_form(text)
        walker.pairs(items, location, prefix, join(chain, "form"), depth + 1)
    elif kind == "xml" or (kind == "text" and text.lstrip().startswith("<")):
        _xml(walker, text, location, prefix, chain, depth)
    else:
        _text(walker, text, location, prefix, chain, depth, ndjson=kind == "ndjson")


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    message = Message()
    message["content-type"] = content_type[:1000]
    params = {str(k).lower(): str(v) for k, v in message.get_params(failobj=[])[1:]}
    return message.get_content_type().lower() if content_type else "", params


# A session sends a handful of content types; the result is only read.
_media_type_cached = lru_cache(maxsize=1024)(_media_type)


def _kind(mime: str, data: bytes) -> str:
    if mime.startswith("multipart/"):
        return "multipart"
    if mime.startswith("application/grpc"):
        return "grpc"
    if "protobuf" in mime or mime.endswith("+proto") or mime == "application/x-google-protobuf":
        return "protobuf"
    if "plist" in mime or data[:8] == b"bplist00":
        return "plist"
    if "x-www-form-urlencoded" in mime:
        return "form"
    if "ndjson" in mime or "jsonl" in mime or "json-seq" in mime:
        return "ndjson"
    if mime.endswith("xml"):
        return "xml"
    return "text"  # JSON, text/plain, octet-stream and unknown: sniffed from the content


def _text(
    walker: Walker, text: str, location: str, prefix: str, chain: str, depth: int, ndjson: bool
) -> None:
    stripped = text.strip()
    if not ndjson:
        before = len(walker.fields)
        walker.nested(stripped, location, prefix, "", chain, depth)
        if len(walker.fields) > before:
            return
    lines = [line for line in stripped.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip()[:1] in "{[" for line in lines[:5]):
        for index, line in enumerate(lines):
            sub = f"{prefix}.{index}" if prefix else str(index)
            walker.nested(line.strip(), location, sub, "", chain, depth)
        return
    walker.string(stripped, location, prefix, "", chain, depth)


def _multipart(
    walker: Walker, data: bytes, boundary: str, location: str, prefix: str, chain: str, depth: int
) -> None:
    if not boundary:
        match = re.match(rb"--([^\r\n]{1,200})\r?\n", data)
        if not match:
            walker.budget.note(f"{location}: multipart body without boundary")
            return
        boundary = match.group(1).decode("latin-1")
    delimiter = b"--" + boundary.encode("latin-1")
    for index, part in enumerate(data.split(delimiter)[1:]):
        if part.startswith(b"--") or walker.budget.exhausted:
            break
        head, _, content = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        if not _:
            head, _, content = part.lstrip(b"\n").partition(b"\n\n")
        content = content.removesuffix(b"\r\n").removesuffix(b"\n")
        headers = _part_headers(head)
        name = headers.get("name") or f"part{index}"
        sub = f"{prefix}.{name}" if prefix else name
        if headers.get("filename"):
            walker.emit(location, f"{sub}.filename", "filename", headers["filename"], chain)
        decode_payload(
            walker,
            content,
            headers.get("content-type", ""),
            location,
            sub,
            join(chain, "multipart"),
            depth + 1,
        )


def _part_headers(head: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-type":
            out["content-type"] = value.strip()
        elif name == "content-disposition":
            for piece in value.split(";")[1:]:
                key, _, item = piece.strip().partition("=")
                out[key.strip().lower()] = item.strip().strip('"')
    return out


def _grpc(walker: Walker, data: bytes, location: str, prefix: str, chain: str, depth: int) -> None:
    # gRPC frames: 1 byte compressed flag, 4 bytes big-endian length, then a protobuf message.
    pos, index = 0, 0
    while pos + 5 <= len(data) and not walker.budget.exhausted:
        compressed, size = data[pos], int.from_bytes(data[pos + 1 : pos + 5], "big")
        frame = data[pos + 5 : pos + 5 + size]
        pos += 5 + size
        step = join(chain, "grpc")
        if compressed:
            try:
                frame, _ = decompress(frame, "gzip", walker.budget.limits.max_decoded_bytes)
            except DecodeError:
                walker.budget.note(f"{location}: gRPC frame in an unknown compression")
                continue
            step = join(step, "gzip")
        message = parse_message(frame)
        if message is not None:
            sub = f"{prefix}.{index}" if prefix else str(index)
            walker.walk(message, location, sub, "", join(step, "protobuf"), depth + 1)
        index += 1


def _xml(walker: Walker, text: str, location: str, prefix: str, chain: str, depth: int) -> None:
    if "<!ENTITY" in text or "<!DOCTYPE" in text:
        # Entity expansion is how XML bombs work; such documents are scanned as text only.
        walker.budget.note(f"{location}: XML with a DOCTYPE: not parsed")
        walker.string(text, location, prefix, "", chain, depth)
        return
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        walker.budget.note(f"{location}: malformed XML: scanned as text")
        walker.string(text, location, prefix, "", chain, depth)
        return
    if root.tag == "plist":
        _plist(walker, text.encode("utf-8"), location, prefix, chain, depth)
        return
    step = join(chain, "xml")
    stack: list[tuple[ElementTree.Element, str]] = [(root, prefix)]
    while stack and not walker.budget.exhausted:
        element, path = stack.pop()
        tag = element.tag.rsplit("}", 1)[-1]
        here = f"{path}.{tag}" if path else tag
        for name, value in element.attrib.items():
            name = name.rsplit("}", 1)[-1]
            walker.string(value, location, f"{here}.{name}", name, step, depth + 1, tag)
        if element.text and element.text.strip():
            parent = path.rsplit(".", 1)[-1] if path else ""
            walker.string(element.text.strip(), location, here, tag, step, depth + 1, parent)
        stack.extend((child, here) for child in reversed(element))


def _plist(walker: Walker, data: bytes, location: str, prefix: str, chain: str, depth: int) -> None:
    try:
        parsed = plistlib.loads(data)
    except Exception:
        walker.budget.note(f"{location}: malformed plist")
        return
    walker.walk(_plain(parsed), location, prefix, "", join(chain, "plist"), depth + 1)


def _plain(obj: object) -> object:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, str | int | float | bool | bytes):
        return obj
    return str(obj)
