"""What changed between two session reports (``leakmap.report/1`` or ``/2``) ->
``leakmap.diff/2``.

A pure function over two report dicts; it neither reads the store nor looks anything up, so a
diff is as reproducible as the two reports it compares. :mod:`.read` reads a report
defensively, :mod:`.compare` matches destinations and findings across the two sessions (host,
then registrable domain, then owner: renamed CDN hosts are renames, not new leaks), and
:mod:`.steps` compares the same steps of both (by label) and what left before consent.

``leakmap.diff/2`` keeps every field of ``/1`` with its meaning and adds ``steps``; each finding
gains ``local``, ``condition``, ``steps`` and ``delivered``. Placeholder findings are never
compared; findings the proxy could not deliver are (the app did send them).
"""

from __future__ import annotations

from typing import Any

from analyzer.diff.compare import (
    PolicyLike,
    blind_spot_changes,
    country_property_changes,
    dest_dict,
    dest_order,
    encoding_class,
    level,
    pair_destinations,
    policy_dict,
    summary,
    unit_changes,
    unmatched_hits,
)
from analyzer.diff.read import REPORT_SCHEMAS, read_side, registrable_domain
from analyzer.diff.steps import compare_steps

SCHEMA = "leakmap.diff/2"


def diff_reports(
    old: dict[str, Any], new: dict[str, Any], *, policy: PolicyLike | None = None
) -> dict[str, Any]:
    """Compare two session report dicts; returns a ``leakmap.diff/2`` dict.

    With ``policy``, every finding is marked ``outside_policy`` (True/False) and carries the
    policy's ``condition`` on its country; without one, the marks the reports already carry are
    kept, else they are None. Raises LeakmapError (exit code 2) when either is not a report.
    """
    a = read_side(old, "old")
    b = read_side(new, "new")
    added_hits = unmatched_hits(b.hits.values(), a.hits.values())
    removed_hits = unmatched_hits(a.hits.values(), b.hits.values())
    units, gone, arrived = pair_destinations(a, b)

    changed: list[dict[str, Any]] = []
    changed += country_property_changes(a, b)
    for unit in units:
        changed += unit_changes(*unit)
    changed += blind_spot_changes(a, b)

    return {
        "schema": SCHEMA,
        "old": a.name,
        "new": b.name,
        "policy": policy_dict(policy),
        "added": level(b, a, added_hits, policy, report=new),
        "removed": level(a, b, removed_hits, policy, report=old),
        "changed": changed,
        # Destinations no old (new) one matched, with what they received: the page's tables.
        "destinations": {
            "added": [dest_dict(d) for d in sorted(arrived, key=dest_order)],
            "removed": [dest_dict(d) for d in sorted(gone, key=dest_order)],
        },
        "sessions": {"old": summary(a, old, policy), "new": summary(b, new, policy)},
        "steps": compare_steps(a, b, policy, old, new),
    }


__all__ = ["REPORT_SCHEMAS", "SCHEMA", "diff_reports", "encoding_class", "registrable_domain"]
