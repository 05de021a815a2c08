"""Scoring the detector against labelled requests: precision and recall per group.

A :class:`Case` is one request (a flow row and its WebSocket messages) with the labels
of the personal values it carries; :func:`score` compares a detector's findings with them.
Used by the corpora (``corpus*.py``), ``leakmap eval`` and the benchmarks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

from analyzer.detect.finding import Finding


@dataclass(frozen=True, slots=True)
class Label:
    prop: str  # a vocabulary property, or "other:<name>" for labels outside it
    location: str
    path: str
    group: str  # what the figures are grouped by (an encoding, or a property)
    encoding: str = ""  # the chain the finding must report ("" = not checked)


@dataclass(slots=True)
class Case:
    flow: SimpleNamespace
    messages: list[SimpleNamespace] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


# TrackHAR files several of our identifier properties under one label; such findings on such
# fields are neither right nor wrong.
AMBIGUOUS = {
    "other:otheridentifiers": {
        "deviceId",
        "installationId",
        "userId",
        "developerScopedId",
        "advertisingId",
        "pushNotificationToken",
    },
    "other:country": {"language"},
    # Strings such as "Google sdk_gphone_x86" or "iPhone9,3" name maker and model together;
    # TrackHAR labels them one or the other, inconsistently across vendors.
    "manufacturer": {"model", "osName"},
    "model": {"manufacturer"},
    # A platform "iPhone" names the system and the maker: TrackHAR labels it one or the other.
    "osName": {"manufacturer"},
}


@dataclass(slots=True)
class Tally:
    labels: int = 0
    found: int = 0
    findings: int = 0
    correct: int = 0
    ignored: int = 0
    shared: int = 0  # labels found through another property of their place (see score)

    @property
    def recall(self) -> float:
        return self.found / self.labels if self.labels else float("nan")

    @property
    def precision(self) -> float:
        judged = self.findings - self.ignored
        return self.correct / judged if judged else float("nan")


def score(
    cases: list[tuple[Case, list[Finding]]],
    methods: tuple[str, ...],
    check_encoding: bool,
    shared_places: bool = False,
) -> tuple[dict[str, Tally], dict[str, Tally], list[str]]:
    """Recall per label group and precision per property for findings of one ``method``.

    A label is found when a finding of its property sits at its location and path (and, with
    ``check_encoding``, reports the expected chain). With ``shared_places``, a place labelled
    with several properties from one list of values (TrackHAR files chartboost's ``os`` under
    both osName and osVersion, with the same examples "iOS" and "14.8") is one label with
    alternatives: finding any of them finds all (counted in ``Tally.shared``). A finding is
    correct when a label of its property sits where it was found; it is ignored where the label
    is ambiguous (AMBIGUOUS). Returns (by group, by property, a sample of misses and false
    positives).
    """
    by_group: dict[str, Tally] = defaultdict(Tally)
    by_prop: dict[str, Tally] = defaultdict(Tally)
    problems: list[str] = []
    for case, findings in cases:
        own = [f for f in findings if f.method in methods]
        hits = [any(_matches(label, f, check_encoding) for f in own) for label in case.labels]
        labelled = list(zip(case.labels, hits, strict=True))
        found_at = {(lab.location, lab.path, lab.prop) for lab, hit in labelled if hit}
        for label, hit in labelled:
            if label.prop.startswith("other:"):
                continue
            shared = (
                not hit
                and shared_places
                and any(
                    (location, path) == (label.location, label.path) and prop != label.prop
                    for location, path, prop in found_at
                )
            )
            for tally in (by_group[label.group], by_prop[label.prop]):
                tally.labels += 1
                tally.found += hit or shared
                tally.shared += shared
            if not hit and len(problems) < 400:
                got = [(f.property, f.path, f.encoding) for f in own if f.path == label.path]
                problems.append(f"miss {case.flow.carrier}: {label} got {got}")
        for finding in own:
            tally = by_prop[finding.property]
            tally.findings += 1
            here = [
                lab
                for lab in case.labels
                if lab.location == finding.location and lab.path == finding.path
            ]
            if any(lab.prop == finding.property for lab in here):
                tally.correct += 1
            elif any(finding.property in AMBIGUOUS.get(lab.prop, ()) for lab in here):
                tally.ignored += 1
            elif len(problems) < 800:
                problems.append(
                    f"false {case.flow.carrier}: {finding.property} at {finding.location} "
                    f"{finding.path} = {finding.value[:60]!r} ({finding.encoding}) "
                    f"labels here: {[lab.prop for lab in here]}"
                )
    return dict(by_group), dict(by_prop), problems


def _matches(label: Label, finding: Finding, check_encoding: bool) -> bool:
    if finding.property != label.prop or finding.location != label.location:
        return False
    if finding.path != label.path:
        return False
    if not check_encoding or not label.encoding:
        return True
    if label.encoding.startswith("geo:"):
        container = label.encoding[4:]
        steps = finding.encoding.split(">")
        geo_steps = [s for s in steps if s.startswith(("rounded", "truncated", "e6", "e7"))]
        rest = ">".join(s for s in steps if s not in geo_steps) or "plain"
        return rest == container
    return finding.encoding == label.encoding
