"""Strings that hide other bytes or text: base64, base32, hex, HTML entities, lz-string, JSON.

Pure functions, each answering None where its encoding does not apply, for
:class:`analyzer.decode.walker.Walker` to try in order. Each is cheap to refuse: the walker runs
them on every value that is not plainly inert, and most values are random IDs or words.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re

import msgspec

from analyzer.decode.lzstring import (
    LZStringError,
    decompress_base64,
    decompress_uri,
    decompress_utf16,
)

MIN_PRINTABLE = 0.95
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_FAST_JSON = msgspec.json.Decoder().decode
TOO_DEEP = object()  # json_value's answer for JSON nested deeper than the parser recurses
_BASE64_WRAPPED = re.compile(r"[A-Za-z0-9+/]{4,76}(?:\r?\n[A-Za-z0-9+/]{4,76})+={0,2}\r?\n?")
_BASE32 = re.compile(r"[A-Z2-7]{16,}={0,6}|[a-z2-7]{16,}={0,6}")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_LZ_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,3}")
_LZ_URI = re.compile(r"[A-Za-z0-9+\-$ ]+")
# lz-string's UTF-16 form: 15 bits a character offset by 32 (U+0020..U+801F), ending in a space.
_LZ_UTF16 = re.compile(r"[\u0020-\u801f]{4,}\u0020")
_HEX_COMPRESSED = ("1f8b", "28b52ffd", "789c", "78da", "7801", "785e")
# Shorter lz-string output holds a dozen bytes of text at most, nothing a tracker packs; IDs of
# 16 base64 characters are common and would each cost an attempt.
LZ_MIN_INPUT = 20
LZ_MAX_INPUT = 128 * 1024  # characters of lz-string input tried; its decoder is pure Python


def printable_text(data: bytes) -> str | None:
    """``data`` as text when it is UTF-8 and nearly all printable (not a binary blob)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if is_printable(text) else None


def is_printable(text: str) -> bool:
    """True when ``text`` is non-empty and at least 95 % printable (tabs, newlines allowed)."""
    if not text:
        return False
    if text.isprintable():
        return True
    # Count control characters in C (a per-character loop costs milliseconds on big bodies), in
    # slices: findall's list takes 8 bytes a match, 64 MiB for 8 MiB of decompressed zeros.
    # Stop once too many are counted: 8 MiB of zeros made 8 million matches, 4 s.
    bad, allowed = 0, (1 - MIN_PRINTABLE) * len(text)
    for start in range(0, len(text), 65536):
        bad += len(_CONTROL.findall(text, start, start + 65536))
        if bad > allowed:
            return False
    return True


def plausible_decoded_text(text: str) -> bool:
    """True when text decoded from a blob looks like real text, JSON or a form.

    Random IDs are valid base64 too ("dYPvivoVTOWuVT5l_T_rmF"); their decoding is rarely
    printable, and when it is by chance it is short gibberish: ask for length and mostly
    letters, digits and spaces, as in real text, JSON or forms.
    """
    if len(text) < 4:
        return False
    good = sum(1 for c in text if c.isalnum() or c in " {}[]\":,=&._-@/+'")
    return good >= 0.85 * len(text)


def json_value(text: str) -> object | None:
    """Parsed JSON; None if it is not JSON, :data:`TOO_DEEP` if nested beyond the parser's
    recursion.

    msgspec parses 2-3x faster than the standard library and, unlike orjson, keeps integers
    beyond 64 bits exact (a 20-digit ICCID sent as a number); what it refuses (NaN, lone
    surrogate escapes, deep nesting) is given to ``json``, which decides.
    """
    try:
        return _FAST_JSON(text)
    except msgspec.DecodeError:
        pass
    except RecursionError:
        return TOO_DEEP
    try:
        return json.loads(text)
    except ValueError:
        return None
    except RecursionError:
        return TOO_DEEP


def b64decode(text: str) -> bytes | None:
    """Standard or URL-safe base64, padded or not; None if it is neither."""
    text = text.strip().rstrip("=")
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def b64decode_wrapped(text: str) -> bytes | None:
    """MIME-style base64 in lines (Android's ``Base64.DEFAULT`` breaks every 76 characters and
    ends with a newline); None if ``text`` is not that."""
    if "\n" not in text or not _BASE64_WRAPPED.fullmatch(text):
        return None
    return b64decode("".join(text.split()))


def b32decode(text: str) -> bytes | None:
    """RFC 4648 base32 (upper or lower case, padded or not, at least 16 characters)."""
    if not _BASE32.fullmatch(text):
        return None
    stripped = text.rstrip("=").upper()
    if len(stripped) % 8 in (1, 3, 6):
        return None  # no byte count ends there
    try:
        return base64.b32decode(stripped + "=" * (-len(stripped) % 8))
    except (binascii.Error, ValueError):
        return None


def hex_compressed(text: str) -> bytes | None:
    """Hex that encodes gzip, zstd or zlib data (by its magic bytes); None otherwise."""
    if len(text) & 1 or not text[:8].lower().startswith(_HEX_COMPRESSED):
        return None
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def html_unescape(text: str) -> str | None:
    """``text`` with its HTML character references resolved (``&#116;``, ``&quot;``); None
    when it has none."""
    if "&" not in text or ";" not in text or not _ENTITY.search(text):
        return None
    decoded = html.unescape(text)
    return decoded if decoded != text else None


def lz_string(text: str, limit: int, deadline: float) -> tuple[str, str] | None:
    """(decompressed text, form) for lz-string's base64, URI-component or UTF-16 form, trying
    each form whose alphabet ``text`` is in; None when none decodes to plausible text. Raises
    :class:`~analyzer.decode.lzstring.LZStringTimeout` past ``deadline``."""
    if len(text) > LZ_MAX_INPUT or len(text) < LZ_MIN_INPUT:
        return None
    attempts = []
    if text.isascii():
        # compressToBase64 always pads to a multiple of 4: unpadded IDs are not tried.
        if not len(text) & 3 and _LZ_BASE64.fullmatch(text):
            attempts.append((decompress_base64, "lz-string"))
        # The URI form has no padding: tried where a "$", "-" or space (a form's "+") shows it,
        # or where it is longer than the IDs that share its alphabet (22-44 characters).
        if _LZ_URI.fullmatch(text) and (
            len(text) >= 48 or "$" in text or "-" in text or " " in text
        ):
            attempts.append((decompress_uri, "lz-string-uri"))
    elif _LZ_UTF16.fullmatch(text):
        attempts.append((decompress_utf16, "lz-string-utf16"))
    for decoder, form in attempts:
        try:
            out = decoder(text, limit, deadline)
        except LZStringError:
            continue
        if plausible_decoded_text(out):
            return out, form
    return None


def is_lz_uri_spaced(text: str) -> bool:
    """True when ``text`` may be lz-string's URI form after a form decoder turned its "+"
    into spaces (long, only that alphabet and spaces, no space at either end)."""
    return (
        len(text) >= 20
        and text[0] != " "
        and text[-1] != " "
        and _LZ_URI.fullmatch(text) is not None
    )


def is_lz_utf16(text: str) -> bool:
    """True when ``text`` may be lz-string's UTF-16 form (checked before stripping spaces)."""
    return text[-1:] == " " and not text[:1].isascii() and _LZ_UTF16.fullmatch(text) is not None


def plain_types(obj: object) -> object:
    """Builtin types for subclasses (plistlib's UID, str subclasses): walk only knows builtins."""
    if isinstance(obj, dict):
        return {str(k): plain_types(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain_types(v) for v in obj]
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    return str(obj)
