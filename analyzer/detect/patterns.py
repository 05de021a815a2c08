"""Formats in free text, without a field name: e-mail, IMEI, MAC, push token, maker, model, OS
name (and version), OS build, locale, IANA zone and GMT offset, network kind.

Pattern findings need no name: the value's form tells (confidence 0.5-0.7). Descriptive kinds
(maker, model, OS name, locale, zone) are skipped under keys whose words say the value is about
something else (an app store channel named after a maker, an SDK's own library). Each distinct
value is scanned once per session (:class:`ValueMemo`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import compress
from operator import itemgetter
from typing import Any
from weakref import WeakKeyDictionary

from analyzer.decode.fields import Field
from analyzer.detect import lookups
from analyzer.detect.aliases import table, words_of
from analyzer.detect.checks import mark
from analyzer.detect.formats import EMAIL, FCM_TOKEN, FILE_SUFFIXES, GCM_TOKEN, is_imei, mac_bare
from analyzer.detect.formats_device import (
    ANDROID_BUILD,
    ANDROID_MODEL,
    APPLE_MODEL,
    MANUFACTURERS,
    maker_of_model,
    manufacturer_in,
)
from analyzer.detect.formats_locale import telling_network_word
from analyzer.detect.memo import ValueMemo, by_value, joined
from analyzer.detect.names import Candidate
from analyzer.detect.records import record_candidates

_IMEI_WHY = "15 digits with a valid Luhn check digit and an IMEI reporting-body prefix"
_EMAIL_AT = re.compile(r"(?<![A-Za-z0-9._%+\-])" + EMAIL.pattern)
# Character shapes: digits -> d, letters -> a, the rest -> space (for digit-run boundaries).
_SHAPE = str.maketrans(
    {chr(c): ("d" if chr(c).isdigit() else "a" if chr(c).isalpha() else " ") for c in range(128)}
)
# One pattern per separator: a pattern that starts with a literal is searched at C speed (the
# engine skips to the next ":" or "-"), a character class is tried at every position.
_MAC_TAILS = (
    re.compile(r":[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){4}"),
    re.compile(r"-[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){4}"),
)
_DIGIT_RUN = re.compile("d{15,}")
_MAC_FULL = re.compile(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}")
# Whole values only: in the joined text a whole value sits between NULs. Each pattern of whole
# values starts with a look-ahead on the characters its forms can begin with: the engine then
# leaves most values after one or two class tests instead of trying every alternative (half
# the time of these passes; tests check every form still passes).
_MAKERS = sorted(MANUFACTURERS, key=len, reverse=True)
_MAKER = re.compile(
    "\x00(?=["
    + re.escape("".join(sorted({maker[0] for maker in _MAKERS})))
    + "]["
    + re.escape("".join(sorted({maker[1] for maker in _MAKERS})))
    + "])(?:"
    + "|".join(_MAKERS)
    + r")(?:[ ,][^\x00]{1,60})?(?=\x00)"
)
_MODEL = re.compile(
    r"\x00(?=[A-Zis])(?:" + APPLE_MODEL.pattern + "|" + ANDROID_MODEL.pattern + r")(?=\x00)"
)
# A model identifier written together with the OS name and version in one value, as SDKs
# describe the device in one string ("iPhone13,2-iOS-16.6", "SM-G991B-Android-13",
# "iOS 17.2; iPhone14,2"): the model, and the OS name and version, each from its own span.
_OS_VERSION = r"((?:Android|iOS|iPadOS|HarmonyOS)[-_ /]?v?\d{1,2}(?:[._]\d{1,3}){0,3})"
_MODELS = APPLE_MODEL.pattern + "|" + ANDROID_MODEL.pattern
# And the OS name and version first in a short description of the device ("iOS 17.2; iPhone",
# "Android 14; tablet"), as some SDKs write it. One pass; groups: model, OS | OS, model | OS.
_COMBINED = re.compile(
    rf"\x00(?=[A-Zis])(?:({_MODELS})[-;,/_ ]{{1,3}}{_OS_VERSION}"
    rf"|{_OS_VERSION}[-;,/_ ]{{1,3}}({_MODELS})"
    rf"|{_OS_VERSION}; ?[A-Za-z][^\x00;]{{0,30}})(?=\x00)"
)
# An Android build ID ("UP1A.231005.007", "Build/TQ3A.230901.001"; source.android.com's build
# numbers): a form nothing else has. Looked for only where its tail occurs (a cheaper pass).
_BUILD = re.compile(r"\x00(?:Build/)?" + ANDROID_BUILD.pattern + r"(?=\x00)")
_BUILD_TAIL = re.compile(r"\.\d{6}\.\d{3}")
# A whole value that is an OS name, or a locale (language_REGION: "de_DE", "pt-BR"): telling
# without a field name (unnamed protobuf fields, vendors' own keys). Case as systems write them.
# Group 1: a phone OS's name alone. Group 2: the version of an OS name with its version in one
# value ("Android 11", "iOS 14.8", "iPadOS_17.2", "HarmonyOS 4.0", "Android12"): both the name
# and the version. Written together, only a major version: "android5.9.0", "ios-7.1.0" and
# "android/3.2" are how SDKs name their builds. (One pattern: one pass over the text.)
_SYSTEM = re.compile(
    r"\x00(?=[AaIiHwtv])"
    r"(?:([Aa]ndroid|ANDROID|iOS|IOS|ios|iPadOS|HarmonyOS)|iPhone OS|watchOS|tvOS|visionOS)"
    r"([ _]v?\d{1,2}(?:[._]\d{1,3}){0,3}|\d{1,2})?(?=\x00)"
)
_MAJOR = re.compile(r"\d+")
# A locale, or (group 1) a GMT/UTC offset as Java's TimeZone.getDisplayName and custom zone IDs
# write it ("GMT+08:00", "UTC-03:00", "GMT+0530"; quarter hours, at most 14): one pass for both.
_LOCALE = re.compile(
    r"\x00(?:[a-z]{2}[_-][A-Z]{2}|((?:GMT|UTC)[+\-\u2212](?:1[0-4]|0?\d)(?::?(?:00|15|30|45))?))"
    r"(?=\x00)"
)
# A push token anywhere (FCM's "<id>:APA91b..." or a bare legacy GCM token), whole tokens only.
_PUSH = re.compile(
    r"(?<![A-Za-z0-9_\-])(?:" + FCM_TOKEN.pattern + "|" + GCM_TOKEN.pattern + r")(?![A-Za-z0-9_\-])"
)
# A whole value that is an IANA zone name ("Europe/Berlin", "America/Argentina/Buenos_Aires").
_ZONE = re.compile(r"\x00([A-Z][A-Za-z_\-]+/[A-Za-z_\-+0-9]+(?:/[A-Za-z_\-]+)?)(?=\x00)")
# A whole value that names a network kind (see formats_locale.TELLING_NETWORK_WORDS): a cheap
# filter in C over the lower-cased text, each match confirmed by telling_network_word. The
# look-ahead on the first two characters skips, at C speed, the values that cannot start one
# (most of them); a test checks that every telling word still passes.
_NETWORK_WORDS = (
    r"\x00(?=[1-5ceghilmnrstuw][cdeghilmnoprstvwxy-])"
    r"(?:ctradioaccesstechnology|network[_ ]?type[_ ]?|type_|transport_)?"
    r"(?:wi-?fi|wwan|cellular|lte(?:[_ ]?ca|\+)?|[2-5]g\+?|5g[_ -]?n?sa|slow-?2g|nr[_ ]?n?sa"
    r"|gprs|umts|hspa\+?|hspap|hs[du]pa|ehrpd|evdo(?:[_ ]?[0ab])?|cdma ?-? ?evdo ?rev\.? ?[0ab]"
    r"|cdmaevdorev[0ab]|cdma1x|(?:cdma ?-? ?)?1xrtt|wcdma|td[_-]?scdma|iwlan|wimax"
    r"|not[_ ]?reachable|reachable ?via ?(?:wi-?fi|wwan)|(?:mobile|cellular)[_ ]?(?:lte|[2-5]g)"
    r"|(?<=[_y])(?:edge|cdma|gsm|iden|nr|mobile|ethernet|bluetooth|vpn|wlan))(?=\x00)"
)
_NETWORK = re.compile(_NETWORK_WORDS)
_NETWORK_ANY_CASE = re.compile("(?i)" + _NETWORK_WORDS)  # where lower-casing changes lengths


def pattern_candidates(fields: Sequence[Field]) -> list[Candidate]:
    """Formats in free text: e-mail addresses, IMEIs, MACs, makers, models, OS names and builds,
    locales, zones, network kinds; and what unnamed device records hold (:mod:`records`).

    What a value holds depends on the value alone, and a session repeats most of its values
    (the device's model, event names, flags) in thousands of flows: each distinct value is
    scanned once (:class:`ValueMemo`) and remembered. Candidates come out grouped by kind, then
    in field order.
    """
    held = _PATTERNS.lookup(set(map(_VALUE, fields)))
    if not held:
        return []
    # One field per place and value: a protobuf batch repeats the model in every event under
    # the same path (the detector folds repeats anyway; this spares building them).
    places: dict[tuple[str, str, str, str], Field] = {}
    for field in compress(fields, map(held.__contains__, map(_VALUE, fields))):
        places.setdefault((field[0], field[1], field[4], field[3]), field)
    # A text that was decoded into fields (JSON in a form field) is read through its fields,
    # which carry the key paths: its own patterns would report the same values twice.
    # (Only texts that look like JSON or a form can have been; most flows skip the pass.)
    containers = {(f[0], f[1]) for f in places.values() if _container_like(f[3])}
    if containers:
        decoded = {(f[0], f[1].rpartition(".")[0]) for f in fields if "." in f[1]}
        places = {k: f for k, f in places.items() if (f[0], f[1]) not in decoded}
    by_kind: dict[str, list[tuple[Field, int, int]]] = {}
    for field in places.values():
        for kind, start, end in held[field[3]]:
            by_kind.setdefault(kind, []).append((field, start, end))
    out: list[Candidate] = []
    for kind in _KINDS:
        for field, start, end in by_kind.get(kind, ()):
            _candidates(out, kind, field, start, end)
    if len(out) > 1:
        out.extend(record_candidates(fields, out))
    return out


_KINDS = (
    "email",
    "imei",
    "mac",
    "push",
    "maker",
    "model",
    "system",
    "system_version",
    "build",
    "locale",
    "zone",
    "offset",
    "network",
)
# Kinds that describe a device, and keys whose words say the value names something else
# (an ad's locale, an image's maker): an app store channel
# named after a maker ("channel": "huawei"), the platform of an SDK's own library ("mp_lib").
_DESCRIPTIVE = frozenset(
    {"maker", "model", "system", "system_version", "build", "locale", "zone", "offset", "network"}
)
_NOT_THE_DEVICE = frozenset(
    {
        "channel",
        "store",
        "market",
        "lib",
        "library",
        "sdk",
        "source",
        "publisher",
        "referrer",
        "campaign",
        "partner",
        "distributor",
        "vendor",
        "plugin",
        "framework",
        "wrapper",
        "engine",
    }
)
_VALUE = itemgetter(3)  # Field.value, read in C


def _scan(values: list[str]) -> dict[int, list[tuple[str, int, int]]]:
    """Spans of values not seen before, found in one pass over them joined by NULs."""
    return by_value(values, _spans(joined(values)))


_PATTERNS: ValueMemo[str] = ValueMemo(_scan)  # per distinct value, its spans


def forget_values() -> None:
    """Drop the remembered spans (benchmarks measure flows as if seen for the first time)."""
    _PATTERNS.clear()


def _container_like(value: str) -> bool:
    head = value.lstrip()[:1]
    return head in ("{", "[", "<") or ("=" in value and "&" in value)


_NOT_DEVICE_WORDS: dict[int, frozenset[str]] = {}


def _not_the_device(rules: Any) -> frozenset[str]:
    """Key words that make a descriptive pattern about something else, for the active table."""
    words = _NOT_DEVICE_WORDS.get(id(rules))
    if words is None:
        words = _NOT_DEVICE_WORDS[id(rules)] = _NOT_THE_DEVICE | rules.blockers
    return words


# Per rule table (the evaluation's folds tokenise differently), (key, parent) -> verdict.
_ELSEWHERE: WeakKeyDictionary[Any, dict[tuple[str, str], bool]] = WeakKeyDictionary()


def _about_something_else(field: Field) -> bool:
    """Whether the field's key or its parent's says the value describes something other than the
    device ("channel": "huawei", "video": {"preload": "wifi"}). Remembered per name pair."""
    rules = table()
    verdicts = _ELSEWHERE.get(rules)
    if verdicts is None:
        verdicts = _ELSEWHERE[rules] = {}
    names = (field.key, field.parent)
    verdict = verdicts.get(names)
    if verdict is None:
        blocked = _not_the_device(rules)
        verdict = not blocked.isdisjoint(words_of(field.key)) or (
            bool(field.parent) and not blocked.isdisjoint(words_of(field.parent))
        )
        if len(verdicts) >= 65536:  # names are bounded in practice; hostile keys are not
            verdicts.clear()
        verdicts[names] = verdict
    return verdict


def _candidates(out: list[Candidate], kind: str, field: Field, start: int, end: int) -> None:
    found = field.value[start:end]

    def add(prop: str, confidence: float, explanation: str, empty: bool = False) -> None:
        out.append(
            Candidate(
                prop,
                field,
                found,
                "pattern",
                confidence,
                start,
                end,
                explanation,
                placeholder=empty,
            )
        )

    if kind in _DESCRIPTIVE and _about_something_else(field):
        return
    if kind == "email":
        add("email", 0.7, "an e-mail address in the text")
    elif kind == "imei":
        add("imei", 0.6, _IMEI_WHY)
    elif kind == "mac":
        remark = mark("macAddress", found)
        explanation = "six hex pairs with separators: a MAC address"
        add(
            "macAddress",
            0.6,
            f"{explanation}. Note: {remark}" if remark else explanation,
            remark.startswith("placeholder"),
        )
    elif kind == "push":
        add(
            "pushNotificationToken",
            0.7,
            "the form of a Firebase Cloud Messaging registration token ('<id>:APA91b...')",
        )
    elif kind == "maker":
        maker = manufacturer_in(found)
        if maker is not None:
            add("manufacturer", 0.5, f"the value names the device maker {maker!r}")
            if maker != found.strip():  # "Google sdk_gphone_x86": the rest is the model
                add("model", 0.5, f"the value names the maker {maker!r} and a model")
    elif kind == "model":
        add("model", 0.6, "the value has the form of a device model identifier")
        maker = maker_of_model(found)
        if maker is not None:
            add("manufacturer", 0.5, f"the model identifier names the maker {maker}")
    elif kind == "system":
        add("osName", 0.5, "the whole value is the name of a phone operating system")
    elif kind == "system_version":
        if int(_MAJOR.search(found).group()) <= 40:  # type: ignore[union-attr]
            why = "the whole value is a phone operating system's name and version"
            add("osName", 0.5, why)
            add("osVersion", 0.5, why)
    elif kind == "build":
        add("osVersion", 0.6, "the whole value is an Android build ID (it pins the OS version)")
    elif kind == "locale":
        add("language", 0.5, "the whole value is a locale (language_REGION)")
    elif kind == "zone":
        add("timezone", 0.6, "the whole value is an IANA time zone name (tz database)")
    elif kind == "offset":
        add("timezone", 0.5, "the whole value is a GMT/UTC offset ('GMT+08:00')")
    elif kind == "network" and telling_network_word(found):
        add("networkConnectionType", 0.5, "the whole value names a kind of network")


def _spans(text: str) -> list[tuple[str, int, int]]:
    spans: list[tuple[str, int, int]] = []
    if "@" in text:
        seen = -1
        for at in _find_all(text, "@"):
            if at < seen:
                continue
            # Search from the start of this value (an address holds no NUL), and past other
            # addresses before this "@": the first match of the window must be the one at "@",
            # whatever the neighbouring values are.
            left = max(0, at - 64, text.rfind("\x00", 0, at) + 1)
            right = min(len(text), at + 256)
            match = _EMAIL_AT.search(text, left, right)
            while match and match.end() <= at:
                match = _EMAIL_AT.search(text, match.end(), right)
            if match and match.start() <= at < match.end():
                address = match.group(0)
                if address.rsplit(".", 1)[-1].lower() not in FILE_SUFFIXES:
                    spans.append(("email", match.start(), match.end()))
                seen = match.end()
    shape = text.translate(_SHAPE)
    for run in _DIGIT_RUN.finditer(shape):  # whole runs: a 17-digit fraction is one match
        start, end = run.span()
        if end - start != 15 or (start and shape[start - 1] == "a") or shape[end : end + 1] == "a":
            continue
        if is_imei(text[start:end]):
            spans.append(("imei", start, end))
    for tail in _MAC_TAILS if ":" in text else _MAC_TAILS[1:]:
        for match in tail.finditer(text):
            start, end = match.start() - 2, match.end()
            candidate = text[max(start, 0) : end]
            if start < 0 or not _MAC_FULL.fullmatch(candidate):
                continue
            if (start and shape[start - 1] in "da") or (end < len(text) and shape[end] in "da"):
                continue
            if mac_bare(candidate) not in {"000000000000", "ffffffffffff"}:
                spans.append(("mac", start, end))
    # The joined text frames each value with NULs; the match includes the leading one.
    lowered = text.lower()
    same_length = len(lowered) == len(text)
    if same_length:
        for match in _MAKER.finditer(lowered):
            spans.append(("maker", match.start() + 1, match.end()))
    for match in _MODEL.finditer(text):
        spans.append(("model", match.start() + 1, match.end()))
    for match in _COMBINED.finditer(text):
        if match.group(5):
            spans.append(("system_version", match.start(5), match.end(5)))
            continue
        model, system = (1, 2) if match.group(1) else (4, 3)
        spans.append(("model", match.start(model), match.end(model)))
        spans.append(("system_version", match.start(system), match.end(system)))
    if _BUILD_TAIL.search(text):
        for match in _BUILD.finditer(text):
            spans.append(("build", match.start() + 1, match.end()))
    for match in _SYSTEM.finditer(text):
        if match.group(2):
            spans.append(("system_version", match.start() + 1, match.end()))
        elif match.group(1):
            spans.append(("system", match.start() + 1, match.end()))
    for match in _LOCALE.finditer(text):
        spans.append(("offset" if match.group(1) else "locale", match.start() + 1, match.end()))
    networks = _NETWORK.finditer(lowered) if same_length else _NETWORK_ANY_CASE.finditer(text)
    for match in networks:
        spans.append(("network", match.start() + 1, match.end()))
    if "APA91b" in text:
        for match in _PUSH.finditer(text):
            spans.append(("push", match.start(), match.end()))
    if "/" in text:
        zones = lookups.zone_names()
        for match in _ZONE.finditer(text):
            if match.group(1).lower() in zones:
                spans.append(("zone", match.start() + 1, match.end()))
    return spans


def _find_all(text: str, needle: str) -> list[int]:
    out = []
    position = text.find(needle)
    while position != -1:
        out.append(position)
        position = text.find(needle, position + len(needle))
    return out
