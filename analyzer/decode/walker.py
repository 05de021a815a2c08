"""Turning parsed structures and strings into flat fields, decoding what is nested inside.

A string can hide more: JSON in a JSON string, a form or JSON in base64, a JWT, a gzip blob in
base64, percent-encoding applied twice. :class:`Walker` emits every scalar as a :class:`Field`
and then tries these decodings on it, appending each step to the field's encoding chain, within
the flow's :class:`Budget` (depth, bytes, fields, time).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote

from analyzer.decode.content import DecodeError, decompress, sniff_coding
from analyzer.decode.fields import Budget, Field
from analyzer.decode.protobuf import looks_like_protobuf, parse_message

_BASE64 = re.compile(r"[A-Za-z0-9+/]{12,}={0,2}|[A-Za-z0-9_-]{12,}={0,2}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){8,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_FORM = re.compile(r"[\w.\-\[\]%]+=[^&\s]*(?:&[\w.\-\[\]%]*=?[^&\s]*)*")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_MIN_PRINTABLE = 0.95


def join(chain: str, step: str) -> str:
    return step if chain in ("", "plain") else f"{chain}>{step}"


def printable_text(data: bytes) -> str | None:
    """``data`` as text when it is UTF-8 and nearly all printable (not a binary blob)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text:
        return None
    if text.isprintable():
        return text
    good = sum(1 for c in text if c.isprintable() or c in "\t\r\n")
    return text if good >= _MIN_PRINTABLE * len(text) else None


