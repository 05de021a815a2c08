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
- Network types: ``ConnectivityManager.TYPE_*`` (-1 to 17) and ``TelephonyManager.NETWORK_TYPE_*``
  (0-20) names and numbers (https://developer.android.com/reference/android/telephony/
  TelephonyManager#NETWORK_TYPE_LTE), ``CTRadioAccessTechnology*`` (https://developer.apple.com/
  documentation/coretelephony/ctradioaccesstechnologylte), W3C ``NetworkInformation.type`` and
  ``effectiveType`` (slow-2g..4g), OpenRTB ``connectiontype`` (0-7), SCNetworkReachability, and
  the generation names SDKs use (3g, 4g, 5g).
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
# Network kinds in words, compared with everything but letters and digits dropped ("Wi-Fi",
# "HSPA+", "CDMA - EvDo rev. A" -> wifi, hspa, cdmaevdoreva). TELLING: words that name a network
# kind and nothing else, so that a whole value is telling without a field name:
# - TelephonyManager.NETWORK_TYPE_* and NetworkInfo.getSubtypeName (GPRS, EDGE, UMTS, CDMA,
#   EVDO_0/A/B, 1xRTT, HSDPA, HSUPA, HSPA, iDEN, EHRPD, HSPAP, GSM, TD_SCDMA, IWLAN, LTE_CA, NR);
# - CTRadioAccessTechnology* (GPRS, Edge, WCDMA, HSDPA, HSUPA, CDMA1x, CDMAEVDORev0/A/B, eHRPD,
#   LTE, NRNSA, NR);
# - W3C NetworkInformation.type and effectiveType (wifi, cellular, wimax; slow-2g, 2g-4g);
# - SCNetworkReachability's ReachableViaWiFi / ReachableViaWWAN;
# - generation names SDKs send (3G, 4G, 5G, 5G_NSA).
# NAMED_ONLY: words that also mean something else (the browser Edge, a "mobile" form factor,
# "none", "other", a GSM phone type): a network kind only under a network name.
TELLING_NETWORK_WORDS = frozenset(
    {
        "wifi",
        "wwan",
        "cellular",
        "lte",
        "lteca",
        "2g",
        "3g",
        "4g",
        "5g",
        "5gnsa",
        "5gsa",
        "slow2g",
        "nrnsa",
        "nrsa",
        "gprs",
        "umts",
        "hspa",
        "hspap",
        "hsdpa",
        "hsupa",
        "ehrpd",
        "evdo",
        "evdo0",
        "evdoa",
        "evdob",
        "cdmaevdorev0",
        "cdmaevdoreva",
        "cdmaevdorevb",
        "cdma1x",
        "cdma1xrtt",
        "1xrtt",
        "wcdma",
        "tdscdma",
        "iwlan",
        "wimax",
        "notreachable",
        "reachableviawifi",
        "reachableviawwan",
        "mobilelte",
        "mobile5g",
        "mobile4g",
        "mobile3g",
        "mobile2g",
        "cellularlte",
        "cellular5g",
        "cellular4g",
        "cellular3g",
    }
)
NAMED_ONLY_NETWORK_WORDS = frozenset(
    {
        "wi",
        "wlan",
        "cell",
        "mobile",
        "nr",
        "edge",
        "cdma",
        "gsm",
        "iden",
        "ethernet",
        "wired",
        "wiredethernet",
        "bluetooth",
        "vpn",
        "none",
        "offline",
        "other",
        "mixed",
        "ed",
    }
)
NETWORK_WORDS = TELLING_NETWORK_WORDS | NAMED_ONLY_NETWORK_WORDS
# Prefixes of platform constants, squashed: NETWORK_TYPE_LTE, TYPE_WIFI, TRANSPORT_CELLULAR
# (NetworkCapabilities), CTRadioAccessTechnologyLTE.
_NETWORK_PREFIXES = ("ctradioaccesstechnology", "networktype", "transport", "type")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
# The numeric enums the platforms define: TelephonyManager.NETWORK_TYPE_* 0-20 (NR = 20),
# ConnectivityManager.TYPE_* -1 (TYPE_NONE) to 17 (TYPE_VPN), OpenRTB connectiontype 0-7.
NETWORK_ENUM = range(-1, 21)
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


def network_word(value: str) -> str | None:
    """The network kind a value names, squashed ("NETWORK_TYPE_LTE" -> "lte"), or None.

    Platform constants lose their prefix (``CTRadioAccessTechnologyNRNSA`` -> nrnsa,
    ``TRANSPORT_WIFI`` -> wifi); spaces and punctuation are dropped (``Wi-Fi``, ``HSPA+``,
    ``CDMA - EvDo rev. A``). Values over 48 characters name no network kind.
    """
    if len(value) > 48:
        return None
    squashed = _NOT_ALNUM.sub("", value.lower())
    if squashed in NETWORK_WORDS:
        return squashed
    for prefix in _NETWORK_PREFIXES:
        if squashed.startswith(prefix) and squashed[len(prefix) :] in NETWORK_WORDS:
            return squashed[len(prefix) :]
    return None


def telling_network_word(value: str) -> bool:
    """Whether a whole value names a network kind without a field name saying so.

    The words of :data:`TELLING_NETWORK_WORDS`, and any network word as a platform constant
    (``NETWORK_TYPE_NR``, ``TYPE_MOBILE``, ``CTRadioAccessTechnologyEdge``): a constant's prefix
    says what it is.
    """
    word = network_word(value)
    if word is None:
        return False
    return word in TELLING_NETWORK_WORDS or _NOT_ALNUM.sub("", value.lower()) != word


def network(prop: str, value: str) -> list[tuple[str, str]]:
    """A network kind in words (wifi, WIFI, wwan, cellular, LTE, 4G, NETWORK_TYPE_NR, ...)."""
    return one(network_word(value.strip()) is not None, "networkConnectionType", value)


def network_code(prop: str, value: str) -> list[tuple[str, str]]:
    """A network kind in words, or a number of a platform's enum (:data:`NETWORK_ENUM`)."""
    stripped = value.strip()
    if stripped.lstrip("-").isdigit():
        return one(int(stripped) in NETWORK_ENUM, "networkConnectionType", value)
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
