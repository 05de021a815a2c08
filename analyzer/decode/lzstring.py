"""lz-string decompression, bounded: the three text forms JavaScript trackers send.

lz-string (pieroxy, MIT licence, https://github.com/pieroxy/lz-string; format as in its
``libs/lz-string.js`` 1.5.0) is an LZW variant that session-replay and analytics scripts use to
shrink JSON before sending it: ``compressToBase64`` (alphabet ``A-Za-z0-9+/=``, 6 bits a
character), ``compressToEncodedURIComponent`` (``A-Za-z0-9+-$``, 6 bits) and
``compressToUTF16`` (15 bits a character, offset by 32, ending in a space). This is our own
decoder written from that format, not a port of its code. Why not the PyPI ``lzstring`` package:
unmaintained since 2018, it needs the Python 2 ``future`` shim, has no URI-component or UTF-16
decoder of its own, and no bound on the output (an LZW stream of n codes can expand to O(n^2)
characters), which captured traffic must have.

The stream: codes of a width that grows from 3 bits, read least significant bit first; code 0
and 1 introduce a new character of 8 or 16 bits, 2 ends the stream, higher codes name a
dictionary entry (the entry about to be added may be named: previous + its own first character).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
URI = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$"
_BASE64_VALUES = {char: index for index, char in enumerate(BASE64)}
_URI_VALUES = {char: index for index, char in enumerate(URI)}


class LZStringError(ValueError):
    pass


class LZStringTimeout(Exception):
    """The decoder passed its deadline (a long stream, hostile or not)."""


def decompress_base64(text: str, limit: int, deadline: float = math.inf) -> str:
    """The text compressed by ``LZString.compressToBase64``; see :func:`decompress_values`."""
    return decompress_values(text.rstrip("="), _BASE64_VALUES.__getitem__, 6, limit, deadline)


def decompress_uri(text: str, limit: int, deadline: float = math.inf) -> str:
    """The text compressed by ``LZString.compressToEncodedURIComponent`` (a space, as a form
    decoder makes of "+", is read back as "+")."""
    values = _URI_VALUES.__getitem__
    return decompress_values(text.replace(" ", "+"), values, 6, limit, deadline)


def decompress_utf16(text: str, limit: int, deadline: float = math.inf) -> str:
    """The text compressed by ``LZString.compressToUTF16`` (15 bits a character, plus 32)."""
    return decompress_values(text.removesuffix(" "), _utf16_value, 15, limit, deadline)


def _utf16_value(char: str) -> int:
    value = ord(char) - 32
    if value < 0 or value >= 1 << 15:
        raise KeyError(char)
    return value


def decompress_values(
    text: str,
    value_of: Callable[[str], int],
    bits_per_value: int,
    limit: int,
    deadline: float = math.inf,
) -> str:
    """Decode a stream of characters worth ``bits_per_value`` bits each (``value_of`` gives a
    character's value, KeyError for a character outside the form's alphabet), most significant
    bit first within a value (as lz-string packs them). Characters are read as the decoder
    needs them, so that a string that is no lz-string costs only the few read before it fails.

    Returns the text (at most ``limit`` characters). Raises :class:`LZStringError` when the
    stream is not lz-string: an unknown code, a character code that is no text, the end reached
    without the end-of-stream code, more than one value of input left after it (random strings
    in the same alphabet fail one of these almost always), or output beyond ``limit``; raises
    :class:`LZStringTimeout` past ``deadline`` (``time.monotonic()``; checked every 4096 codes:
    the pure-Python reader decodes about 200,000 characters of base64 form a second).
    """
    reader = _Bits(text, value_of, bits_per_value)
    entries: list[str] = ["", "", ""]  # 0, 1, 2 are the codes for char8, char16, end
    width = 2
    code = reader.read(width)
    if code == 2:
        reader.finish()
        return ""
    if code > 1:
        raise LZStringError("bad first code")
    previous = _char(reader.read(8 if code == 0 else 16))
    entries.append(previous)
    out = [previous]
    size = len(previous)
    # The width grows by one bit each time the dictionary fills the codes of the current width;
    # ``enlarge_in`` counts the entries still to add before that.
    width, enlarge_in = 3, 4
    codes = 0
    while True:
        codes += 1
        if not codes & 4095 and time.monotonic() > deadline:
            raise LZStringTimeout("lz-string decoding ran out of time")
        code = reader.read(width)
        if code in (0, 1):
            entries.append(_char(reader.read(8 if code == 0 else 16)))
            code = len(entries) - 1
            enlarge_in -= 1
            if enlarge_in == 0:
                enlarge_in = 1 << width
                width += 1
        elif code == 2:
            reader.finish()
            return _joined(out)
        if code < len(entries):
            entry = entries[code]
        elif code == len(entries):
            entry = previous + previous[0]
        else:
            raise LZStringError("code beyond the dictionary")
        size += len(entry)
        if size > limit:
            raise LZStringError(f"output beyond {limit} characters")
        out.append(entry)
        entries.append(previous + entry[0])
        enlarge_in -= 1
        previous = entry
        if enlarge_in == 0:
            enlarge_in = 1 << width
            width += 1


def _char(code: int) -> str:
    return chr(code)


def _joined(out: list[str]) -> str:
    text = "".join(out)
    if any("\ud800" <= char <= "\udfff" for char in text):
        # lz-string works on UTF-16 code units: an emoji arrives as two halves of a surrogate
        # pair; joined through UTF-16 they are one character again (lone halves stay).
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return text


class _Bits:
    """Reads bits least significant first from values whose most significant bit comes first."""

    __slots__ = ("_index", "_mask", "_reset", "_text", "_value", "_value_of")

    def __init__(self, text: str, value_of: Callable[[str], int], bits_per_value: int) -> None:
        self._text = text
        self._value_of = value_of
        self._reset = 1 << (bits_per_value - 1)
        self._index = 0
        self._value = 0
        self._mask = 0

    def read(self, count: int) -> int:
        result = 0
        for position in range(count):
            if not self._mask:
                if self._index >= len(self._text):
                    raise LZStringError("stream ends without its end code")
                try:
                    self._value = self._value_of(self._text[self._index])
                except KeyError:
                    raise LZStringError("a character outside the form's alphabet") from None
                self._index += 1
                self._mask = self._reset
            if self._value & self._mask:
                result |= 1 << position
            self._mask >>= 1
        return result

    def finish(self) -> None:
        """At the end code: what is left must be padding (the rest of this value, one more)."""
        if len(self._text) - self._index > 1:
            raise LZStringError("data after the end code")
