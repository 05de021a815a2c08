"""Every spelling of a profile value: the normalisations applied before any transform.

A profile says ``language = "de-DE"``; a tracker sends ``ul=de-de``, ``locale=de_DE``, ``lang=de``
or ``deu``. A profile says ``phoneNumber = "+49 151 23456789"``; an SDK sends ``015123456789`` or
SHA-256 of ``4915123456789``. :func:`spellings` lists, per property, the texts a value is sent as
before any encoding or hash is applied, each with the label that names the normalisation in a
finding's chain ("" where the spelling hides nothing: a case or separator change).

:func:`resolutions` pairs a profile's screen width and height into the composite spellings that
SDKs send (``sr=1440x3120``).

Sources of the rules:

- e-mail, phone numbers and names: the normalisations that advertising conversion APIs (Meta,
  Google, TikTok, Snap, Pinterest, LinkedIn, X) document before hashing, in
  :mod:`analyzer.detect.ad_normalisations` (with each platform's source).
- Unicode normalisation: a value with characters outside ASCII is also listed in each of the four
  forms of Unicode Standard Annex #15 (NFC, NFD, NFKC, NFKD; labels ``nfc`` ... ``nfkd``) that
  differ from it: a profile typed with precomposed letters meets traffic in decomposed form
  (keyboards, macOS file names, a composition exclusion such as Devanagari U+095B that NFC
  decomposes), full-width forms meet their NFKC equivalents, and each form has its own digest.
  Source: https://www.unicode.org/reports/tr15/
- locales: BCP 47 tags parsed by ``langcodes``, a region's script from CLDR's likely subtags
  (``zh-TW`` is ``zh-Hant-TW``); sent as ``de-DE``, ``de_DE``, ``zh-Hant-TW``, ``zh_Hant_TW``,
  ``zh_TW_#Hant`` (Android ``Locale.toString()`` with a script), ``zh-Hant``, the language
  alone and its ISO 639-2/T code (``deu``, Android ``Locale.getISO3Language()``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from analyzer.detect.ad_normalisations import email_forms, name_forms, phone_forms
from analyzer.detect.formats import mac_bare

# Separator-bearing hex identifiers (UUID, MAC, IDFV) whose compact form is also sent.
_COMPACTABLE = re.compile(r"[0-9A-Fa-f]+(?:[-:.][0-9A-Fa-f]+)+")
_UNICODE_FORMS = ("NFC", "NFD", "NFKC", "NFKD")
# Resolution separators seen in SDK payloads: "1440x3120", "1440*3120", "1440×3120", "1440 x 3120"
# (matching ignores case, so "1440X3120" is the first).
_RESOLUTION_SEPARATORS = ("x", "*", "\u00d7", " x ")


class Spelling(NamedTuple):
    """One text a value is sent as, before any encoding; ``label`` names the normalisation in a
    finding's chain ("" where the spelling hides nothing)."""

    text: str
    label: str


def spellings(prop: str, value: str) -> list[Spelling]:
    """The spellings of one profile value, the value as given first, without duplicates.

    ``prop`` is a vocabulary property; coordinates are not handled here (their forms are numbers
    at a precision: see :mod:`analyzer.detect.variants`).
    """
    value = value.strip()
    if not value:
        return []
    out = [Spelling(value, "")]
    if prop in ("macAddress", "wifiBssid") and (bare := mac_bare(value)):
        out += _mac(bare)
    elif _COMPACTABLE.fullmatch(value) and len(compact := re.sub(r"[-:.]", "", value)) >= 8:
        out.append(Spelling(compact, "compact"))
    if prop == "email":
        out += [Spelling(*form) for form in email_forms(value)]
    elif prop == "phoneNumber":
        out += [Spelling(*form) for form in phone_forms(value)]
    elif prop == "personName":
        out += [Spelling(*form) for form in name_forms(value)]
    elif prop == "language":
        out += _locale(value)
    if not value.isascii():
        out += _unicode_forms(out)
    return _unique(out)


def _unicode_forms(forms: list[Spelling]) -> list[Spelling]:
    """Each spelling in the Unicode normalisation forms that change it, the form's name appended
    to its label (``nfd``, ``first-name>nfc``)."""
    out = []
    for text, label in forms:
        if text.isascii():
            continue
        for form in _UNICODE_FORMS:
            normal = unicodedata.normalize(form, text)
            if normal != text:
                out.append(Spelling(normal, f"{label}>{form.lower()}" if label else form.lower()))
    return out


def resolutions(widths: tuple[str, ...], heights: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Composite screen sizes from a profile's widths and heights, as (width, height, text).

    Both orientations are listed (``1440x3120`` and ``3120x1440``): which side comes first
    depends on how the phone was held when the SDK asked.
    """
    out = []
    for width in widths:
        for height in heights:
            if not (width.isdigit() and height.isdigit()):
                continue
            for first, second in ((width, height), (height, width)):
                for separator in _RESOLUTION_SEPARATORS:
                    out.append((width, height, f"{first}{separator}{second}"))
    return list(dict.fromkeys(out))


def _unique(forms: list[Spelling]) -> list[Spelling]:
    seen: set[str] = set()
    out = []
    for form in forms:
        if form.text and form.text not in seen:
            seen.add(form.text)
            out.append(form)
    return out


def _mac(bare: str) -> list[Spelling]:
    pairs = [bare[i : i + 2] for i in range(0, 12, 2)]
    return [
        Spelling(bare, "compact"),
        Spelling(":".join(pairs), ""),
        Spelling("-".join(pairs), ""),
        Spelling(".".join(bare[i : i + 4] for i in range(0, 12, 4)), "dotted"),
        Spelling(":".join(p.lstrip("0") or "0" for p in pairs), "no-leading-zeros"),
    ]


def _locale(value: str) -> list[Spelling]:
    import langcodes

    try:
        tag = langcodes.Language.get(value.replace("_", "-"), normalize=False)
    except (langcodes.LanguageTagError, ValueError):
        return []
    language, script, region = tag.language, tag.script, tag.territory
    if not language or not langcodes.tag_is_valid(tag.to_tag()):
        return []
    if region and not script:
        # A region that changes the language's usual script implies it (CLDR likely subtags:
        # zh-TW is zh-Hant-TW, zh being zh-Hans alone); pt-BR stays without its Latn. A script
        # without a region implies no region (zh-Hant: Taiwan or Hong Kong).
        implied = tag.maximize().script
        if implied != langcodes.Language.get(language).maximize().script:
            script = implied
    out = []
    if region:
        out += [Spelling(f"{language}-{region}", ""), Spelling(f"{language}_{region}", "")]
    if script and region:
        out += [
            Spelling(f"{language}-{script}-{region}", ""),
            Spelling(f"{language}_{script}_{region}", ""),
            Spelling(f"{language}_{region}_#{script}", ""),
        ]
    if script:
        out += [Spelling(f"{language}-{script}", ""), Spelling(f"{language}_{script}", "")]
    out.append(Spelling(language, "language"))
    try:
        alpha3 = tag.to_alpha3()
    except LookupError:
        alpha3 = ""
    if alpha3 and alpha3 != language:
        out.append(Spelling(alpha3, "alpha3"))
    return out
