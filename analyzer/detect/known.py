"""Finding a profile's known values in a flow's fields, in every variant, with one automaton.

All variants of all known values go into one Aho-Corasick automaton (pyahocorasick), keyed by
their lower-cased text. A flow's field values are joined into one text (fields separated by a
NUL, which no variant contains) and scanned in a single pass, so the cost per flow grows with the
bytes sent, not with the number of values or variants. Each hit is then checked against its
variant's boundary rule and case mode and mapped back to its field.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

import ahocorasick

from analyzer.decode.fields import Field
from analyzer.detect.aliases import COMPOSITE_RULES, rules_for_field
from analyzer.detect.variants import Variant, variants
from analyzer.profile import Profile

SEPARATOR = "\x00"
KEY_CHARS = 16


@dataclass(frozen=True, slots=True)
class Hit:
    """A variant found in a field, at ``start:end`` of the field's value."""

    variant: Variant
    field: Field
    start: int
    end: int


class KnownValueMatcher:
    """Built once per profile; ``match(fields)`` is cheap and thread-compatible (read-only)."""

    def __init__(self, profile: Profile) -> None:
        self.variant_count = 0
        automaton = ahocorasick.Automaton()
        grouped: dict[str, list[tuple[Variant, int]]] = {}
        for prop, value in profile.values():
            for variant in variants(prop, value):
                # A whole-field variant is searched with the NULs that frame every value in the
                # joined text: it then only hits whole values, and costs nothing elsewhere.
                if variant.boundary == "whole":
                    key = f"{SEPARATOR}{variant.text.lower()}{SEPARATOR}"
                    grouped.setdefault(key, []).append((variant, 1))
                else:
                    # Long variants (digests, base64) are indexed by their first KEY_CHARS only
                    # and checked in full on a hit: a trie of whole 64-character digests is
                    # several times bigger, and its cache misses slow every byte scanned.
                    key = variant.text[:KEY_CHARS].lower()
                    grouped.setdefault(key, []).append((variant, 0))
                self.variant_count += 1
        for text, group in grouped.items():
            automaton.add_word(text, tuple(group))
        self.empty = not grouped
        if not self.empty:
            automaton.make_automaton()
        self.automaton = automaton

    def match(
        self, fields: Sequence[Field], joined: tuple[str, list[int]] | None = None
    ) -> list[Hit]:
        """Hits in ``fields``; ``joined`` is :func:`join_values` of them, if already built."""
        if self.empty or not fields:
            return []
        text, starts = joined if joined is not None else join_values(fields)
        lowered = text.lower()
        if len(lowered) != len(text):
            # A few characters change length when lower-cased (İ); keep offsets exact.
            return [hit for field in fields for hit in self._match_one(field)]
        hits = []
        for end, group in self.automaton.iter(lowered):
            for variant, pad in group:
                size = len(variant.text)
                if pad:
                    last = end - pad
                    start = last - size + 1
                else:
                    start = end - min(size, KEY_CHARS) + 1
                    last = start + size - 1
                    if size > KEY_CHARS and lowered[start : last + 1] != variant.text.lower():
                        continue
                index = bisect_right(starts, start) - 1
                offset = starts[index]
                hit = self._check(
                    variant, fields[index], text, start - offset, last + 1 - offset, offset
                )
                if hit is not None:
                    hits.append(hit)
        return hits

    def _match_one(self, field: Field) -> list[Hit]:
        text = f"{SEPARATOR}{field.value}{SEPARATOR}"
        lowered = text.lower()
        if len(lowered) != len(text):
            lowered = text.casefold() if len(text.casefold()) == len(text) else text
        hits = []
        for end, group in self.automaton.iter(lowered):
            for variant, pad in group:
                size = len(variant.text)
                if pad:
                    last = end - pad
                    start = last - size + 1
                else:
                    start = end - min(size, KEY_CHARS) + 1
                    last = start + size - 1
                    if size > KEY_CHARS and lowered[start : last + 1] != variant.text.lower():
                        continue
                if start < 1 or last > len(field.value):
                    continue
                hit = self._check(variant, field, text, start - 1, last, 1)
                if hit is not None:
                    hits.append(hit)
        return hits

    @staticmethod
    def _check(
        variant: Variant, field: Field, text: str, start: int, end: int, offset: int
    ) -> Hit | None:
        value = field.value
        if variant.exact_case and text[offset + start : offset + end] != variant.text:
            return None
        before = value[start - 1] if start > 0 else ""
        after = value[end] if end < len(value) else ""
        if not _boundary_ok(variant.boundary, before, after):
            return None
        if variant.boundary == "whole":
            if field.raw or value.strip().strip('"').lower() != variant.text.lower():
                return None
            # A short value ("11", "en") is only believed under a name for its property.
            found = rules_for_field(field.key, field.parent)
            if found is None:
                return None
            rule_prop = COMPOSITE_RULES.get(found[0].name, found[0].name)
            if rule_prop != variant.prop and not _composite_covers(found[0].name, variant.prop):
                return None
        return Hit(variant, field, start, end)


def join_values(fields: Sequence[Field]) -> tuple[str, list[int]]:
    """All values in one text, each framed by NULs, and where each starts (one scan for all).

    ``"\0v1\0v2\0"``: a value between two NULs is a whole value; no variant contains a NUL.
    """
    starts = list(accumulate([len(field.value) + 1 for field in fields], initial=1))
    starts.pop()
    return f"{SEPARATOR}{SEPARATOR.join([field.value for field in fields])}{SEPARATOR}", starts


def _boundary_ok(boundary: str, before: str, after: str) -> bool:
    if boundary == "none":
        return True
    if boundary == "alnum":
        return not before.isalnum() and not after.isalnum()
    if boundary == "digits":
        return not before.isdigit() and not after.isdigit()
    # Empty means the field's edge; note that "" is "in" every string, hence the explicit tests.
    number_before = bool(before) and (before.isdigit() or before in ".-")
    if boundary == "decimal":
        return not number_before and not (after.isdigit() or after == ".")
    if boundary == "prefix":
        return not number_before
    return True  # "whole" is checked by the caller


def _composite_covers(rule: str, prop: str) -> bool:
    return (rule, prop) in {
        ("resolution", "screenHeight"),
        ("location", "longitude"),
        ("osName", "osVersion"),
        ("osVersion", "osName"),
    }
