"""Request bodies and WebSocket messages: from bytes on the wire to fields.

The content-encoding is undone first (with a cap; gzip, zstd and zlib are also recognised
without a header), then the body is parsed by its content type, or by sniffing when the type is
missing or generic: JSON (also behind a frame: Socket.IO, SignalR, XSSI guards, JSONP, STOMP),
NDJSON, form-urlencoded, multipart, protobuf (also gRPC, gRPC-web, MQTT, length-delimited), XML,
plist, plain text in its declared or detected charset, and raw deflate or brotli tried on binary
data nothing else reads. Whatever fails leaves a note; the prefix of a capped body is decoded as
far as it goes.
"""

from __future__ import annotations

import plistlib
import re
import xml.etree.ElementTree as ElementTree
from email.message import Message
from functools import lru_cache

from analyzer.decode import framed, framing
from analyzer.decode.blobs import is_printable, plain_types
from analyzer.decode.charset import codec_name, decode_text
from analyzer.decode.content import (
    CODINGS,
    DecodeError,
    decompress,
    sniff_coding,
    try_headerless,
)
from analyzer.decode.fields import join
from analyzer.decode.pairs import delimited_pairs
from analyzer.decode.protobuf import looks_like_protobuf, parse_message
from analyzer.decode.walker import Walker

MAX_RAW_CHARS = 256 * 1024  # raw text kept for known-value matching
# _parse's answer for a frame it recognised that carries nothing (a ping, an MQTT DISCONNECT):
# not kept as raw text either.
HANDLED = "\x00handled"
# Unambiguous (see walker._FORM): keys exclude "=" and "&", values exclude "&".
_FORM_BODY = re.compile(rb"[\w.\-\[\]%*+]+=[^&]*(?:&[\w.\-\[\]%*+]+(?:=[^&]*)?)*")
# What binary bodies that no decoder reads usually are, named in their note (file signatures).
_MAGIC = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP, WAV, AVI)"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x00\x00\x00", "an ISO media file (MP4, HEIC)"),
    (b"SQLite format 3", "an SQLite database"),
)


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
    # Codings are listed in the order applied; undo them in reverse.
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding not in CODINGS:
            budget.note(f"{location}: unknown content-encoding {coding!r}: read as it is")
            break
        room = budget.limits.max_decoded_bytes - budget.decoded_bytes
        try:
            data, complete = decompress(data, coding, max(room, 0))
        except DecodeError as error:
            # Exporters that decoded the body but kept the header leave it readable as it is.
            budget.note(
                f"{location}: {coding} body could not be decompressed ({error}): read as it is"
            )
            break
        if not complete and not truncated:
            budget.note(f"{location}: {coding} body cut short or over the size limit")
        if not budget.take_bytes(len(data)):
            return
        chain = join(chain, "gzip" if coding == "x-gzip" else coding)
    else:
        if not codings and (sniffed := sniff_coding(data)):
            data, chain = _sniffed(walker, data, sniffed, location, truncated)
    decode_payload(walker, data, content_type or "", location, prefix, chain, 0)


def _sniffed(
    walker: Walker, data: bytes, coding: str, location: str, truncated: bool
) -> tuple[bytes, str]:
    """A body compressed without a Content-Encoding header: (decompressed, chain), or the
    body as it is where its first bytes only looked like a signature."""
    budget = walker.budget
    room = budget.limits.max_decoded_bytes - budget.decoded_bytes
    try:
        out, complete = decompress(data, coding, max(room, 0))
    except DecodeError as error:
        if coding != "zlib":  # zlib's 2-byte signature is no proof; gzip's and zstd's are
            budget.note(f"{location}: {coding} signature but not decompressible ({error})")
        return data, ""
    if coding == "zlib" and not complete and not truncated:
        return data, ""
    if not complete and not truncated:
        budget.note(f"{location}: {coding} body cut short or over the size limit")
    if not budget.take_bytes(len(out)):
        return b"", ""
    return out, coding


