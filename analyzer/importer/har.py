"""HAR 1.2 files, as the real exporters write them (docs/import.md has the table by exporter).

The file is parsed whole (HAR is one JSON document), within a size limit. Each entry becomes a
flow record with its request body recovered byte for byte where the exporter's form allows
(:mod:`analyzer.importer.harbody`), its WebSocket messages, or, for a CONNECT entry or one
without a scheme (``host:443``), a connection or TLS failure of that host
(:mod:`analyzer.importer.tunnels`).

Only what breaks the request side or the file's structure rejects a file, with a message naming
the entry by number and URL; anything else that keeps bytes from detection (a response body
marked base64 that is not, a body the exporter left out) becomes an import note.
"""

from __future__ import annotations

import json
import math
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from analyzer.errors import LeakmapError
from analyzer.importer import harbody, harparts, sniff, timestamps, tunnels
from analyzer.importer.notes import ImportNotes, entry_ref
from analyzer.store import records as rec
from analyzer.store.marks import MAX_LABEL_CHARS

NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss"})


class EntryError(ValueError):
    """An entry whose request side cannot be read: the file is refused, naming the entry."""


def har_records(path: Path, limit: int, notes: ImportNotes) -> Iterator[rec.Record | None]:
    """Records of a HAR file (None for an entry that is not network traffic, e.g. ``data:``).

    ``limit`` is the most bytes read or decompressed. Raises
    LeakmapError (one line, naming the file and, for a broken request, the entry).
    """
    har = load_har(path, limit, notes)
    log = har.get("log") if isinstance(har, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise LeakmapError(f"{path}: not a HAR file: {sniff.describe_json(har)}")
    assert isinstance(log, dict)
    notes.steps.extend(_own_steps(log))
    notes.session_fields.update(_own_session_fields(log))
    reader = _HarReader(log, notes)
    for number, entry in enumerate(entries, start=1):
        try:
            yield from reader.entry(number, entry)
        except (EntryError, KeyError, TypeError, ValueError, AttributeError) as error:
            ref = _safe_ref(number, entry)
            detail = str(error)[:160]
            if not isinstance(error, EntryError):
                detail = f"{type(error).__name__}: {detail}"
            ref = ref.removeprefix(f"entry {number}").strip()  # "(POST https://...)" or ""
            raise LeakmapError(
                f"{path}: HAR entry {number} is malformed{' ' + ref if ref else ''}: {detail}"
            ) from None
    yield from tunnels.tls_error_records(log.get("_tlsErrors"), notes)


def load_har(path: Path, limit: int, notes: ImportNotes) -> Any:
    """The parsed JSON of a HAR file: plain, gzip or zlib (.zhar), in UTF-8/16/32 with or
    without a BOM. Bytes that are not UTF-8 are kept (as surrogate escapes) and noted."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise LeakmapError(
                f"{path}: HAR of {size >> 20} MiB is over the {limit >> 20} MiB limit "
                "(split it, or import a .mitm dump, which streams)"
            )
        data = path.read_bytes()
    except OSError as error:
        raise LeakmapError(f"{path}: {error.strerror or error}") from None
    compressed = sniff.compression_of(data[:2])
    if compressed:
        data = _decompress(path, data, limit)
    text = _decode_text(path, data, notes, compressed)
    try:
        # strict=False: raw control characters in strings, as exporters writing bytes leave them
        return json.loads(text, strict=False)
    except RecursionError:
        raise LeakmapError(f"{path}: JSON too deeply nested to be a HAR file") from None
    except json.JSONDecodeError as error:
        raise LeakmapError(
            f"{path}: not valid JSON at line {error.lineno} column {error.colno} ({error.msg})"
        ) from None


def _decompress(path: Path, data: bytes, limit: int) -> bytes:
    wbits = 31 if data[:2] == b"\x1f\x8b" else 15
    decompressor = zlib.decompressobj(wbits)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error as error:
        raise LeakmapError(f"{path}: compressed HAR cannot be decompressed ({error})") from None
    if len(out) > limit or decompressor.unconsumed_tail:
        raise LeakmapError(f"{path}: compressed HAR expands beyond {limit >> 20} MiB")
    if not decompressor.eof:
        raise LeakmapError(
            f"{path}: compressed HAR cannot be decompressed (truncated compressed data)"
        )
    return out


def _decode_text(path: Path, data: bytes, notes: ImportNotes, compressed: str | None) -> str:
    found = sniff.text_encoding(data[:4])
    codec, skip = found if found else ("utf-8", 0)
    body = data[skip:]
    if not sniff.looks_like_json(body[:64].decode(codec, "replace")):
        what = sniff.describe(data[: sniff.HEAD_BYTES])
        inside = f"{compressed}-compressed, holding " if compressed else ""
        raise LeakmapError(f"{path}: not a HAR file ({inside}{what})")
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        if codec != "utf-8":
            raise LeakmapError(f"{path}: HAR is not valid {codec.upper()} text") from None
    text = body.decode("utf-8", "surrogateescape")
    bad = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    notes.add(
        f"{bad} byte(s) of the file are not UTF-8 (as some exporters write raw bytes): bodies "
        "keep them as bytes, other fields show them as \\xNN escapes"
    )
    return text


class _HarReader:
    """Turns entries into records, with what the whole log says (exporter, decrypted hosts)."""

    def __init__(self, log: dict[str, Any], notes: ImportNotes) -> None:
        self.exporter = harbody.Exporter(log.get("creator"))
        self.notes = notes
        self.decrypted = tunnels.decrypted_targets(log.get("entries") or [])

    def entry(self, number: int, entry: Any) -> Iterator[rec.Record | None]:
        if not isinstance(entry, dict):
            raise EntryError("an entry is not an object")
        request = entry.get("request")
        if not isinstance(request, dict):
            raise EntryError("no request object")
        url, method = request.get("url"), request.get("method")
        if not isinstance(url, str) or not url.strip():
            raise EntryError("request.url is not a text")
        if not isinstance(method, str) or not method:
            raise EntryError("request.method is not a text")
        ref = entry_ref(number, method, url)
        started = _started(entry, ref, self.notes)
        if tunnels.is_tunnel(method, url):
            yield tunnels.tunnel_record(entry, url, started, self.decrypted, self.notes, ref)
            return
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in NETWORK_SCHEMES:
            what = f"{scheme}: URLs" if scheme else "URLs without a scheme"
            self.notes.add(f"entries with {what} are not network traffic: skipped", ref)
            yield None
            return
        url, notes = harparts.url_with_query_string(url, request.get("queryString"))
        for note in notes:
            self.notes.add(note, ref)
        parts = urlsplit(url)
        yield from self._flow(entry, request, url, method, parts, started, ref)

    def _flow(
        self,
        entry: dict[str, Any],
        request: dict[str, Any],
        url: str,
        method: str,
        parts: Any,
        started: float | None,
        ref: str,
    ) -> Iterator[rec.Record]:
        scheme = parts.scheme.lower()
        headers = _headers(request.get("headers"), self.notes, ref, "request")
        headers, notes = harparts.cookie_header(headers, request.get("cookies"))
        for note in notes:
            self.notes.add(note, ref)
        header_type = _header(headers, b"content-type")
        body = self._request_body(request, headers, header_type, ref)
        try:
            port = parts.port or (443 if scheme in ("https", "wss") else 80)
        except ValueError:
            self.notes.add("URL with an invalid port: port not kept", ref)
            port = None
        host = parts.hostname or _host_header(headers)
        server_ip = tunnels.server_address(entry.get("serverIPAddress"), self.notes, ref)
        response = entry.get("response")
        status, response_headers, response_body, response_error = _response(
            response, self.notes, ref
        )
        duration = entry.get("time")
        ended = None
        if started is not None and isinstance(duration, int | float) and duration >= 0:
            ended = started + duration / 1000.0
        messages = entry.get("_webSocketMessages")
        mitm_id = str(uuid.uuid4())
        error = entry.get("_error") or response_error
        yield rec.FlowRecord(
            mitm_id=mitm_id,
            client_ip=None,
            client_port=None,
            server_ip=server_ip,
            server_port=port if server_ip else None,
            host=host,
            sni=host if scheme in ("https", "wss") and host and not tunnels.is_ip(host) else None,
            scheme=scheme,
            method=method,
            url=url,
            http_version=_http_version(request.get("httpVersion")),
            status_code=status,
            timestamp_start=started,
            timestamp_end=ended,
            request_headers=headers,
            request_body=body.data,
            response_headers=response_headers,
            response_body=response_body,
            websocket=isinstance(messages, list) and bool(messages),
            bodies_decoded=True,
            request_coding=body.coding,
            request_content_type=body.content_type,
            error=error if isinstance(error, str) and error else None,
        )
        if isinstance(messages, list):
            for message in messages:
                record = self._message(mitm_id, message, ref)
                if record is not None:
                    yield record

    def _request_body(
        self,
        request: dict[str, Any],
        headers: rec.RawHeaders,
        header_type: str | None,
        ref: str,
    ) -> harbody.Body:
        body, notes = request_body(request, header_type, self.exporter)
        coding = _header(headers, b"content-encoding")
        if body.data and coding and body.coding is None:
            kept, note = harbody.still_compressed(body.data, coding)
            if kept:
                body.coding = coding
            if note:
                notes.append(note)
        if body.content_type is None and header_type is None:
            post = request.get("postData")
            mime = post.get("mimeType") if isinstance(post, dict) else None
            if isinstance(mime, str) and mime.strip():
                body.content_type = mime.strip()
        for note in notes:
            self.notes.add(note, ref)
        return body

    def _message(self, mitm_id: str, message: Any, ref: str) -> rec.WebSocketRecord | None:
        if not isinstance(message, dict):
            self.notes.add("WebSocket message that is not an object: skipped", ref)
            return None
        data = message.get("data")
        if data is None:
            data = ""
        if not isinstance(data, str):
            data = json.dumps(data)
        opcode = message.get("opcode", 1)
        is_text = opcode != 2
        marked = harbody.is_base64_marker(message.get("encoding") or message.get("_encoding"))
        if opcode == 2 or marked:
            content = harbody.base64_bytes(data)
            if content is None:
                self.notes.add(
                    "binary WebSocket message whose data is not base64: kept as text", ref
                )
                content = data.encode("utf-8", "surrogateescape")
        else:
            content, notes = harbody.text_bytes(data, "text/plain; charset=utf-8", self.exporter)
            for note in notes:
                self.notes.add(note.replace("request body", "WebSocket message"), ref)
        kind = str(message.get("type", "")).lower()
        moment = message.get("time")
        return rec.WebSocketRecord(
            flow_mitm_id=mitm_id,
            from_client=kind.startswith("send") or kind == "sent",
            is_text=is_text,
            timestamp=timestamps.parse_timestamp(moment).seconds,  # seconds, ms or ISO 8601
            content=content,
        )


def request_body(
    request: dict[str, Any], header_type: str | None, exporter: harbody.Exporter
) -> tuple[harbody.Body, list[str]]:
    """The request body of an entry in whichever form its exporter wrote it, and notes."""
    post = request.get("postData")
    content_type = header_type
    if isinstance(post, dict):
        mime = post.get("mimeType")
        content_type = header_type or (mime if isinstance(mime, str) else None)
        raw = post.get("_raw")  # leakmap's own export: the body as sent, still compressed
        if isinstance(raw, dict) and isinstance(raw.get("text"), str):
            data = harbody.base64_bytes(raw["text"])
            coding = raw.get("contentEncoding")
            if data is not None and isinstance(coding, str):
                kept, _note = harbody.still_compressed(data, coding)
                if kept:
                    return harbody.Body(data, coding=coding), []
        text = post.get("text")
        params = post.get("params")
        if text is not None and not isinstance(text, str):
            raise EntryError("request.postData.text is not a text")
        if isinstance(text, str) and (text or not params):
            body, notes = _text_body(text, post, content_type, exporter)
        elif isinstance(params, list) and params:
            body, notes = harbody.params_body(params, str(mime or ""), header_type)
            notes.insert(0, "request body given only as postData.params: rebuilt from them")
        else:
            body, notes = harbody.Body(b""), _missing_body_note(request)
        if post.get("_truncated") is True:
            notes.append("request body cut short by the exporter: the rest cannot be analysed")
        return body, notes
    content = request.get("_content")  # HTTP Toolkit (and PiRogue): a body HAR cannot hold
    if isinstance(content, dict) and isinstance(content.get("text"), str):
        return _text_body(content["text"], content, content_type, exporter)
    status = request.get("_requestBodyStatus")
    if isinstance(status, str) and status.startswith("discarded"):
        return harbody.Body(None), [
            f"request body left out by the exporter ({status[:40]}): it cannot be analysed"
        ]
    return harbody.Body(None), _missing_body_note(request)


def _text_body(
    text: str, holder: dict[str, Any], content_type: str | None, exporter: harbody.Exporter
) -> tuple[harbody.Body, list[str]]:
    marker = holder.get("encoding") or holder.get("_encoding")
    if harbody.is_base64_marker(marker):
        data = harbody.base64_bytes(text)
        if data is not None:
            return harbody.Body(data), []
        data, notes = harbody.text_bytes(text, content_type, exporter)
        return harbody.Body(data), [
            "request body marked base64 is not base64: analysed as text",
            *notes,
        ]
    notes = []
    if isinstance(marker, str) and marker.strip() and marker.strip().lower() not in (
        "utf-8", "utf8", "text", "plain", "identity",
    ):  # fmt: skip
        notes.append(f"request body with an unknown encoding {marker[:20]!r}: analysed as text")
    named = holder.get("_charset")  # leakmap's export: text decoded by the declared charset
    data, text_notes = harbody.text_bytes(
        text, content_type, exporter, named if isinstance(named, str) else None
    )
    return harbody.Body(data), notes + text_notes


def _own_session_fields(log: dict[str, Any]) -> dict[str, str]:
    """``app``, ``app_version`` and ``device`` of the session leakmap's own export came from
    (``log._leakmap``): printable text of at most 200 characters each, else left out."""
    own = log.get("_leakmap")
    if not isinstance(own, dict):
        return {}
    return {
        key: value
        for key in ("app", "app_version", "device")
        if isinstance(value := own.get(key), str) and 0 < len(value) <= 200 and value.isprintable()
    }


def _own_steps(log: dict[str, Any]) -> list[tuple[float, str]]:
    """The steps leakmap's own export keeps in ``log._leakmap.marks``."""
    own = log.get("_leakmap")
    marks = own.get("marks") if isinstance(own, dict) else None
    steps = []
    for mark in marks if isinstance(marks, list) else ():
        if not isinstance(mark, dict):
            continue
        at, label = mark.get("at"), mark.get("label")
        if isinstance(at, int | float) and math.isfinite(at) and isinstance(label, str):
            label = " ".join(label.split())
            if 0 < len(label) <= MAX_LABEL_CHARS:
                steps.append((float(at), label))
    return steps


def _missing_body_note(request: dict[str, Any]) -> list[str]:
    size = request.get("bodySize")
    if isinstance(size, int) and size > 0:
        return [f"request body of {size} bytes is not in the file: it cannot be analysed"]
    return []


def _started(entry: dict[str, Any], ref: str, notes: ImportNotes) -> float | None:
    """The entry's start in UNIX seconds (any form :mod:`analyzer.importer.timestamps` reads);
    None, noted, where it is missing or no time: the entry is kept (its requests still count)."""
    value = entry.get("startedDateTime")
    moment = timestamps.parse_timestamp(value)
    if moment.seconds is None:
        if value is None or value == "":
            notes.add("entry without startedDateTime: kept without a time", ref)
        else:
            notes.add("startedDateTime that is not a date: entry kept without a time", ref)
        return None
    for note in moment.notes:
        notes.add(f"startedDateTime with {note}", ref)
    return moment.seconds


def _response(
    response: Any, notes: ImportNotes, ref: str
) -> tuple[int | None, rec.RawHeaders | None, bytes | None, str | None]:
    """(status, headers, body, error) of a response; never raises: responses are not
    analysed, so whatever is wrong with one is noted and the entry kept."""
    if response is None:
        return None, None, None, None
    if not isinstance(response, dict):
        notes.add("response is not an object: kept without it (responses are not analysed)", ref)
        return None, None, None, None
    status = response.get("status")
    if not isinstance(status, int) or isinstance(status, bool):
        if status is not None:
            notes.add("response status is not a number: left out (responses are not analysed)", ref)
        status = None
    headers = _headers(response.get("headers"), notes, ref, "response")
    error = response.get("_error")
    body = None
    content = response.get("content")
    if content is not None and not isinstance(content, dict):
        notes.add("response content is not an object: left out (responses are not analysed)", ref)
    if isinstance(content, dict) and content.get("text") is not None:
        text = content.get("text")
        if not isinstance(text, str):
            notes.add(
                "response content.text is not a text: left out (responses are not analysed)", ref
            )
        elif harbody.is_base64_marker(content.get("encoding")):
            body = harbody.base64_bytes(text)
            if body is None:
                notes.add(
                    "response body marked base64 is not base64: kept as text "
                    "(responses are not analysed)",
                    ref,
                )
                body = text.encode("utf-8", "surrogateescape")
        else:
            body = text.encode("utf-8", "surrogatepass")
    return (
        status if status and status > 0 else None,
        headers,
        body,
        error if isinstance(error, str) else None,
    )


def _headers(headers: Any, notes: ImportNotes, ref: str, side: str) -> rec.RawHeaders:
    out: list[tuple[bytes, bytes]] = []
    if headers is None:
        return ()
    why = " (responses are not analysed)" if side == "response" else ""
    if not isinstance(headers, list):
        notes.add(f"{side} headers are not a list: left out{why}", ref)
        return ()
    for header in headers:
        if isinstance(header, dict) and "name" in header:
            name, value = header.get("name"), header.get("value", "")
        elif isinstance(header, list | tuple) and len(header) == 2:  # [name, value] pairs
            name, value = header
        else:
            notes.add(
                f"{side} header that is neither {{name, value}} nor a pair: left out{why}", ref
            )
            continue
        out.append((_bytes(name), _bytes(value)))
    return tuple(out)


def _bytes(value: Any) -> bytes:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text.encode("utf-8", "surrogatepass")


def _header(headers: rec.RawHeaders, name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("utf-8", "replace")
    return None


def _host_header(headers: rec.RawHeaders) -> str | None:
    host = _header(headers, b"host") or _header(headers, b":authority")
    if not host:
        return None
    try:
        return urlsplit(f"//{host}").hostname
    except ValueError:
        return None


def _http_version(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    lowered = value.lower()
    if lowered in ("h2", "http/2", "http/2.0"):
        return "HTTP/2.0"
    if lowered in ("h3", "http/3", "http/3.0"):
        return "HTTP/3"
    return value.upper()


def _safe_ref(number: int, entry: Any) -> str:
    request = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(request, dict):
        return entry_ref(number)
    return entry_ref(number, request.get("method"), request.get("url"))
