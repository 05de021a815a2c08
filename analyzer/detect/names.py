"""Detection without a profile by field names: a name whose words name a property, and a value
of that property's format.

Key-name findings need both a name the rules of ``aliases.toml`` match (see ``aliases.py``) and a
value that passes the rule's format check (confidence 0.8; 0.6 for context-only names such as
"w" or "z", which need a device context: an ancestor key about the device, or two other device
properties in the same object). A placeholder under a strong name ("unknown", an all-zero ID) is
reported with ``placeholder`` set. Formats in free text are in ``patterns.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import compress
from operator import itemgetter
from typing import NamedTuple

from analyzer.decode.fields import Field
from analyzer.detect.aliases import (
    COMPOSITE_RULES,
    in_device_context,
    rules_for_field,
)
from analyzer.detect.checks import mark
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
    """Formats in free text (see :mod:`analyzer.detect.patterns`)."""
    from analyzer.detect.patterns import pattern_candidates as find

    return find(fields)


def forget_values() -> None:
    """Drop the remembered pattern spans (benchmarks measure flows as if seen the first time)."""
    from analyzer.detect.patterns import forget_values as forget

    forget()


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
