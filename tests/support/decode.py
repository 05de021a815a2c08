"""Stored flows and WebSocket messages as the decoders read them, and ways to look at fields."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from analyzer.decode import Field, Limits, decode_flow


def flow(
    body: bytes = b"",
    content_type: str | None = "application/json",
    encoding: str | None = None,
    url: str = "https://collect.example.net/v2/batch",
    headers: list[list[str]] | None = None,
    truncated: bool = False,
) -> SimpleNamespace:
    """A row with the columns :func:`analyzer.decode.decode_flow` reads."""
    return SimpleNamespace(
        id=1,
        url=url,
        method="POST",
        host="collect.example.net",
        request_headers=headers or [],
        request_body=body,
        request_body_truncated=truncated,
        request_content_encoding=encoding,
        request_content_type=content_type,
    )


def message(content: bytes | str, from_client: bool = True) -> SimpleNamespace:
    """A stored WebSocket message: text for str, binary for bytes."""
    text = isinstance(content, str)
    data = content.encode("utf-8") if isinstance(content, str) else content
    return SimpleNamespace(from_client=from_client, is_text=text, content=data)


def decoded(
    row: Any, messages: list[Any] | None = None, limits: Limits | None = None
) -> tuple[list[Field], list[str]]:
    """:func:`decode_flow`, checking that no decoded value holds U+FFFD."""
    fields, notes = decode_flow(row, messages or [], limits)
    assert all("\ufffd" not in f.value for f in fields if not f.raw), "U+FFFD in a decoded value"
    return fields, notes


def values(fields: list[Field], path: str, location: str | None = None) -> dict[str, str]:
    """{encoding: value} of the non-raw fields at ``path``."""
    return {
        f.encoding: f.value
        for f in fields
        if f.path == path and not f.raw and (location is None or f.location == location)
    }


def by_path(fields: list[Field], location: str | None = None) -> dict[str, Field]:
    """Non-raw fields by path, the first field of each path (its first reading)."""
    out: dict[str, Field] = {}
    for field in fields:
        if not field.raw and (location is None or field.location == location):
            out.setdefault(field.path, field)
    return out
