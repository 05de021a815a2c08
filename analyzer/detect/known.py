"""Finding a profile's known values in a flow's fields, in every variant and digest.

All variants of all known values (:mod:`analyzer.detect.variants`) go into one Aho-Corasick
automaton (ahocorasick-rs), keyed by their lower-cased text; their digests go into a
:class:`~analyzer.detect.digest_index.DigestIndex`, looked up by token. A flow's field values are
joined into one text (fields separated by a NUL, which no variant contains) and scanned in a
single pass by each, so the cost per flow grows with the bytes sent, not with the number of
values, variants or digests. Each hit is then checked against its variant's boundary rule and
case mode and mapped back to its field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import compress
from operator import itemgetter
from typing import NamedTuple

import ahocorasick_rs

from analyzer.decode.fields import Field
from analyzer.detect.aliases import COMPOSITE_RULES, rules_for_field
from analyzer.detect.digest_index import DigestHit, DigestIndex
from analyzer.detect.language_lists import list_items
from analyzer.detect.memo import SEPARATOR, ValueMemo, by_value, joined
from analyzer.detect.variants import Variant, digest_inputs, profile_variants
from analyzer.profile import Profile

KEY_CHARS = 16
DFA_MAX_KEYS = 10_000  # automaton keys up to which a DFA is built (about 500 profile values)
_WHOLE = ("whole", "field")  # boundaries of variants that must be a whole field
_NO_EDGES = (0, 0, 0, 0)
# base64 characters (standard and URL-safe) to their 6 bits.
_SEXTETS = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
} | {"-": 62, "_": 63}
# Characters that may not stand before / after the encoded form of a short value.
_TOKEN_EDGES = {
    "url": ("%", "%+"),
    "entity": (";&", "&"),
    "escape": ("\\", "\\"),
    "base64": ("+/-_", "+/-_"),
}
_VALUE = itemgetter(3)  # Field.value, read in C
Spot = tuple[Variant, int, int]  # a variant at start:end of a value, before the field's checks


class Hit(NamedTuple):
    """A variant found in a field, at ``start:end`` of the field's value."""

    variant: Variant
    field: Field
    start: int
    end: int


