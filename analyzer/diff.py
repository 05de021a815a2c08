"""What changed between two session reports (``leakmap.report/1``) -> ``leakmap.diff/1``.

A pure function over two report dicts; it neither reads the store nor looks anything up, so a
diff is as reproducible as the two reports it compares.

Destinations are matched across the two sessions in three steps, because CDN and load-balancer
host names change from run to run (``cdn-a1.example-cdn.com`` becomes ``cdn-b7.example-cdn.com``):
the exact host first, then the registrable domain, then the owner. A finding (a property reaching
a country at a host) counts as *added* only when the old session sent the same property to the
same country at neither the same host, nor the same domain, nor the same owner; so a renamed CDN
host is reported as a rename, not as a new leak.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from analyzer.errors import LeakmapError

SCHEMA = "leakmap.diff/1"
REPORT_SCHEMAS = ("leakmap.report/1", "leakmap.report/2")  # both are read
UNKNOWN_COUNTRY = "unknown"  # key for a null country in maps (JSON keys cannot be null)

# Encoding-chain steps that make a value unrecoverable; everything else (url, base64, hex, gzip,
# json, ...) only hides it. Matched as prefixes of the chain's steps.
_HASH_PREFIXES = ("md5", "md4", "sha", "blake", "murmur", "xxh", "crc", "hmac", "ripemd", "fnv")


class PolicyLike(Protocol):
    name: str

    def allows(self, country: str | None) -> bool: ...


@dataclass(slots=True)
class _Dest:
    """One destination host of one session, aggregated from its report entry and findings."""

    host: str
    domain: str | None = None
    owner: str | None = None
    countries: set[str] = field(default_factory=set)
    flows: int = 0
    bytes_sent: int = 0
    plaintext: bool = False
    properties: set[str] = field(default_factory=set)
    # property -> encodings seen for it at this host
    encodings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass(slots=True)
class _Hit:
    """One (property, country, host) of one session, with how it was sent."""

    property: str
    country: str | None
    host: str
    domain: str | None
    owner: str | None
    encodings: set[str] = field(default_factory=set)
    locations: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Side:
    name: str
    session: dict[str, Any]
    dests: dict[str, _Dest]
    hits: dict[tuple[str, str | None, str], _Hit]
    blind_spots: dict[str, dict[str, Any]]


def diff_reports(
    old: dict[str, Any], new: dict[str, Any], *, policy: PolicyLike | None = None
) -> dict[str, Any]:
    """Compare two ``leakmap.report/1`` dicts; returns a ``leakmap.diff/1`` dict.

    With ``policy``, every finding is marked ``outside_policy`` (True/False); without one, a mark
    the report already carries is kept, else it is None.
    """
    a = _side(old, "old")
    b = _side(new, "new")
    added_hits = _unmatched_hits(b, a)
    removed_hits = _unmatched_hits(a, b)
    units, gone, arrived = _pair_destinations(a, b)

    changed: list[dict[str, Any]] = []
    changed += _country_property_changes(a, b)
    for unit in units:
        changed += _unit_changes(*unit)
    changed += _blind_spot_changes(a, b)

    return {
        "schema": SCHEMA,
        "old": a.name,
        "new": b.name,
        "policy": _policy_dict(policy),
        "added": _level(b, a, added_hits, policy, report=new),
        "removed": _level(a, b, removed_hits, policy, report=old),
        "changed": changed,
        # Destinations no old (new) one matched, with what they received: the page's tables.
        "destinations": {
            "added": [_dest_dict(d) for d in sorted(arrived, key=_dest_order)],
            "removed": [_dest_dict(d) for d in sorted(gone, key=_dest_order)],
        },
        "sessions": {"old": _summary(a, old, policy), "new": _summary(b, new, policy)},
    }


# --- reading one report -----------------------------------------------------------------------


def _side(report: dict[str, Any], which: str) -> _Side:
    if not isinstance(report, dict):
        raise LeakmapError(f"{which} report is not a JSON object", exit_code=2)
    schema = report.get("schema")
    if schema is not None and schema not in REPORT_SCHEMAS:
        raise LeakmapError(
            f"{which} report has schema {schema!r}, expected one of {', '.join(REPORT_SCHEMAS)}",
            exit_code=2,
        )
    session = report.get("session")
    session = session if isinstance(session, dict) else {}
    name = str(session.get("name") or which)

    dests: dict[str, _Dest] = {}
    for entry in _dicts(report.get("destinations")):
        host = _host(entry.get("host"), entry.get("server_ips"))
        dest = dests.setdefault(host, _Dest(host))
        dest.domain = dest.domain or _str(entry.get("domain")) or registrable_domain(host)
        dest.owner = dest.owner or _str(entry.get("owner"))
        dest.countries |= {c for c in map(_country, _list(entry.get("countries"))) if c}
        dest.flows += _int(entry.get("flows"))
        dest.bytes_sent += _int(entry.get("bytes_sent"))
        dest.plaintext = dest.plaintext or bool(entry.get("plaintext"))
        dest.properties |= {p for p in map(_str, _list(entry.get("properties"))) if p}

    hits: dict[tuple[str, str | None, str], _Hit] = {}
    for finding in _dicts(report.get("findings")):
        prop = _str(finding.get("property"))
        if not prop:
            continue
        host = _host(finding.get("host"), [finding.get("server_ip")])
        country = _country(finding.get("country"))
        dest = dests.get(host)
        if dest is None:  # a finding whose host has no destination entry: build one
            dest = dests[host] = _Dest(host, domain=registrable_domain(host))
        if country:  # the server's country: the destination was there too
            dest.countries.add(country)
        owner = _str(finding.get("owner")) or dest.owner
        dest.owner = dest.owner or owner
        hit = hits.setdefault((prop, country, host), _Hit(prop, country, host, dest.domain, owner))
        encoding = _str(finding.get("encoding")) or "plain"
        hit.encodings.add(encoding)
        if location := _str(finding.get("location")):
            hit.locations.add(location)
        dest.properties.add(prop)
        dest.encodings[prop].add(encoding)

    # Blind spots: TLS handshakes that failed, and connections that carried no HTTP (passed
    # through, not decoded). Either way the traffic was not inspected.
    blind: dict[str, dict[str, Any]] = {}
    spots = [(f, _str(f.get("reason"))) for f in _dicts(report.get("tls_failures"))]
    spots += [(c, _connection_reason(c)) for c in _dicts(report.get("connections"))]
    for entry, reason in spots:
        key = _host(entry.get("host"), [entry.get("server_ip")])
        spot = blind.setdefault(
            key,
            {
                "host": _str(entry.get("host")),
                "server_ip": _str(entry.get("server_ip")),
                "count": 0,
                "reasons": set(),
            },
        )
        spot["count"] += max(1, _int(entry.get("count")))
        if reason:
            spot["reasons"].add(reason)
    return _Side(name, session, dests, hits, blind)


def _connection_reason(connection: dict[str, Any]) -> str:
    protocol = (_str(connection.get("protocol")) or "tcp").lower()[:10]
    port = _int(connection.get("server_port"))
    tls = " over TLS" if connection.get("tls") else ""
    return f"{protocol}{tls} connection{f' to port {port}' if port else ''} not decoded (no HTTP)"


# --- findings: added and removed ----------------------------------------------------------------


def _unmatched_hits(side: _Side, other: _Side) -> list[_Hit]:
    """Hits of ``side`` that ``other`` has at neither the same host, domain nor owner."""
    by_host = {(h.property, h.country, h.host) for h in other.hits.values()}
    by_domain = {(h.property, h.country, h.domain) for h in other.hits.values() if h.domain}
    by_owner = {(h.property, h.country, h.owner) for h in other.hits.values() if h.owner}
    out = []
    for hit in side.hits.values():
        key = (hit.property, hit.country)
        if (
            (*key, hit.host) in by_host
            or (hit.domain and (*key, hit.domain) in by_domain)
            or (hit.owner and (*key, hit.owner) in by_owner)
        ):
            continue
        out.append(hit)
    return sorted(out, key=lambda h: (h.property, h.country or "", h.host))


def _level(
    side: _Side,
    other: _Side,
    hits: list[_Hit],
    policy: PolicyLike | None,
    report: dict[str, Any],
) -> dict[str, Any]:
    """The ``added`` (or ``removed``) block: what ``side`` (read from ``report``) has and
    ``other`` has not."""
    marks = _report_policy_marks(report)
    return {
        "countries": sorted(_countries(side) - _countries(other)),
        "hosts": sorted(set(side.dests) - set(other.dests)),
        "domains": sorted(_attr(side, "domain") - _attr(other, "domain")),
        "owners": sorted(_attr(side, "owner") - _attr(other, "owner")),
        "findings": [_hit_dict(h, policy, marks) for h in hits],
    }


def _hit_dict(
    hit: _Hit, policy: PolicyLike | None, marks: dict[tuple[str, str | None, str], bool]
) -> dict[str, Any]:
    if policy is not None:
        outside: bool | None = not policy.allows(hit.country)
    else:
        outside = marks.get((hit.property, hit.country, hit.host))
    return {
        "property": hit.property,
        "country": hit.country,
        "host": hit.host,
        "owner": hit.owner,
        "domain": hit.domain,
        "encodings": sorted(hit.encodings),
        "locations": sorted(hit.locations),
        "outside_policy": outside,
    }


def _report_policy_marks(report: dict[str, Any]) -> dict[tuple[str, str | None, str], bool]:
    """Outside-policy marks a report made with a policy already carries, per hit.

    A report marks each finding ``allowed`` (True/False, None without a policy); an
    ``outside_policy`` flag is read as well.
    """
    marks: dict[tuple[str, str | None, str], bool] = {}
    for finding in _dicts(report.get("findings")):
        if isinstance(finding.get("outside_policy"), bool):
            outside = finding["outside_policy"]
        elif isinstance(finding.get("allowed"), bool):
            outside = not finding["allowed"]
        else:
            continue
        if prop := _str(finding.get("property")):
            key = (
                prop,
                _country(finding.get("country")),
                _host(finding.get("host"), [finding.get("server_ip")]),
            )
            marks[key] = marks.get(key, False) or outside
    return marks


# --- destinations matched across sessions ---------------------------------------------------------

_Unit = tuple[str, str, list[_Dest], list[_Dest]]  # matched_by, label, old hosts, new hosts


def _pair_destinations(a: _Side, b: _Side) -> tuple[list[_Unit], list[_Dest], list[_Dest]]:
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


def _dest_order(dest: _Dest) -> tuple[int, int, str]:
    return (-len(dest.properties), -dest.flows, dest.host)


def _dest_dict(dest: _Dest) -> dict[str, Any]:
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


def _group(dests: Iterable[_Dest], attr: str) -> dict[str, list[_Dest]]:
    groups: dict[str, list[_Dest]] = defaultdict(list)
    for dest in dests:
        key = getattr(dest, attr)
        if key:
            groups[key].append(dest)
    for members in groups.values():
        members.sort(key=lambda d: d.host)
    return groups


def _unit_changes(
    matched_by: str, label: str, olds: list[_Dest], news: list[_Dest]
) -> list[dict[str, Any]]:
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


def _country_property_changes(a: _Side, b: _Side) -> list[dict[str, Any]]:
    old_map, new_map = _properties_by_country(a), _properties_by_country(b)
    out = []
    for country in sorted(set(old_map) | set(new_map)):
        before, after = old_map.get(country, set()), new_map.get(country, set())
        if before != after:
            out.append(
                {
                    "kind": "country-properties",
                    "country": None if country == UNKNOWN_COUNTRY else country,
                    "added": sorted(after - before),
                    "removed": sorted(before - after),
                }
            )
    return out


def _blind_spot_changes(a: _Side, b: _Side) -> list[dict[str, Any]]:
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


def _summary(side: _Side, report: dict[str, Any], policy: PolicyLike | None) -> dict[str, Any]:
    marks = _report_policy_marks(report)
    hits = sorted(side.hits.values(), key=lambda h: (h.property, h.country or "", h.host))
    outside = []
    for hit in hits:
        entry = _hit_dict(hit, policy, marks)
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
        "flows": _int(side.session.get("flows")) or sum(d.flows for d in side.dests.values()),
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
    }


def _properties_by_country(side: _Side) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for hit in side.hits.values():
        out[hit.country or UNKNOWN_COUNTRY].add(hit.property)
    return out


def _countries(side: _Side) -> set[str]:
    found = set().union(*(d.countries for d in side.dests.values()))
    return found | {h.country for h in side.hits.values() if h.country}


def _attr(side: _Side, attr: str) -> set[str]:
    return {value for d in side.dests.values() if (value := getattr(d, attr))}


def _policy_dict(policy: PolicyLike | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    as_dict = getattr(policy, "as_dict", None)
    return as_dict() if callable(as_dict) else {"name": policy.name}


# --- small, defensive readers: a report may come from a file someone edited --------------------


@lru_cache(maxsize=8192)
def registrable_domain(host: str) -> str | None:
    """``cdn-a1.example-cdn.com`` -> ``example-cdn.com``; None for IP addresses and suffixes."""
    from publicsuffixlist import PublicSuffixList

    if not host or host.replace(".", "").isdigit() or ":" in host:
        return None
    return _psl(PublicSuffixList).privatesuffix(host.lower().rstrip("."))


@lru_cache(maxsize=1)
def _psl(cls: Any) -> Any:
    # Parsing the list takes a while: once per process. ICANN section only, as the owner map
    # does: d1.cloudfront.net and d2.cloudfront.net are one domain (cloudfront.net), so renamed
    # CDN edges match.
    return cls(only_icann=True)


def _list(value: Any) -> list[Any]:
    return [v for v in value if v is not None] if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _country(value: Any) -> str | None:
    """An ISO 3166-1 alpha-2 code, upper case; anything else counts as unknown."""
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return None


def _host(host: Any, server_ips: Any = None) -> str:
    text = _str(host)
    if text:
        return text.lower().rstrip(".")
    for ip in server_ips if isinstance(server_ips, list) else []:
        if ip_text := _str(ip):
            return ip_text
    return "(unknown host)"


__all__ = ["SCHEMA", "diff_reports", "encoding_class", "registrable_domain"]
