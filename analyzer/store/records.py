"""Plain records handed from the proxy (or an importer) to the store.

Building a record must be cheap, because the recorder does it on mitmproxy's event loop: it copies
scalars and keeps references to immutable values (header tuples, body bytes). Everything costly
(decoding headers, hashing and capping bodies) happens in :func:`flow_row` and friends, which
run in the writer thread or in an import transaction.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analyzer.tlsreason import tls_failure_reason

if TYPE_CHECKING:  # the store reads records without mitmproxy (``leakmap sessions`` starts fast)
    from mitmproxy import connection, http, tcp, tls, udp
    from mitmproxy.websocket import WebSocketMessage

DEFAULT_REQUEST_BODY_LIMIT = 1024 * 1024
DEFAULT_RESPONSE_BODY_LIMIT = 256 * 1024
DEFAULT_MESSAGE_LIMIT = 256 * 1024
FIRST_BYTES_LIMIT = 4096

RawHeaders = tuple[tuple[bytes, bytes], ...]


@dataclass(slots=True)
class Limits:
    """Caps for what is kept of each body; the full size and SHA-256 are always kept."""

    request_body: int = DEFAULT_REQUEST_BODY_LIMIT
    response_body: int = DEFAULT_RESPONSE_BODY_LIMIT
    message: int = DEFAULT_MESSAGE_LIMIT


@dataclass(slots=True)
class FlowRecord:
    mitm_id: str | None
    client_ip: str | None
    client_port: int | None
    server_ip: str | None
    server_port: int | None
    host: str | None
    sni: str | None
    scheme: str | None
    method: str | None
    url: str | None
    http_version: str | None
    status_code: int | None
    timestamp_start: float | None
    timestamp_end: float | None
    request_headers: RawHeaders = ()
    request_body: bytes | None = None
    response_headers: RawHeaders | None = None
    response_body: bytes | None = None
    tls_version: str | None = None
    alpn: str | None = None
    websocket: bool = False
    error: str | None = None
    # Set when a body was not buffered (mitmproxy's stream_large_bodies): only its size is known.
    request_body_streamed: bool = False
    response_body_streamed: bool = False
    # HAR files hold bodies already decoded: their content-encoding header no longer applies.
    bodies_decoded: bool = False
    # With ``bodies_decoded``: the coding a HAR request body verifiably still has (an exporter
    # that kept it as sent), so that the analyzer decompresses it as it does a captured one.
    request_coding: str | None = None
    # The request's content type where its headers do not give the one of the stored body: a
    # HAR's postData.mimeType (no Content-Type header), or the type of a body rebuilt from params.
    request_content_type: str | None = None

    kind = "flow"


@dataclass(slots=True)
class WebSocketRecord:
    flow_mitm_id: str
    from_client: bool
    is_text: bool
    timestamp: float | None
    content: bytes

    kind = "websocket"


@dataclass(slots=True)
class TlsFailureRecord:
    side: str
    timestamp: float | None
    client_ip: str | None
    sni: str | None
    server_ip: str | None
    server_port: int | None
    error: str | None

    kind = "tls_failure"


@dataclass(slots=True)
class ConnectionRecord:
    protocol: str
    client_ip: str | None
    server_ip: str | None
    server_port: int | None
    host: str | None
    sni: str | None
    tls: bool
    timestamp_start: float | None
    timestamp_end: float | None
    bytes_sent: int = 0
    bytes_received: int = 0
    messages: int = 0
    first_bytes: bytes = b""
    error: str | None = None

    kind = "connection"


Record = FlowRecord | WebSocketRecord | TlsFailureRecord | ConnectionRecord


# --- from mitmproxy objects (cheap: runs on the event loop) -------------------------------------


def _peer(address: Any) -> tuple[str | None, int | None]:
    if not address:
        return None, None
    return str(address[0]), int(address[1])


def server_address(server: connection.Server) -> tuple[str | None, int | None]:
    """The address actually connected to (peername), else the address asked for."""
    return _peer(server.peername or server.address)


def from_http_flow(flow: http.HTTPFlow) -> FlowRecord:
    request, response = flow.request, flow.response
    client_ip, client_port = _peer(flow.client_conn.peername)
    server_ip, server_port = server_address(flow.server_conn)
    error = flow.error.msg if flow.error else None
    tls_conn = flow.client_conn if flow.client_conn.tls_established else flow.server_conn
    return FlowRecord(
        mitm_id=flow.id,
        client_ip=client_ip,
        client_port=client_port,
        server_ip=server_ip,
        server_port=server_port,
        host=request.pretty_host,
        sni=flow.client_conn.sni or flow.server_conn.sni,
        scheme=request.scheme,
        method=request.method,
        url=request.pretty_url,
        http_version=request.http_version,
        status_code=response.status_code if response else None,
        timestamp_start=request.timestamp_start,
        timestamp_end=(response.timestamp_end if response else request.timestamp_end),
        request_headers=request.headers.fields,
        request_body=request.raw_content,
        request_body_streamed=request.raw_content is None,
        response_headers=response.headers.fields if response else None,
        response_body=response.raw_content if response else None,
        response_body_streamed=bool(response) and response.raw_content is None,
        tls_version=tls_conn.tls_version,
        alpn=_alpn(tls_conn.alpn),
        websocket=flow.websocket is not None,
        error=error,
    )


def from_websocket_flow(flow: http.HTTPFlow) -> WebSocketRecord | None:
    """The newest message of a WebSocket flow (call from the ``websocket_message`` hook)."""
    if flow.websocket is None or not flow.websocket.messages:
        return None
    return websocket_record(flow.id, flow.websocket.messages[-1])


def websocket_record(flow_id: str, message: WebSocketMessage) -> WebSocketRecord:
    content = message.content
    if isinstance(content, str):  # flows read from old dump formats carry text as str
        content = content.encode("utf-8", "surrogateescape")
    return WebSocketRecord(
        flow_mitm_id=flow_id,
        from_client=message.from_client,
        is_text=message.is_text,
        timestamp=message.timestamp,
        content=content,
    )


def from_tls_failure(data: tls.TlsData, side: str) -> TlsFailureRecord:
    client = data.context.client
    server_ip, server_port = server_address(data.context.server)
    return TlsFailureRecord(
        side=side,
        timestamp=time.time(),
        client_ip=_peer(client.peername)[0],
        sni=data.conn.sni or data.context.client.sni,
        server_ip=server_ip,
        server_port=server_port,
        error=data.conn.error,
    )


def from_stream_flow(flow: tcp.TCPFlow | udp.UDPFlow) -> ConnectionRecord:
    from mitmproxy import udp  # loaded already: the flow came from mitmproxy

    protocol = "udp" if isinstance(flow, udp.UDPFlow) else "tcp"
    sent = [m.content for m in flow.messages if m.from_client]
    received = [m.content for m in flow.messages if not m.from_client]
    server_ip, server_port = server_address(flow.server_conn)
    first = bytearray()
    for chunk in sent:
        first += chunk[: FIRST_BYTES_LIMIT - len(first)]
        if len(first) >= FIRST_BYTES_LIMIT:
            break
    return ConnectionRecord(
        protocol=protocol,
        client_ip=_peer(flow.client_conn.peername)[0],
        server_ip=server_ip,
        server_port=server_port,
        host=flow.server_conn.address[0] if flow.server_conn.address else None,
        sni=flow.client_conn.sni,
        tls=flow.client_conn.tls_established,
        timestamp_start=flow.client_conn.timestamp_start,
        timestamp_end=flow.client_conn.timestamp_end or time.time(),
        bytes_sent=sum(map(len, sent)),
        bytes_received=sum(map(len, received)),
        messages=len(flow.messages),
        first_bytes=bytes(first),
        error=flow.error.msg if flow.error else None,
    )


def _alpn(value: bytes | None) -> str | None:
    return value.decode("ascii", "replace") if value else None


# --- to rows (costly: runs in the writer thread or an import transaction) ----------------------


def decode_headers(fields: RawHeaders | None) -> list[list[str]] | None:
    """Header fields as ``[[name, value], ...]``; invalid UTF-8 kept visible as ``\\xNN``."""
    if fields is None:
        return None
    return [
        [name.decode("utf-8", "backslashreplace"), value.decode("utf-8", "backslashreplace")]
        for name, value in fields
    ]


def header_value(headers: list[list[str]] | None, name: str) -> str | None:
    if not headers:
        return None
    name = name.lower()
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def body_columns(prefix: str, body: bytes | None, limit: int, streamed: bool) -> dict[str, Any]:
    """Capped body, full size, SHA-256 and truncated flag for ``request_``/``response_``."""
    if body is None:
        return {
            f"{prefix}body": None,
            f"{prefix}body_size": None,
            f"{prefix}body_sha256": None,
            f"{prefix}body_truncated": streamed,
        }
    return {
        f"{prefix}body": body[:limit],
        f"{prefix}body_size": len(body),
        f"{prefix}body_sha256": hashlib.sha256(body).hexdigest(),
        f"{prefix}body_truncated": len(body) > limit,
    }


def flow_row(record: FlowRecord, session_id: int, limits: Limits) -> dict[str, Any]:
    request_headers = decode_headers(record.request_headers) or []
    response_headers = decode_headers(record.response_headers)
    row: dict[str, Any] = {
        "session_id": session_id,
        "mitm_id": record.mitm_id,
        "client_ip": record.client_ip,
        "client_port": record.client_port,
        "server_ip": record.server_ip,
        "server_port": record.server_port,
        "host": record.host,
        "sni": record.sni,
        "scheme": _cap(record.scheme, 10),
        "method": record.method,
        "url": storable(record.url),
        "http_version": record.http_version,
        "status_code": record.status_code,
        "timestamp_start": record.timestamp_start,
        "timestamp_end": record.timestamp_end,
        "request_headers": request_headers,
        "request_content_encoding": header_value(request_headers, "content-encoding"),
        "request_content_type": _cap(
            record.request_content_type or header_value(request_headers, "content-type"), 255
        ),
        "response_headers": response_headers,
        "response_content_encoding": header_value(response_headers, "content-encoding"),
        "response_content_type": _cap(header_value(response_headers, "content-type"), 255),
        "tls_version": _cap(record.tls_version, 20),
        "alpn": _cap(record.alpn, 50),
        "websocket": record.websocket,
        "error": storable(record.error),
    }
    row.update(
        body_columns(
            "request_", record.request_body, limits.request_body, record.request_body_streamed
        )
    )
    row.update(
        body_columns(
            "response_", record.response_body, limits.response_body, record.response_body_streamed
        )
    )
    if record.bodies_decoded:
        row["request_content_encoding"] = record.request_coding
        row["response_content_encoding"] = None
    for column in ("request_content_encoding", "response_content_encoding"):
        row[column] = _cap(row[column], 100)
    for column, size in (("host", 255), ("sni", 255), ("method", 20), ("http_version", 20)):
        row[column] = _cap(row[column], size)
    return row


def websocket_row(
    record: WebSocketRecord, session_id: int, flow_id: int | None, limits: Limits
) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "flow_id": flow_id,
        "from_client": record.from_client,
        "is_text": record.is_text,
        "timestamp": record.timestamp,
        "content": record.content[: limits.message],
        "size": len(record.content),
        "truncated": len(record.content) > limits.message,
    }


def tls_failure_row(record: TlsFailureRecord, session_id: int) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "timestamp": record.timestamp,
        "side": record.side,
        "client_ip": record.client_ip,
        "sni": _cap(record.sni, 255),
        "server_ip": record.server_ip,
        "server_port": record.server_port,
        "error": storable(record.error),
        "reason": tls_failure_reason(record.side, record.error),
    }


def connection_row(record: ConnectionRecord, session_id: int) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "protocol": record.protocol,
        "client_ip": record.client_ip,
        "server_ip": record.server_ip,
        "server_port": record.server_port,
        "host": _cap(record.host, 255),
        "sni": _cap(record.sni, 255),
        "tls": record.tls,
        "timestamp_start": record.timestamp_start,
        "timestamp_end": record.timestamp_end,
        "bytes_sent": record.bytes_sent,
        "bytes_received": record.bytes_received,
        "messages": record.messages,
        "first_bytes": record.first_bytes,
        "error": storable(record.error),
    }


def storable(text: str | None) -> str | None:
    """Text any backend can store: lone surrogates (from invalid UTF-8 decoded with
    surrogateescape, or from JSON "\\ud800" escapes) and NUL (refused by PostgreSQL) become
    visible backslash escapes. Captured traffic carries both."""
    if text is None or (text.isascii() and "\x00" not in text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _cap(value: str | None, size: int) -> str | None:
    return storable(value[:size]) if value is not None else None
