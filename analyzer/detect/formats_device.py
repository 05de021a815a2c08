"""Value formats of the device's description: maker, model, OS name, version and build, screen.

Each check takes ``(prop, value)`` and returns the properties the value supports as
``[(property, value), ...]`` (see ``formats.py``). Makers and model forms are lists of makers and
model-number families, not vendors' keys; OS build forms follow Android's build IDs
(``TP1A.220624.014``, https://source.android.com/docs/setup/reference/build-numbers) and Apple's
(``21D61``, ``18H17``: major version, letter, build).
"""

from __future__ import annotations

import re
from functools import lru_cache

from analyzer.detect.formats import BOOLEANS, UUID, one

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
# WxH, WxHxD (density or dpi), "750.000000x1334.000000", "1080*2400", "1080 x 2400 px".
RESOLUTION = re.compile(
    r"(\d{2,5})(?:\.\d+)?\s?[x*×X,]\s?(\d{2,5})(?:\.\d+)?(?:\s?[x*×X@]\s?\d{2,4}(?:\.\d+)?)?"
    r"(?:\s?(?:px|pixels|dp))?"
)
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
    return one(ok and not UUID.fullmatch(value), prop, value)


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
        return one(1 <= int(stripped) <= 40, prop, value)
    if OS_VERSION.fullmatch(stripped):
        return one(int(stripped.split(".")[0]) <= 40, prop, value)
    return []


def api_level(prop: str, value: str) -> list[tuple[str, str]]:
    """An Android API level (Build.VERSION.SDK_INT, 1-40): a whole number, never "8.1.0"."""
    stripped = value.strip()
    return one(stripped.isdigit() and 1 <= int(stripped) <= 40, prop, value)


ANDROID_BUILD = re.compile(r"[A-Z]{2,4}\d[A-Z]?\.\d{6}\.\d{3}(?:\.[A-Z]\d{1,2})?")
IOS_BUILD = re.compile(r"\d{2}[A-H]\d{2,4}[a-z]?")


def os_build(prop: str, value: str) -> list[tuple[str, str]]:
    """An Android or iOS build ID, alone or as "Build/<id>" (the user agent's form)."""
    stripped = value.strip()
    if stripped.startswith("Build/"):
        stripped = stripped[6:]
    ok = ANDROID_BUILD.fullmatch(stripped) or IOS_BUILD.fullmatch(stripped)
    return [("osVersion", value)] if ok else []


def pixels(prop: str, value: str) -> list[tuple[str, str]]:
    """A whole number of pixels or points from 100 to 10000 ("1080", "1080.0", "1080px")."""
    stripped = value.strip().removesuffix("px").strip()
    try:
        number = float(stripped)
    except ValueError:
        return []
    return one(100 <= number <= 10000 and number == int(number), prop, value)


def resolution(prop: str, value: str) -> list[tuple[str, str]]:
    match = RESOLUTION.fullmatch(value.strip())
    if not match or not all(100 <= int(group) <= 10000 for group in match.groups()):
        return []
    return [("screenWidth", value), ("screenHeight", value)]


def device_name(prop: str, value: str) -> list[tuple[str, str]]:
    """The user's name for the device ("Anna's iPhone"); a model's form is reported as the model.

    Some SDKs put Build.MODEL under "device_name": a value that is a model identifier
    (SM-S911B, iPhone15,3, Pixel 8) is the model (and its maker), not a name the user chose.
    """
    stripped = value.strip()
    if model_in(stripped) or maker_of_model(stripped):
        return model("model", value)
    ok = 0 < len(stripped) <= 64 and stripped.lower() not in BOOLEANS | {"null", "unknown"}
    return one(ok and any(c.isalnum() for c in stripped), prop, value)
