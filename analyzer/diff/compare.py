"""Comparing two read reports: findings added and removed, destinations paired across
sessions, what changed at each, blind spots, and one session's totals.

Destinations are matched across the two sessions in three steps, because CDN and load-balancer
host names change from run to run (``cdn-a1.example-cdn.com`` becomes ``cdn-b7.example-cdn.com``):
the exact host first, then the registrable domain, then the owner. A finding (a property reaching
a place at a host) counts as *added* only when the old session sent the same property to the
same place at neither the same host, nor the same domain, nor the same owner; so a renamed CDN
host is reported as a rename, not as a new leak.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Protocol

from analyzer.diff.read import (
    LOCAL,
    UNKNOWN_COUNTRY,
    Dest,
    Hit,
    HitKey,
    Side,
    count,
    country_code,
    dicts,
    host_key,
    registrable_domain,
    text,
)

# Encoding-chain steps that make a value unrecoverable; everything else (url, base64, hex, gzip,
# json, ...) only hides it. Matched as prefixes of the chain's steps.
_HASH_PREFIXES = ("md5", "md4", "sha", "blake", "murmur", "xxh", "crc", "hmac", "ripemd", "fnv")


class PolicyLike(Protocol):
    """Allowed countries (``allows``); a ``condition(country)`` method is read when present."""

    name: str

    def allows(self, country: str | None) -> bool: ...


# --- findings: added and removed ----------------------------------------------------------------


def unmatched_hits(hits: Iterable[Hit], others: Iterable[Hit]) -> list[Hit]:
    """``hits`` that ``others`` have at neither the same host, domain nor owner (for the same
    property and place)."""
    others = list(others)
    by_host = {(h.property, h.place, h.host) for h in others}
    by_domain = {(h.property, h.place, h.domain) for h in others if h.domain}
    by_owner = {(h.property, h.place, h.owner) for h in others if h.owner}
    out = []
    for hit in hits:
        key = (hit.property, hit.place)
        if (
            (*key, hit.host) in by_host
            or (hit.domain and (*key, hit.domain) in by_domain)
            or (hit.owner and (*key, hit.owner) in by_owner)
        ):
            continue
        out.append(hit)
    return sorted(out, key=lambda h: (h.property, h.place, h.host))


def level(
    side: Side,
    other: Side,
    hits: list[Hit],
    policy: PolicyLike | None,
    report: dict[str, Any],
) -> dict[str, Any]:
    """The ``added`` (or ``removed``) block: what ``side`` (read from ``report``) has and
    ``other`` has not."""
    marks = report_policy_marks(report)
    return {
        "countries": sorted(_countries(side) - _countries(other)),
        "hosts": sorted(set(side.dests) - set(other.dests)),
        "domains": sorted(_attr(side, "domain") - _attr(other, "domain")),
        "owners": sorted(_attr(side, "owner") - _attr(other, "owner")),
        "findings": [hit_dict(h, policy, marks) for h in hits],
    }


def hit_dict(hit: Hit, policy: PolicyLike | None, marks: dict[HitKey, bool]) -> dict[str, Any]:
    """A finding of the diff: the contract's ``property``, ``country``, ``host``, ``owner``, and
    how it was sent, whether it is outside the policy, the policy's condition on its country,
    the steps it was seen in, and whether it reached its server."""
    condition = None
    if policy is not None:
        outside: bool | None = False if hit.local else not policy.allows(hit.country)
        condition_of = getattr(policy, "condition", None)
        if callable(condition_of) and hit.country:
            condition = condition_of(hit.country)
    else:
        outside = marks.get((hit.property, hit.place, hit.host))
        condition = min(hit.conditions) if hit.conditions else None
    return {
        "property": hit.property,
        "country": hit.country,
        "host": hit.host,
        "owner": hit.owner,
        "domain": hit.domain,
        "encodings": sorted(hit.encodings),
        "locations": sorted(hit.locations),
        "outside_policy": outside,
        "local": hit.local,
        "condition": condition,
        "steps": sorted(hit.steps, key=lambda s: (s is not None, s or "")),
        "delivered": hit.delivered,
    }


def report_policy_marks(report: dict[str, Any]) -> dict[HitKey, bool]:
    """Outside-policy marks a report made with a policy already carries, per hit.

    A report marks each finding ``allowed`` (True/False, None without a policy); an
    ``outside_policy`` flag is read as well.
    """
    marks: dict[HitKey, bool] = {}
    for finding in dicts(report.get("findings")):
        if isinstance(finding.get("outside_policy"), bool):
            outside = finding["outside_policy"]
        elif isinstance(finding.get("allowed"), bool):
            outside = not finding["allowed"]
        else:
            continue
        if prop := text(finding.get("property")):
            country = country_code(finding.get("country"))
            place = country or (LOCAL if finding.get("local") is True else UNKNOWN_COUNTRY)
            key = (prop, place, host_key(finding.get("host"), [finding.get("server_ip")]))
            marks[key] = marks.get(key, False) or outside
    return marks


# --- destinations matched across sessions ---------------------------------------------------------

_Unit = tuple[str, str, list[Dest], list[Dest]]  # matched_by, label, old hosts, new hosts


def pair_destinations(a: Side, b: Side) -> tuple[list[_Unit], list[Dest], list[Dest]]:
    """Pair old and new destinations: exact host, then registrable domain, then owner.

    Returns the pairs, and the old and the new destinations that nothing matched.
    """
    units: list[_Unit] = []
    old_left = dict(a.dests)
    new_left = dict(b.dests)
    for host in sorted(set(old_left) & set(new_left)):
        units.append(("host", host, [old_left.pop(host)], [new_left.pop(host)]))
    for attr in ("domain", "owner"):
        old_groups = _group(old_left.values(), attr)
        new_groups = _group(new_left.values(), attr)
        for key in sorted(set(old_groups) & set(new_groups)):
            olds, news = old_groups[key], new_groups[key]
            for dest in olds:
                old_left.pop(dest.host)
            for dest in news:
                new_left.pop(dest.host)
            units.append((attr, key, olds, news))
    return units, list(old_left.values()), list(new_left.values())


def dest_order(dest: Dest) -> tuple[int, int, str]:
    """Sort key: destinations receiving the most properties, then the busiest, first."""
    return (-len(dest.properties), -dest.flows, dest.host)


def dest_dict(dest: Dest) -> dict[str, Any]:
    """A destination of the diff's ``destinations`` lists."""
    return {
        "host": dest.host,
        "domain": dest.domain,
        "owner": dest.owner,
        "countries": sorted(dest.countries),
        "properties": sorted(dest.properties),
        "flows": dest.flows,
        "bytes_sent": dest.bytes_sent,
        "plaintext": dest.plaintext,
    }


