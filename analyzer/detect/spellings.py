"""Every spelling of a profile value: the normalisations applied before any transform.

A profile says ``language = "de-DE"``; a tracker sends ``ul=de-de``, ``locale=de_DE``, ``lang=de``
or ``deu``. A profile says ``phoneNumber = "+49 151 23456789"``; an SDK sends ``015123456789`` or
SHA-256 of ``4915123456789``. :func:`spellings` lists, per property, the texts a value is sent as
before any encoding or hash is applied, each with the label that names the normalisation in a
finding's chain ("" where the spelling hides nothing: a case or separator change).

:func:`resolutions` pairs a profile's screen width and height into the composite spellings that
SDKs send (``sr=1440x3120``).

Sources of the rules:

- e-mail: trimmed and lower-cased (Meta Conversions API, customer information parameters
  ``em``; Google Ads API enhanced conversions; Snap Conversions API ``em``). Dots before
  ``@gmail.com``/``@googlemail.com`` are removed only because Google documents it for Campaign
  Manager 360 enhanced conversions (developers.google.com/doubleclick-advertisers/guides/
  conversions_ec); "+tag" suffixes are kept: no platform documents removing them.
- phone numbers: E.164 (Google), digits with the country code and no "+" or "00" (Meta ``ph``,
  Snap ``ph``), national forms; parsed and formatted by Google's libphonenumber port
  (``phonenumbers``), so trunk prefixes are right per country (Italy keeps its 0, Russia dials 8).
- names: lower-cased and trimmed (Google Ads API ``OfflineUserAddressInfo``), whitespace removed
  (Display & Video 360 ``ContactInfo``), punctuation removed (Meta ``fn``/``ln``, Google Data
  Manager ``givenName``), first and last name alone (``fn``, ``ln``).
- locales: BCP 47 tags parsed by ``langcodes``; sent as ``de-DE``, ``de_DE``, ``de_DE_#Latn``
  (Android ``Locale.toString()`` with a script), the language alone and its ISO 639-2/T code
  (``deu``, Android ``Locale.getISO3Language()``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from analyzer.detect.formats import mac_bare

# Separator-bearing hex identifiers (UUID, MAC, IDFV) whose compact form is also sent.
_COMPACTABLE = re.compile(r"[0-9A-Fa-f]+(?:[-:.][0-9A-Fa-f]+)+")
_GMAIL = ("gmail.com", "googlemail.com")
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
        out += _email(value)
    elif prop == "phoneNumber":
        out += _phone(value)
    elif prop == "personName":
        out += _name(value)
    elif prop == "language":
        out += _locale(value)
    return _unique(out)


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


def _email(value: str) -> list[Spelling]:
    lower = value.lower()
    out = [Spelling(lower, "")]
    local, at, domain = lower.rpartition("@")
    if at and domain in _GMAIL and "." in local:
        out.append(Spelling(f"{local.replace('.', '')}@{domain}", "gmail-dots"))
    return out


def _phone(value: str) -> list[Spelling]:
    import phonenumbers

    digits = re.sub(r"\D", "", value)
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        # Without a country code the country is unknown: only the digits are certain.
        return [Spelling(digits, "digits")]
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return [Spelling(digits, "digits")]
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    significant = phonenumbers.national_significant_number(number)
    return [
        Spelling(e164, "e164"),
        Spelling(e164[1:], "digits"),
        Spelling("00" + e164[1:], "digits"),
        Spelling(re.sub(r"\D", "", national), "national"),
        Spelling(significant, "national"),
        Spelling(international, "international"),
        Spelling(national, "national"),
    ]


def _name(value: str) -> list[Spelling]:
    lower = " ".join(value.lower().split())
    words = lower.split(" ")
    out = [
        Spelling(lower, ""),
        Spelling(lower.replace(" ", ""), "nospace"),
        Spelling(_without_punctuation(lower), "nopunct"),
        Spelling(_without_punctuation(lower).replace(" ", ""), "nospace"),
    ]
    if len(words) >= 2:
        out.append(Spelling(_without_punctuation(words[0]), "first-name"))
        out.append(Spelling(_without_punctuation(words[-1]), "last-name"))
    return out


def _without_punctuation(text: str) -> str:
    return "".join(c for c in text if not unicodedata.category(c).startswith("P"))


def _locale(value: str) -> list[Spelling]:
    import langcodes

    try:
        tag = langcodes.Language.get(value.replace("_", "-"), normalize=False)
    except (langcodes.LanguageTagError, ValueError):
        return []
    language, script, region = tag.language, tag.script, tag.territory
    if not language or not langcodes.tag_is_valid(tag.to_tag()):
        return []
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
        out.append(Spelling(f"{language}-{script}", ""))
    out.append(Spelling(language, "language"))
    try:
        alpha3 = tag.to_alpha3()
    except LookupError:
        alpha3 = ""
    if alpha3 and alpha3 != language:
        out.append(Spelling(alpha3, "alpha3"))
    return out
