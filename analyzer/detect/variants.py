"""Every form a known value can take on the wire, each labelled with how it was transformed.

For a profile value this generates: case forms; forms without separators (UUID, MAC) and MACs
with dropped leading zeros or other separators; e-mail lower-cased; phone numbers in E.164,
national and digits-only forms; coordinates at 2-7 decimals (rounded and truncated) and as
integers x1e6/x1e7; and for each form its URL encoding (once, twice), base64 (standard and
URL-safe, padded or not, and the fragments it leaves at all three alignments inside a longer
blob), hex, and MD5/SHA-1/SHA-256 digests (hex, base64) and hash chains (sha256 of md5, ...).
The matcher looks all of them up at once with one automaton, so their number costs nothing per
byte scanned.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import quote

from analyzer.detect.formats import mac_bare

HASHES = ("md5", "sha1", "sha256")
GEO = ("latitude", "longitude")
# Separator-bearing identifiers whose compact form is also sent.
_COMPACTABLE = re.compile(r"[0-9A-Fa-f]+(?:[-:.][0-9A-Fa-f]+)+")
# ITU country calling codes with one or two digits; all others have three.
_CC1 = {"1", "7"}
_CC2 = {
    "20",
    "27",
    "30",
    "31",
    "32",
    "33",
    "34",
    "36",
    "39",
    "40",
    "41",
    "43",
    "44",
    "45",
    "46",
    "47",
    "48",
    "49",
    "51",
    "52",
    "53",
    "54",
    "55",
    "56",
    "57",
    "58",
    "60",
    "61",
    "62",
    "63",
    "64",
    "65",
    "66",
    "81",
    "82",
    "84",
    "86",
    "90",
    "91",
    "92",
    "93",
    "94",
    "95",
    "98",
}
MIN_FRAGMENT = 6  # shorter base64 fragments would match by chance


@dataclass(frozen=True, slots=True)
class Variant:
    """One searchable form of a known value.

    ``boundary`` says what may surround a match: ``none`` (anywhere: long or encoded forms),
    ``alnum`` (not next to a letter or digit), ``digits`` (not next to a digit), ``decimal``
    (a number exactly: not next to a digit, '.' or '-'), ``prefix`` (a coordinate truncated to
    this precision: more digits may follow), ``whole`` (the field equals it: short, common values
    such as an OS version "11"). ``exact_case`` forms (base64) must match case-sensitively.
    """

    prop: str
    value: str
    text: str
    encoding: str
    boundary: str
    exact_case: bool = False


def is_weak(prop: str, value: str) -> bool:
    """Short or common values ("11", "en", "1080") can only be matched as a whole field."""
    stripped = value.strip()
    return len(stripped) < 4 or (len(stripped) < 6 and not re.search(r"[A-Za-z]{3}", stripped))


def variants(prop: str, value: str) -> list[Variant]:
    """All variants of one known value (deduplicated on text and case mode)."""
    value = value.strip()
    if not value:
        return []
    if prop in GEO:
        out = _geo(prop, value)
    elif is_weak(prop, value):
        out = [Variant(prop, value, value, "plain", "whole")]
    else:
        out = []
        for form, label in _forms(prop, value):
            out += _encoded(prop, value, form, label)
    seen: set[tuple[str, bool]] = set()
    unique = []
    for variant in out:
        key = (variant.text if variant.exact_case else variant.text.lower(), variant.exact_case)
        if key not in seen and variant.text:
            seen.add(key)
            unique.append(variant)
    return unique


def _forms(prop: str, value: str) -> list[tuple[str, str]]:
    """Normalised forms of the value and their label ("" = as given)."""
    forms = [(value, "")]
    if prop in ("macAddress", "wifiBssid") and (bare := mac_bare(value)):
        pairs = [bare[i : i + 2] for i in range(0, 12, 2)]
        forms += [
            (bare, "compact"),
            (":".join(pairs), ""),
            ("-".join(pairs), ""),
            (".".join(bare[i : i + 4] for i in range(0, 12, 4)), "dotted"),
            (":".join(p.lstrip("0") or "0" for p in pairs), "no-leading-zeros"),
        ]
    elif _COMPACTABLE.fullmatch(value):
        forms.append((re.sub(r"[-:.]", "", value), "compact"))
    if prop == "email":
        forms.append((value.lower(), ""))
    if prop == "phoneNumber":
        forms += _phone_forms(value)
    return forms


def _phone_forms(value: str) -> list[tuple[str, str]]:
    digits = re.sub(r"\D", "", value)
    if not value.strip().startswith(("+", "00")):
        return [(digits, "digits")]
    digits = digits.removeprefix("00") if value.strip().startswith("00") else digits
    if digits[:1] in _CC1:
        code = digits[:1]
    elif digits[:2] in _CC2:
        code = digits[:2]
    else:
        code = digits[:3]
    national = digits[len(code) :]
    forms = [
        (f"+{digits}", "e164"),
        (digits, "digits"),
        (f"00{digits}", "digits"),
        (national, "national"),
    ]
    if code != "1":  # NANP has no trunk prefix; most others write a leading 0
        forms.append((f"0{national}", "national"))
    return forms


def _encoded(prop: str, value: str, form: str, label: str) -> list[Variant]:
    def step(name: str) -> str:
        return f"{label}>{name}" if label else name

    plain = label or "plain"
    boundary = _plain_boundary(form)
    out = [Variant(prop, value, form, plain, boundary)]
    once = quote(form, safe="")
    if once != form:
        out.append(Variant(prop, value, once, step("url"), boundary))
        out.append(Variant(prop, value, quote(once, safe=""), step("url>url"), boundary))
    data = form.encode("utf-8")
    out.append(Variant(prop, value, data.hex(), step("hex"), "alnum"))
    out += _base64_variants(prop, value, data, step("base64"))
    cases = dict.fromkeys([form, form.lower(), form.upper()])
    for case in cases:
        raw = case.encode("utf-8")
        for name in HASHES:
            digest = hashlib.new(name, raw)
            out.append(Variant(prop, value, digest.hexdigest(), step(name), "alnum"))
            for text in _digest_base64(digest.digest()):
                out.append(Variant(prop, value, text, step(f"{name}>base64"), "alnum", True))
            for second in HASHES:
                chained = hashlib.new(second, digest.hexdigest().encode()).hexdigest()
                out.append(Variant(prop, value, chained, step(f"{name}>{second}"), "alnum"))
    return out


def _plain_boundary(form: str) -> str:
    if form.isdigit():
        return "digits"
    return "none" if len(form) >= 12 else "alnum"


def _digest_base64(digest: bytes) -> list[str]:
    standard = base64.b64encode(digest).decode()
    urlsafe = base64.urlsafe_b64encode(digest).decode()
    return [standard, standard.rstrip("="), urlsafe, urlsafe.rstrip("=")]


def _base64_variants(prop: str, value: str, data: bytes, label: str) -> list[Variant]:
    """Base64 of the value alone, and the fragments it leaves inside a longer base64 blob.

    Encoding ``k`` unknown bytes before the value (k = 0, 1, 2 covers every alignment) fixes the
    characters whose 6 bits all come from the value: from ceil(8k/6) to floor(8(k+n)/6).
    """
    out = []
    whole = base64.b64encode(data).decode()
    for text in (whole, base64.urlsafe_b64encode(data).decode()):
        out.append(Variant(prop, value, text, label, "alnum", True))
        out.append(Variant(prop, value, text.rstrip("="), label, "alnum", True))
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        start = math.ceil(8 * offset / 6)
        end = (8 * (offset + len(data))) // 6
        fragment = encoded[start:end]
        if len(fragment) >= MIN_FRAGMENT:
            url_fragment = fragment.replace("+", "-").replace("/", "_")
            out.append(Variant(prop, value, fragment, label, "none", True))
            out.append(Variant(prop, value, url_fragment, label, "none", True))
    return out


def _geo(prop: str, value: str) -> list[Variant]:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return [Variant(prop, value, value, "plain", "decimal")]
    out = [Variant(prop, value, value, "plain", "prefix")]
    for places in range(2, 8):
        quantum = Decimal(1).scaleb(-places)
        rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
        truncated = number.quantize(quantum, rounding=ROUND_DOWN)
        out.append(Variant(prop, value, str(rounded), f"rounded-{places}", "decimal"))
        out.append(Variant(prop, value, str(truncated), f"truncated-{places}", "prefix"))
    for scale, label in ((6, "e6"), (7, "e7")):
        integer = int((number.scaleb(scale)).to_integral_value(rounding=ROUND_HALF_UP))
        out.append(Variant(prop, value, str(integer), label, "decimal"))
    return out
