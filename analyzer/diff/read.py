"""Reading one session report (``leakmap.report/1`` or ``/2``) into what the diff compares.

Reports may come from a file someone edited: every field is read defensively (a malformed
field is ignored, never fatal). A ``/1`` report has no steps, placeholders or delivery flags:
its findings all count, in no step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from analyzer.errors import LeakmapError

REPORT_SCHEMAS = ("leakmap.report/1", "leakmap.report/2")  # both are read
UNKNOWN_COUNTRY = "unknown"  # key for a null country in maps (JSON keys cannot be null)
LOCAL = "local"  # key for a loopback or private server that no database places


@dataclass(slots=True)
class Dest:
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
class Row:
    """One finding of a report as the diff needs it."""

    property: str
    country: str | None
    local: bool
    host: str
    owner: str | None
    encoding: str
    location: str | None
    step: str | None
    time: str | None
    condition: str | None
    delivered: bool


@dataclass(slots=True)
class Hit:
    """One (property, place, host) of one session, with how it was sent."""

    property: str
    country: str | None
    host: str
    domain: str | None
    owner: str | None
    local: bool = False
    encodings: set[str] = field(default_factory=set)
    locations: set[str] = field(default_factory=set)
    steps: set[str | None] = field(default_factory=set)
    conditions: set[str] = field(default_factory=set)
    delivered: bool = False  # at least one occurrence reached its server

    @property
    def place(self) -> str:
        """The place key: ISO country code, ``local`` or ``unknown``."""
        return self.country or (LOCAL if self.local else UNKNOWN_COUNTRY)


HitKey = tuple[str, str, str]  # (property, place, host)


@dataclass(slots=True)
class Side:
    """One report as the diff compares it."""

    name: str
    session: dict[str, Any]
    dests: dict[str, Dest]
    rows: list[Row]
    hits: dict[HitKey, Hit]
    blind_spots: dict[str, dict[str, Any]]
    steps: list[tuple[str, str | None]]  # (label, at) of the report's marks


def read_side(report: dict[str, Any], which: str) -> Side:
    """One report as the diff compares it; LeakmapError (exit 2) for a non-report."""
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

    dests: dict[str, Dest] = {}
    for entry in dicts(report.get("destinations")):
        host = host_key(entry.get("host"), entry.get("server_ips"))
        dest = dests.setdefault(host, Dest(host))
        dest.domain = dest.domain or text(entry.get("domain")) or registrable_domain(host)
        dest.owner = dest.owner or text(entry.get("owner"))
        dest.countries |= {c for c in map(country_code, items(entry.get("countries"))) if c}
        dest.flows += count(entry.get("flows"))
        dest.bytes_sent += count(entry.get("bytes_sent"))
        dest.plaintext = dest.plaintext or bool(entry.get("plaintext"))
        dest.properties |= {p for p in map(text, items(entry.get("properties"))) if p}

    rows: list[Row] = []
    for finding in dicts(report.get("findings")):
        prop = text(finding.get("property"))
        if not prop or finding.get("placeholder") is True:
            continue  # placeholders are not the person's data: never compared
        host = host_key(finding.get("host"), [finding.get("server_ip")])
        country = country_code(finding.get("country"))
        dest = dests.get(host)
        if dest is None:  # a finding whose host has no destination entry: build one
            dest = dests[host] = Dest(host, domain=registrable_domain(host))
        if country:  # the server's country: the destination was there too
            dest.countries.add(country)
        owner = text(finding.get("owner")) or dest.owner
        dest.owner = dest.owner or owner
        encoding = text(finding.get("encoding")) or "plain"
        dest.properties.add(prop)
        dest.encodings[prop].add(encoding)
        rows.append(
            Row(
                property=prop,
                country=country,
                local=finding.get("local") is True and not country,
                host=host,
                owner=owner,
                encoding=encoding,
                location=text(finding.get("location")),
                step=text(finding.get("step")),
                time=text(finding.get("time")),
                condition=text(finding.get("condition")),
                delivered=finding.get("delivered") is not False,
            )
        )

    # Blind spots: TLS handshakes that failed, and connections that carried no HTTP (passed
    # through, not decoded). Either way the traffic was not inspected.
    blind: dict[str, dict[str, Any]] = {}
    spots = [(f, text(f.get("reason"))) for f in dicts(report.get("tls_failures"))]
    spots += [(c, connection_reason(c)) for c in dicts(report.get("connections"))]
    for entry, reason in spots:
        key = host_key(entry.get("host"), [entry.get("server_ip")])
        spot = blind.setdefault(
            key,
            {
                "host": text(entry.get("host")),
                "server_ip": text(entry.get("server_ip")),
                "count": 0,
                "reasons": set(),
            },
        )
        spot["count"] += max(1, count(entry.get("count")))
        if reason:
            spot["reasons"].add(reason)
    steps = [
        (label, text(step.get("at")))
        for step in dicts(report.get("steps"))
        if (label := text(step.get("label")))
    ]
    return Side(name, session, dests, rows, hits_of(rows, dests), blind, steps)


def hits_of(rows: Iterable[Row], dests: dict[str, Dest]) -> dict[HitKey, Hit]:
    """Rows aggregated per (property, place, host)."""
    hits: dict[HitKey, Hit] = {}
    for row in rows:
        dest = dests.get(row.host)
        place = row.country or (LOCAL if row.local else UNKNOWN_COUNTRY)
        hit = hits.get((row.property, place, row.host))
        if hit is None:
            hit = hits[(row.property, place, row.host)] = Hit(
                row.property,
                row.country,
                row.host,
                dest.domain if dest else registrable_domain(row.host),
                row.owner,
                local=row.local,
            )
        hit.encodings.add(row.encoding)
        if row.location:
            hit.locations.add(row.location)
        hit.steps.add(row.step)
        if row.condition:
            hit.conditions.add(row.condition)
        hit.delivered = hit.delivered or row.delivered
    return hits


def connection_reason(connection: dict[str, Any]) -> str:
    """Why a non-HTTP connection is a blind spot, in a few words."""
    protocol = (text(connection.get("protocol")) or "tcp").lower()[:10]
    port = count(connection.get("server_port"))
    tls = " over TLS" if connection.get("tls") else ""
    return f"{protocol}{tls} connection{f' to port {port}' if port else ''} not decoded (no HTTP)"


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


def items(value: Any) -> list[Any]:
    """The non-null items of a list; [] for anything else."""
    return [v for v in value if v is not None] if isinstance(value, list) else []


def dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of a list; [] for anything else."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A value as stripped text; None for None and blank."""
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def count(value: Any) -> int:
    """A value as a count (0 for negatives and non-numbers)."""
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def country_code(value: Any) -> str | None:
    """An ISO 3166-1 alpha-2 code, upper case; anything else counts as unknown."""
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return None


def host_key(host: Any, server_ips: Any = None) -> str:
    """A host name as the diff keys it (lower case, no trailing dot), else the first server
    address, else "(unknown host)"."""
    name = text(host)
    if name:
        return name.lower().rstrip(".")
    for ip in server_ips if isinstance(server_ips, list) else []:
        if ip_text := text(ip):
            return ip_text
    return "(unknown host)"
