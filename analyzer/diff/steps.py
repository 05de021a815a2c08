"""The same steps of two versions, compared by label, and what left before consent.

Steps are matched by their label ("consent refused" of the old session against "consent
refused" of the new one); findings before any mark form the step with label None. Where a label
repeats within a session, its steps are compared together. *Before consent* follows the
report's rule (:data:`analyzer.summary.steps.CONSENT_RULE`): a finding is before consent when
its flow started before the first mark whose label records a consent decision, or when the
session has marks but none records a decision.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from analyzer.diff.compare import PolicyLike, hit_dict, report_policy_marks, unmatched_hits
from analyzer.diff.read import Row, Side, hits_of
from analyzer.summary.steps import CONSENT_RULE, consent_decision


def compare_steps(
    a: Side,
    b: Side,
    policy: PolicyLike | None,
    old: dict[str, Any],
    new: dict[str, Any],
) -> dict[str, Any]:
    """The ``steps`` block of a ``leakmap.diff/2``: each side's marks, the steps compared by
    label (findings added and removed within each), and before consent on each side."""
    old_marks, new_marks = report_policy_marks(old), report_policy_marks(new)
    labels = _labels(a) | _labels(b)
    compared = []
    for label in _ordered(labels, a, b):
        olds = [r for r in a.rows if r.step == label]
        news = [r for r in b.rows if r.step == label]
        old_hits, new_hits = hits_of(olds, a.dests), hits_of(news, b.dests)
        added = unmatched_hits(new_hits.values(), old_hits.values())
        removed = unmatched_hits(old_hits.values(), new_hits.values())
        old_props = {r.property for r in olds}
        new_props = {r.property for r in news}
        compared.append(
            {
                "label": label,
                "in_old": label is None or label in _labels(a),
                "in_new": label is None or label in _labels(b),
                "properties": {
                    "old": sorted(old_props),
                    "new": sorted(new_props),
                    "added": sorted(new_props - old_props),
                    "removed": sorted(old_props - new_props),
                },
                "added": [hit_dict(h, policy, new_marks) for h in added],
                "removed": [hit_dict(h, policy, old_marks) for h in removed],
            }
        )
    before_old, before_new = before_consent_rows(a), before_consent_rows(b)
    return {
        "rule": CONSENT_RULE,
        "old": [{"label": label, "at": at} for label, at in a.steps],
        "new": [{"label": label, "at": at} for label, at in b.steps],
        "compared": compared,
        "before_consent": {
            "old": _before(a, before_old),
            "new": _before(b, before_new),
            **_before_changes(a, b, before_old, before_new, policy, old_marks, new_marks),
        },
    }


def consent_time(side: Side) -> tuple[str | None, str | None, str | None]:
    """(label, at, kind) of the side's first mark that records a consent decision."""
    for label, at in sorted(side.steps, key=lambda s: s[1] or ""):
        kind = consent_decision(label)
        if kind:
            return label, at, kind
    return None, None, None


def before_consent_rows(side: Side) -> list[Row]:
    """The side's findings before consent (all of them when no mark records a decision; none
    when the session has no marks: then nothing can be said)."""
    if not side.steps:
        return []
    _label, at, _kind = consent_time(side)
    if at is None:
        return list(side.rows)
    decided = _when(at)
    out = []
    for row in side.rows:
        started = _when(row.time)
        if started is None:
            if row.step is None:  # no time, no mark: before any mark
                out.append(row)
        elif decided is None or started < decided:
            out.append(row)
    return out


def _before(side: Side, rows: list[Row]) -> dict[str, Any]:
    label, at, kind = consent_time(side)
    by_place: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_place[row.country or ("local" if row.local else "unknown")].add(row.property)
    return {
        "marked": bool(side.steps),
        "decision": None if label is None else {"label": label, "at": at, "kind": kind},
        "properties": sorted({r.property for r in rows}),
        "by_country": {k: sorted(v) for k, v in sorted(by_place.items())},
    }


def _before_changes(
    a: Side,
    b: Side,
    old_rows: list[Row],
    new_rows: list[Row],
    policy: PolicyLike | None,
    old_marks: dict[Any, bool],
    new_marks: dict[Any, bool],
) -> dict[str, Any]:
    if not (a.steps and b.steps):
        # A session without marks says nothing about consent: comparing it with one that has
        # marks would read as "stopped sending before consent". Each side's "marked" says why.
        old_rows = new_rows = []
    old_hits, new_hits = hits_of(old_rows, a.dests), hits_of(new_rows, b.dests)
    old_props = {r.property for r in old_rows}
    new_props = {r.property for r in new_rows}
    return {
        "added": {
            "properties": sorted(new_props - old_props),
            "findings": [
                hit_dict(h, policy, new_marks)
                for h in unmatched_hits(new_hits.values(), old_hits.values())
            ],
        },
        "removed": {
            "properties": sorted(old_props - new_props),
            "findings": [
                hit_dict(h, policy, old_marks)
                for h in unmatched_hits(old_hits.values(), new_hits.values())
            ],
        },
    }


def _labels(side: Side) -> set[str | None]:
    labels: set[str | None] = {label for label, _ in side.steps}
    labels |= {r.step for r in side.rows}
    return labels


def _ordered(labels: set[str | None], a: Side, b: Side) -> list[str | None]:
    """Before any mark first, then the new session's steps in time order, then the old one's
    that the new session lacks (two sessions' clocks are not comparable)."""
    order: list[str | None] = [None]
    for side in (b, a):
        for label, _at in sorted(side.steps, key=lambda s: s[1] or ""):
            if label not in order:
                order.append(label)
    order += sorted(x for x in labels if x not in order)  # steps named only by findings
    return [x for x in order if x in labels or x is None]


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
