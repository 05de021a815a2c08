"""Form-urlencoded text (bodies, query strings) to (name, value, charset) items.

Form bodies of trackers carry URL-encoded JSON, dozens of escapes per value; urllib decodes each
escape in Python. Here ASCII text (almost every form) is un-percent-encoded in C by
``codecs.escape_decode``; anything else (non-ASCII text, a "%" not followed by two hex digits)
goes through urllib. Where the escapes are UTF-8 the result is exactly ``parse_qsl``'s with
``keep_blank_values``. Escapes that are no UTF-8 (a GBK query string, a form that declares
``charset=Big5``) are decoded by the declared charset, else by the charset detected over the
whole form (:mod:`analyzer.decode.charset`); what neither decodes keeps its percent-encoded text
and is marked :data:`UNDECODED`, so that no U+FFFD ever stands for a byte.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import unquote

from analyzer.decode.charset import decode_escaped, has_high_escapes

_PIECE = re.compile(r"[^&]+")
UNDECODED = "?"  # FormItem.charset of an item that no charset decodes (kept percent-encoded)
_new_item = tuple.__new__  # FormItem(...) runs a Python-level __new__; a form has thousands
_UTF8_LABELS = frozenset({None, "utf_8", "utf_8_sig", "ascii", "iso8859_1", "cp1252"})


class FormItem(NamedTuple):
    """One name and value; ``charset`` is "" for UTF-8 (or ASCII), else the chain step that
    names the charset that decoded it (``gbk``), or :data:`UNDECODED`."""

    name: str
    value: str
    charset: str = ""


def parse_form(text: str, charset: str | None = None, limit: int = 0) -> list[FormItem]:
    """The items of form-urlencoded ``text``; ``charset`` is the declared charset as a codec
    name (:func:`analyzer.decode.charset.codec_name`) or None (query strings declare none).
    With a ``limit``, at most that many items (the caller notes the rest: its field cap)."""
    if charset not in _UTF8_LABELS and has_high_escapes(text):
        return _legacy(text, charset)[: limit or None]
    out: list[FormItem] = []
    # Past the limit, pieces are found one by one rather than all split at once.
    pieces: Iterable[str] = (
        (match.group() for match in _PIECE.finditer(text))
        if limit and text.count("&") >= limit
        else text.split("&")
    )
    for piece in pieces:
        if piece:
            name, _, value = piece.partition("=")
            decoded_name, decoded_value = _unquote_utf8(name), _unquote_utf8(value)
            if decoded_name is None or decoded_value is None:
                return _legacy(text, charset)[: limit or None]
            out.append(_new_item(FormItem, (decoded_name, decoded_value, "")))
            if len(out) == limit:
                break
    return out


def unquote_plus(text: str) -> str:
    """``urllib.parse.unquote(text.replace("+", " "))``: "+" is a space in forms."""
    found = _unquote_utf8(text)
    return found if found is not None else unquote(text.replace("+", " "))


def _unquote_utf8(text: str) -> str | None:
    """:func:`unquote_plus`, or None where the escapes are no UTF-8."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    if text.isascii():
        # Backslashes are doubled first, so that "%41" -> "\x41" is the only escape left.
        escaped = text.encode("ascii").replace(b"\\", b"\\\\").replace(b"%", b"\\x")
        try:
            raw = codecs.escape_decode(escaped)[0]
        except ValueError:  # a "%" without two hex digits: urllib keeps it as it is
            pass
        else:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return None
    if not has_high_escapes(text):
        return unquote(text)
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return None


def _legacy(text: str, charset: str | None) -> list[FormItem]:
    pieces = [piece.partition("=") for piece in text.split("&") if piece]
    items = [part for name, _, value in pieces for part in (name, value)]
    decoded, _ = decode_escaped(items, charset, plus=True)
    out = []
    for index, (name, _, value) in enumerate(pieces):
        found_name, found_value = decoded[2 * index], decoded[2 * index + 1]
        if found_name is None or found_value is None:
            out.append(FormItem(name, value, UNDECODED))
        else:
            step = found_value.charset or found_name.charset
            out.append(FormItem(found_name.text, found_value.text, step))
    return out
