"""Turning parsed structures and strings into flat fields, decoding what is nested inside.

A string can hide more: JSON in a JSON string, a form or JSON in base64, a JWT, a gzip blob in
base64, percent-encoding applied twice. :class:`Walker` emits every scalar as a :class:`Field`
and then tries these decodings on it, appending each step to the field's encoding chain, within
the flow's :class:`Budget` (depth, bytes, fields, time). This runs for every value of every
flow, so the common case (a short plain value) must cost next to nothing: cheap character tests
come before any regular expression or decoding attempt.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterable
from urllib.parse import unquote

import msgspec

from analyzer.decode.content import DecodeError, decompress, sniff_coding
from analyzer.decode.fields import Budget, Field
from analyzer.decode.form import parse_form
from analyzer.decode.protobuf import looks_like_protobuf, parse_message

_BASE64 = re.compile(r"[A-Za-z0-9+/]{12,}={0,2}|[A-Za-z0-9_-]{12,}={0,2}")
# One class repeated (not pairs): a repeated group costs ~75 bytes of regex stack per character.
_HEX = re.compile(r"[0-9a-fA-F]{16,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# Unambiguous on purpose (a key cannot contain "=" or "&", a value cannot contain "&"): a
# pattern where key and value could take the same characters backtracks exponentially on
# hostile input such as "a=1&xxxxxxxxxx&xxxxxxxxxx&...&".
_FORM = re.compile(r"[\w.\-\[\]%]+=[^&\s]*(?:&[\w.\-\[\]%]+(?:=[^&\s]*)?)*")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MIN_PRINTABLE = 0.95
_new_field = tuple.__new__  # Field(...) runs a Python-level __new__; this is 3x cheaper
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_FAST_JSON = msgspec.json.Decoder().decode
# Keys this long that are no identifier ("anna@example.org", "+4915123456789", a UUID) may be
# the data: they are emitted as values too. Names such as "device_model" are identifiers.
_DATA_KEY_CHARS = 6
_TOO_DEEP = object()  # _json's answer for JSON nested deeper than the parser recurses
_HEX_TEXT_NIBBLES = "234567"  # hex-encoded ASCII text: every byte's high nibble is 2..7
# Strings that :meth:`Walker.nested` would leave alone whatever their place: no JSON, form, URL
# or token syntax at the start, no "=" or "%", and either a character outside the base64/hex
# alphabets (a dot, a comma, a colon: "com.example.app", "Pixel 7 Pro"), or a UUID, or too short
# for base64, or a lower-case word that cannot be hex ("session_start": base64 of real data
# mixes cases). Most values of a flow are such; one C-speed match spares each the Python checks.
# (Alternatives are unambiguous so that hostile text cannot make the match backtrack.)
_INERT = re.compile(
    r"(?![\s{\[]|eyJ|[Bb]earer )"
    r"(?:[A-Za-z0-9+/_\-]*[^A-Za-z0-9+/_=%\-\s][^=%]*"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[A-Za-z0-9+/_\-]{1,11}"
    r"|[a-z0-9_]*[g-z_][a-z0-9_]*)"
).fullmatch


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
    # Count control characters in C (a per-character loop costs milliseconds on big bodies), in
    # slices: findall's list takes 8 bytes a match, 64 MiB for 8 MiB of decompressed zeros.
    # Stop once too many are counted: 8 MiB of zeros made 8 million matches, 4 s.
    bad, allowed = 0, (1 - _MIN_PRINTABLE) * len(text)
    for start in range(0, len(text), 65536):
        bad += len(_CONTROL.findall(text, start, start + 65536))
        if bad > allowed:
            return None
    return text


class Walker:
    """Collects the fields of one flow; all decoders of a flow share one budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.fields: list[Field] = []
        self._max_fields = budget.limits.max_fields
        self._max_depth = budget.limits.max_depth
        self._max_value = budget.limits.max_value_chars

    # --- structures -------------------------------------------------------------------------

    def walk(
        self,
        obj: object,
        location: str,
        path: str,
        key: str,
        chain: str,
        depth: int,
        parent: str = "",
    ) -> None:
        """Emit the scalars of a parsed JSON/protobuf/form/plist structure."""
        kind = type(obj)
        if kind is dict:
            if depth > self._max_depth * 4:
                self.budget.note(f"{location} {path}: nested too deeply: skipped")
                return
            fields = self.fields
            limit = self._max_fields
            plain = chain or "plain"
            protobuf = chain.endswith("protobuf")
            if self.budget.exhausted:
                return
            # string() would note "not decoded further" at the depth limit: keep that path.
            inert_ok = depth + 1 < self._max_depth
            max_value = self._max_value
            for name, value in obj.items():  # type: ignore[attr-defined]
                if type(name) is not str:
                    name = str(name)
                sub = f"{path}.{name}" if path else name
                if len(name) >= _DATA_KEY_CHARS and not name.isidentifier():
                    self.data_key(name, location, sub, chain, key)
                vkind = type(value)
                if protobuf and vkind is list and len(value) == 1:
                    # A protobuf field is a list of its values; most occur once.
                    value = value[0]
                    vkind = type(value)
                if vkind is str:
                    if len(fields) < limit and (
                        (len(value) < 8 and "%" not in value)
                        or (inert_ok and len(value) <= max_value and _INERT(value))
                    ):
                        if value:  # the common case: a plain value, nothing inside
                            fields.append(
                                _new_field(Field, (location, sub, name, value, plain, False, key))
                            )
                    else:
                        self.string(value, location, sub, name, chain, depth + 1, key)
                elif (vkind is int or vkind is float) and len(fields) < limit:
                    fields.append(
                        _new_field(Field, (location, sub, name, repr(value), plain, False, key))
                    )
                elif vkind is bool and len(fields) < limit:
                    text = "true" if value else "false"
                    fields.append(_new_field(Field, (location, sub, name, text, plain, False, key)))
                elif value is not None:  # null: nothing to emit (walk would do nothing)
                    self.walk(value, location, sub, name, chain, depth + 1, key)
        elif kind is list:
            if depth > self._max_depth * 4:
                self.budget.note(f"{location} {path}: nested too deeply: skipped")
                return
            # Protobuf repeats a field number for each value: its paths stay index-free.
            protobuf = chain.endswith("protobuf")
            for index, value in enumerate(obj):  # type: ignore[arg-type]
                sub = path if protobuf else (f"{path}.{index}" if path else str(index))
                self.walk(value, location, sub, key, chain, depth + 1, parent)
        elif kind is str:
            self.string(obj, location, path, key, chain, depth, parent)  # type: ignore[arg-type]
        elif kind is bool:
            self.emit(location, path, key, "true" if obj else "false", chain, False, parent)
        elif kind is int or kind is float:
            self.emit(location, path, key, repr(obj), chain, False, parent)
        elif kind is bytes or kind is bytearray:
            self.binary(bytes(obj), location, path, key, chain, depth)  # type: ignore[arg-type]
        elif isinstance(obj, dict | list | str | int | float):  # subclasses (plist types)
            self.walk(_plain(obj), location, path, key, chain, depth, parent)

    def pairs(
        self, items: Iterable[tuple[str, str]], location: str, prefix: str, chain: str, depth: int
    ) -> None:
        parent = prefix.rsplit(".", 1)[-1]
        for name, value in items:
            sub = f"{prefix}.{name}" if prefix else name
            if len(name) >= _DATA_KEY_CHARS and not name.isidentifier():
                self.data_key(name, location, sub, chain, parent)
            self.string(value, location, sub, name, chain, depth, parent)

    def data_key(self, name: str, location: str, path: str, chain: str, parent: str) -> None:
        """A key that is data itself (an address book keyed by e-mail or phone number, a map
        keyed by advertising ID): emitted as a value without a name, at its own path."""
        self.emit(location, path, "", name, chain, False, parent)

    # --- scalars ----------------------------------------------------------------------------

    def emit(
        self,
        location: str,
        path: str,
        key: str,
        value: str,
        chain: str,
        raw: bool = False,
        parent: str = "",
    ) -> bool:
        fields = self.fields
        if len(fields) >= self._max_fields or self.budget.exhausted:
            if not self.budget.exhausted:
                self.budget.stop(f"more than {self._max_fields} fields: stopped")
            return False
        if not len(fields) & 255 and time.monotonic() > self.budget.deadline:
            self.budget.stop(f"decoding took longer than {self.budget.limits.max_seconds} s")
            return False
        fields.append(
            _new_field(Field, (location, path, key, value, chain or "plain", raw, parent))
        )
        return True

    def string(
        self,
        value: str,
        location: str,
        path: str,
        key: str,
        chain: str,
        depth: int,
        parent: str = "",
    ) -> None:
        """Emit a string, then look inside it."""
        if not value or not self.emit(location, path, key, value, chain, False, parent):
            return
        if len(value) < 8:
            if "%" in value and _PERCENT.search(value):
                self.string(
                    unquote(value), location, path, key, join(chain, "url"), depth + 1, parent
                )
            return
        if depth < self._max_depth and len(value) <= self._max_value and _INERT(value):
            return  # nothing inside (see _INERT): spares nested() its checks
        if (
            " " in value
            and value[0] not in "{[ \t\r\n"
            and "=" not in value
            and "%" not in value
            and not value.startswith(("Bearer ", "bearer "))
        ):
            return  # text with spaces and no JSON, form, URL or token syntax: nothing inside
        if depth >= self._max_depth or len(value) > self._max_value:
            self.budget.note(f"{location} {path}: not decoded further (depth or size)")
            return
        self.nested(value, location, path, key, chain, depth, parent)

    def nested(
        self,
        value: str,
        location: str,
        path: str,
        key: str,
        chain: str,
        depth: int,
        parent: str = "",
    ) -> None:
        text = value.strip() if value[0].isspace() or value[-1].isspace() else value
        if len(text) < 8:
            return
        first = text[0]
        if first in "{[":
            if text[-1] in "}]":
                parsed = _json(text)
                if parsed is _TOO_DEEP:
                    self.budget.note(f"{location} {path}: JSON nested too deeply: not parsed")
                elif parsed is not None:
                    self.walk(parsed, location, path, key, join(chain, "json"), depth + 1, parent)
            return
        if (first == "B" or first == "b") and text.startswith(("Bearer ", "bearer ")):
            text = text[7:].strip()
            first = text[:1]
        if first == "e" and text.startswith("eyJ") and _JWT.fullmatch(text):
            self.jwt(text, location, path, key, chain, depth)
            return
        if "=" in text and " " not in text and _FORM.fullmatch(text) and not text.endswith("="):
            items = parse_form(text)
            if items and all(name for name, _ in items):
                self.pairs(items, location, path, join(chain, "form"), depth + 1)
                return
        if "%" in text and _PERCENT.search(text):
            decoded = unquote(text)
            if decoded != text:
                self.string(decoded, location, path, key, join(chain, "url"), depth + 1, parent)
                return
        if len(text) < 12 or " " in text:
            return
        if len(text) == 36 and text.count("-") == 4 and _UUID.fullmatch(text):
            return  # a UUID: nothing inside
        if not len(text) & 1 and _HEX.fullmatch(text):
            # Hex-encoded text (not a hash or random bytes): high nibbles all 2..7.
            if len(text) >= 16 and not text[::2].strip(_HEX_TEXT_NIBBLES):
                decoded_text = printable_text(bytes.fromhex(text))
                if decoded_text is not None:
                    self.string(
                        decoded_text, location, path, key, join(chain, "hex"), depth + 1, parent
                    )
            return
        # Base64 of real data mixes cases and digits; words_with_underscores do not.
        if not text.isalpha() and not text.islower() and _BASE64.fullmatch(text):
            self.base64(text, location, path, key, chain, depth, parent)

    def jwt(self, text: str, location: str, path: str, key: str, chain: str, depth: int) -> None:
        header, payload = text.split(".")[:2]
        for part, name in ((header, "header"), (payload, "payload")):
            data = _b64decode(part)
            parsed = _json(data.decode("utf-8", "replace")) if data else None
            if parsed is not None:
                self.walk(
                    parsed,
                    location,
                    f"{path}.jwt.{name}",
                    key,
                    join(chain, "jwt"),
                    depth + 1,
                    "jwt",
                )

    def base64(
        self, text: str, location: str, path: str, key: str, chain: str, depth: int, parent: str
    ) -> None:
        data = _b64decode(text)
        if not data or not self.budget.take_bytes(len(data)):
            return
        step = "base64url" if ("-" in text or "_" in text) else "base64"
        self.binary(data, location, path, key, join(chain, step), depth + 1, True, parent)

    def binary(
        self,
        data: bytes,
        location: str,
        path: str,
        key: str,
        chain: str,
        depth: int,
        from_text: bool = False,
        parent: str = "",
    ) -> None:
        """Bytes found inside something: compressed, text, or protobuf."""
        coding = sniff_coding(data)
        if coding and depth < self._max_depth:
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
        if depth < self._max_depth and _has_controls(data) and looks_like_protobuf(data):
            # Mostly-text protobuf (string fields) would pass as text; its tags do not.
            message = parse_message(data, max_depth=self._max_depth - depth)
            if message is not None:
                self.walk(message, location, path, key, join(chain, "protobuf"), depth + 1)
                return
        text = printable_text(data)
        if text is not None:
            if from_text and not _plausible_decoded_text(text):
                return
            self.string(text, location, path, key, chain, depth, parent)


def _has_controls(data: bytes) -> bool:
    return any(byte < 0x20 and byte not in (9, 10, 13) for byte in data[:4096])


def _json(text: str) -> object | None:
    """Parsed JSON; None if it is not JSON, _TOO_DEEP if nested beyond the parser's recursion.

    msgspec parses 2-3x faster than the standard library and, unlike orjson, keeps integers
    beyond 64 bits exact (a 20-digit ICCID sent as a number); what it refuses (NaN, lone
    surrogate escapes, deep nesting) is given to ``json``, which decides.
    """
    try:
        return _FAST_JSON(text)
    except msgspec.DecodeError:
        pass
    except RecursionError:
        return _TOO_DEEP
    try:
        return json.loads(text)
    except ValueError:
        return None
    except RecursionError:
        return _TOO_DEEP


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


def _plain(obj: object) -> object:
    """Builtin types for subclasses (plistlib's UID, str subclasses): walk only knows builtins."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    return str(obj)