def decode_payload(
    walker: Walker,
    data: bytes,
    content_type: str,
    location: str,
    prefix: str,
    chain: str,
    depth: int,
    default_charset: str | None = None,
) -> None:
    """Parse decompressed bytes by type (or by sniffing).

    Where no parser gets anything out, the bytes are kept as one raw text field, so that known
    values are still found in them (name rules skip raw fields). A parsed body is not kept raw
    as well: its values are all in fields, and scanning it twice would double the cost.
    ``default_charset`` (a codec name) applies where ``content_type`` declares none (a part of
    a multipart form that declared one).
    """
    if not data:
        return
    budget = walker.budget
    before = len(walker.fields)
    limit = budget.limits.max_decoded_bytes
    if len(data) > limit:
        # Parsed structures take several times their input in memory (a 100 MB protobuf body
        # took 700 MiB and minutes): past the decoded-bytes cap only a prefix is scanned, raw.
        budget.note(
            f"{location} {prefix}".rstrip() + f": {len(data)} bytes, over the {limit}-byte limit: "
            f"not parsed, the first {MAX_RAW_CHARS} scanned as text"
        )
        raw = data[:MAX_RAW_CHARS].decode("utf-8", "replace")
        walker.emit(location, prefix, "", raw, chain, raw=True)
        return
    mime, params = (_media_type_cached if len(content_type) <= 200 else _media_type)(content_type)
    charset = default_charset
    if "charset" in params:
        charset = codec_name(params["charset"])
        if charset is None:
            budget.note(f"{location}: unknown charset {params['charset'][:40]!r}: read as UTF-8")
    text = _parse(walker, data, mime, params, charset, location, prefix, chain, depth)
    if text is HANDLED:
        return
    if len(walker.fields) == before and not budget.exhausted:
        raw = (
            text[:MAX_RAW_CHARS]
            if text is not None
            else data[:MAX_RAW_CHARS].decode("utf-8", "replace")
        )
        if len(data) > MAX_RAW_CHARS:
            budget.note(
                f"{location} {prefix}".rstrip()
                + f": {len(data)} bytes not parsed: the first {MAX_RAW_CHARS} scanned as text"
            )
        elif text is None and not mime.startswith("multipart/"):
            budget.note(
                f"{location} {prefix}".rstrip()
                + f": {len(data)} bytes of {_binary_kind(data, mime)}, in no format read here "
                "(text, JSON, protobuf, gRPC, MQTT, compressed): scanned as raw bytes"
            )
        walker.emit(location, prefix, "", raw, chain, raw=True)


def _parse(
    walker: Walker,
    data: bytes,
    mime: str,
    params: dict[str, str],
    charset: str | None,
    location: str,
    prefix: str,
    chain: str,
    depth: int,
) -> str | None:
    """Emit what ``data`` holds; returns its text where it was read as text, :data:`HANDLED`
    for a frame read whole, else None (then the caller keeps the bytes as raw text)."""
    kind = _kind(mime, data)
    if kind == "multipart":
        boundary = params.get("boundary", "")
        _multipart(walker, data, boundary, charset, location, prefix, chain, depth)
        return None
    if kind == "grpc":
        found = framed.grpc_body(walker, data, mime, location, prefix, chain, depth)
        return HANDLED if found else None
    if kind == "protobuf":
        message = parse_message(data, max_depth=walker.budget.limits.max_depth)
        if message is None:
            walker.budget.note(f"{location}: not valid protobuf")
        else:
            walker.walk(message, location, prefix, "", join(chain, "protobuf"), depth + 1)
        return None
    if kind == "plist":
        _plist(walker, data, location, prefix, chain, depth)
        return None
    if data[:1].isupper() and (frames := framing.stomp(data)) is not None:
        framed.stomp_frames(walker, frames, location, prefix, join(chain, "stomp"), depth)
        return HANDLED
    # Binary frames whose payload may be text (an MQTT PUBLISH of JSON, gRPC frames of JSON):
    # a few header bytes would not stop them passing for text.
    if framed.binary_frames(walker, data, location, prefix, chain, depth):
        return HANDLED
    found = decode_text(data, charset, detect=False)
    if found is None or not is_printable(found.text):
        if _binary(walker, data, location, prefix, chain, depth):
            return None
        found = decode_text(data, charset, detect=True)  # a legacy charset, undeclared
        if found is None or not is_printable(found.text):
            return None
    text = found.text
    if found.charset:
        chain = join(chain, found.charset)
    if kind == "form" or (
        kind == "text"
        and _FORM_BODY.fullmatch(data.strip())
        and (b"&" in data or delimited_pairs(text.strip()) is None)  # a=1;b=2: pairs
    ):
        walker.form(text, location, prefix, join(chain, "form"), depth + 1, charset)
    elif kind == "xml" or (kind == "text" and text.lstrip().startswith("<")):
        _xml(walker, text, location, prefix, chain, depth)
    elif _text(walker, text, location, prefix, chain, depth, ndjson=kind == "ndjson"):
        return HANDLED
    return text


