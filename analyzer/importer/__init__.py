"""``leakmap import``: mitmproxy dumps (.mitm/.flows, every version mitmproxy 12 reads) and HAR 1.2.

Every file is read once to check it before anything is written, then once more to write it in
one transaction. A file that cannot be read raises a one-line :class:`LeakmapError` naming the
file and what is wrong, and leaves no partial session behind.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from mitmproxy import exceptions, http, tcp, udp
from mitmproxy.io import FlowReader
from sqlalchemy.exc import SQLAlchemyError

from analyzer.errors import LeakmapError
from analyzer.store import Store, write_records
from analyzer.store import records as rec
from analyzer.store.db import short_error

# A HAR is one JSON document and has to be parsed whole; beyond this it is refused rather than
# exhausting memory (split it, or export a .mitm dump which streams).
MAX_HAR_BYTES = 1024 * 1024 * 1024
BATCH = 500


@dataclass(slots=True)
class ImportResult:
    session_id: int
    flows: int
    records: int
    skipped: int  # flows of kinds leakmap does not store (DNS)


def import_files(
    store: Store,
    paths: Sequence[Path],
    *,
    session: str,
    app: str | None = None,
    app_version: str | None = None,
    device: str | None = None,
    platform: str | None = None,
) -> ImportResult:
    """Import ``paths`` into a new session named ``session``."""
    if not paths:
        raise LeakmapError("no files to import")
    if store.session_id(session) is not None:
        raise LeakmapError(f"session {session!r} exists already; choose another --session name")
    started: list[float] = []
    for path in paths:  # check every file before writing anything
        first = None
        for record in read_records(path):
            if first is None and isinstance(record, rec.FlowRecord):
                first = record.timestamp_start
        if first is not None:
            started.append(first)

    session_id: int | None = None
    flows = records = skipped = 0
    limits = rec.Limits()
    try:
        for path in paths:
            with store.engine.begin() as conn:
                if session_id is None:
                    session_id = store.create_session(
                        session,
                        app=app,
                        app_version=app_version,
                        device=device,
                        platform=platform,
                        mode="import",
                        started_at=min(started) if started else None,
                        connection=conn,
                    )
                websocket_ids: dict[str, int] = {}
                batch: list[rec.Record] = []
                for record in read_records(path):
                    if record is None:
                        skipped += 1
                        continue
                    batch.append(record)
                    flows += isinstance(record, rec.FlowRecord)
                    if len(batch) >= BATCH:
                        records += write_records(conn, session_id, batch, limits, websocket_ids)
                        batch = []
                records += write_records(conn, session_id, batch, limits, websocket_ids)
    except BaseException as error:
        if session_id is not None:
            store.delete_session(session_id)
        if isinstance(error, SQLAlchemyError):
            raise LeakmapError(
                f"cannot write to {store.display_url}: {short_error(error)}"
            ) from None
        raise
    assert session_id is not None
    store.end_session(session_id, store.last_activity(session_id))
    return ImportResult(session_id, flows, records, skipped)


def read_records(path: Path) -> Iterator[rec.Record | None]:
    """Records of one file (None for a flow of a kind that is not stored); LeakmapError if bad."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as error:
        raise LeakmapError(f"{path}: {error.strerror or error}") from None
    if not head:
        raise LeakmapError(f"{path}: empty file")
    if head[:1] == b"\x78" or head[:2] == b"\x1f\x8b":  # .zhar (zlib) or gzip-compressed HAR
        yield from _har_records(path, compressed=True)
    elif head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        yield from _har_records(path, compressed=False)
    else:
        yield from _mitm_records(path)


# --- mitmproxy dumps ----------------------------------------------------------------------------


def _mitm_records(path: Path) -> Iterator[rec.Record | None]:
    index = 0
    try:
        with open(path, "rb") as handle:
            for index, flow in enumerate(FlowReader(handle).stream(), start=1):  # noqa: B007
                yield from _flow_records(flow)
    except exceptions.FlowReadException as error:
        detail = str(error).rstrip(".") or "invalid data"
        raise LeakmapError(
            f"{path}: not a readable mitmproxy dump (flow {index + 1}: {detail}; "
            "truncated, corrupt or not a .mitm file)"
        ) from None
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise LeakmapError(f"{path}: flow {index + 1} cannot be read: {error}") from None


def _flow_records(flow: Any) -> Iterator[rec.Record | None]:
    if isinstance(flow, http.HTTPFlow):
        yield rec.from_http_flow(flow)
        if flow.websocket is not None:
            for message in flow.websocket.messages:
                yield rec.websocket_record(flow.id, message)
    elif isinstance(flow, tcp.TCPFlow | udp.UDPFlow):
        yield rec.from_stream_flow(flow)
    else:  # DNS flows and kinds leakmap does not store: counted as skipped
        yield None


# --- HAR 1.2 ------------------------------------------------------------------------------------