class Walker:
    """Collects the fields of one flow; all decoders of a flow share one budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.fields: list[Field] = []

    # --- structures -------------------------------------------------------------------------

    def walk(self, obj: object, location: str, path: str, key: str, chain: str, depth: int) -> None:
        """Emit the scalars of a parsed JSON/protobuf/form structure."""
        if self.budget.exhausted:
            return
        if isinstance(obj, dict):
            if depth > self.budget.limits.max_depth * 4:
                self.budget.note(f"{location} {path}: nested too deeply: skipped")
                return
            for name, value in obj.items():
                name = str(name)
                self.walk(
                    value, location, f"{path}.{name}" if path else name, name, chain, depth + 1
                )
        elif isinstance(obj, list):
            if depth > self.budget.limits.max_depth * 4:
                return
            # Protobuf repeats a field number for each value: its paths stay index-free.
            protobuf = chain.endswith("protobuf")
            for index, value in enumerate(obj):
                sub = path if protobuf else (f"{path}.{index}" if path else str(index))
                self.walk(value, location, sub, key, chain, depth + 1)
        elif isinstance(obj, str):
            self.string(obj, location, path, key, chain, depth)
        elif isinstance(obj, bool):
            self.emit(location, path, key, "true" if obj else "false", chain)
        elif isinstance(obj, int | float):
            self.emit(location, path, key, repr(obj) if isinstance(obj, float) else str(obj), chain)
        elif isinstance(obj, bytes | bytearray):
            self.binary(bytes(obj), location, path, key, chain, depth)

    def pairs(
        self, items: Iterable[tuple[str, str]], location: str, prefix: str, chain: str, depth: int
    ) -> None:
        for name, value in items:
            self.string(value, location, f"{prefix}.{name}" if prefix else name, name, chain, depth)

    # --- scalars ----------------------------------------------------------------------------

    def emit(
        self, location: str, path: str, key: str, value: str, chain: str, raw: bool = False
    ) -> bool:
        if not self.budget.take_field():
            return False
        self.fields.append(Field(location, path, key, value, chain or "plain", raw))
        return True

    def string(
        self, value: str, location: str, path: str, key: str, chain: str, depth: int
    ) -> None:
        """Emit a string, then look inside it."""
        if not value or not self.emit(location, path, key, value, chain):
            return
        if depth >= self.budget.limits.max_depth or len(value) > self.budget.limits.max_value_chars:
            if len(value) > 16:
                self.budget.note(f"{location} {path}: not decoded further (depth or size)")
            return
        self.nested(value, location, path, key, chain, depth)

    def nested(
        self, value: str, location: str, path: str, key: str, chain: str, depth: int
    ) -> None:
        text = value.strip()
        if len(text) < 8:
            if "%" in text and _PERCENT.search(text):
                self.string(unquote(text), location, path, key, join(chain, "url"), depth + 1)
            return
        first = text[0]
        if first in "{[" and text[-1] in "}]":
            parsed = _json(text)
            if parsed is not None:
                self.walk(parsed, location, path, key, join(chain, "json"), depth + 1)
                return
        if text.startswith(("Bearer ", "bearer ")):
            text = text[7:].strip()
            first = text[:1]
        if first == "e" and _JWT.fullmatch(text):
            self.jwt(text, location, path, key, chain, depth)
            return
        if "=" in text and _FORM.fullmatch(text) and not text.endswith("="):
            items = parse_qsl(text, keep_blank_values=True)
            if items and all(name for name, _ in items):
                self.pairs(items, location, path, join(chain, "form"), depth + 1)
                return
        if "%" in text and _PERCENT.search(text):
            decoded = unquote(text)
            if decoded != text:
                self.string(decoded, location, path, key, join(chain, "url"), depth + 1)
                return
        if len(text) >= 16 and _HEX.fullmatch(text):
            data = bytes.fromhex(text)
            decoded = printable_text(data)
            # Hex that decodes to text with letters (not a hash or random bytes).
            if decoded is not None and sum(c.isalpha() for c in decoded) >= len(decoded) // 2:
                self.string(decoded, location, path, key, join(chain, "hex"), depth + 1)
            return
        if len(text) >= 12 and _BASE64.fullmatch(text):
            self.base64(text, location, path, key, chain, depth)

    def jwt(self, text: str, location: str, path: str, key: str, chain: str, depth: int) -> None:
        header, payload = text.split(".")[:2]
        for part, name in ((header, "header"), (payload, "payload")):
            data = _b64decode(part)
            parsed = _json(data.decode("utf-8", "replace")) if data else None
            if parsed is not None:
                self.walk(
                    parsed, location, f"{path}.jwt.{name}", key, join(chain, "jwt"), depth + 1
                )

    def base64(self, text: str, location: str, path: str, key: str, chain: str, depth: int) -> None:
        data = _b64decode(text)
        if not data or not self.budget.take_bytes(len(data)):
            return
        step = "base64url" if ("-" in text or "_" in text) else "base64"
        self.binary(data, location, path, key, join(chain, step), depth + 1, from_text=True)

    def binary(
        self,
        data: bytes,
        location: str,
        path: str,
        key: str,
        chain: str,
        depth: int,
        from_text: bool = False,
    ) -> None:
        """Bytes found inside something: compressed, text, or protobuf."""
        coding = sniff_coding(data)
        if coding and depth < self.budget.limits.max_depth:
            try:
                room = self.budget.limits.max_decoded_bytes - self.budget.decoded_bytes
                out, complete = decompress(data, coding, max(room, 0))
            except DecodeError:
                self.budget.note(f"{location} {path}: broken {coding} data")
                return
            if not complete:
                self.budget.note(f"{location} {path}: {coding} data cut short")
            if self.budget.take_bytes(len(out)):
                self.binary(out, location, path, key, join(chain, coding), depth + 1)
            return
        if _has_controls(data) and looks_like_protobuf(data):
            # Mostly-text protobuf (string fields) passes as text; its tags do not.
            message = parse_message(data, max_depth=self.budget.limits.max_depth - depth)
            if message is not None:
                self.walk(message, location, path, key, join(chain, "protobuf"), depth + 1)
                return
        text = printable_text(data)
        if text is not None:
            if from_text and not _plausible_decoded_text(text):
                return
            self.string(text, location, path, key, chain, depth)
            return
        if depth < self.budget.limits.max_depth and looks_like_protobuf(data):
            message = parse_message(data, max_depth=self.budget.limits.max_depth - depth)
            if message is not None:
                self.walk(message, location, path, key, join(chain, "protobuf"), depth + 1)


def _has_controls(data: bytes) -> bool:
    return any(byte < 0x20 and byte not in (9, 10, 13) for byte in data[:4096])


def _json(text: str) -> object | None:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _b64decode(text: str) -> bytes | None:
    text = text.strip().rstrip("=")
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _plausible_decoded_text(text: str) -> bool:
    # Random IDs are valid base64 too ("dYPvivoVTOWuVT5l_T_rmF"); their decoding is rarely
    # printable, and when it is by chance it is short gibberish: ask for length and mostly
    # letters, digits and spaces, as in real text, JSON or forms.
    if len(text) < 4:
        return False
    good = sum(1 for c in text if c.isalnum() or c in " {}[]\":,=&._-@/+'")
    return good >= 0.85 * len(text)
