"""Value formats of where and how the phone is: language, time zone, network type, carrier.

Each check takes ``(prop, value)`` and returns the properties the value supports as
``[(property, value), ...]`` (see ``formats.py``). The reference tables come from data packages
and public tables (:mod:`analyzer.detect.lookups`): ISO 639 and ISO 3166 codes and language
names from CLDR, IANA zone names from tzdata, zone abbreviations from both, MCC+MNC from
Android's carrier database. Sources of the rules:

- Locales: BCP 47 (``de-DE``, ``zh-Hans-CN``) and Java/ICU's ``de_DE``.
- Time-zone offsets: ``TimeZone.getRawOffset()`` (ms), ``NSTimeZone.secondsFromGMT`` (s),
  JavaScript ``Date.getTimezoneOffset()`` (min, sign reversed), hours in many SDKs; real
  offsets are multiples of 15 minutes within UTC-12..UTC+14.
- Network types: ``ConnectivityManager.TYPE_*`` and ``TelephonyManager.NETWORK_TYPE_*`` names
  and numbers (0-20), ``CTRadioAccessTechnology*``, W3C ``effectiveType`` (slow-2g..4g),
  OpenRTB ``connectiontype`` (0-7), and the words SDKs use (wifi, wwan, cellular, lte, 5g).
- MCC+MNC: ITU-T E.212 (3-digit mobile country code, 2-3-digit network code).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from analyzer.detect import lookups
from analyzer.detect.formats import BOOLEANS, UUID, one

LANGUAGE = re.compile(r"([a-zA-Z]{2,3})((?:[-_][a-zA-Z0-9]{2,8}){0,3})")
TZ_NAME = re.compile(r"[A-Z][A-Za-z_]+(?:/[A-Za-z_\-+0-9]+){1,2}")
TZ_OFFSET = re.compile(
    r"(?:GMT|UTC)?\s?[+\- −]\d{1,2}(?::?\d{2})?(?::\d{2})?|(?:GMT|UTC|Z)"
    r"|(?:GMT|UTC)[+\-]\d{1,2}\.\d{1,2}"
)
TZ_LONG_NAME = re.compile(
    r"(?:(?:GMT|UTC)[+\-]\d{1,2}:\d{2} )?(?:[A-Z][a-z]+ ){1,4}(?:Standard |Daylight |Summer )?Time"
)
NETWORK_WORDS = frozenset(
    {
        "wifi",
        "wi-fi",
        "wi",
        "wlan",
        "wwan",
        "cellular",
        "cell",
        "mobile",
        "lte",
        "lte_ca",
        "lte+",
        "4g",
        "5g",
        "3g",
        "2g",
        "slow-2g",
        "4g+",
        "5g_nsa",
        "5g_sa",
        "nr",
        "nr_nsa",
        "nr_sa",
        "nrnsa",
        "edge",
        "gprs",
        "umts",
        "hspa",
        "hspa+",
        "hspap",
        "hsdpa",
        "hsupa",
        "ehrpd",
        "evdo",
        "evdo_0",
        "evdo_a",
        "evdo_b",
        "1xrtt",
        "cdma",
        "cdma1x",
        "gsm",
        "td_scdma",
        "tdscdma",
        "wcdma",
        "iwlan",
        "iden",
        "ethernet",
        "wired",
        "wimax",
        "bluetooth",
        "vpn",
        "none",
        "offline",
        "other",
        "ed",
        "not_reachable",
        "notreachable",
        "reachableviawifi",
        "reachableviawwan",
        "mobile_lte",
        "mobile_5g",
        "mobile_4g",
        "mobile_3g",
        "mobile_2g",
        "cellular_lte",
        "cellular_5g",
        "cellular_4g",
        "cellular_3g",
    }
)
# Prefixes of platform constants: NETWORK_TYPE_LTE, TYPE_WIFI, CTRadioAccessTechnologyLTE.
_NETWORK_PREFIXES = ("ctradioaccesstechnology", "network_type_", "transport_", "type_")
MCC_MNC = re.compile(r"(\d{3})[-_/ ]?(\d{2,3})")


def language(prop: str, value: str) -> list[tuple[str, str]]:
    """A language or locale: ISO 639 code with region or script subtags, or a language name.

    ``en``, ``pt-BR``, ``de_DE``, ``zh-Hans-CN``, ``en-US,en;q=0.9`` (first entry), ``French``,
    ``Deutsch``. The language subtag must be a known ISO 639 code (so ``xx-YY`` and ``auto``
    fail); a two-letter region must be a known ISO 3166 code.
    """
    stripped = value.strip()
    first = stripped.split(",", 1)[0].split(";", 1)[0].strip()
    match = LANGUAGE.fullmatch(first)
    if match:
        head, rest = match.group(1).lower(), match.group(2)
        regions = [part for part in re.split(r"[-_]", rest) if len(part) == 2 and part.isalpha()]
        ok = head in lookups.language_codes() and all(
            part.upper() in lookups.region_codes() for part in regions
        )
        return one(ok, prop, value)
    return one(stripped.lower() in lookups.language_names(), prop, value)


def timezone(prop: str, value: str) -> list[tuple[str, str]]:
    """A time zone: IANA name, abbreviation, GMT/UTC offset, long name, or a numeric offset.

    Numbers are read as hours (|h| <= 14 in steps of a quarter), minutes (multiples of 15 up to
    840), seconds (multiples of 900 up to 50400) or milliseconds (multiples of 900000): a
    timestamp, a year or a price fits none of them.
    """
    stripped = value.strip()
    if "%" in stripped:
        stripped = unquote(stripped)
    if stripped.lower() in lookups.zone_names() or TZ_NAME.fullmatch(stripped):
        return [(prop, value)]
    if stripped in lookups.zone_abbreviations() or TZ_OFFSET.fullmatch(stripped):
        return [(prop, value)]
    if TZ_LONG_NAME.fullmatch(stripped):
        return [(prop, value)]
    return one(_offset_number(stripped), prop, value)


def _offset_number(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    if number != number or abs(number) == float("inf"):
        return False
    if number != int(number):  # hours with a fraction: 5.5 (India), 5.75 (Nepal)
        return abs(number) <= 14 and (number * 4) == int(number * 4)
    whole = int(number)
    return (
        abs(whole) <= 14
        or (whole % 15 == 0 and abs(whole) <= 840)
        or (whole % 900 == 0 and -43200 <= whole <= 50400)
        or (whole % 900000 == 0 and -43200000 <= whole <= 50400000)
    )


def _network_word(value: str) -> bool:
    lowered = value.strip().lower().replace(" ", "_")
    for prefix in _NETWORK_PREFIXES:
        if lowered.startswith(prefix) and len(lowered) > len(prefix):
            lowered = lowered[len(prefix) :]
            break
    return lowered in NETWORK_WORDS


def network(prop: str, value: str) -> list[tuple[str, str]]:
    """A network kind in words (wifi, WIFI, wwan, cellular, LTE, 4G, NETWORK_TYPE_NR, ...)."""
    return one(_network_word(value), "networkConnectionType", value)


def network_code(prop: str, value: str) -> list[tuple[str, str]]:
    """A network type in words, or a documented numeric enum (-1 to 30)."""
    stripped = value.strip()
    if stripped.lstrip("-").isdigit():
        return one(-1 <= int(stripped) <= 30, "networkConnectionType", value)
    return network(prop, value)


def carrier(prop: str, value: str) -> list[tuple[str, str]]:
    """An operator's name, or MCC+MNC with a real mobile country code ("26202", "310-260")."""
    stripped = value.strip()
    if stripped[:1].isdigit():
        match = MCC_MNC.fullmatch(stripped)
        ok = match is not None and (
            match.group(1) + match.group(2) in lookups.carriers()
            or match.group(1) in lookups.mobile_country_codes()
        )
        return one(ok, "carrier", value)
    ok = (
        0 < len(stripped) <= 64
        and any(c.isalpha() for c in stripped)
        and stripped.lower() not in BOOLEANS | {"null", "unknown", "none", "undefined"}
        and "://" not in stripped
        and not UUID.fullmatch(stripped)
    )
    return one(ok, "carrier", value)


def mcc(prop: str, value: str) -> list[tuple[str, str]]:
    """A mobile country code (3 digits, a real one) or a mobile network code (2 digits)."""
    stripped = value.strip()
    ok = stripped.isdigit() and (
        (len(stripped) == 3 and stripped in lookups.mobile_country_codes()) or len(stripped) == 2
    )
    return one(ok, "carrier", value)
