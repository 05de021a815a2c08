"""Steps of a session (the researcher's marks) in the report: what left in each step, and what
left before consent.

A step runs from its mark to the next mark; flows that started before the first mark belong to
the part "before any mark" (``label`` None). Findings are filed under the step in which their
flow started (:func:`analyzer.store.marks.step_of`).

**The consent rule.** A step counts as *before consent* until the first mark whose label says
that a consent decision was made: a decision word (given, accepted, agreed, allowed, granted,
refused, declined, rejected, denied, opted in/out, withdrawn, consented) together with what was
decided on (consent, cookies, tracking, privacy, personalised ads, terms, a dialog or banner,
"all" as in "accept all"); "consented" alone also counts. "consent shown" (the dialog appeared,
nothing decided yet), "login" or "settings" do not. The part before any mark is before consent.
With marks but no decision, the whole session counts as before consent (nothing was decided);
without any marks there are no steps and no before-consent answer.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.summary.common import is_counted, iso, place_key, place_order

_DECISION = re.compile(
    r"\b(accept(ed|s)?|agree[ds]?|allow(ed|s)?|give[ns]?|gave|grant(ed|s)?|refus(e|ed|es)|"
    r"declin(e|ed|es)|reject(ed|s)?|den(y|ied|ies)|opt(ed)?[ -]?(in|out)|withdr(aw|awn|ew)|"
    r"revok(e|ed)|consented)\b",
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"\b(consent|cookies?|tracking|track|privacy|gdpr|att|ads?|personali[sz](ed|ation)|terms|"
    r"dialog(ue)?|banner|all|cmp|tcf)\b",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"\b(refus|declin|reject|den(y|ied)|opt(ed)?[ -]?out|withdr|revok)", re.IGNORECASE
)
CONSENT_RULE = (
    "A step counts as before consent until the first mark whose label says a consent decision "
    "was made (given, accepted, agreed, refused, declined, rejected, ... together with consent, "
    "cookies, tracking, privacy, ads, terms or 'all'); 'consent shown' is not a decision."
)


def consent_decision(label: str) -> str | None:
    """``"given"`` or ``"refused"`` when a mark's label says a consent decision was made, else
    None (see the module docstring for the rule)."""
    if not _DECISION.search(label):
        return None
    if not (_SUBJECT.search(label) or re.search(r"\bconsented\b", label, re.IGNORECASE)):
        return None
    return "refused" if _REFUSAL.search(label) else "given"


@dataclass(frozen=True, slots=True)
class Step:
    """One step: ``index`` 0 is the part before any mark (``label`` None, ``at`` None)."""

    index: int
    label: str | None
    at: float | None
    until: float | None
    before_consent: bool
    decision: str | None  # the consent decision its mark records, if any


def plan_steps(marks: Sequence[tuple[str, float]]) -> list[Step]:
    """The steps of a session from its marks ``(label, at)`` in time order; empty without marks.

    Step 0 is "before any mark"; step n runs from mark n to mark n+1.
    """
    if not marks:
        return []
    first_decision = next(
        (n for n, (label, _) in enumerate(marks, 1) if consent_decision(label)), None
    )
    steps = [Step(0, None, None, marks[0][1], True, None)]
    for n, (label, at) in enumerate(marks, 1):
        until = marks[n][1] if n < len(marks) else None
        before = first_decision is None or n < first_decision
        steps.append(Step(n, label, at, until, before, consent_decision(label)))
    return steps


@dataclass(slots=True)
class StepTally:
    """What the flow stream says about one step (findings come from the rows afterwards)."""

    flows: int = 0
    hosts: dict[str, None] = field(default_factory=dict)


def step_index(times: Sequence[float], at: float | None) -> int:
    """The index of the step (as :func:`plan_steps` numbers them) of something that started at
    ``at``; 0 before the first mark or when ``at`` is unknown."""
    import bisect

    if at is None or not times:
        return 0
    return bisect.bisect_right(times, at)


def step_summaries(
    steps: Sequence[Step],
    tallies: dict[int, StepTally],
    findings: Iterable[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Per step: its label and times, whether it is before consent, flows, hosts, and what left
    (counted findings by server country and by the operators' home country; not-delivered and
    placeholder findings counted apart). Findings carry ``_step`` (the step index)."""
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        rows[finding["_step"]].append(finding)
    out = []
    for step in steps:
        tally = tallies.get(step.index, StepTally())
        mine = rows.get(step.index, [])
        counted = [f for f in mine if is_counted(f)]
        by_server: dict[str, set[str]] = defaultdict(set)
        by_owner: dict[str, set[str]] = defaultdict(set)
        for finding in counted:
            by_server[place_key(finding)].add(finding["property"])
            by_owner[place_key(finding, "owner")].add(finding["property"])
        out.append(
            {
                "index": step.index,
                "label": step.label,
                "at": iso(step.at),
                "until": iso(step.until),
                "before_consent": step.before_consent,
                "decision": step.decision,
                "flows": tally.flows,
                "hosts": len(tally.hosts),
                "findings": len(counted),
                "not_delivered": sum(
                    1 for f in mine if not f.get("placeholder") and not is_counted(f)
                ),
                "placeholders": sum(1 for f in mine if f.get("placeholder")),
                "properties": sorted({f["property"] for f in counted}),
                "by_country": _ordered(by_server),
                "by_owner_country": _ordered(by_owner),
            }
        )
    return out


def before_consent(summaries: Sequence[dict[str, Any]], marks: int) -> dict[str, Any] | None:
    """What left before consent (steps with ``before_consent``), or None without marks."""
    if not marks:
        return None
    decided = next((s for s in summaries if s["decision"]), None)
    servers: dict[str, set[str]] = defaultdict(set)
    owners: dict[str, set[str]] = defaultdict(set)
    findings = 0
    for summary in summaries:
        if not summary["before_consent"]:
            continue
        findings += summary["findings"]
        for key, props in summary["by_country"].items():
            servers[key].update(props)
        for key, props in summary["by_owner_country"].items():
            owners[key].update(props)
    return {
        "rule": CONSENT_RULE,
        "decision": (
            None
            if decided is None
            else {"label": decided["label"], "at": decided["at"], "kind": decided["decision"]}
        ),
        "properties": sorted(set().union(*servers.values())) if servers else [],
        "findings": findings,
        "by_country": _ordered(servers),
        "by_owner_country": _ordered(owners),
    }


def _ordered(places: dict[str, set[str]]) -> dict[str, list[str]]:
    order = sorted(places, key=lambda k: place_order(k, len(places[k])))
    return {key: sorted(places[key]) for key in order}
