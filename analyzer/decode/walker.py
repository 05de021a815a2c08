"""Turning parsed structures and strings into flat fields, decoding what is nested inside.

A string can hide more: JSON in a JSON string, a form or JSON in base64, a JWT, a gzip blob in
base64, percent-encoding applied twice (in UTF-8 or a legacy charset), HTML character references,
lz-string, base32, hex. :class:`Walker` emits every scalar as a :class:`Field` and then tries
these decodings on it (:mod:`analyzer.decode.blobs`), appending each step to the field's encoding
chain, within the flow's :class:`Budget` (depth, bytes, fields, time). This runs for every value
of every flow, so the common case (a short plain value) must cost next to nothing: cheap
character tests come before any regular expression or decoding attempt.

Numbers in protobuf are emitted with their alternative readings (signed, zigzag, integer of a
float's bits) as further fields at the same path, the reading's type as the last chain step
(``protobuf>sint32``), and so are the values of a field's bytes read as a packed array
(``protobuf>packed>double``); see :mod:`analyzer.decode.protobuf`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from analyzer.decode.blobs import (
    is_lz_uri_spaced,
    is_lz_utf16,
    plain_types,
)
from analyzer.decode.charset import unquote_text
from analyzer.decode.fields import Budget, Field, join
from analyzer.decode.form import UNDECODED, FormItem, parse_form
from analyzer.decode.nested import NestedDecoders
from analyzer.decode.protobuf import Fixed, Packed, varint_readings

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_new_field = tuple.__new__  # Field(...) runs a Python-level __new__; this is 3x cheaper
# Keys this long that are no identifier ("anna@example.org", "+4915123456789", a UUID) may be
# the data: they are emitted as values too. Names such as "device_model" are identifiers.
_DATA_KEY_CHARS = 6
MAX_OPAQUE_BYTES = 64  # raw bytes in a structure emitted as hex (digests, binary IDs)
# Strings that :meth:`Walker.nested` would leave alone whatever their place: no JSON, form, URL
# or token syntax at the start, no "=", "%" or "&", and either a character outside the
# base64/hex/lz-string alphabets (a dot, a comma, a colon: "com.example.app", "Pixel 7 Pro"),
# or a UUID, or too short for base64, or a lower-case word that cannot be hex ("session_start":
# base64 of real data mixes cases). Most values of a flow are such; one C-speed match spares
# each the Python checks. Text that starts non-ASCII and ends in a space may be lz-string's
# UTF-16 form, a long lower-case word of a-z and 2-7 base32. (Alternatives are unambiguous so
# that hostile text cannot make the match backtrack.)
_INERT = re.compile(
    r"(?![\s{\[]|eyJ|[Bb]earer |[^\x00-\x7f].*\x20\Z|[a-z2-7]{16,}=*\Z)"
    r"(?:[A-Za-z0-9+/_$\-]*[^A-Za-z0-9+/_=%&$\-\s][^=%&]*"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[A-Za-z0-9+/_\-]{1,11}"
    r"|[a-z0-9_]*[g-z_][a-z0-9_]*)"
).fullmatch


class Walker(NestedDecoders):
    """Collects the fields of one flow; all decoders of a flow share one budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.fields: list[Field] = []
        self._max_fields = budget.limits.max_fields
        self._max_depth = budget.limits.max_depth
        self._max_value = budget.limits.max_value_chars
        # What the flow's WebSocket handshake offered (Sec-WebSocket-Protocol: mqtt, v12.stomp)
        # and the MQTT level its CONNECT packet set: framings of later messages depend on them.
        self.subprotocols: frozenset[str] = frozenset()
        self.mqtt_level: int | None = None

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
                    if protobuf and vkind is int and value >= 128:
                        self.readings(varint_readings(value), location, sub, name, chain, key)
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
            if kind is int and obj >= 128 and chain.endswith("protobuf"):  # type: ignore[operator]
                self.readings(varint_readings(obj), location, path, key, chain, parent)  # type: ignore[arg-type]
        elif kind is Fixed:
            first, alternatives = obj.readings()  # type: ignore[attr-defined]
            if self.emit(location, path, key, first, chain, False, parent):
                self.readings(alternatives, location, path, key, chain, parent)
        elif kind is Packed:  # the field's bytes read as packed numbers (after its first reading)
            readings, note = obj.readings()  # type: ignore[attr-defined]
            self.readings(readings, location, path, key, chain, parent)
            if note:
                self.budget.note(f"{location} {path}: {note}")
        elif kind is bytes or kind is bytearray:
            data = bytes(obj)  # type: ignore[arg-type]
            if not self.binary(data, location, path, key, chain, depth):
                self.opaque(data, location, path, key, chain, parent)
        elif isinstance(obj, dict | list | str | int | float):  # subclasses (plist types)
            self.walk(plain_types(obj), location, path, key, chain, depth, parent)

    def opaque(
        self, data: bytes, location: str, path: str, key: str, chain: str, parent: str
    ) -> None:
        """Raw bytes that are no text, protobuf or compressed data (a protobuf ``bytes`` field,
        plist data): up to 64 bytes (a digest, a binary ID) as lower-case hex, the chain step
        ``bytes`` saying that leakmap wrote the hex, so that the known-value matcher finds a
        raw SHA-256 of a profile value; longer ones are named in a note."""
        if len(data) <= MAX_OPAQUE_BYTES:
            self.emit(location, path, key, data.hex(), join(chain, "bytes"), False, parent)
        else:
            self.budget.note(
                f"{location} {path}: {len(data)} bytes of binary data (no text, protobuf or "
                "compressed data): not decoded"
            )

    def readings(
        self,
        readings: list[tuple[str, str]],
        location: str,
        path: str,
        key: str,
        chain: str,
        parent: str,
    ) -> None:
        """Alternative readings of one protobuf number, each a field at the same path."""
        for step, text in readings:
            self.emit(location, path, key, text, join(chain, step), False, parent)

    def pairs(
        self, items: Iterable[tuple[str, str]], location: str, prefix: str, chain: str, depth: int
    ) -> None:
        parent = prefix.rsplit(".", 1)[-1]
        for name, value in items:
            sub = f"{prefix}.{name}" if prefix else name
            if len(name) >= _DATA_KEY_CHARS and not name.isidentifier():
                self.data_key(name, location, sub, chain, parent)
            self.string(value, location, sub, name, chain, depth, parent)

    def form(
        self,
        text: str,
        location: str,
        prefix: str,
        chain: str,
        depth: int,
        charset: str | None = None,
        items: list[FormItem] | None = None,
    ) -> bool:
        """Emit the items of form-urlencoded ``text`` (a body, a query string, a value) in the
        declared ``charset`` (codec name) or UTF-8 or the detected charset; the chain names a
        legacy charset (``form>gbk``). Where a legacy charset was needed, the undivided text
        is kept raw too (as sent, percent-encoded), and items that no charset decodes keep
        their percent-encoding, with a note. False when ``text`` holds no item."""
        if items is None:
            # Items past the field cap would only be counted and dropped: not parsed at all
            # (100,000 form fields took 5x the time to parse than the 20,000 that are kept).
            room = self._max_fields - len(self.fields) + 1
            items = parse_form(text, charset, limit=max(room, 1))
        if not items:
            return False
        parent = prefix.rsplit(".", 1)[-1]
        legacy = undecoded = 0
        budget = self.budget
        for name, value, step in items:
            if budget.exhausted:
                break
            sub = f"{prefix}.{name}" if prefix else name
            if step:
                legacy += 1
                if step == UNDECODED:
                    undecoded += 1
                    self.emit(location, sub, name, value, chain, False, parent)
                    continue
            item_chain = join(chain, step) if step else chain
            if len(name) >= _DATA_KEY_CHARS and not name.isidentifier():
                self.data_key(name, location, sub, item_chain, parent)
            self.string(value, location, sub, name, item_chain, depth, parent)
        if legacy:
            self.emit(location, prefix, "", text, chain, raw=True)
        if undecoded:
            self.budget.note(
                f"{location} {prefix}".rstrip()
                + f": {undecoded} percent-encoded item(s) in no charset known here: kept as sent"
            )
        return True

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
                self.unquote(value, location, path, key, chain, depth, parent)
            return
        if depth < self._max_depth and len(value) <= self._max_value and _INERT(value):
            return  # nothing inside (see _INERT): spares nested() its checks
        if (
            " " in value
            and value[0] not in "{[ \t\r\n"
            and "=" not in value
            and "%" not in value
            and "&" not in value
            and not value.startswith(("Bearer ", "bearer "))
            and (value[-1] != " " or not is_lz_utf16(value))
        ):
            # Text with spaces and no JSON, form, URL or token syntax: nothing inside, unless
            # it is lz-string's URI form whose "+" a form decoder made spaces.
            if len(value) >= 20 and is_lz_uri_spaced(value):
                self.lz_string(value, location, path, key, chain, depth, parent)
            return
        if depth >= self._max_depth or len(value) > self._max_value:
            self.budget.note(f"{location} {path}: not decoded further (depth or size)")
            return
        # lz-string's UTF-16 form ends in a space, which nested() would strip.
        if (
            value[-1] == " "
            and is_lz_utf16(value)
            and self.lz_string(value, location, path, key, chain, depth, parent)
        ):
            return
        self.nested(value, location, path, key, chain, depth, parent)

    def unquote(
        self, text: str, location: str, path: str, key: str, chain: str, depth: int, parent: str
    ) -> bool:
        """Percent-decoding (UTF-8, else the detected charset, named in the chain: url>gbk)."""
        found = unquote_text(text)
        if found is None:
            self.budget.note(
                f"{location} {path}: percent-encoded bytes in no charset known here: kept as sent"
            )
            return False
        if found.text == text:
            return False
        step = join(join(chain, "url"), found.charset) if found.charset else join(chain, "url")
        self.string(found.text, location, path, key, step, depth + 1, parent)
        return True