def _har_records(path: Path, *, compressed: bool) -> Iterator[rec.Record]:
    har = _load_har(path, compressed)
    log = har.get("log") if isinstance(har, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise LeakmapError(f"{path}: not a HAR file (no log.entries list)")
    for number, entry in enumerate(entries, start=1):
        try:
            yield from _entry_records(entry)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise LeakmapError(
                f"{path}: HAR entry {number} is malformed ({type(error).__name__}: {error})"
            ) from None


def _load_har(path: Path, compressed: bool) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_HAR_BYTES:
            raise LeakmapError(
                f"{path}: HAR of {size >> 20} MiB is over the {MAX_HAR_BYTES >> 20} MiB limit "
                "(split it, or import a .mitm dump, which streams)"
            )
        data = path.read_bytes()
        if compressed:
            data = _decompress(path, data, MAX_HAR_BYTES)
        return json.loads(data.decode("utf-8-sig"))
    except RecursionError:
        raise LeakmapError(f"{path}: JSON too deeply nested to be a HAR file") from None
    except (zlib.error, gzip.BadGzipFile, EOFError) as error:
        raise LeakmapError(f"{path}: compressed HAR cannot be decompressed ({error})") from None
    except UnicodeDecodeError:
        raise LeakmapError(f"{path}: HAR is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise LeakmapError(
            f"{path}: not valid JSON at line {error.lineno} column {error.colno} ({error.msg})"
        ) from None
    except OSError as error:
        raise LeakmapError(f"{path}: {error.strerror or error}") from None


def _decompress(path: Path, data: bytes, limit: int) -> bytes:
    wbits = 31 if data[:2] == b"\x1f\x8b" else 15
    decompressor = zlib.decompressobj(wbits)
    out = decompressor.decompress(data, limit + 1)
    if len(out) > limit or decompressor.unconsumed_tail:
        raise LeakmapError(f"{path}: compressed HAR expands beyond {limit >> 20} MiB")
    if not decompressor.eof:
        raise zlib.error("truncated compressed data")
    return out


def _entry_records(entry: dict[str, Any]) -> Iterator[rec.Record]:
    request, response = entry["request"], entry.get("response") or {}
    url = _text(request["url"]) if isinstance(request["url"], str) else request["url"]
    parts = urlsplit(url)
    started = _har_time(entry["startedDateTime"])
    duration = entry.get("time")
    ended = (
        started + duration / 1000.0 if isinstance(duration, int | float) and duration >= 0 else None
    )
    server_ip = _har_server_ip(entry.get("serverIPAddress"))
    status = response.get("status")
    messages = entry.get("_webSocketMessages") or []
    mitm_id = str(uuid.uuid4())
    port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
    yield rec.FlowRecord(
        mitm_id=mitm_id,
        client_ip=None,
        client_port=None,
        server_ip=server_ip,
        server_port=port if server_ip else None,
        host=parts.hostname,
        sni=parts.hostname if parts.scheme in ("https", "wss") else None,
        scheme=parts.scheme,
        method=request["method"],
        url=url,
        http_version=_http_version(request.get("httpVersion")),
        status_code=status if isinstance(status, int) and status > 0 else None,
        timestamp_start=started,
        timestamp_end=ended,
        request_headers=_har_headers(request.get("headers")),
        request_body=_har_request_body(request),
        response_headers=_har_headers(response.get("headers")) if response else None,
        response_body=_har_content(response.get("content")),
        websocket=bool(messages),
        bodies_decoded=True,
        error=entry.get("_error") or (response.get("_error") if response else None),
    )
    for message in messages:
        data = message.get("data", "")
        opcode = message.get("opcode", 1)
        content = data.encode("utf-8", "surrogatepass") if opcode == 1 else _b64(data)
        yield rec.WebSocketRecord(
            flow_mitm_id=mitm_id,
            from_client=message.get("type") == "send",
            is_text=opcode == 1,
            timestamp=float(message["time"]) if "time" in message else None,
            content=content,
        )


def _har_time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _har_server_ip(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    return value.strip("[]")


def _http_version(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    lowered = value.lower()
    if lowered in ("h2", "http/2", "http/2.0"):
        return "HTTP/2.0"
    if lowered in ("h3", "http/3", "http/3.0"):
        return "HTTP/3"
    return value.upper()


def _har_headers(headers: Any) -> rec.RawHeaders:
    out: list[tuple[bytes, bytes]] = []
    for header in headers or []:
        if isinstance(header, dict):
            name, value = header["name"], header["value"]
        else:  # some exporters write [name, value] pairs
            name, value = header[0], header[1]
        out.append(
            (
                str(name).encode("utf-8", "surrogatepass"),
                str(value).encode("utf-8", "surrogatepass"),
            )
        )
    return tuple(out)


def _har_request_body(request: dict[str, Any]) -> bytes | None:
    post = request.get("postData")
    if not post:
        return None
    if post.get("text") is not None:
        return _har_content(post)
    params = post.get("params") or []
    if params:
        pairs = [(_text(p.get("name", "")), _text(p.get("value", ""))) for p in params]
        return urlencode(pairs).encode("utf-8", "surrogatepass")
    return b""


def _har_content(content: Any) -> bytes | None:
    """HAR bodies are stored decoded (no content-encoding); base64 when ``encoding`` says so."""
    if not isinstance(content, dict) or content.get("text") is None:
        return None
    text = content["text"]
    if content.get("encoding") == "base64":
        return _b64(text)
    return str(text).encode("utf-8", "surrogatepass")


def _text(value: Any) -> str:
    """A HAR string as storable text (lone surrogates from JSON escapes made visible)."""
    return rec.storable(str(value)) or ""


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
