"""The detector's measured quality: precision and recall per encoding and per property.

(a) Known values: the synthetic corpus hides a device profile's values in every encoding the
    matcher claims, each in another part of a request, among decoys; recall per encoding (the
    finding must also name the right encoding chain), precision per property.
(b) Names and formats without a profile: tweasel's labelled tracker examples embedded at their
    key paths; recall and precision per property, with the core properties' goals (recall
    >= 90 %, precision >= 95 %) marked.
(c) Names and formats without a profile on synthetic requests: the core properties the tracker
    examples lack (coordinates, MAC, local IP, ...) under varied spellings, among decoys
    (request UUIDs, 15-digit order numbers, timestamps, prices, ad-slot sizes, app versions).

Used by ``leakmap eval`` and ``benchmarks/detection.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from analyzer.detect.corpus import synthetic_corpus, synthetic_profile
from analyzer.detect.corpus_names import named_fields_corpus
from analyzer.detect.corpus_trackers import tracker_corpus
from analyzer.detect.detector import Detector
from analyzer.detect.scoring import Tally, score

Echo = Callable[..., None]

CORE = (
    "advertisingId",
    "developerScopedId",
    "model",
    "osVersion",
    "osName",
    "carrier",
    "language",
    "timezone",
    "latitude",
    "longitude",
    "macAddress",
    "localIp",
    "manufacturer",
    "screenWidth",
    "screenHeight",
)


def _pct(value: float) -> str:
    return "   -  " if math.isnan(value) else f"{100 * value:5.1f}%"


def _table(
    title: str,
    tallies: dict[str, Tally],
    goal: tuple[float, float] | None = None,
    echo: Echo = print,
) -> None:
    echo(f"\n{title}")
    echo(f"  {'':34} {'labels':>6} {'found':>6} {'recall':>7} {'finds':>6} {'precision':>9}")
    total = Tally()
    for name in sorted(tallies):
        t = tallies[name]
        mark = ""
        if goal and t.labels:
            ok = t.recall >= goal[0] and (math.isnan(t.precision) or t.precision >= goal[1])
            mark = "  ok" if ok else "  BELOW GOAL"
        echo(
            f"  {name:34} {t.labels:6} {t.found:6} {_pct(t.recall):>7} {t.findings:6} "
            f"{_pct(t.precision):>9}{mark}"
        )
        for attr in ("labels", "found", "findings", "correct", "ignored"):
            setattr(total, attr, getattr(total, attr) + getattr(t, attr))
    echo(
        f"  {'TOTAL':34} {total.labels:6} {total.found:6} {_pct(total.recall):>7} "
        f"{total.findings:6} {_pct(total.precision):>9}"
    )


def evaluate(examples: Path | None, problems_shown: int = 0, echo: Echo = print) -> bool:
    """Print the three evaluations; True when every goal marked in them is met.

    ``examples`` is tweasel's adapterExamples JSON (None skips part b).
    """
    met = True
    args = SimpleNamespace(problems=problems_shown)

    detector = Detector(synthetic_profile())
    cases = [(case, detector.detect(case.flow, case.messages)) for case in synthetic_corpus()]
    by_group, by_prop, problems = score(cases, ("known-value",), check_encoding=True)
    echo(
        f"(a) synthetic corpus: {len(cases)} requests, "
        f"{sum(len(c.labels) for c, _ in cases)} hidden values, known-value method"
    )
    _table("recall per encoding (right property, place and encoding chain)", by_group, echo=echo)
    by_carrier, _, _ = score(
        [(_regroup(case), found) for case, found in cases], ("known-value",), check_encoding=True
    )
    _table("recall per container (where the value travelled)", by_carrier, echo=echo)
    _table("per property", by_prop, echo=echo)
    for line in problems[: args.problems]:
        echo("   ", line)

    plain = Detector(None)
    met &= all(t.found == t.labels for t in by_group.values())
    met &= all(t.correct == t.findings for t in by_prop.values())
    if examples is None:
        echo("\n(b) tracker examples: skipped (no --examples file)")
        cases = []
    else:
        data = json.loads(Path(examples).read_text("utf-8"))
        cases = [(case, plain.detect(case.flow, case.messages)) for case in tracker_corpus(data)]
    if cases:
        met &= _evaluate_tracker(cases, args, echo)

    cases = [(case, plain.detect(case.flow, case.messages)) for case in named_fields_corpus()]
    _, by_prop, problems = score(cases, ("key-name", "pattern"), check_encoding=False)
    echo(
        f"\n(c) synthetic field names: {len(cases)} requests, "
        f"{sum(len(c.labels) for c, _ in cases)} labelled values among decoys, no profile"
    )
    _table(
        "all properties, key-name + pattern (spellings partly outside the alias table)",
        by_prop,
        goal=(0.90, 0.95),
        echo=echo,
    )
    for line in problems[: args.problems]:
        echo("   ", line)
    core = [t for name, t in by_prop.items() if name in CORE]
    met &= all(t.recall >= 0.9 and not t.precision < 0.95 for t in core)
    return met


def _evaluate_tracker(cases: list[Any], args: Any, echo: Echo) -> bool:
    methods = ("key-name", "pattern")
    _, by_prop, problems = score(cases, methods, check_encoding=False, shared_places=True)
    echo(
        f"\n(b) tracker examples: {len(cases)} requests, "
        f"{sum(len(c.labels) for c, _ in cases)} labelled values, no profile"
    )
    core = {k: v for k, v in by_prop.items() if k in CORE}
    rest = {k: v for k, v in by_prop.items() if k not in CORE}
    _table(
        "core properties, key-name + pattern (goal: recall >= 90%, precision >= 95%)",
        core,
        goal=(0.90, 0.95),
        echo=echo,
    )
    shared = sum(t.shared for t in core.values())
    echo(
        f"  ({shared} labels found through the other property of a place TrackHAR files under"
        " two, e.g. chartboost's os holding 'iOS' or '14.8')"
    )
    _table("other properties, key-name + pattern", rest, echo=echo)
    named_cases = []
    for case, findings in cases:
        case.labels = [lab for lab in case.labels if not _numeric_key(lab.path)]
        named_cases.append((case, [f for f in findings if not _numeric_key(f.path)]))
    _, by_prop_named, _ = score(named_cases, methods, check_encoding=False, shared_places=True)
    _table(
        "core properties, fields with a textual name only (protobuf field numbers left out)",
        {k: v for k, v in by_prop_named.items() if k in CORE},
        goal=(0.90, 0.95),
        echo=echo,
    )
    for line in problems[: args.problems]:
        echo("   ", line)
    return all(t.recall >= 0.9 and not t.precision < 0.95 for t in core.values())


def _regroup(case: Any) -> Any:
    """The case with its labels grouped by the request part that carried them."""
    labels = [replace(label, group=case.flow.carrier) for label in case.labels]
    return SimpleNamespace(flow=case.flow, messages=case.messages, labels=labels)


def _numeric_key(path: str) -> bool:
    last = path.rsplit(".", 1)[-1]
    return last.isdigit()
