"""``--format har``: the session as HAR 1.2, for TrackHAR and other HAR tools.

Written entry by entry while flows stream from the store, so a session of any size fits in
constant memory. Bodies are stored as they came over the wire; HAR wants them decoded, so
content-encodings are undone here with an output cap (``analyzer.decode.content``), because a
captured body may be a decompression bomb.

Request bodies (docs/import.md has the forms other tools write and read):

- text (valid UTF-8, or valid in the declared charset: then ``_charset`` names it; not mostly
  control characters) is written as ``postData.text``, with ``params`` for a URL-encoded form,
  as Chrome and Firefox write them;
- anything else is base64 in ``text`` with ``encoding: "base64"``, the name HAR 1.2 gives the
  response's marker and the HAR 1.3 draft gives postData's (Reqable writes and reads it);
- a body whose content-coding was undone also keeps its bytes as sent, in
  ``_raw: {text, encoding: "base64", contentEncoding}``, so that ``leakmap import`` stores it
  as captured (and the report names the same encoding chain);
- a body the store kept only in part has ``_truncated: true`` and a comment.

``leakmap import`` reads all of this, and every form older leakmap versions wrote
(``_encoding: "base64"``). The session's steps are in ``log._leakmap.marks``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from analyzer import __version__
from analyzer.decode.content import DecodeError, decompress

DECODED_LIMIT = 8 * 1024 * 1024  # bytes of decoded body written per message
MAX_PARAMS = 10_000  # form fields listed in postData.params (the text has them all)
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "CONNECT"})


def write_har(store: Any, session: Any, out: IO[str]) -> int:
    """Write the session's flows as HAR 1.2 to ``out``; returns the number of entries."""
    from analyzer.store.marks import marks

    log_head = {
        "version": "1.2",
        "creator": {"name": "leakmap", "version": __version__},
        "comment": f"leakmap session {session.name}",
        "_leakmap": {
            "session": session.name,
            "app": session.app,
            "app_version": session.app_version,
            "device": session.device,
            "marks": [{"label": mark.label, "at": mark.at} for mark in marks(store, session.id)],
        },
    }
    head = json.dumps(log_head, ensure_ascii=False)
    out.write('{"log": ' + head[:-1] + ', "entries": [\n')
    messages = _Messages(store.websocket_messages(session.id))
    count = 0
    for flow in store.iter_flows(session.id):
        entry = har_entry(flow, messages.for_flow(flow.id) if flow.websocket else None)
        if count:
            out.write(",\n")
        out.write(json.dumps(entry, ensure_ascii=False))
        count += 1
    out.write("\n]}}\n")
    return count


