"""Evidence: example requests with personal values masked, grouped per (property, place, host).

``Masker`` shows values, key paths, URLs and contexts masked unless ``--show-values``; every
personal value of a flow is masked in each example, not just the one it is about (an IMEI in
the path would otherwise show beside a masked e-mail). ``evidence_sections`` turns the bounded
groups the summariser keeps into the sections of the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from analyzer.summary.common import MAX_TEXT, UNKNOWN, FindingLike, cap, iso

EXAMPLES_PER_GROUP = 3  # evidence examples kept per (property, place, host)


@dataclass(slots=True)
class Group:
    """Evidence for one (property, place, host): counts and a few examples."""

    count: int = 0  # delivered findings
    not_delivered: int = 0
    plaintext: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)


class Masker:
    """Personal values as a report shows them: masked with ``mask`` unless ``show_values``."""

    def __init__(self, show_values: bool, mask: Callable[[str], str]) -> None:
        self.show_values = show_values
        self.mask = mask

    def value(self, value: str | None) -> str | None:
        """A finding's value as shown: masked unless ``show_values``."""
        if value is None or self.show_values:
            return value
        return self.mask(value)

    def url(self, url: str, finding: FindingLike, flow_values: tuple[str, ...] = ()) -> str:
        """The URL with the flow's personal values masked, and every query value too: any may
        be personal."""
        if self.show_values:
            return url
        values = {v for v in (finding.value, *flow_values) if v and len(v) >= 3}
        for personal in sorted(values, key=len, reverse=True):  # a longer one may hold another
            for form in {personal, quote(personal, safe=""), quote_plus(personal)}:
                url = url.replace(form, self.mask(personal))
        base, sep, query = url.partition("?")
        if not sep:
            return base
        parts = []
        for part in query.split("&"):
            key, eq, value = part.partition("=")
            parts.append(f"{key}={self.mask(value)}" if eq and value else part)
        return base + "?" + "&".join(parts)

    def path(self, path: str | None, finding: FindingLike, flow_values: tuple[str, ...]) -> Any:
        """The key path with the flow's personal values masked: a key can be the value itself
        (an address book keyed by e-mail address)."""
        if self.show_values or not path:
            return path
        values = {v for v in (finding.value, *flow_values) if v and len(v) >= 3 and v in path}
        for personal in sorted(values, key=len, reverse=True):
            path = path.replace(personal, self.mask(personal))
        return path

    def context(self, finding: FindingLike, flow_values: tuple[str, ...]) -> str | None:
        """The excerpt around a value, with every personal value of the flow masked (or, with
        ``show_values``, the one the detector masked revealed)."""
        context = finding.context
        if context and finding.value:
            masked = self.mask(finding.value)
            if self.show_values:
                # The detector writes contexts masked; --show-values reveals them too.
                context = context.replace(masked, finding.value)
            else:
                context = context.replace(finding.value, masked)
        if context and not self.show_values:
            # Other values of the same flow may sit in this one's context: mask them too.
            for other in sorted(set(flow_values), key=len, reverse=True):
                if len(other) >= 3:
                    context = context.replace(other, self.mask(other))
        return context

    def example(
        self,
        finding: FindingLike,
        flow: Any,
        *,
        plaintext: bool,
        delivered: bool,
        lookup_ip: str | None,
        flow_values: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """One example request of the evidence (all text capped at ``MAX_TEXT``)."""
        shown_url = self.url(flow.url or flow.host or "", finding, flow_values)
        return {
            "flow_id": finding.flow_id,
            "time": iso(flow.timestamp_start),
            "request_line": cap(f"{flow.method or '?'} {shown_url}", MAX_TEXT),
            "server_ip": flow.server_ip,
            "lookup_ip": lookup_ip,
            "location": finding.location,
            "path": cap(self.path(finding.path, finding, flow_values), MAX_TEXT),
            "encoding": finding.encoding,
            "method": finding.method,
            "confidence": finding.confidence,
            "value": cap(self.value(finding.value), MAX_TEXT),
            "context": cap(self.context(finding, flow_values), MAX_TEXT),
            "explanation": cap(finding.explanation, MAX_TEXT),
            "plaintext": plaintext,
            "delivered": delivered,
            "error": None if delivered else cap(getattr(flow, "error", None), 200),
        }


def evidence_sections(
    groups: dict[tuple[str, str, str], Group],
    allowed: Callable[[str], bool | None],
    condition: Callable[[str], str | None],
) -> list[dict[str, Any]]:
    """Sections per (property, server place), each with its hosts' examples, numbered
    ``ev-1``, ``ev-2``, ... in (property, place) order; ``allowed``/``condition`` give the
    policy's word on a place key."""
    sections: dict[tuple[str, str], dict[str, Any]] = {}
    for (prop, key, host), group in groups.items():
        section = sections.get((prop, key))
        if section is None:
            section = sections[(prop, key)] = {
                "property": prop,
                "place": key,
                "country": None if key in (UNKNOWN, "local") else key,
                "count": 0,
                "not_delivered": 0,
                "plaintext": 0,
                "allowed": allowed(key),
                "condition": condition(key),
                "hosts": [],
            }
        section["count"] += group.count
        section["not_delivered"] += group.not_delivered
        section["plaintext"] += group.plaintext
        section["hosts"].append(
            {
                "host": host,
                "count": group.count,
                "not_delivered": group.not_delivered,
                "plaintext": group.plaintext,
                "examples": group.examples,
            }
        )
    out = sorted(sections.values(), key=lambda s: (s["property"], s["country"] or "~", s["place"]))
    for number, section in enumerate(out, 1):
        section["id"] = f"ev-{number}"
        section["hosts"].sort(key=lambda h: (-(h["count"] + h["not_delivered"]), h["host"]))
    return out


def first_left_rows(
    entries: Iterable[dict[str, Any]], anchors: dict[tuple[str, str], str]
) -> list[dict[str, Any]]:
    """When each property first left (delivered), in time order, linked to its evidence."""
    return [
        {
            **{k: v for k, v in entry.items() if k != "_t"},
            "anchor": anchors.get((entry["property"], entry["place"])),
        }
        for entry in sorted(entries, key=lambda f: f["time"] or "~")
    ]


def plaintext_rows(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """(property, place, host) sent without TLS and delivered, with one example each."""
    out = []
    for section in evidence:
        for host in section["hosts"]:
            if host["plaintext"]:
                example = next(
                    (e for e in host["examples"] if e["plaintext"] and e["delivered"]), None
                )
                out.append(
                    {
                        "property": section["property"],
                        "country": section["country"],
                        "place": section["place"],
                        "host": host["host"],
                        "count": host["plaintext"],
                        "anchor": section["id"],
                        "example": example,
                    }
                )
    return sorted(out, key=lambda p: (-p["count"], p["property"], p["host"]))


class Placeholders:
    """Placeholder findings per (property, host): how the value reads, a count, one example."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, finding: FindingLike, host: str, example: Callable[[], dict[str, Any]]) -> str:
        """Count one; ``example()`` is called for the first of its (property, host). Returns
        how the value reads (:func:`placeholder_kind`)."""
        kind = placeholder_kind(finding.value)
        row = self._rows.get((finding.property, host))
        if row is None:
            row = self._rows[(finding.property, host)] = {
                "property": finding.property,
                "host": host,
                "kind": kind,
                "count": 0,
                "example": example(),
            }
        row["count"] += 1
        return kind

    def rows(self) -> list[dict[str, Any]]:
        """The report's ``placeholders``, by property and host."""
        return sorted(self._rows.values(), key=lambda p: (p["property"], p["host"]))


_ZERO_CHARS = frozenset("0-:. ")
_PLACEHOLDER_WORDS = frozenset({"unknown", "null", "none", "undefined", "n/a", "na", "nil"})


def placeholder_kind(value: str | None) -> str:
    """How a placeholder value reads, without repeating a value that might be personal after
    all: "all zeros", the word it is ("unknown"), the well-known MAC placeholder, or "a
    placeholder value"."""
    text = (value or "").strip()
    if not text:
        return "an empty value"
    if set(text) <= _ZERO_CHARS and "0" in text:
        return "all zeros"
    if text.lower() in _PLACEHOLDER_WORDS:
        return f"the word “{text.lower()}”"
    if text.lower() == "02:00:00:00:00:00":
        return "02:00:00:00:00:00"
    return "a placeholder value"
