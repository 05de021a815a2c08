"""Render a ``leakmap.diff/2`` dict: the HTML page, the JSON document and the terminal summary.

The HTML page extends the session report's ``base.html.j2`` and goes through the same
:func:`analyzer.report.html.render_page` (autoescape, inline assets admitted by hash in a strict
Content-Security-Policy, nothing loaded from any network). Host names and other strings in a
diff come from captured traffic: the terminal summary strips control characters from them so a
hostile Host header cannot drive the researcher's terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from analyzer.gates import GateHit, new_plaintext_hosts

MAX_HTML_ROWS = 2000  # rows per table in the page; the JSON keeps everything
MAX_TERMINAL_FINDINGS = 8
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_KIND_ORDER = ("renamed", "properties", "encoding", "transport", "countries")


def diff_document(diff: dict[str, Any], hits: Sequence[GateHit] = ()) -> dict[str, Any]:
    """The JSON document: the diff, plus the gates that fired when gates were given."""
    document = dict(diff)
    if hits:
        document["gates"] = [{"gate": h.gate, "reasons": list(h.reasons)} for h in hits]
    return document


def render_json(diff: dict[str, Any], hits: Sequence[GateHit] = ()) -> str:
    return json.dumps(diff_document(diff, hits), ensure_ascii=False, indent=1) + "\n"


def render_html(diff: dict[str, Any], hits: Sequence[GateHit] = ()) -> str:
    from analyzer.report.html import render_page

    changed = diff["changed"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for change in changed:
        by_kind.setdefault(change["kind"], []).append(change)
    destination_changes = [c for kind in _KIND_ORDER for c in by_kind.get(kind, [])]
    volume = sorted(
        by_kind.get("volume", []),
        key=lambda v: -abs(v["new_bytes"] - v["old_bytes"]),
    )
    return render_page(
        "diff.html.j2",
        {
            "d": diff,
            "old": diff["sessions"]["old"],
            "new": diff["sessions"]["new"],
            "added": _capped(diff["added"]),
            "removed": _capped(diff["removed"]),
            "country_changes": [
                {**c, "outside_policy": _outside(diff, c["country"])}
                for c in by_kind.get("country-properties", [])[:MAX_HTML_ROWS]
            ],
            "destination_changes": destination_changes[:MAX_HTML_ROWS],
            "blind_spots": by_kind.get("blind-spot", [])[:MAX_HTML_ROWS],
            "volume": volume[:MAX_HTML_ROWS],
            "hidden": max(0, len(destination_changes) - MAX_HTML_ROWS)
            + max(0, len(volume) - MAX_HTML_ROWS),
            "new_destinations": diff["destinations"]["added"][:MAX_HTML_ROWS],
            "gone_destinations": diff["destinations"]["removed"][:MAX_HTML_ROWS],
            "hits": list(hits),
            "headline": headline(diff),
            "steps": _steps_view(diff),
            "max_rows": MAX_HTML_ROWS,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        styles=("base.css", "report.css"),
        scripts=("base.js",),
    )


def headline(diff: dict[str, Any]) -> dict[str, Any]:
    """The few numbers both the page and the terminal lead with."""
    changed = diff["changed"]
    renamed = [c for c in changed if c["kind"] == "renamed"]
    return {
        "added_findings": len(diff["added"]["findings"]),
        "removed_findings": len(diff["removed"]["findings"]),
        "added_countries": diff["added"]["countries"],
        "removed_countries": diff["removed"]["countries"],
        "renamed": len(renamed),
        "encoding_changes": sum(1 for c in changed if c["kind"] == "encoding"),
        "transport_changes": sum(1 for c in changed if c["kind"] == "transport"),
        "blind_spots_appeared": sum(
            1 for c in changed if c["kind"] == "blind-spot" and c["change"] == "appeared"
        ),
        "blind_spots_disappeared": sum(
            1 for c in changed if c["kind"] == "blind-spot" and c["change"] == "disappeared"
        ),
        "outside_policy_added": sum(1 for f in diff["added"]["findings"] if f["outside_policy"]),
        "conditional_added": sum(1 for f in diff["added"]["findings"] if f.get("condition")),
        "new_plaintext": new_plaintext_hosts(diff),
        "before_consent_added": list(_before_consent(diff).get("added", {}).get("properties", [])),
        "before_consent_removed": list(
            _before_consent(diff).get("removed", {}).get("properties", [])
        ),
    }


def _before_consent(diff: dict[str, Any]) -> dict[str, Any]:
    return (diff.get("steps") or {}).get("before_consent") or {}


def _steps_view(diff: dict[str, Any]) -> dict[str, Any]:
    """The page's step section: whether both sessions have marks, and the steps that changed."""
    steps = diff.get("steps") or {}
    before = steps.get("before_consent") or {}
    compared = [
        {**c, "added": c["added"][:MAX_HTML_ROWS], "removed": c["removed"][:MAX_HTML_ROWS]}
        for c in steps.get("compared") or []
    ]
    return {
        "marked": {side: bool((before.get(side) or {}).get("marked")) for side in ("old", "new")},
        "before": before,
        "compared": compared,
        "any": bool(steps.get("old") or steps.get("new")),
    }


