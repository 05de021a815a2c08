"""Every searchable form of a known value, each labelled with how it was transformed.

For a profile value this lists, for each of its spellings (:mod:`analyzer.detect.spellings`:
case and separator forms, MACs, phone numbers, names, e-mail, locales), the encodings of the bare
value that the matcher searches for in text: URL-encoding once and twice (Python's, JavaScript's
``encodeURIComponent`` and forms' "+" for space), base64 (standard and URL-safe, padded or not,
and the fragments it leaves at all three alignments inside a longer blob), base32, base58, hex,
HTML character references, ``\\uXXXX`` escapes, rot13, and non-ASCII text in the legacy charsets
(:mod:`analyzer.detect.charsets`), percent-encoded and byte for byte; coordinates at 2-7
decimals and as signed integers x1e5/x1e6/x1e7; and screen sizes as ``WxH``. Digests are not
variants: :mod:`analyzer.detect.digest_index` looks them up by token.

How strictly a form must stand apart depends on the value (:func:`strength`):

- ``strong`` (6 characters or more, or a 4-5 character word of 3+ Latin letters such as "Sony"):
  found inside longer text, at word boundaries where it is short;
- ``distinct`` (short, but not a common code: 2+ characters with a letter outside ASCII such as
  小明 or 김민준폰, or 4+ characters mixing letters with digits or separators such as ``de-DE``):
  a whole field under any name, and its encoded forms as whole tokens;
- ``weak`` (short and common: "11", "en", "LTE", "1080"): a whole field under a name for its
  property only, with no encoded forms.
"""

from __future__ import annotations

import base64
import codecs
import html
import json
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from html.entities import codepoint2name
from urllib.parse import quote, quote_from_bytes, quote_plus

import base58

from analyzer.detect.charsets import legacy_encodings
from analyzer.detect.spellings import Spelling, resolutions, spellings
from analyzer.profile import Profile

GEO = ("latitude", "longitude")
MIN_FRAGMENT = 6  # shorter base64 fragments would match by chance
_JS_SAFE = "!'()*"  # what encodeURIComponent leaves as it is, beyond Python's quote
_LATIN_WORD = re.compile(r"[A-Za-z]{3}")
_NAME_PARTS = ("first-name", "last-name")
_UNICODE_FORMS = ("nfc", "nfd", "nfkc", "nfkd")
# base58 takes quadratic time (50 ms for 4 KB) and encodes short IDs and keys, not long text.
_BASE58_MAX = 256


@dataclass(frozen=True, slots=True)
class Variant:
    """One searchable form of a known value.

    ``boundary`` says what may surround a match: ``none`` (anywhere: long or encoded forms),
    ``alnum`` (not next to a letter or digit), ``digits`` (not next to a digit), ``decimal``
    (a number exactly: not next to a digit, '.' or '-'), ``prefix`` (a coordinate truncated to
    this precision: more digits may follow), ``whole`` (the field equals it, under a name for its
    property: short, common values such as an OS version "11"), ``field`` (the field equals it,
    whatever its name: short but distinctive values such as 小明), and for the encoded forms of
    such values a whole token of their encoding: ``url`` (no escape or letter next to it),
    ``entity``, ``escape``, ``base64``. ``exact_case`` forms (base64) must match
    case-sensitively. ``edges`` (base64 fragments): ``(lead bits, their value, trail bits, their
    value)``, the value's bits that the base64 characters just before and after the fragment
    carry, so that a near miss differing in its first or last bits is not taken for the value.
    """

    prop: str
    value: str
    text: str
    encoding: str
    boundary: str
    exact_case: bool = False
    edges: tuple[int, int, int, int] = (0, 0, 0, 0)


def strength(text: str) -> str:
    """``strong``, ``distinct`` or ``weak``: how a value may be matched (see the module doc)."""
    text = text.strip()
    if len(text) >= 6 or (len(text) >= 4 and _LATIN_WORD.search(text)):
        return "strong"
    letters = [c for c in text if c.isalpha()]
    if len(text) >= 2 and any(not c.isascii() for c in letters):
        return "distinct"
    if len(text) >= 4 and letters and len(letters) < len(text):
        return "distinct"
    return "weak"


