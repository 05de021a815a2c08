"""Value-format checks: does a value look like the property its field name claims?

Each check takes ``(prop, value)`` and returns the properties it supports, as
``[(property, value), ...]`` (empty when the value does not fit). Most return the one property;
composite values give several ("Android 11" is an OS name and version, "1440x2560" both screen
dimensions, "52.23,10.56" both coordinates, an IP address is local or public by its range).
These checks are the false-positive guards of name-based detection.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache

Check = Callable[[str, str], list[tuple[str, str]]]

UUID = re.compile(
    r"(?:[A-Za-z]{1,12}:)?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}|[0-9a-fA-F]{32})"
)
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
HEX_ID = re.compile(r"[0-9a-fA-F]{13,16}")
MAC = re.compile(
    r"[0-9A-Fa-f]{1,2}(?:([:-])[0-9A-Fa-f]{1,2})(?:\1[0-9A-Fa-f]{1,2}){4}|[0-9A-Fa-f]{12}"
)
PLACEHOLDER_MACS = {"020000000000", "000000000000", "ffffffffffff"}
EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}"
)
FILE_SUFFIXES = {"png", "jpg", "jpeg", "gif", "webp", "svg", "js", "css", "html", "json", "xml"}
IDENTIFIER = re.compile(r"[A-Za-z0-9._:\-+/=]{6,256}")
TOKEN = re.compile(r"[A-Za-z0-9._:\-+/=]{32,4096}")
LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]{2,8}){0,3}")
TZ_NAME = re.compile(r"[A-Z][A-Za-z_]+(?:/[A-Za-z_\-+0-9]+){1,2}")
TZ_OFFSET = re.compile(r"(?:GMT|UTC)?\s?[+\- ]\d{1,2}(?::?\d{2})?|(?:GMT|UTC|Z)")
TZ_ABBREVIATION = re.compile(r"[A-Z]{3,5}")
OS_VERSION = re.compile(r"\d{1,2}(?:\.\d{1,3}){0,3}")
OS_NAMES = (
    "android",
    "ios",
    "ipados",
    "iphone os",
    "harmonyos",
    "harmony",
    "tizen",
    "kaios",
    "fireos",
    "fire os",
    "watchos",
    "tvos",
    "macos",
    "mac os",
    "windows",
    "emui",
    "miui",
    "coloros",
    "oxygenos",
    "linux",
    "chromeos",
    "visionos",
    "hongmeng",
)
OS_WITH_VERSION = re.compile(
    r"(?i)\b(android|ios|ipados|iphone os|harmonyos|tizen|kaios|watchos|tvos)[\s_/-]*v?"
    r"(\d{1,2}(?:[._]\d{1,3}){0,3})\b"
)
NETWORK_WORDS = {
    "wifi",
    "wi-fi",
    "wi",
    "wlan",
    "cellular",
    "cell",
    "mobile",
    "wwan",
    "lte",
    "4g",
    "5g",
    "3g",
    "2g",
    "edge",
    "gprs",
    "umts",
    "hspa",
    "hspa+",
    "hsdpa",
    "nr",
    "ethernet",
    "none",
    "unknown",
    "offline",
    "ed",
    "cdma",
    "evdo",
    "gsm",
    "wimax",
    "bluetooth",
    "vpn",
    "other",
    "wired",
    "not_reachable",
    "reachableviawifi",
    "reachableviawwan",
    "lte_ca",
    "nr_nsa",
    "nr_sa",
    "mobile_lte",
    "mobile_5g",
}
BOOLEANS = {"true", "false", "0", "1", "yes", "no", "y", "n", "t", "f"}
RESOLUTION = re.compile(r"(\d{2,5})(?:\.\d+)?\s?[x*×X,]\s?(\d{2,5})(?:\.\d+)?")
LATLON = re.compile(r"(-?\d{1,3}\.\d{2,})\s?[,;/ ]\s?(-?\d{1,3}\.\d{2,})")
DECIMAL = re.compile(r"-?\d{1,3}\.\d{1,15}")
# Device makers, for values that name one without a telling field name ("Google sdk_gphone_x86",
# "samsung,SM-G991B"): a list of makers, not of vendors' keys.
MANUFACTURERS = frozenset(
    {
        "google",
        "samsung",
        "apple",
        "xiaomi",
        "redmi",
        "huawei",
        "honor",
        "oppo",
        "vivo",
        "oneplus",
        "realme",
        "motorola",
        "lenovo",
        "sony",
        "lge",
        "lg",
        "nokia",
        "hmd global",
        "asus",
        "zte",
        "tcl",
        "alcatel",
        "meizu",
        "tecno",
        "infinix",
        "itel",
        "nothing",
        "fairphone",
        "sharp",
        "kyocera",
        "htc",
        "blackview",
        "ulefone",
        "doogee",
        "oukitel",
        "cubot",
        "umidigi",
        "poco",
        "iqoo",
        "amazon",
        "microsoft",
        "gionee",
        "coolpad",
        "wiko",
        "blu",
        "micromax",
        "lava",
    }
)
APPLE_MODEL = re.compile(
    r"(?:iPhone|iPad|iPod|Watch|AppleTV|AudioAccessory|RealityDevice)\d{1,2},\d{1,2}"
)
ANDROID_MODEL = re.compile(
    r"SM-[A-Z]\d{3,4}[A-Z0-9/]{0,4}|Pixel \d{1,2}[a-zA-Z ]{0,8}|sdk_gphone\w{0,30}|"
    r"(?:Redmi|POCO|Mi) [\w ]{1,20}|(?:CPH|RMX)\d{4}|[A-Z]{3}-[A-Z]{1,2}\d{2}[A-Z]?"
)


# Model identifiers whose form names the maker: a finding of the model is then also one of the
# manufacturer (an app that sends "iPhone9,3" has told the server the phone is an Apple one).
# Prefix families only, each unambiguous; a bare codename ("ranchu", "oriole") names no maker.
_MODEL_MAKERS = (
    (APPLE_MODEL, "Apple"),
    (re.compile(r"(?:iPhone|iPad|iPod)(?: ?touch)?"), "Apple"),
    (re.compile(r"SM-[A-Z]\d{3,4}[A-Z0-9/]{0,4}"), "Samsung"),
    (re.compile(r"Pixel \d{1,2}[a-zA-Z ]{0,8}|sdk_gphone\w{0,30}"), "Google"),
    (re.compile(r"(?:Redmi|POCO|Mi) [\w ]{1,20}"), "Xiaomi"),
    (re.compile(r"CPH\d{4}"), "OPPO"),
    (re.compile(r"RMX\d{4}"), "realme"),
)
# Device-family words that also name the operating system when sent as a platform.
_APPLE_FAMILIES = {"iphone": "iOS", "ipad": "iPadOS", "ipod": "iOS"}


@lru_cache(maxsize=4096)  # a session repeats its device's model in every flow
def maker_of_model(value: str) -> str | None:
    """The maker a whole model identifier implies ("iPhone14,2" -> Apple), or None."""
    stripped = value.strip()
    if len(stripped) > 40:
        return None
    for pattern, maker in _MODEL_MAKERS:
        if pattern.fullmatch(stripped):
            return maker
    return None


def manufacturer_in(value: str) -> str | None:
    """The maker a value names: the whole value, or its first word before a model-like rest."""
    stripped = value.strip()
    if len(stripped) > 80:
        return None
    if stripped.lower() in MANUFACTURERS:
        return stripped
    head, sep, rest = stripped.replace(",", " ").partition(" ")
    if sep and head.lower() in MANUFACTURERS and any(c.isdigit() or c == "_" for c in rest):
        return head
    return None


def model_in(value: str) -> bool:
    """Whether the whole value is a device model identifier (iPhone14,2, SM-G991B, Pixel 7)."""
    stripped = value.strip()
    return bool(APPLE_MODEL.fullmatch(stripped) or ANDROID_MODEL.fullmatch(stripped))


IMEI_RBI = {
    "01",
    "10",
    "30",
    "33",
    "35",
    "44",
    "45",
    "49",
    "50",
    "51",
    "52",
    "53",
    "54",
    "86",
    "91",
    "98",
    "99",
}


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = ord(char) - 48
        if index % 2:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def is_imei(value: str) -> bool:
    """15 digits, Luhn-valid, from a reporting body that issues IMEIs (guards random numbers)."""
    return (
        len(value) == 15
        and value.isdigit()
        and value[:2] in IMEI_RBI
        and luhn_ok(value)
        and len(set(value)) > 3
    )


def mac_bare(value: str) -> str | None:
    """A MAC address as 12 lower-case hex digits, or None."""
    value = value.strip()
    if not MAC.fullmatch(value):
        return None
    if len(value) == 12:
        return value.lower()
    parts = re.split(r"[:-]", value)
    return "".join(part.zfill(2) for part in parts).lower()


def _one(ok: bool, prop: str, value: str) -> list[tuple[str, str]]:
    return [(prop, value)] if ok else []


def uuid(prop: str, value: str) -> list[tuple[str, str]]:
    return _one(UUID.fullmatch(value.strip()) is not None, prop, value)


def dev_scoped_id(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    return _one(bool(UUID.fullmatch(value) or HEX_ID.fullmatch(value)), prop, value)


def identifier(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    digits_only = value.replace(".", "").isdigit()
    ok = (
        IDENTIFIER.fullmatch(value) is not None
        and len(set(value)) > 3
        and (not digits_only or len(value) >= 8)
    )
    return _one(ok and value.lower() not in {"unknown", "null", "undefined", "none"}, prop, value)


def token(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    return _one(TOKEN.fullmatch(value) is not None and len(set(value)) > 10, prop, value)


def mac(prop: str, value: str) -> list[tuple[str, str]]:
    return _one(mac_bare(value) is not None, prop, value)


def ip(prop: str, value: str) -> list[tuple[str, str]]:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return []
    if address.is_unspecified or address.is_loopback or address.is_multicast:
        return []
    if address.is_private or address.is_link_local:
        return [("localIp", value)]
    return [("publicIp", value)] if address.is_global else []


def _coordinate(value: str, bound: float) -> bool:
    value = value.strip()
    if not DECIMAL.fullmatch(value):
        return False
    number = float(value)
    return -bound <= number <= bound and number != 0


def latitude(prop: str, value: str) -> list[tuple[str, str]]:
    return _one(_coordinate(value, 90), prop, value)


def longitude(prop: str, value: str) -> list[tuple[str, str]]:
    return _one(_coordinate(value, 180), prop, value)


def latlon(prop: str, value: str) -> list[tuple[str, str]]:
    match = LATLON.fullmatch(value.strip())
    if not match or not (_coordinate(match[1], 90) and _coordinate(match[2], 180)):
        return []
    return [("latitude", match[1]), ("longitude", match[2])]


MCC_MNC = re.compile(r"[2-7]\d{2}[-_/ ]?\d{2,3}")  # mobile country code 2xx-7xx + network code


def carrier(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    if value[:1].isdigit():
        # MCC+MNC: "26202", "310260", "310-260", "262/02".
        return _one(MCC_MNC.fullmatch(value) is not None, prop, value)
    ok = 0 < len(value) <= 64 and any(c.isalpha() for c in value) and value.lower() not in BOOLEANS
    return _one(ok and value.lower() not in {"null", "unknown", "none", "undefined"}, prop, value)


# Device classes, not models: "phone" or "tablet" under a model-like name says nothing specific.
FORM_FACTORS = {"phone", "tablet", "mobile", "handset", "smartphone", "desktop", "tv", "watch"}


def model(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = (
        0 < len(value) <= 120
        and any(c.isalpha() for c in value)
        and "://" not in value
        and value.lower() not in BOOLEANS | FORM_FACTORS | {"null", "unknown", "undefined"}
        and not UUID.fullmatch(value)
        and not re.fullmatch(r"[0-9a-f]{16,}", value)
    )
    if not ok:
        return []
    if prop == "model" and maker_of_model(value):
        return [("model", value), ("manufacturer", value)]
    return [(prop, value)]


def word(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = (
        0 < len(value) <= 40
        and value[:1].isalpha()
        and value.lower() not in BOOLEANS | {"null", "unknown", "undefined"}
    )
    return _one(ok and not UUID.fullmatch(value), prop, value)


def os_name(prop: str, value: str) -> list[tuple[str, str]]:
    stripped = value.strip()
    lowered = stripped.lower()
    if not lowered or len(lowered) > 80:
        return []
    if OS_VERSION.fullmatch(stripped) and "." in stripped:
        # An "os" field holding "14.8" names the version, not the system.
        return os_version("osVersion", value)
    if lowered in _APPLE_FAMILIES:
        # A platform "iPhone" names the system (iOS) and the maker (Apple) at once.
        return [("osName", value), ("manufacturer", value)]
    spaced = lowered.replace("_", " ")
    if not any(re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", spaced) for name in OS_NAMES):
        return []
    out = [("osName", value)]
    if OS_WITH_VERSION.search(value):
        out.append(("osVersion", value))
    return out


def os_version(prop: str, value: str) -> list[tuple[str, str]]:
    stripped = value.strip()
    if OS_WITH_VERSION.search(stripped):
        return [("osName", value), ("osVersion", value)]
    if stripped.isdigit():
        return _one(1 <= int(stripped) <= 40, prop, value)
    if OS_VERSION.fullmatch(stripped):
        return _one(int(stripped.split(".")[0]) <= 40, prop, value)
    return []


def api_level(prop: str, value: str) -> list[tuple[str, str]]:
    """An Android API level (Build.VERSION.SDK_INT, 1-40): a whole number, never "8.1.0"."""
    stripped = value.strip()
    return _one(stripped.isdigit() and 1 <= int(stripped) <= 40, prop, value)


ANDROID_BUILD = re.compile(r"[A-Z]{2,4}\d[A-Z]?\.\d{6}\.\d{3}(?:\.[A-Z]\d{1,2})?")
IOS_BUILD = re.compile(r"\d{2}[A-H]\d{2,4}[a-z]?")


def os_build(prop: str, value: str) -> list[tuple[str, str]]:
    stripped = value.strip()
    ok = ANDROID_BUILD.fullmatch(stripped) or IOS_BUILD.fullmatch(stripped)
    return [("osVersion", value)] if ok else []


def short_text(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = 0 < len(value) <= 64 and value.lower() not in BOOLEANS | {
        "null",
        "unknown",
        "<unknown ssid>",
    }
    return _one(ok and any(c.isalnum() for c in value), prop, value)


def language(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = LANGUAGE.fullmatch(value) is not None and value.lower() not in {
        "auto",
        "null",
        "none",
        "true",
        "false",
        "yes",
    }
    return _one(ok, prop, value)


def timezone(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    if TZ_NAME.fullmatch(value) or TZ_OFFSET.fullmatch(value):
        return [(prop, value)]
    if TZ_ABBREVIATION.fullmatch(value):
        return [(prop, value)]
    if re.fullmatch(r"-?\d{1,5}", value):
        number = int(value)
        # Offsets in seconds (multiples of 15 min) or minutes, within UTC-12..UTC+14.
        return _one(
            (number % 900 == 0 and -43200 <= number <= 50400)
            or (number % 15 == 0 and abs(number) <= 840),
            prop,
            value,
        )
    return []


def network(prop: str, value: str) -> list[tuple[str, str]]:
    return _one(value.strip().lower() in NETWORK_WORDS, prop, value)


def pixels(prop: str, value: str) -> list[tuple[str, str]]:
    try:
        number = float(value)
    except ValueError:
        return []
    return _one(100 <= number <= 10000 and number == int(number), prop, value)


def resolution(prop: str, value: str) -> list[tuple[str, str]]:
    match = RESOLUTION.fullmatch(value.strip())
    if not match or not all(100 <= int(group) <= 10000 for group in match.groups()):
        return []
    return [("screenWidth", value), ("screenHeight", value)]


def user_agent(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    return _one(len(value) >= 10 and ("/" in value or "Mozilla" in value), prop, value)


def boolean(prop: str, value: str) -> list[tuple[str, str]]:
    return _one(value.strip().lower() in BOOLEANS, prop, value)


def imei(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = (
        value.isdigit()
        and ((len(value) == 15 and luhn_ok(value)) or len(value) in (14, 16))
        and len(set(value)) > 3
    )
    return _one(ok, prop, value)


def imsi(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = value.isdigit() and len(value) in (14, 15) and 200 <= int(value[:3]) <= 799
    return _one(ok, prop, value)


def iccid(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip().rstrip("Ff")
    return _one(value.isdigit() and 18 <= len(value) <= 22 and value.startswith("89"), prop, value)


def serial(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = (
        re.fullmatch(r"[A-Za-z0-9]{5,24}", value) is not None
        and value.lower() not in {"unknown", "null", "undefined"}
        and len(set(value)) > 2
    )
    return _one(ok, prop, value)


def email(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    match = EMAIL.fullmatch(value)
    return _one(bool(match) and value.rsplit(".", 1)[-1].lower() not in FILE_SUFFIXES, prop, value)


def phone(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    ok = re.fullmatch(r"\+?[\d\s\-().]{7,24}", value) is not None and 7 <= len(digits) <= 15
    return _one(ok and len(set(digits)) > 2, prop, value)


def person_name(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = 0 < len(value) <= 80 and re.fullmatch(r"[^\W\d_]+(?:[ '.\-][^\W\d_]+){0,4}\.?", value)
    return _one(bool(ok) and value.lower() not in BOOLEANS | {"null", "unknown"}, prop, value)


def nonempty(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    return _one(
        bool(value) and value.lower() not in {"null", "none", "[]", "{}", "undefined"}, prop, value
    )


CHECKS: dict[str, Check] = {
    name: function
    for name, function in globals().items()
    if callable(function)
    and name
    in {
        "uuid",
        "dev_scoped_id",
        "identifier",
        "token",
        "mac",
        "ip",
        "latitude",
        "longitude",
        "latlon",
        "carrier",
        "model",
        "word",
        "os_name",
        "os_version",
        "api_level",
        "os_build",
        "short_text",
        "language",
        "timezone",
        "network",
        "pixels",
        "resolution",
        "user_agent",
        "boolean",
        "imei",
        "imsi",
        "iccid",
        "serial",
        "email",
        "phone",
        "person_name",
        "nonempty",
    }
}


def mark(prop: str, value: str) -> str:
    """A remark that changes how a value reads: placeholders still count but mean something else."""
    stripped = value.strip()
    if prop == "advertisingId" and stripped.endswith(ZERO_UUID):
        return "all zeros: the user limited ad tracking (recorded, not an identifier)"
    if prop == "manufacturer" and stripped.lower() not in MANUFACTURERS:
        maker = maker_of_model(stripped)
        if maker is not None:
            return f"the maker {maker} follows from the model identifier"
    if prop in ("macAddress", "wifiBssid") and (mac_bare(stripped) or "") in PLACEHOLDER_MACS:
        return "placeholder MAC (Android returns 02:00:00:00:00:00 to apps without permission)"
    return ""
