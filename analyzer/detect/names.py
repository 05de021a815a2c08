"""Detection without a profile: field names with value formats, and formats in free text.

Key-name findings need both a name from the alias table and a value that passes the rule's
format check (confidence 0.8; 0.6 for context-only names such as "w" or "z", which need a device
context: an ancestor key about the device, or two other device properties in the same object).
Pattern findings look for e-mail addresses, Luhn-valid IMEIs and MAC addresses anywhere in a
value (confidence 0.7 / 0.6 / 0.6).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import compress
from operator import itemgetter
from typing import NamedTuple

from analyzer.decode.fields import Field
from analyzer.detect import lookups
from analyzer.detect.aliases import (
    COMPOSITE_RULES,
    in_device_context,
    rules_for_field,
    table,
    words_of,
)
from analyzer.detect.checks import mark
from analyzer.detect.formats import EMAIL, FCM_TOKEN, FILE_SUFFIXES, GCM_TOKEN, is_imei, mac_bare
from analyzer.detect.formats_device import (
    ANDROID_MODEL,
    APPLE_MODEL,
    MANUFACTURERS,
    maker_of_model,
    manufacturer_in,
)
from analyzer.detect.memo import ValueMemo, by_value, joined
from analyzer.detect.placeholders import placeholder

STRONG_CONFIDENCE = 0.8
CONTEXT_CONFIDENCE = 0.6
# The User-Agent and Accept-Language headers are on every request by design: reporting them as
# leaks would drown the findings; known values are still matched in them.
# Formats that accept almost any text: where names are chosen by servers (cookies) or are route
# words (URL path segments), a name alone is no evidence.
LOOSE_FORMATS = frozenset(
    {
        "short_text",
        "identifier",
        "nonempty",
        "word",
        "model",
        "carrier",
        "person_name",
        "token",
        "serial",
    }
)
IGNORED_HEADERS = frozenset({"user-agent", "x-user-agent", "accept-language"})
_KEY = itemgetter(2)  # Field.key and Field.parent, read in C
_PARENT = itemgetter(6)

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
# Whole values only: in the joined text a whole value sits between NULs.
_MAKER = re.compile(
    "\x00(?:"
    + "|".join(sorted(MANUFACTURERS, key=len, reverse=True))
    + r")(?:[ ,][^\x00]{1,60})?(?=\x00)"
)
_MODEL = re.compile(r"\x00(?:" + APPLE_MODEL.pattern + "|" + ANDROID_MODEL.pattern + r")(?=\x00)")
# A whole value that is an OS name, or a locale (language_REGION: "de_DE", "pt-BR"): telling
# without a field name (unnamed protobuf fields, vendors' own keys). Case as systems write them.
_SYSTEM = re.compile(r"\x00(?:[Aa]ndroid|ANDROID|iOS|IOS|ios|iPadOS|HarmonyOS)(?=\x00)")
_LOCALE = re.compile(r"\x00[a-z]{2}[_-][A-Z]{2}(?=\x00)")
# A push token anywhere (FCM's "<id>:APA91b..." or a bare legacy GCM token), whole tokens only.
_PUSH = re.compile(
    r"(?<![A-Za-z0-9_\-])(?:" + FCM_TOKEN.pattern + "|" + GCM_TOKEN.pattern + r")(?![A-Za-z0-9_\-])"
)
# A whole value that is an IANA zone name ("Europe/Berlin", "America/Argentina/Buenos_Aires").
_ZONE = re.compile(r"\x00([A-Z][A-Za-z_\-]+/[A-Za-z_\-+0-9]+(?:/[A-Za-z_\-]+)?)(?=\x00)")


class Candidate(NamedTuple):
    """A finding before the flow-level checks (context, pairing, deduplication).

    (A NamedTuple: hundreds are made per flow, and a frozen dataclass costs 3x more to build.)
    """

    prop: str
    field: Field
    value: str
    method: str
    confidence: float
    start: int
    end: int
    explanation: str
    needs_context: bool = False
    placeholder: bool = False


def key_name_candidates(fields: Sequence[Field]) -> list[Candidate]:
    """Fields whose name is an alias of a property and whose value has that property's format.

    Names and values repeat from flow to flow: the fields with a rule are picked out with set
    operations in C, and the verdict per (name, parent, place, value) is remembered.
    """
    names = list(zip(map(_KEY, fields), map(_PARENT, fields), strict=True))
    ruled = {pair for pair in set(names) if pair[0] and rules_for_field(*pair) is not None}
    if not ruled:
        return []
    out: list[Candidate] = []
    for field in compress(fields, map(ruled.__contains__, names)):
        if field.raw or (field.location == "header" and field.key in IGNORED_HEADERS):
            continue
        value = field.value
        loose_place = field.location in ("cookie", "path")
        named = _named if len(value) > _CACHE_CHARS else _named_cached
        for prop, found, explanation, strong, empty in named(
            field.key, field.parent, loose_place, value
        ):
            out.append(
                Candidate(
                    prop,
                    field,
                    found,
                    "key-name",
                    STRONG_CONFIDENCE if strong else CONTEXT_CONFIDENCE,
                    0,
                    len(value),
                    explanation,
                    needs_context=not strong,
                    placeholder=empty,
                )
            )
    return out


def _named(
    key: str, parent: str, loose_place: bool, value: str
) -> tuple[tuple[str, str, str, bool, bool], ...]:
    """(property, value, explanation, strong, placeholder) for each property name and value support.

    A placeholder ("unknown", an all-zero ID, 02:00:00:00:00:00) under a strong name is reported
    as such: the field exists, the value is no personal data.
    """
    found = rules_for_field(key, parent)
    if found is None:
        return ()
    rule, strong = found
    if loose_place and rule.format in LOOSE_FORMATS:
        # Cookie names are the server's session handles (Google's "SSID"); the segment
        # before a path segment is a route word ("/packages/00/"): weak evidence alone.
        return ()
    prop_for_check = COMPOSITE_RULES.get(rule.name, rule.name)
    kind = f"{'alias' if strong else 'context alias'} of rule {rule.name}"
    reason = placeholder(prop_for_check, value)
    if reason is not None:
        if not strong or rule.name in ("location", "resolution"):
            return ()
        explanation = (
            f"field name {key!r} names {prop_for_check} ({kind}) but the value is a placeholder"
            f" ({reason}): reported, not counted as personal data. {rule.why}"
        )
        return ((prop_for_check, value, explanation, True, True),)
    out = []
    for prop, checked in rule.check(prop_for_check, value):
        remark = mark(prop, checked)
        explanation = (
            f"field name {key!r} names {prop} ({kind}) and the value has the {rule.format}"
            f" format. {rule.why}"
        )
        if remark:
            explanation += f" Note: {remark}."
        out.append((prop, checked, explanation, strong, remark.startswith("placeholder")))
    return tuple(out)


_named_cached = lru_cache(maxsize=65536)(_named)
_CACHE_CHARS = 256  # longer values are checked without remembering them


def forget_names() -> None:
    """Drop the remembered verdicts per name and value (the rule table changed)."""
    _named_cached.cache_clear()


def pattern_candidates(fields: Sequence[Field]) -> list[Candidate]:
    """Formats in free text: e-mail addresses, IMEIs, MACs, makers and model identifiers.

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
    decoded = {(f[0], f[1].rpartition(".")[0]) for f in fields if "." in f[1]}
    if decoded:
        places = {k: f for k, f in places.items() if (f[0], f[1]) not in decoded}
    by_kind: dict[str, list[tuple[Field, int, int]]] = {}
    for field in places.values():
        for kind, start, end in held[field[3]]:
            by_kind.setdefault(kind, []).append((field, start, end))
    out: list[Candidate] = []
    for kind in _KINDS:
        for field, start, end in by_kind.get(kind, ()):
            _candidates(out, kind, field, start, end)
    return out