def har_entry(flow: Any, websocket_messages: list[Any] | None = None) -> dict[str, Any]:
    request_headers = _headers(flow.request_headers)
    url = flow.url or ""
    total = _ms(flow.timestamp_start, flow.timestamp_end)
    request: dict[str, Any] = {
        "method": flow.method or "",
        "url": url,
        "httpVersion": flow.http_version or "",
        "cookies": _request_cookies(flow.request_headers),
        "headers": request_headers,
        "queryString": [
            {"name": name, "value": value}
            for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": flow.request_body_size or 0,
    }
    if flow.request_body is not None and (
        flow.request_body or (flow.method or "").upper() not in _NO_BODY_METHODS
    ):
        request["postData"] = _post_data(flow)
    entry: dict[str, Any] = {
        "startedDateTime": _iso(flow.timestamp_start),
        "time": total,
        "request": request,
        "response": _response(flow),
        "cache": {},
        "timings": {
            "blocked": -1,
            "dns": -1,
            "connect": -1,
            "ssl": -1,
            "send": 0,
            "wait": total,
            "receive": 0,
        },
        "_leakmap_flow_id": flow.id,
    }
    if flow.server_ip:
        entry["serverIPAddress"] = flow.server_ip
    if flow.error:
        entry["comment"] = f"error: {flow.error}"
    if websocket_messages is not None:
        entry["_resourceType"] = "websocket"
        entry["_webSocketMessages"] = [_websocket_message(m) for m in websocket_messages]
    return entry


def _post_data(flow: Any) -> dict[str, Any]:
    """postData of a stored request body: text where it is text, else base64 (marked)."""
    raw, coding = flow.request_body, flow.request_content_encoding
    mime = flow.request_content_type or ""
    charset = _charset(mime)
    text, encoded, _size = _body_text(raw, coding, charset)
    post: dict[str, Any] = {"mimeType": mime, "text": text}
    if encoded:
        post["encoding"] = "base64"
    elif charset and charset not in ("utf-8", "utf8") and not _is_utf8(raw, coding, text):
        post["_charset"] = charset  # the text is the body decoded by its declared charset
    elif mime.lower().startswith("application/x-www-form-urlencoded"):
        post["params"] = [
            {"name": name, "value": value}
            for name, value in parse_qsl(text, keep_blank_values=True)[:MAX_PARAMS]
        ]
    if _codings(coding) and decode_content(raw, coding) is not None:
        post["_raw"] = {
            "text": base64.b64encode(raw).decode("ascii"),
            "encoding": "base64",
            "contentEncoding": coding,
        }
    if flow.request_body_truncated:
        post["_truncated"] = True
        post["comment"] = f"leakmap kept {len(raw)} of the body's {flow.request_body_size} bytes"
    return post


def _codings(encoding: str | None) -> list[str]:
    return [
        c for c in (c.strip().lower() for c in (encoding or "").split(",")) if c and c != "identity"
    ]


def _response(flow: Any) -> dict[str, Any]:
    if flow.status_code is None:
        return {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": flow.error,
        }
    headers = _headers(flow.response_headers)
    content: dict[str, Any] = {"size": 0, "mimeType": flow.response_content_type or ""}
    if flow.response_body is not None:
        text, encoded, size = _body_text(flow.response_body, flow.response_content_encoding)
        content["text"] = text
        content["size"] = size
        if encoded:
            content["encoding"] = "base64"
        if flow.response_body_truncated:
            content["_truncated"] = True
    return {
        "status": flow.status_code,
        "statusText": "",
        "httpVersion": flow.http_version or "",
        "cookies": [],
        "headers": headers,
        "content": content,
        "redirectURL": _header(flow.response_headers, "location") or "",
        "headersSize": -1,
        "bodySize": flow.response_body_size if flow.response_body_size is not None else -1,
    }


def _websocket_message(message: Any) -> dict[str, Any]:
    content = message.content or b""
    out: dict[str, Any] = {
        "type": "send" if message.from_client else "receive",
        "time": message.timestamp,
        "opcode": 1 if message.is_text else 2,
    }
    try:
        out["data"] = content.decode("utf-8") if message.is_text else None
    except UnicodeDecodeError:  # a text frame that is not UTF-8 (hostile): its bytes, marked
        out["data"] = None
        out["encoding"] = "base64"
    if out["data"] is None:
        out["data"] = base64.b64encode(content).decode("ascii")
    return out


class _Messages:
    """WebSocket messages ordered by flow id, consumed alongside flows ordered by id."""

    def __init__(self, rows: Iterator[Any]) -> None:
        self._rows = rows
        self._next: Any = next(rows, None)

    def for_flow(self, flow_id: int) -> list[Any]:
        out = []
        while self._next is not None and (self._next.flow_id or 0) <= flow_id:
            if self._next.flow_id == flow_id:
                out.append(self._next)
            self._next = next(self._rows, None)
        return out


def decode_content(raw: bytes, encoding: str | None, limit: int = DECODED_LIMIT) -> bytes | None:
    """Undo a Content-Encoding chain, at most ``limit`` bytes out; None when it cannot be done."""
    data = raw
    for coding in reversed([c.strip() for c in (encoding or "").split(",") if c.strip()]):
        try:
            data, _complete = decompress(data, coding, limit)
        except DecodeError:
            return None
    return data


def _body_text(
    raw: bytes, encoding: str | None, charset: str | None = None
) -> tuple[str, bool, int]:
    """(text, base64-encoded?, decoded size) of a body as recorded: text where the body is
    UTF-8, or text in its declared ``charset`` that encodes back to the same bytes."""
    decoded = decode_content(raw, encoding)
    data = decoded if decoded is not None else raw
    if decoded is not None:
        for codec in ("utf-8", charset) if charset else ("utf-8",):
            try:
                text = data.decode(codec)
                if codec != "utf-8" and text.encode(codec) != data:
                    continue
            except (UnicodeError, LookupError):
                continue
            if not _mostly_binary(text):
                return text, False, len(data)
    return base64.b64encode(data).decode("ascii"), True, len(data)


def _is_utf8(raw: bytes, coding: str | None, text: str) -> bool:
    decoded = decode_content(raw, coding)
    return decoded is not None and text.encode("utf-8") == decoded


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def _mostly_binary(text: str) -> bool:
    sample = text[:512]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return controls > len(sample) // 10


def _headers(pairs: list[list[str]] | None) -> list[dict[str, str]]:
    return [{"name": str(p[0]), "value": str(p[1])} for p in pairs or () if len(p) == 2]


def _header(pairs: list[list[str]] | None, name: str) -> str | None:
    for pair in pairs or ():
        if len(pair) == 2 and str(pair[0]).lower() == name:
            return str(pair[1])
    return None


def _request_cookies(pairs: list[list[str]] | None) -> list[dict[str, str]]:
    cookies = []
    for pair in pairs or ():
        if len(pair) == 2 and str(pair[0]).lower() == "cookie":
            for part in str(pair[1]).split(";"):
                name, sep, value = part.strip().partition("=")
                if sep and name:
                    cookies.append({"name": name, "value": value})
    return cookies


def _ms(start: float | None, end: float | None) -> float:
    if start is None or end is None or end < start:
        return 0
    return round((end - start) * 1000, 3)


def _iso(timestamp: float | None) -> str:
    # HAR requires a date; a flow without one (rare, broken imports) gets the epoch.
    moment = datetime.fromtimestamp(timestamp or 0, UTC)
    return moment.isoformat(timespec="milliseconds")
