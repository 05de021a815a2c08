"""A stored flow (and its WebSocket messages) to the flat list of what the phone sent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from analyzer.decode.body import decode_body
from analyzer.decode.charset import unescape_stored, unquote_text
from analyzer.decode.fields import Budget, Field, Limits, join
from analyzer.decode.stream import ClientStream
from analyzer.decode.walker import Walker

# Headers that describe the transport, never the phone: skipped to save time.
_SKIPPED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "connection",
        "accept-encoding",
        "transfer-encoding",
        "accept",
        "te",
        "keep-alive",
        ":authority",
        ":method",
        ":path",
        ":scheme",
        "upgrade",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "cache-control",
        "pragma",
        "if-none-match",
        "if-modified-since",
        "expect",
    }
)

DEFAULT_LIMITS = Limits()


def decode_flow(
    flow: Any, messages: Iterable[Any] = (), limits: Limits | None = None
) -> tuple[list[Field], list[str]]:
    """Every value the phone sent in one flow, as fields, plus notes on what was not decoded.

    ``flow`` is a row with the columns of :class:`analyzer.store.models.Flow` as attributes (url,
    request_headers as ``[[name, value], ...]``, request_body as bytes on the wire,
    request_body_truncated, request_content_encoding, request_content_type); ``messages`` are
    rows of :class:`~analyzer.store.models.WebSocketMessage` of this flow (from_client, is_text,
    content); only client-to-server messages are read, their fields' chains start with
    ``websocket``. Responses are never read: what the server says is not a leak. Never raises on
    malformed traffic: what could be decoded is returned, and the notes say what was skipped.
    """
    budget = Budget(limits or DEFAULT_LIMITS)
    walker = Walker(budget)
    try:
        _url(walker, getattr(flow, "url", None) or "")
        headers = getattr(flow, "request_headers", None) or []
        _headers(walker, headers)
        body = getattr(flow, "request_body", None)
        if body:
            decode_body(
                walker,
                bytes(body),
                getattr(flow, "request_content_type", None),
                getattr(flow, "request_content_encoding", None),
                truncated=bool(getattr(flow, "request_body_truncated", False)),
            )
        _messages(walker, messages, headers, getattr(flow, "url", None) or "")
    except RecursionError:
        budget.note("structure nested too deeply: decoding stopped")
    except Exception as error:
        budget.note(f"decoder error ({type(error).__name__}): decoding stopped")
    return walker.fields, budget.notes


def _url(walker: Walker, url: str) -> None:
    if not url:
        return
    # Raw bytes that were no UTF-8 (not percent-encoded, as browsers would) came through the
    # store as \udcNN escapes: read in the charset detected in them, named in every chain.
    base = ""
    if (found := unescape_stored(url)) is not None:
        url, base = found.text, found.charset
    try:
        parts = urlsplit(url)
    except ValueError:
        walker.budget.note("malformed URL: scanned as text")
        walker.emit("path", "", "", url, "plain", raw=True)
        return
    if parts.path and parts.path != "/":
        segments = parts.path.split("/")
        previous = ""
        for index, segment in enumerate(segments):
            if segment:
                # The segment before names this one in REST URLs: /imei/3569...
                value, chain = _unquoted(walker, segment, "path", f"/{index}")
                step = join(base, chain) if base else chain
                walker.string(value, "path", f"/{index}", previous, step, 0)
                previous = value
    # Query strings declare no charset: escapes that are no UTF-8 are decoded by the charset
    # detected over the whole query (see analyzer.decode.form).
    if parts.query and not walker.form(parts.query, "query", "", base, 0):
        value, chain = _unquoted(walker, parts.query, "query", "")
        walker.string(value, "query", "", "", join(base, chain) if base else chain, 0)


def _unquoted(walker: Walker, text: str, location: str, path: str) -> tuple[str, str]:
    """(percent-decoded text, chain): UTF-8, else a detected charset that the chain names;
    where none fits, the text as sent (with a note)."""
    if "%" not in text:
        return text, ""
    found = unquote_text(text)
    if found is None:
        walker.budget.note(f"{location} {path}: percent-encoded bytes in no charset known here")
        return text, ""
    return found.text, found.charset


def _headers(walker: Walker, headers: list[Any]) -> None:
    for pair in headers:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        name, value = str(pair[0]), str(pair[1])
        lowered = name.lower()
        if lowered in _SKIPPED_HEADERS or not value:
            continue
        base = ""
        if "\\" in value and (found := unescape_stored(value)) is not None:
            value, base = found.text, found.charset  # raw GBK/Big5/... bytes in a header
        if lowered == "cookie":
            for piece in value.split(";"):
                cookie, sep, cookie_value = piece.strip().partition("=")
                if sep and cookie:
                    text, chain = _unquoted(walker, cookie_value, "cookie", cookie)
                    chain = join(base, chain) if base else chain
                    walker.string(text, "cookie", cookie, cookie, chain, 0)
            continue
        walker.string(value, "header", lowered, lowered, base, 0)


def _subprotocols(headers: list[Any]) -> frozenset[str]:
    """The WebSocket subprotocols the client offered (``mqtt``, ``v12.stomp``), lower-cased."""
    offered: set[str] = set()
    for pair in headers:
        if (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and str(pair[0]).lower() == "sec-websocket-protocol"
        ):
            offered.update(p.strip().lower() for p in str(pair[1]).split(",") if p.strip())
    return frozenset(offered)


def _messages(walker: Walker, messages: Iterable[Any], headers: list[Any], url: str) -> None:
    limit = walker.budget.limits.max_messages
    index = 0
    stream: ClientStream | None = None  # framings that span messages need their order
    for message in messages:
        if not getattr(message, "from_client", False):
            continue
        if stream is None:
            walker.subprotocols = _subprotocols(headers)
            stream = ClientStream(walker, url, walker.subprotocols)
        if index >= limit:
            walker.budget.note(f"more than {limit} WebSocket messages: the rest skipped")
            break
        content = getattr(message, "content", None) or b""
        if isinstance(content, str):
            content = content.encode("utf-8")
        stream.message(index, bytes(content), bool(getattr(message, "is_text", False)))
        index += 1
        if walker.budget.exhausted:
            break
    if stream is not None and not walker.budget.exhausted:
        stream.close()


__all__ = ["Field", "Limits", "decode_body", "decode_flow"]