def _binary(
    walker: Walker, data: bytes, location: str, prefix: str, chain: str, depth: int
) -> bool:
    """Binary data of no declared type: protobuf (one message or length-delimited ones), or
    compressed without a signature. True when one of them read it."""
    budget = walker.budget
    if looks_like_protobuf(data):
        message = parse_message(data, max_depth=budget.limits.max_depth)
        if message is not None:
            walker.walk(message, location, prefix, "", join(chain, "protobuf"), depth + 1)
            return True
    messages = framing.delimited(data, budget.limits.max_depth)
    if messages is not None:
        step = join(chain, "delimited>protobuf")
        for index, message in enumerate(messages):
            sub = framed.indexed(prefix, index, len(messages))
            walker.walk(message, location, sub, "", step, depth + 1)
        return True
    if depth < budget.limits.max_depth:
        room = budget.limits.max_decoded_bytes - budget.decoded_bytes
        hidden = try_headerless(data, max(room, 0))
        if hidden is not None and _readable(hidden[0]):
            out, coding = hidden
            if budget.take_bytes(len(out)):
                decode_payload(walker, out, "", location, prefix, join(chain, coding), depth + 1)
            return True
    return False


def _readable(data: bytes) -> bool:
    """Output of raw deflate/brotli tried without a header: believed when it is text (UTF-8 or
    a legacy charset), or a protobuf message, as a real body would be."""
    found = decode_text(data, None, detect=True)
    if found is not None:
        return is_printable(found.text)
    return len(data) >= 8 and looks_like_protobuf(data) and parse_message(data) is not None


def _binary_kind(data: bytes, mime: str) -> str:
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    return f"{mime} data" if mime else "binary data"


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
    if mime.startswith(("application/grpc", "application/connect+")):
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
) -> bool:
    """Emit text by its form; True when it was a frame read whole (nothing to keep raw)."""
    if framed.text_frames(walker, text, location, prefix, chain, depth):
        return True
    stripped = text.strip()
    if not stripped:
        return True  # whitespace only: a heart-beat (STOMP's "\n"), nothing sent
    pairs = delimited_pairs(stripped)
    if pairs is not None:  # name:王芳;city:成都: each value a field under its key
        walker.pairs(pairs, location, prefix, join(chain, "pairs"), depth + 1)
        walker.emit(location, prefix, "", stripped, chain, raw=True)
        return False
    if not ndjson:
        before = len(walker.fields)
        walker.nested(stripped, location, prefix, "", chain, depth)
        if len(walker.fields) > before:
            return False
    lines = [line for line in stripped.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip()[:1] in "{[" for line in lines[:5]):
        for index, line in enumerate(lines):
            sub = f"{prefix}.{index}" if prefix else str(index)
            walker.nested(line.strip(), location, sub, "", chain, depth)
        return False
    walker.string(stripped, location, prefix, "", chain, depth)
    return False


def _multipart(
    walker: Walker,
    data: bytes,
    boundary: str,
    charset: str | None,
    location: str,
    prefix: str,
    chain: str,
    depth: int,
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
        headers = _part_headers(head, charset)
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
            default_charset=charset,
        )


def _part_headers(head: bytes, charset: str | None) -> dict[str, str]:
    # Browsers write field names and file names in the form's charset, unescaped.
    found = decode_text(head, charset, detect=True)
    text = found.text if found is not None else head.decode("utf-8", "backslashreplace")
    out: dict[str, str] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-type":
            out["content-type"] = value.strip()
        elif name == "content-disposition":
            for piece in value.split(";")[1:]:
                key, _, item = piece.strip().partition("=")
                out[key.strip().lower()] = item.strip().strip('"')
    return out


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
    walker.walk(plain_types(parsed), location, prefix, "", join(chain, "plist"), depth + 1)