def _group(dests: Iterable[Dest], attr: str) -> dict[str, list[Dest]]:
    groups: dict[str, list[Dest]] = defaultdict(list)
    for dest in dests:
        key = getattr(dest, attr)
        if key:
            groups[key].append(dest)
    for members in groups.values():
        members.sort(key=lambda d: d.host)
    return groups


def unit_changes(
    matched_by: str, label: str, olds: list[Dest], news: list[Dest]
) -> list[dict[str, Any]]:
    """``changed[]`` entries of one matched destination (renamed, properties, encoding,
    transport, countries, volume)."""
    base = {
        "destination": label,
        "matched_by": matched_by,
        "old_hosts": [d.host for d in olds],
        "new_hosts": [d.host for d in news],
        "owner": next((d.owner for d in (*news, *olds) if d.owner), None),
    }
    out: list[dict[str, Any]] = []
    if matched_by != "host":
        out.append({"kind": "renamed", **base})

    old_props = set().union(*(d.properties for d in olds))
    new_props = set().union(*(d.properties for d in news))
    if old_props != new_props:
        out.append(
            {
                "kind": "properties",
                **base,
                "added": sorted(new_props - old_props),
                "removed": sorted(old_props - new_props),
            }
        )

    for prop in sorted(old_props & new_props):
        old_enc = set().union(*(d.encodings.get(prop, set()) for d in olds))
        new_enc = set().union(*(d.encodings.get(prop, set()) for d in news))
        if old_enc and new_enc and old_enc != new_enc:
            before, after = encoding_class(old_enc), encoding_class(new_enc)
            out.append(
                {
                    "kind": "encoding",
                    **base,
                    "property": prop,
                    "old": sorted(old_enc),
                    "new": sorted(new_enc),
                    "direction": f"{before}->{after}" if before != after else None,
                }
            )

    old_plain = any(d.plaintext for d in olds)
    new_plain = any(d.plaintext for d in news)
    if old_plain != new_plain:
        out.append(
            {
                "kind": "transport",
                **base,
                "old": "plaintext" if old_plain else "tls",
                "new": "plaintext" if new_plain else "tls",
            }
        )

    old_countries = set().union(*(d.countries for d in olds))
    new_countries = set().union(*(d.countries for d in news))
    if old_countries != new_countries:
        out.append(
            {
                "kind": "countries",
                **base,
                "added": sorted(new_countries - old_countries),
                "removed": sorted(old_countries - new_countries),
            }
        )

    old_flows, new_flows = sum(d.flows for d in olds), sum(d.flows for d in news)
    old_bytes, new_bytes = sum(d.bytes_sent for d in olds), sum(d.bytes_sent for d in news)
    if (old_flows, old_bytes) != (new_flows, new_bytes):
        out.append(
            {
                "kind": "volume",
                **base,
                "old_flows": old_flows,
                "new_flows": new_flows,
                "old_bytes": old_bytes,
                "new_bytes": new_bytes,
            }
        )
    return out