class KnownValueMatcher:
    """Built once per profile; ``match(fields)`` is cheap and remembers the values it scanned."""

    def __init__(self, profile: Profile) -> None:
        self.variant_count = 0
        grouped: dict[str, list[tuple[Variant, int]]] = {}
        for variant in profile_variants(profile):
            # A whole-field variant is searched with the NULs that frame every value in the
            # joined text: it then only hits whole values, and costs nothing elsewhere.
            if variant.boundary in _WHOLE:
                key = f"{SEPARATOR}{variant.text.lower()}{SEPARATOR}"
                grouped.setdefault(key, []).append((variant, 1))
            else:
                # Long variants (base64) are indexed by their first KEY_CHARS only and checked
                # in full on a hit: a trie of whole long texts is several times bigger, and its
                # cache misses slow every byte scanned.
                key = variant.text[:KEY_CHARS].lower()
                grouped.setdefault(key, []).append((variant, 0))
            self.variant_count += 1
        # Short locales ("zh-TW", a whole field only) as items of a language list (Accept-Language).
        self._list_items: dict[str, list[Variant]] = {}
        for group in grouped.values():
            for variant, _ in group:
                if variant.prop == "language" and variant.boundary == "field":
                    item = replace(variant, boundary="item")
                    self._list_items.setdefault(variant.text.lower(), []).append(item)
        self.digests = DigestIndex(digest_inputs(profile))
        # What a big profile could not search in full (digest budget), for the analysis notes.
        self.notes: list[str] = list(self.digests.notes)
        self._digest_variants: dict[int, Variant] = {}
        self.groups = [tuple(group) for group in grouped.values()]
        self.empty = not grouped and not len(self.digests)
        # A DFA scans fastest (35 us a flow for 100 values, against 130 us with pyahocorasick)
        # but grows large: 200 MB for 1,000 values; the library's own choice stays small.
        implementation = ahocorasick_rs.Implementation.DFA if len(grouped) <= DFA_MAX_KEYS else None
        self.automaton = (
            None
            if not grouped
            else ahocorasick_rs.AhoCorasick(
                list(grouped),
                matchkind=ahocorasick_rs.MatchKind.Standard,
                implementation=implementation,
            )
        )
        self._memo: ValueMemo[Variant] = ValueMemo(self._scan)
        # Short values of the last flow matched that sit in positional arrays not (yet) known to
        # describe the device: the detector settles them with its pattern findings.
        self.record_members: list[Hit] = []

    def match(self, fields: Sequence[Field]) -> list[Hit]:
        """Hits in ``fields``, in field order.

        Where a variant sits in a value depends on the value alone, so each distinct value is
        scanned once per matcher and remembered (:class:`ValueMemo`): a session repeats its
        device's model, app version and event names in thousands of flows, and most values hit
        nothing. Only the checks that depend on the field (its name, whether it is raw) run per
        field.
        """
        if self.empty or not fields:
            return []
        held = self._memo.lookup(set(map(_VALUE, fields)))
        if not held:
            return []
        hits = []
        unnamed = []
        for field in compress(fields, map(held.__contains__, map(_VALUE, fields))):
            for variant, start, end in held[field[3]]:
                hit = self._check(variant, field, start, end)
                if hit is not None:
                    hits.append(hit)
                elif _record_member(variant, field):
                    unnamed.append(Hit(variant, field, start, end))
        self.record_members = []
        if unnamed:
            believed = in_device_records(unnamed, [(hit.field, hit.variant.prop) for hit in hits])
            if believed:
                order = {id(field): index for index, field in enumerate(fields)}
                hits = sorted(hits + believed, key=lambda hit: order[id(hit.field)])
            self.record_members = [hit for hit in unnamed if hit not in believed]
        return hits

    def _scan(self, values: list[str]) -> dict[int, list[Spot]]:
        """Where variants sit in values not seen before, by value index (one pass for all)."""
        text = joined(values)
        lowered = text.lower()
        if len(lowered) == len(text):
            per_value = by_value(values, self._spots(lowered) + self._digest_spots(text, lowered))
        else:
            # A few characters change length when lower-cased (İ); keep offsets exact.
            per_value = {}
            for index, value in enumerate(values):
                spots = self._scan_one(value)
                if spots:
                    per_value[index] = spots
        if self._list_items:
            self._list_spots(values, per_value)
        return per_value

    def _list_spots(self, values: list[str], per_value: dict[int, list[Spot]]) -> None:
        """Add the short locales that are items of a language list (:mod:`language_lists`)."""
        items = self._list_items
        for index, value in enumerate(values):
            if "," not in value:
                continue
            for start, end in list_items(value):
                for variant in items.get(value[start:end].lower(), ()):
                    per_value.setdefault(index, []).append((variant, start, end))

    def _spots(self, lowered: str) -> list[Spot]:
        """Variants in NUL-framed lower-cased text, as (variant, start, end)."""
        out: list[Spot] = []
        if self.automaton is None:
            return out
        groups = self.groups
        for index, _, stop in self.automaton.find_matches_as_indexes(lowered, overlapping=True):
            end = stop - 1  # the last character of the key
            for variant, pad in groups[index]:
                size = len(variant.text)
                if pad:
                    last = end - pad
                    start = last - size + 1
                else:
                    start = end - min(size, KEY_CHARS) + 1
                    last = start + size - 1
                    if size > KEY_CHARS and lowered[start : last + 1] != variant.text.lower():
                        continue
                out.append((variant, start, last + 1))
        return out

    def _digest_spots(self, text: str, lowered: str) -> list[Spot]:
        """Digests of known values in the NUL-framed text, as (variant, start, end)."""
        return [
            (self._digest_variant(hit), hit.start, hit.end)
            for hit in self.digests.find(text, lowered)
        ]

    def _digest_variant(self, hit: DigestHit) -> Variant:
        entry = hit.entry
        variant = self._digest_variants.get(id(entry))
        if variant is None:
            rendering = entry.rendering
            boundary = "field" if rendering.whole else "none"  # checked by the index
            variant = Variant(
                entry.prop, entry.value, rendering.text, rendering.chain, boundary, rendering.exact
            )
            self._digest_variants[id(entry)] = variant
        return variant

    def _scan_one(self, value: str) -> list[Spot]:
        text = joined([value])
        lowered = text.lower()
        if len(lowered) != len(text):
            lowered = text.casefold() if len(text.casefold()) == len(text) else text
        spots = self._spots(lowered)
        if len(lowered) == len(text):
            spots += self._digest_spots(text, lowered)
        return [
            (variant, start - 1, end - 1)
            for variant, start, end in spots
            if start >= 1 and end - 1 <= len(value)
        ]

    @staticmethod
    def _check(variant: Variant, field: Field, start: int, end: int) -> Hit | None:
        value = field.value
        if variant.exact_case and value[start:end] != variant.text:
            return None
        before = value[start - 1] if start > 0 else ""
        after = value[end] if end < len(value) else ""
        if variant.edges != _NO_EDGES and not _edges_ok(variant.edges, before, after):
            return None
        if not _boundary_ok(variant.boundary, before, after):
            return None
        if variant.boundary == "field":
            return Hit(variant, field, start, end) if _whole(value, variant.text) else None
        if variant.boundary == "whole":
            if field.raw or not _whole(value, variant.text):
                return None
            # A short value ("11", "en") is only believed under a name for its property.
            found = rules_for_field(field.key, field.parent)
            if found is None:
                return None
            rule_prop = COMPOSITE_RULES.get(found[0].name, found[0].name)
            if rule_prop != variant.prop and not _composite_covers(found[0].name, variant.prop):
                return None
        return Hit(variant, field, start, end)


