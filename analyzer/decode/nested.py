"""Looking inside one string: JSON, JWT, HTML entities, forms, percent-encoding, base64 (also in
lines), base32, hex, lz-string, and the bytes they hide (compressed, protobuf, text).

:class:`NestedDecoders` is the part of :class:`analyzer.decode.walker.Walker` that tries these
in order on a value the walker did not find inert; the pure decoders are in
:mod:`analyzer.decode.blobs`.
"""

from __future__ import annotations

import re

from analyzer.decode.blobs import (
    TOO_DEEP,
    b32decode,
    b64decode,
    b64decode_wrapped,
    hex_compressed,
    html_unescape,
    is_printable,
    json_value,
    lz_string,
    plausible_decoded_text,
    printable_text,
)
from analyzer.decode.charset import decode_text
from analyzer.decode.content import DecodeError, decompress, sniff_coding, try_headerless
from analyzer.decode.fields import Budget, join
from analyzer.decode.form import parse_form
from analyzer.decode.lzstring import LZStringTimeout
from analyzer.decode.protobuf import looks_like_protobuf, parse_message

_BASE64 = re.compile(r"[A-Za-z0-9+/]{12,}={0,2}|[A-Za-z0-9_-]{12,}={0,2}")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
# One class repeated (not pairs): a repeated group costs ~75 bytes of regex stack per character.
_HEX = re.compile(r"[0-9a-fA-F]{16,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# Unambiguous on purpose (a key cannot contain "=" or "&", a value cannot contain "&"): a
# pattern where key and value could take the same characters backtracks exponentially on
# hostile input such as "a=1&xxxxxxxxxx&xxxxxxxxxx&...&".
_FORM = re.compile(r"[\w.\-\[\]%]+=[^&\s]*(?:&[\w.\-\[\]%]+(?:=[^&\s]*)?)*")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_TEXT_NIBBLES = "234567"  # hex-encoded ASCII text: every byte's high nibble is 2..7


class NestedDecoders:
    """Decoders of what a string hides; mixed into the Walker, whose budget, limits and emitting
    methods (``string``, ``walk``, ``form``, ``unquote``) they use."""

    budget: Budget
    _max_depth: int

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
                parsed = json_value(text)
                if parsed is TOO_DEEP:
                    self.budget.note(f"{location} {path}: JSON nested too deeply: not parsed")
                elif parsed is not None:
                    self.walk(parsed, location, path, key, join(chain, "json"), depth + 1, parent)
                    return
            if "&" not in text or (unescaped := html_unescape(text)) is None:
                return
            # JSON escaped for HTML ({&quot;id&quot;: ...}).
            self.string(unescaped, location, path, key, join(chain, "html"), depth + 1, parent)
            return
        if (first == "B" or first == "b") and text.startswith(("Bearer ", "bearer ")):
            text = text[7:].strip()
            first = text[:1]
        if first == "e" and text.startswith("eyJ") and _JWT.fullmatch(text):
            self.jwt(text, location, path, key, chain, depth)
            return
        if "&" in text and (unescaped := html_unescape(text)) is not None:
            self.string(unescaped, location, path, key, join(chain, "html"), depth + 1, parent)
            return
        if "=" in text and " " not in text and _FORM.fullmatch(text) and not text.endswith("="):
            items = parse_form(text)
            if items and all(name for name, _, _ in items):
                self.form(text, location, path, join(chain, "form"), depth + 1, items=items)
                return
        if (
            "%" in text
            and _PERCENT.search(text)
            and self.unquote(text, location, path, key, chain, depth, parent)
        ):
            return
        if len(text) < 12:
            return
        if " " in text or "\n" in text:
            wrapped = b64decode_wrapped(text) if "\n" in text else None
            if wrapped is not None:
                self.decoded_bytes(wrapped, location, path, key, join(chain, "base64"), depth)
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
            elif (data := hex_compressed(text)) is not None:
                self.decoded_bytes(data, location, path, key, join(chain, "hex"), depth)
            return
        # lz-string before base64: reaching its end-of-stream code exactly is strong evidence,
        # while the base64 of lz-string output is random bytes that may parse as protobuf. A
        # string of the other alphabets fails on its first character.
        if self.lz_string(text, location, path, key, chain, depth, parent):
            return
        # Base32 before base64 (its alphabet is a subset; 16 random base64 characters fall in
        # it once in 65,000 times).
        data = b32decode(text)
        if data is not None and self.decoded_bytes(
            data, location, path, key, join(chain, "base32"), depth, parent
        ):
            return
        # Base64 of real data mixes cases and digits; words_with_underscores do not.
        if not text.isalpha() and not text.islower() and _BASE64.fullmatch(text):
            self.base64(text, location, path, key, chain, depth, parent)

    def jwt(self, text: str, location: str, path: str, key: str, chain: str, depth: int) -> None:
        header, payload = text.split(".")[:2]
        for part, name in ((header, "header"), (payload, "payload")):
            data = b64decode(part)
            parsed = json_value(data.decode("utf-8", "replace")) if data else None
            if parsed is not None and parsed is not TOO_DEEP:
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
    ) -> bool:
        data = b64decode(text)
        if not data:
            return False
        step = "base64url" if ("-" in text or "_" in text) else "base64"
        return self.decoded_bytes(data, location, path, key, join(chain, step), depth, parent)

    def decoded_bytes(
        self,
        data: bytes,
        location: str,
        path: str,
        key: str,
        chain: str,
        depth: int,
        parent: str = "",
    ) -> bool:
        """Bytes decoded from a text encoding: believed only as compressed data, protobuf or
        plausible text (see :func:`~analyzer.decode.blobs.plausible_decoded_text`)."""
        if not self.budget.take_bytes(len(data)):
            return False
        return self.binary(data, location, path, key, chain, depth + 1, True, parent)

    def lz_string(
        self, text: str, location: str, path: str, key: str, chain: str, depth: int, parent: str
    ) -> bool:
        room = self.budget.limits.max_decoded_bytes - self.budget.decoded_bytes
        try:
            found = lz_string(text, max(room, 0), self.budget.deadline)
        except LZStringTimeout:
            self.budget.stop(f"decoding took longer than {self.budget.limits.max_seconds} s")
            return True
        if found is None:
            return False
        decoded, form = found
        if not self.budget.take_bytes(len(decoded)):
            return True
        self.string(decoded, location, path, key, join(chain, form), depth + 1, parent)
        return True

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
    ) -> bool:
        """Bytes found inside something: compressed, protobuf, or text. True when they were
        read as one of these (from a text encoding: only where the result is plausible)."""
        coding = sniff_coding(data)
        if coding and depth < self._max_depth:
            room = self.budget.limits.max_decoded_bytes - self.budget.decoded_bytes
            try:
                out, complete = decompress(data, coding, max(room, 0))
            except DecodeError:
                out, complete = b"", False
                if coding != "zlib":  # a 2-byte signature with 5 bits of check: no proof
                    self.budget.note(f"{location} {path}: broken {coding} data")
                    return False
            if out:
                if not complete:
                    self.budget.note(f"{location} {path}: {coding} data cut short")
                if self.budget.take_bytes(len(out)):
                    self.binary(out, location, path, key, join(chain, coding), depth + 1)
                return True
        if depth < self._max_depth and _has_controls(data) and looks_like_protobuf(data):
            # Mostly-text protobuf (string fields) would pass as text; its tags do not.
            message = parse_message(data, max_depth=self._max_depth - depth)
            if message is not None:
                self.walk(message, location, path, key, join(chain, "protobuf"), depth + 1)
                return True
        # UTF-8 (or UTF-16/32 with a byte-order mark): detecting a legacy charset costs about a
        # millisecond, too much for every random ID that base64 decodes; bodies and messages
        # get it (analyzer.decode.body), values inside them do not.
        found = decode_text(data, detect=False)
        if found is not None and found.text and is_printable(found.text):
            if from_text and not plausible_decoded_text(found.text):
                return False
            step = join(chain, found.charset) if found.charset else chain
            self.string(found.text, location, path, key, step, depth, parent)
            return True
        # Raw deflate and brotli have no signature: tried on blobs of 24 bytes or more (a
        # compressed JSON object with a field or two; a random ID of 12-18 bytes is not worth
        # the 8 us the two attempts cost).
        if depth < self._max_depth and len(data) >= (24 if from_text else 8):
            room = self.budget.limits.max_decoded_bytes - self.budget.decoded_bytes
            hidden = try_headerless(data, max(room, 0))
            if hidden is not None and _looks_decoded(hidden[0]):
                out, coding = hidden
                if self.budget.take_bytes(len(out)):
                    self.binary(out, location, path, key, join(chain, coding), depth + 1)
                return True
        return False


def _has_controls(data: bytes) -> bool:
    return any(byte < 0x20 and byte not in (9, 10, 13) for byte in data[:4096])


def _looks_decoded(data: bytes) -> bool:
    """Output of a decompressor tried without a header: believed as plausible text or JSON,
    or as a protobuf message of some size (random input inflates to short gibberish)."""
    text = printable_text(data)
    if text is not None:
        return plausible_decoded_text(text)
    return len(data) >= 8 and looks_like_protobuf(data) and parse_message(data) is not None
