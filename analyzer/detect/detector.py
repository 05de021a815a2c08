"""The detector: decoded fields of one flow -> findings (known values, names, patterns)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from itertools import compress
from operator import itemgetter, not_
from typing import Any

from analyzer.decode import decode_flow
from analyzer.decode.fields import Limits
from analyzer.detect.finding import Finding, excerpt, mask_value
from analyzer.detect.known import Hit, KnownValueMatcher, in_device_records
from analyzer.detect.names import (
    STRONG_CONFIDENCE,
    Candidate,
    key_name_candidates,
    resolve_context,
)
from analyzer.detect.pairs import named_fields
from analyzer.detect.patterns import pattern_candidates
from analyzer.detect.records import FACTS as RECORD_FACTS
from analyzer.profile import Profile


def _version() -> str:
    # The rules and the decoders are part of the detector: any change to them (a new alias, a
    # new guard, a new decoder) must invalidate cached runs, so the version carries their hash.
    digest = hashlib.sha256()
    package = resources.files("analyzer")
    for data in ("aliases.toml", "carriers/carriers.tsv", "locale/locale.json"):
        digest.update(package.joinpath("data", data).read_bytes())
    for folder in ("decode", "detect"):
        sources = sorted(
            (entry for entry in package.joinpath(folder).iterdir() if entry.name.endswith(".py")),
            key=lambda entry: entry.name,
        )
        for entry in sources:
            # The evaluation's corpora and scoring do not change what is detected.
            if not entry.name.startswith("corpus") and entry.name not in EVALUATION_ONLY:
                digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return f"{VERSION}+{digest.hexdigest()[:10]}"


VERSION = "1.0"
EVALUATION_ONLY = ("evaluate.py", "scoring.py", "provenance.py")
DETECTOR_VERSION = _version()
_RAW = itemgetter(5)  # Field.raw
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


def _fold(path: str) -> str:
    """The path with array indices as "*" (events.3.name -> events.*.name)."""
    return _INDEX.sub("*", path)


_fold_cached = lru_cache(maxsize=65536)(_fold)  # paths repeat from flow to flow


def _folded(path: str) -> str:
    return _fold_cached(path) if len(path) <= 256 else _fold(path)


class Detector:
    """Finds personal data in flows; build once (the automaton of a profile) and reuse.

    ``Detector(profile)`` matches the profile's known values in every variant (method
    ``known-value``, confidence 1.0) and, with or without a profile, field names with value
    formats (``key-name``) and formats in free text (``pattern``). ``detect(flow_row, messages)``
    returns the flow's findings; ``last_notes`` then holds what the decoders could not read.
    """

    def __init__(self, profile: Profile | None = None, limits: Limits | None = None) -> None:
        self.profile = profile
        self.limits = limits
        self.matcher = KnownValueMatcher(profile) if profile is not None and len(profile) else None
        self.last_notes: list[str] = []
        # What the profile's matcher could not search in full, told once with the first flow.
        self._profile_notes = list(self.matcher.notes) if self.matcher else []

    def detect(self, flow: Any, messages: Iterable[Any] = ()) -> list[Finding]:
        """Findings of one stored flow (a row with Flow's attributes) and its WebSocket messages."""
        fields, notes = decode_flow(flow, messages, self.limits)
        if self._profile_notes:
            notes, self._profile_notes = self._profile_notes + notes, []
        self.last_notes = notes
        flow_id = getattr(flow, "id", None)
        hits = self.matcher.match(fields) if self.matcher else []
        known = self._known(flow_id, hits) if hits else []
        covered = {(f.property, f.location, f.path) for f in known}
        # Name and format rules skip raw fields (whole texts); picked out in C.
        raw = list(map(_RAW, fields))
        structured = list(compress(fields, map(not_, raw))) if any(raw) else fields
        structured = named_fields(structured)  # name-value pairs: named by their data
        candidates = resolve_context(
            key_name_candidates(structured) + pattern_candidates(structured)
        )
        if self.matcher is not None and self.matcher.record_members:
            # Short known values in positional arrays that the patterns show are the device's.
            facts = [(h.field, h.variant.prop) for h in hits] + [
                (c.field, c.prop) for c in candidates if c.prop in RECORD_FACTS
            ]
            more = in_device_records(self.matcher.record_members, facts)
            if more:
                known = self._known(flow_id, hits + more)
                covered = {(f.property, f.location, f.path) for f in known}
        # A field whose name explains it is not also reported as a pattern (a BSSID is no MAC),
        # unless the pattern is a part of it that the name does not explain (the model in a
        # "device_ver" of "SM-G991B-Android-13").
        named: dict[tuple[str, str], set[str]] = {}
        for c in candidates:
            if c.method == "key-name":
                named.setdefault((c.field.location, c.field.path), set()).add(c.prop)
        others = []
        seen: set[tuple[str, ...]] = set()
        for candidate in candidates:
            field = candidate.field
            place = (field.location, field.path)
            if (candidate.prop, *place) in covered or (
                candidate.method == "pattern"
                and place in named
                and (candidate.prop in named[place] or _whole_value(candidate))
            ):
                continue
            # Fold repeats (500 events each naming the model) before building findings.
            key = (
                candidate.prop,
                field.location,
                _folded(field.path),
                field.encoding,
                candidate.method,
                candidate.value,
            )
            if key not in seen:
                seen.add(key)
                others.append(_finding(flow_id, candidate))
        return _pair_coordinates(_unique(known + others))

    def _known(self, flow_id: int | None, hits: list[Hit]) -> list[Finding]:
        # Longest first, so that a whole base64 string wins over its fragments at the same spot.
        hits.sort(key=lambda h: (h.field.raw, -(h.end - h.start), -len(h.field.encoding)))
        taken: dict[tuple[int, str], list[tuple[int, int]]] = {}
        structured: set[tuple[str, str]] = set()
        kept: list[Hit] = []
        for hit in hits:
            field, variant = hit.field, hit.variant
            if field.raw and (variant.prop, field.location) in structured:
                continue  # the parsed field says the same, with its key path
            spans = taken.setdefault((id(field), variant.prop), [])
            if any(hit.start < end and start < hit.end for start, end in spans):
                continue
            spans.append((hit.start, hit.end))
            if not field.raw:
                structured.add((variant.prop, field.location))
            kept.append(hit)
        return [_known_finding(flow_id, hit) for hit in kept if not _superseded(hit, kept)]


def _superseded(hit: Hit, hits: list[Hit]) -> bool:
    """True when the same value was also found in a field decoded from this one (a base64 blob
    and the JSON inside it): the decoded finding shows more and says how it was hidden."""
    field = hit.field
    if field.raw:
        return False
    for other in hits:
        inner = other.field
        if (
            other is not hit
            and other.variant.prop == hit.variant.prop
            and inner.location == field.location
            and not inner.raw
            and (inner.path == field.path or inner.path.startswith(field.path + "."))
            and len(_steps(inner.encoding)) > len(_steps(field.encoding))
            and _steps(inner.encoding)[: len(_steps(field.encoding))] == _steps(field.encoding)
        ):
            return True
    return False


def _known_finding(flow_id: int | None, hit: Hit) -> Finding:
    field, variant = hit.field, hit.variant
    chain = _chain(field.encoding, variant.encoding)
    how = "as sent" if chain == "plain" else f"hidden as {chain}"
    return Finding(
        flow_id=flow_id,
        property=variant.prop,
        location=field.location,
        path=field.path,
        encoding=chain,
        method="known-value",
        confidence=1.0,
        value=field.value[hit.start : hit.end],
        context=excerpt(field.value, hit.start, hit.end),
        explanation=(
            f"the profile's {variant.prop} {mask_value(variant.value)} found {how}"
            + (" (in the undivided text)" if field.raw else "")
        ),
    )


def _steps(chain: str) -> list[str]:
    return [step for step in chain.split(">") if step and step != "plain"]


def _chain(field_encoding: str, variant_encoding: str) -> str:
    steps = [s for s in field_encoding.split(">") if s and s != "plain"]
    steps += [s for s in variant_encoding.split(">") if s and s != "plain"]
    return ">".join(steps) or "plain"


def _finding(flow_id: int | None, candidate: Candidate) -> Finding:
    field = candidate.field
    if candidate.method == "key-name":
        context = f"{field.key}={mask_value(field.value)}"[:200]
    else:
        context = excerpt(field.value, candidate.start, candidate.end)
    return Finding(
        flow_id=flow_id,
        property=candidate.prop,
        location=field.location,
        path=field.path,
        encoding=field.encoding or "plain",
        method=candidate.method,
        confidence=candidate.confidence,
        value=candidate.value,
        context=context,
        explanation=candidate.explanation,
        placeholder=candidate.placeholder,
    )


def _whole_value(candidate: Candidate) -> bool:
    return candidate.end - candidate.start >= len(candidate.field.value.strip())


def _unique(findings: list[Finding]) -> list[Finding]:
    """One finding per property, place (array indices folded) and encoding: a batch of 500
    events each sending the OS name is one fact, reported at its first path."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for finding in findings:
        key = (
            finding.property,
            finding.location,
            _folded(finding.path),
            finding.encoding,
            finding.method,
            finding.value,
        )
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _pair_coordinates(findings: list[Finding]) -> list[Finding]:
    """A location counts where latitude and longitude both appear in the flow, or where a field
    named for one coordinate holds it (``lat=52.52`` alone still tells one axis)."""
    properties = {f.property for f in findings}
    if ("latitude" in properties) == ("longitude" in properties):
        return findings
    return [
        f
        for f in findings
        if f.property not in ("latitude", "longitude")
        or (f.method == "key-name" and f.confidence >= STRONG_CONFIDENCE)
    ]