_KINDS = ("email", "imei", "mac", "push", "maker", "model", "system", "locale", "zone")
# Kinds that describe a device, and keys whose words say the value names something else
# (an ad's locale, an image's maker): an app store channel
# named after a maker ("channel": "huawei"), the platform of an SDK's own library ("mp_lib").
_DESCRIPTIVE = frozenset({"maker", "model", "system", "locale", "zone"})
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

    if kind in _DESCRIPTIVE and (_NOT_THE_DEVICE | table().blockers) & set(words_of(field.key)):
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
    elif kind == "locale":
        add("language", 0.5, "the whole value is a locale (language_REGION)")
    elif kind == "zone":
        add("timezone", 0.6, "the whole value is an IANA time zone name (tz database)")


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
    if len(lowered) == len(text):
        for match in _MAKER.finditer(lowered):
            spans.append(("maker", match.start() + 1, match.end()))
    for match in _MODEL.finditer(text):
        spans.append(("model", match.start() + 1, match.end()))
    for match in _SYSTEM.finditer(text):
        spans.append(("system", match.start() + 1, match.end()))
    for match in _LOCALE.finditer(text):
        spans.append(("locale", match.start() + 1, match.end()))
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


def resolve_context(candidates: list[Candidate]) -> list[Candidate]:
    """Keep context-only name matches that sit in a device context (see module doc)."""
    if not any(c.needs_context for c in candidates):
        return candidates
    strong_per_object: dict[tuple[str, str], set[str]] = {}
    for candidate in candidates:
        if not candidate.needs_context and candidate.method == "key-name":
            key = (candidate.field.location, _object_path(candidate.field.path))
            strong_per_object.setdefault(key, set()).add(candidate.prop)
    kept = []
    for candidate in candidates:
        if candidate.needs_context:
            key = (candidate.field.location, _object_path(candidate.field.path))
            siblings = strong_per_object.get(key, set()) - {candidate.prop}
            if not (in_device_context(candidate.field.path) or len(siblings) >= 2):
                continue
        kept.append(candidate)
    return kept


def _object_path(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else ""
