"""The property x place views, computed from finding rows: building blocks for the report's
matrix and map, and for any other page that shows findings (the live view).

Every function here takes finding rows as the report's JSON has them (dicts with ``property``,
``country``, ``local``, ``owner``, ``owner_country``, ``host``, ``plaintext``, ``delivered``,
``placeholder``; rows of ``leakmap.report/1`` work too) and returns plain dicts. ``by`` chooses
the place: ``"server"`` files a finding under the server's country (GeoIP of the address the
proxy connected to), ``"owner"`` under the home country of the company that runs the host
(leakmap's owner map). Placeholder findings are never counted; findings that were not delivered
(the proxy could not reach the server) are counted apart, as ``not_delivered``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from analyzer.summary.common import LOCAL, UNKNOWN, is_counted, place_key, place_order

VIEWS = ("server", "owner")


def properties_by_place(findings: Iterable[dict[str, Any]], by: str = "server") -> dict[str, Any]:
    """``{place: {property: count}}`` of counted findings (delivered, not placeholders), places
    in report order (most properties first; ``local`` and ``unknown`` last)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for finding in findings:
        if is_counted(finding):
            counts[place_key(finding, by)][finding["property"]] += 1
    order = sorted(counts, key=lambda k: place_order(k, len(counts[k])))
    return {key: dict(sorted(counts[key].items())) for key in order}


def matrix(
    findings: Iterable[dict[str, Any]],
    by: str = "server",
    *,
    allowed: Callable[[str], bool | None] | None = None,
    condition: Callable[[str], str | None] | None = None,
) -> dict[str, Any]:
    """Property x place counts: ``{"by", "properties", "places", "cells": {property: {place:
    {"count", "not_delivered", "plaintext", "allowed", "condition", "owners", "hosts"}}}}``.

    ``count`` counts delivered findings, ``not_delivered`` the others; ``plaintext`` the
    delivered ones sent without TLS. Properties come in order of how many places received them,
    places in order of how many properties they received. ``allowed``/``condition`` (a policy's
    word on a place key) fill the cells' flags; without them the flags are None.
    """
    if by not in VIEWS:
        raise ValueError(f"unknown view {by!r} (one of {', '.join(VIEWS)})")
    cells: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for finding in findings:
        if finding.get("placeholder"):
            continue
        prop = finding["property"]
        key = place_key(finding, by)
        cell = cells[prop].get(key)
        if cell is None:
            cell = cells[prop][key] = {
                "count": 0,
                "not_delivered": 0,
                "plaintext": 0,
                "allowed": allowed(key) if allowed and by == "server" else None,
                "condition": condition(key) if condition and by == "server" else None,
                "owners": set(),
                "hosts": set(),
            }
        if is_counted(finding):
            cell["count"] += 1
            cell["plaintext"] += bool(finding.get("plaintext"))
        else:
            cell["not_delivered"] += 1
        if finding.get("owner"):
            cell["owners"].add(finding["owner"])
        cell["hosts"].add(finding["host"])
    per_place: dict[str, int] = defaultdict(int)
    per_property: dict[str, int] = {}
    for prop, row in cells.items():
        per_property[prop] = sum(1 for c in row.values() if c["count"])
        for key, cell in row.items():
            per_place[key] += 1 if cell["count"] else 0
            cell["owners"] = sorted(cell["owners"])
            cell["hosts"] = sorted(cell["hosts"])
    places = sorted(per_place, key=lambda k: place_order(k, per_place[k]))
    properties = sorted(per_property, key=lambda p: (-per_property[p], p))
    return {"by": by, "properties": properties, "places": places, "cells": dict(cells)}


def linked_matrix(
    findings: list[dict[str, Any]],
    by: str,
    anchors: dict[tuple[str, str], str],
    policy: Any = None,
) -> dict[str, Any]:
    """:func:`matrix` with each cell's ``anchor``: the evidence section of its (property,
    place) in the server view; the property's first section in the owner view (evidence is
    filed by server place). ``policy`` has ``allowed(place)``/``condition(place)``."""
    view = matrix(
        findings,
        by,
        allowed=policy.allowed if policy else None,
        condition=policy.condition if policy else None,
    )
    first_section: dict[str, str] = {}
    for (prop, _key), anchor in sorted(anchors.items(), key=lambda kv: int(kv[1][3:])):
        first_section.setdefault(prop, anchor)
    for prop, row in view["cells"].items():
        for key, cell in row.items():
            cell["anchor"] = anchors.get((prop, key)) if by == "server" else first_section.get(prop)
    return view


def by_owner_country(
    findings: Iterable[dict[str, Any]], destinations: Iterable[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per home country of the hosts' operators (ISO code, or ``unknown`` where leakmap's owner
    map knows no owner or no country): ``properties``, ``hosts``, ``owners``, ``flows``,
    ``findings``, ``property_counts`` and ``not_delivered`` (``properties``, ``findings``)."""
    out: dict[str, dict[str, Any]] = {}

    def entry(key: str) -> dict[str, Any]:
        if key not in out:
            out[key] = {
                "properties": set(),
                "hosts": set(),
                "owners": set(),
                "flows": 0,
                "findings": 0,
                "property_counts": defaultdict(int),
                "not_delivered": {"properties": set(), "findings": 0},
            }
        return out[key]

    for destination in destinations:
        place = entry(destination.get("owner_country") or UNKNOWN)
        place["hosts"].add(destination["host"])
        place["flows"] += int(destination.get("flows") or 0)
        if destination.get("owner"):
            place["owners"].add(destination["owner"])
    for finding in findings:
        if finding.get("placeholder"):
            continue
        place = entry(place_key(finding, "owner"))
        place["hosts"].add(finding["host"])
        if finding.get("owner"):
            place["owners"].add(finding["owner"])
        if is_counted(finding):
            place["properties"].add(finding["property"])
            place["property_counts"][finding["property"]] += 1
            place["findings"] += 1
        else:
            place["not_delivered"]["properties"].add(finding["property"])
            place["not_delivered"]["findings"] += 1
    return {
        key: {
            "properties": sorted(value["properties"]),
            "hosts": sorted(value["hosts"]),
            "owners": sorted(value["owners"]),
            "flows": value["flows"],
            "findings": value["findings"],
            "property_counts": dict(sorted(value["property_counts"].items())),
            "not_delivered": {
                "properties": sorted(value["not_delivered"]["properties"]),
                "findings": value["not_delivered"]["findings"],
            },
        }
        for key, value in sorted(out.items(), key=lambda kv: place_order(kv[0]))
    }


def place_counts(by_place: dict[str, dict[str, Any]]) -> dict[str, int]:
    """``{place: number of distinct properties}`` of a ``by_country``/``by_owner_country``
    block, places that received none left out."""
    return {key: len(entry["properties"]) for key, entry in by_place.items() if entry["properties"]}


def countries_only(keys: Iterable[str]) -> list[str]:
    """The ISO codes among place keys (``local`` and ``unknown`` left out)."""
    return [k for k in keys if k not in (LOCAL, UNKNOWN)]