def terminal_summary(
    diff: dict[str, Any], hits: Sequence[GateHit] = (), output: str | None = None
) -> str:
    """A short plain-text summary: what a researcher reads first, what a CI log shows."""
    old, new = diff["sessions"]["old"], diff["sessions"]["new"]
    h = headline(diff)
    lines = [f"leakmap diff: {_label(old)} -> {_label(new)}"]
    if diff.get("policy"):
        lines.append(f"  policy: {_clean(diff['policy'].get('name'))}")
    lines.append(
        f"  findings: {h['added_findings']} new, {h['removed_findings']} gone "
        f"(properties per country and destination, renamed hosts matched)"
    )
    for tag, block in (("+", diff["added"]), ("-", diff["removed"])):
        for item in block["findings"][:MAX_TERMINAL_FINDINGS]:
            lines.append(f"    {tag} {_finding(item)}")
        if len(block["findings"]) > MAX_TERMINAL_FINDINGS:
            lines.append(f"    {tag} ... {len(block['findings']) - MAX_TERMINAL_FINDINGS} more")
    if h["before_consent_added"] or h["before_consent_removed"]:
        lines.append(
            "  before consent: " + _signed(h["before_consent_added"], h["before_consent_removed"])
        )
    before = _before_consent(diff)
    marked = {side: (before.get(side) or {}).get("marked") for side in ("old", "new")}
    if marked["old"] != marked["new"]:
        unmarked = "old" if not marked["old"] else "new"
        lines.append(f"  before consent: not compared (the {unmarked} session has no marks)")
    for key in ("countries", "owners", "domains"):
        plus, minus = diff["added"][key], diff["removed"][key]
        if plus or minus:
            lines.append(f"  {key}: {_signed(plus, minus)}")
    if diff["added"]["hosts"] or diff["removed"]["hosts"]:
        lines.append(
            f"  hosts: +{len(diff['added']['hosts'])} -{len(diff['removed']['hosts'])}"
            + (f" ({h['renamed']} renamed destinations matched)" if h["renamed"] else "")
        )
    for change in diff["changed"]:
        line = _change_line(change)
        if line:
            lines.append(f"  {line}")
    unmatched_plain = [h for h in new_plaintext_hosts(diff) if h in diff["added"]["hosts"]]
    if unmatched_plain:
        lines.append(f"  plain HTTP to new hosts: {_signed(unmatched_plain, [])}")
    if len(lines) > 40:  # keep it short: the page and the JSON have everything
        lines = [*lines[:39], f"  ... {len(lines) - 39} more lines in the report"]
    if output:
        lines.append(f"  report: {_clean(output)}")
    for hit in hits:
        lines.append(f"gate hit: {_clean(str(hit))}")
    return "\n".join(lines)


def _change_line(change: dict[str, Any]) -> str | None:
    kind = change["kind"]
    where = _clean(change.get("destination"))
    if kind == "encoding" and change["direction"]:
        before, after = change["direction"].split("->")
        return f"encoding: {_clean(change['property'])} to {where}: {before} -> {after}"
    if kind == "transport":
        return f"transport: {where}: {change['old']} -> {change['new']}"
    if kind == "blind-spot":
        sign = "+" if change["change"] == "appeared" else "-"
        return f"blind spot: {sign}{_clean(change['host'] or change['server_ip'])}"
    return None


def _finding(item: dict[str, Any]) -> str:
    place = item["country"] or ("local network" if item.get("local") else "country unknown")
    where = ", ".join(_clean(x) for x in (place, item["owner"]) if x)
    flag = " [outside policy]" if item.get("outside_policy") else ""
    if not item.get("outside_policy") and item.get("condition"):
        flag = f" [condition: {_clean(item['condition'])}]"
    return f"{_clean(item['property'])} -> {_clean(item['host'])} ({where}){flag}"


def _signed(plus: list[str], minus: list[str]) -> str:
    shown = [f"+{_clean(x)}" for x in plus[:10]] + [f"-{_clean(x)}" for x in minus[:10]]
    more = len(plus) + len(minus) - len(shown)
    return " ".join(shown) + (f" (+{more} more)" if more else "")


def _label(side: dict[str, Any]) -> str:
    parts = [_clean(side["name"])]
    detail = " ".join(_clean(x) for x in (side.get("app"), side.get("app_version")) if x)
    return f"{parts[0]} ({detail})" if detail else parts[0]


def _clean(value: Any) -> str:
    """One printable line of at most 120 characters (captured strings reach the terminal)."""
    text = _CONTROL.sub("?", str(value if value is not None else "-"))
    return text if len(text) <= 120 else text[:119] + "…"


def _outside(diff: dict[str, Any], country: str | None) -> bool | None:
    """Whether a country is outside the diff's policy (None without a policy)."""
    policy = diff.get("policy")
    if not policy or "countries" not in policy:
        return None
    if not country:
        return not policy.get("allow_unknown", False)
    return country not in policy["countries"]


def _capped(block: dict[str, Any]) -> dict[str, Any]:
    return {key: values[:MAX_HTML_ROWS] for key, values in block.items()}


__all__ = ["diff_document", "headline", "render_html", "render_json", "terminal_summary"]