def _record_member(variant: Variant, field: Field) -> bool:
    """A short value ("EE", "LTE") that equals a member without a name of a positional array
    (its path ends in an index): believed if the array describes the device
    (:func:`in_device_records`). Bare numbers stay out: such arrays hold counts and sizes."""
    return (
        variant.boundary == "whole"
        and not field.raw
        and field.path[-1:].isdigit()
        and any(c.isalpha() for c in variant.text)
        and _whole(field.value, variant.text)
    )


def in_device_records(unnamed: Sequence[Hit], facts: Sequence[tuple[Field, str]]) -> list[Hit]:
    """The ``unnamed`` hits that sit in a positional array (as Facebook's and Snap's ``extinfo``:
    app version, OS version, model, locale, carrier, time zone by position) where ``facts``
    (``(field, property)`` found by any method: the profile's values, patterns) put two other
    properties in two other members: the array then describes the device, and its members are
    its facts."""
    props: dict[tuple[str, str], dict[str, set[str]]] = {}  # array -> member path -> properties
    for field, prop in facts:
        record, _, last = field.path.rpartition(".")
        if last.isdigit():
            props.setdefault((field.location, record), {}).setdefault(field.path, set()).add(prop)
    out = []
    for hit in unnamed:
        members = props.get((hit.field.location, hit.field.path.rpartition(".")[0]), {})
        others = {
            prop for path, found in members.items() if path != hit.field.path for prop in found
        }
        others.discard(hit.variant.prop)
        if len(others) >= 2 and sum(path != hit.field.path for path in members) >= 2:
            out.append(hit)
    return out


def _edges_ok(edges: tuple[int, int, int, int], before: str, after: str) -> bool:
    """The base64 characters around a fragment carry the value's first and last bits."""
    lead, lead_value, trail, trail_value = edges
    if lead:
        sextet = _SEXTETS.get(before)
        if sextet is None or sextet & ((1 << lead) - 1) != lead_value:
            return False
    if trail:
        sextet = _SEXTETS.get(after)
        if sextet is None or sextet >> (6 - trail) != trail_value:
            return False
    return True


def _whole(value: str, text: str) -> bool:
    """The field is the variant, give or take surrounding blanks and quotes."""
    return value.strip().strip('"').lower() == text.lower()


def _boundary_ok(boundary: str, before: str, after: str) -> bool:
    if boundary == "none":
        return True
    if boundary == "alnum":
        return not before.isalnum() and not after.isalnum()
    if boundary in _TOKEN_EDGES:
        # A short value's encoded form stands alone: nothing of its encoding continues it (a
        # further %XX escape, character reference, \uXXXX escape or base64 character).
        if before.isalnum() or after.isalnum():
            return False
        not_before, not_after = _TOKEN_EDGES[boundary]
        return not (before and before in not_before) and not (after and after in not_after)
    if boundary == "digits":
        return not before.isdigit() and not after.isdigit()
    # Empty means the field's edge; note that "" is "in" every string, hence the explicit tests.
    number_before = bool(before) and (before.isdigit() or before in ".-")
    if boundary == "decimal":
        return not number_before and not (after.isdigit() or after == ".")
    if boundary == "prefix":
        return not number_before
    return True  # "whole" and "field" are checked by the caller


def _composite_covers(rule: str, prop: str) -> bool:
    return (rule, prop) in {
        ("resolution", "screenHeight"),
        ("location", "longitude"),
        ("osName", "osVersion"),
        ("osVersion", "osName"),
    }