def is_weak(prop: str, value: str) -> bool:
    """True when a value is only ever matched as a whole field (``distinct`` or ``weak``)."""
    return strength(value) != "strong"


def variants(prop: str, value: str) -> list[Variant]:
    """All variants of one known value, deduplicated on text and case mode."""
    value = value.strip()
    if not value:
        return []
    if prop in GEO:
        return _unique(_geo(prop, value))
    out: list[Variant] = []
    for spelling in spellings(prop, value):
        out += _encoded(prop, value, spelling)
    return _unique(out)


def profile_variants(profile: Profile) -> Iterator[Variant]:
    """The variants of every value of a profile, and of its screen sizes as ``WxH``."""
    for prop, value in profile.values():
        yield from variants(prop, value)
    widths = profile.known.get("screenWidth", ())
    heights = profile.known.get("screenHeight", ())
    for width, height, text in resolutions(widths, heights):
        yield Variant("screenWidth", width, text, "resolution", "digits")
        yield Variant("screenHeight", height, text, "resolution", "digits")


def digest_inputs(profile: Profile) -> Iterator[tuple[str, str, str, str]]:
    """``(prop, value, spelling, label)`` to hash: every spelling but coordinates and short
    numbers ("14", "1080": their digests would be anybody's)."""
    for prop, value in profile.values():
        if prop in GEO:
            continue
        for text, label in spellings(prop, value):
            if len(text) >= 6 or sum(c.isalpha() for c in text) >= 2:
                yield prop, value, text, label


def _unique(found: list[Variant]) -> list[Variant]:
    seen: set[tuple[str, bool]] = set()
    out = []
    for variant in found:
        key = (variant.text if variant.exact_case else variant.text.lower(), variant.exact_case)
        if key not in seen and variant.text:
            seen.add(key)
            out.append(variant)
    return out


def _encoded(prop: str, value: str, spelling: Spelling) -> list[Variant]:
    form, label = spelling
    # A Unicode normal form is as strong as the composed text: decomposed Hangul or jamo make a
    # 2-syllable name 5 characters long, but no more telling.
    kind = strength(form if form.isascii() else unicodedata.normalize("NFC", form))
    if kind == "weak" or label.partition(">")[0] in _NAME_PARTS:
        # A first or last name alone ("Anna", "Long") is a common word: as text it counts only
        # under a name for a person's name; its digests count anywhere.
        return [Variant(prop, value, form, label or "plain", "whole")]
    strong = kind == "strong"
    plain = _plain_boundary(form) if strong else "field"
    out = [Variant(prop, value, form, label or "plain", plain)]

    def add(text: str, name: str, token: str, exact: bool = False) -> None:
        # A strong value's encoded forms keep their plain boundary where they are text (URL,
        # HTML, escapes, rot13, charsets), and word boundaries where they are codes; a short
        # value's must be whole tokens of their encoding.
        if strong:
            boundary = plain if token in ("url", "entity", "escape", "field") else "alnum"
        else:
            boundary = token
        chain = f"{label}>{name}" if label else name
        out.append(Variant(prop, value, text, chain, boundary, exact))

    for once in dict.fromkeys(
        (quote(form, safe=""), quote(form, safe=_JS_SAFE), quote_plus(form, safe=""))
    ):
        if once != form:
            add(once, "url", "url")
            add(quote(once, safe=""), "url>url", "url")
    data = form.encode("utf-8")
    add(data.hex(), "hex", "base64")
    standard = base64.b64encode(data).decode()
    urlsafe = base64.urlsafe_b64encode(data).decode()
    for text, name in ((standard, "base64"), (urlsafe, "base64url")):
        name = "base64" if urlsafe == standard else name
        add(text, name, "base64", True)
        add(text.rstrip("="), name, "base64", True)
    if label and label not in _UNICODE_FORMS:
        # A normalised spelling: its plain, URL, hex and base64 forms only. A Unicode normal
        # form is the same text to a reader, and is encoded as fully as the value.
        return out
    if strong:
        out += _base64_fragments(prop, value, data, "base64")
    encoded32 = base64.b32encode(data).decode()
    add(encoded32, "base32", "base64")
    add(encoded32.rstrip("="), "base32", "base64")
    if len(data) <= _BASE58_MAX:
        add(base58.b58encode(data).decode(), "base58", "base64", True)
    rot13 = codecs.encode(form, "rot13")
    if rot13 != form:
        add(rot13, "rot13", "field")
    for text in _html_forms(form):
        add(text, "html", "entity")
    if not form.isascii():
        add(json.dumps(form)[1:-1], "unicode-escape", "escape")
        for charset, raw in legacy_encodings(form):
            for text in dict.fromkeys((quote_from_bytes(raw, safe=""), quote_plus(raw, safe=""))):
                add(text, f"{charset}>url", "url")
            add(raw.decode("latin-1"), charset, "field")
    return out