def encoding_class(encodings: Iterable[str]) -> str:
    """'plain' when at least one encoding lets the value be recovered, else 'hashed'."""
    return "hashed" if all(_is_hashed(e) for e in encodings) else "plain"


def _is_hashed(encoding: str) -> bool:
    steps = encoding.lower().replace("+", ">").replace(",", ">").replace("/", ">").split(">")
    return any(step.strip().startswith(_HASH_PREFIXES) for step in steps)


# --- countries and blind spots -----------------------------------------------------------------


def country_property_changes(a: Side, b: Side) -> list[dict[str, Any]]:
    """``changed[]`` entries of kind ``country-properties``: per place, properties added and
    removed."""
    old_map, new_map = _properties_by_country(a), _properties_by_country(b)
    out = []
    for country in sorted(set(old_map) | set(new_map)):
        before, after = old_map.get(country, set()), new_map.get(country, set())
        if before != after:
            out.append(
                {
                    "kind": "country-properties",
                    "country": None if country in (UNKNOWN_COUNTRY, LOCAL) else country,
                    "place": country,
                    "added": sorted(after - before),
                    "removed": sorted(before - after),
                }
            )
    return out


def blind_spot_changes(a: Side, b: Side) -> list[dict[str, Any]]:
    """``changed[]`` entries of kind ``blind-spot``: hosts not inspected that appeared or
    disappeared (the same registrable domain counts as the same blind spot)."""
    out = []
    for change, side, other in (("appeared", b, a), ("disappeared", a, b)):
        other_domains = {registrable_domain(k) for k in other.blind_spots}
        for key in sorted(side.blind_spots):
            if key in other.blind_spots or registrable_domain(key) in other_domains:
                continue
            spot = side.blind_spots[key]
            out.append(
                {
                    "kind": "blind-spot",
                    "change": change,
                    "host": spot["host"],
                    "server_ip": spot["server_ip"],
                    "count": spot["count"],
                    "reasons": sorted(spot["reasons"]),
                }
            )
    return out


# --- one session's totals, for the report and for gates on the new session ----------------------


def summary(side: Side, report: dict[str, Any], policy: PolicyLike | None) -> dict[str, Any]:
    """One session's totals, for the page and for the gates on the new session."""
    marks = report_policy_marks(report)
    hits = sorted(side.hits.values(), key=lambda h: (h.property, h.place, h.host))
    outside = []
    for hit in hits:
        entry = hit_dict(hit, policy, marks)
        if entry["outside_policy"]:
            outside.append({k: entry[k] for k in ("property", "country", "host", "owner")})
    by_country = _properties_by_country(side)
    return {
        "name": side.name,
        "app": side.session.get("app"),
        "app_version": side.session.get("app_version"),
        "device": side.session.get("device"),
        "started_at": side.session.get("started_at"),
        "ended_at": side.session.get("ended_at"),
        "flows": count(side.session.get("flows")) or sum(d.flows for d in side.dests.values()),
        "bytes_sent": sum(d.bytes_sent for d in side.dests.values()),
        "destinations": len(side.dests),
        "findings": len(side.hits),
        "countries": sorted(_countries(side)),
        "domains": sorted(_attr(side, "domain")),
        "owners": sorted(_attr(side, "owner")),
        "properties": sorted({h.property for h in side.hits.values()}),
        "properties_by_country": {c: sorted(p) for c, p in sorted(by_country.items())},
        "plaintext_hosts": sorted(h for h, d in side.dests.items() if d.plaintext),
        "blind_spots": sorted(side.blind_spots),
        "outside_policy": outside,
        "steps": [label for label, _ in side.steps],
        "profile": _profile_facts(report),
    }


def _profile_facts(report: dict[str, Any]) -> dict[str, Any] | None:
    """Which device profile the report searched for (its Methods), if it says."""
    methods = report.get("methods")
    profile = methods.get("profile") if isinstance(methods, dict) else None
    return dict(profile) if isinstance(profile, dict) else None


def _properties_by_country(side: Side) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for hit in side.hits.values():
        out[hit.place].add(hit.property)
    return out


def _countries(side: Side) -> set[str]:
    found = set().union(*(d.countries for d in side.dests.values()))
    return found | {h.country for h in side.hits.values() if h.country}


def _attr(side: Side, attr: str) -> set[str]:
    return {value for d in side.dests.values() if (value := getattr(d, attr))}


def policy_dict(policy: PolicyLike | None) -> dict[str, Any] | None:
    """The diff's ``policy`` block (None without a policy)."""
    if policy is None:
        return None
    as_dict = getattr(policy, "as_dict", None)
    return as_dict() if callable(as_dict) else {"name": policy.name}