def _plain_boundary(form: str) -> str:
    if form.isdigit():
        return "digits"
    return "none" if len(form) >= 12 else "alnum"


def _html_forms(form: str) -> list[str]:
    """HTML/XML character references: escaped markup, then non-ASCII as decimal, hex or named
    references."""
    escaped = html.escape(form)
    out = [escaped]
    if not form.isascii():
        out.append("".join(c if c.isascii() else f"&#{ord(c)};" for c in escaped))
        out.append("".join(c if c.isascii() else f"&#x{ord(c):x};" for c in escaped))
        if any(ord(c) in codepoint2name for c in form):
            out.append(
                "".join(
                    f"&{codepoint2name[ord(c)]};" if ord(c) in codepoint2name else c
                    for c in escaped
                )
            )
    return [text for text in dict.fromkeys(out) if text != form]


def _base64_fragments(prop: str, value: str, data: bytes, label: str) -> list[Variant]:
    """The fragments the value's base64 leaves inside a longer base64 blob.

    Encoding ``k`` unknown bytes before the value (k = 0, 1, 2 covers every alignment) fixes the
    characters whose 6 bits all come from the value: from ceil(8k/6) to floor(8(k+n)/6). The
    value's first and last few bits share a character with the unknown bytes: they are checked
    on a hit (``Variant.edges``).
    """
    out = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        start = math.ceil(8 * offset / 6)
        end = (8 * (offset + len(data))) // 6
        fragment = encoded[start:end]
        if len(fragment) >= MIN_FRAGMENT:
            lead = (6 - 8 * offset % 6) % 6
            trail = 8 * (offset + len(data)) % 6
            edges = (lead, data[0] >> (8 - lead), trail, data[-1] & ((1 << trail) - 1))
            url_fragment = fragment.replace("+", "-").replace("/", "_")
            out.append(Variant(prop, value, fragment, label, "none", True, edges))
            out.append(Variant(prop, value, url_fragment, label, "none", True, edges))
    return out


def _geo(prop: str, value: str) -> list[Variant]:
    """A coordinate as given, rounded and truncated to 2-7 decimals, and as signed integers
    x1e5, x1e6, x1e7 (E5/E6/E7 fixed point, rounded and truncated), as protobuf and binary
    formats store them."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return [Variant(prop, value, value, "plain", "decimal")]
    out = [Variant(prop, value, value, "plain", "prefix")]
    for places in range(2, 8):
        quantum = Decimal(1).scaleb(-places)
        rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
        truncated = number.quantize(quantum, rounding=ROUND_DOWN)
        # Truncated first: where both are the same text, only the first is kept, and the
        # truncated form also matches the longer number it was cut from (a float32 printed
        # as -49.290333 for -49.290332: rounded and truncated to 5 places are both -49.29033).
        out.append(Variant(prop, value, str(truncated), f"truncated-{places}", "prefix"))
        out.append(Variant(prop, value, str(rounded), f"rounded-{places}", "decimal"))
    for scale in (5, 6, 7):
        scaled = number.scaleb(scale)
        for rounding in (ROUND_HALF_UP, ROUND_DOWN):
            integer = int(scaled.to_integral_value(rounding=rounding))
            out.append(Variant(prop, value, str(integer), f"e{scale}", "decimal"))
    return out
