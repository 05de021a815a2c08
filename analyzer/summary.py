"""Summarise one session: findings joined with flows, geography and owners, as a report dict.

``build_report`` wires the store, the detector, GeoIP, the owner map and a policy together and
returns the ``leakmap.report/1`` dict of docs/report.md (``findings``, ``destinations``,
``by_country``, ``tls_failures``, ``session``, ``geoip``) plus what the HTML page needs
(``headline``, ``matrix``, ``map``, ``evidence``, ``plaintext``, ``first_left``, ...).

Flows are streamed once, in id order; everything is aggregated per destination as they pass, so
memory grows with the number of hosts and findings, never with bodies. Evidence is bounded:
a few examples per (property, country, host) plus counts. ``Summariser`` is the pure part (no
database, no files) and is what the tests drive with hand-made inputs.
"""

from __future__ import annotations

import builtins
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, quote_plus

from analyzer import __version__

if TYPE_CHECKING:
    from analyzer.store import SessionInfo, Store

SCHEMA = "leakmap.report/1"
EXAMPLES_PER_GROUP = 3  # evidence examples kept per (property, country, host)
MAX_SERVER_IPS = 32  # per destination; more are counted, not listed
MAX_TEXT = 400  # characters kept of a request line, context or explanation
UNKNOWN = "unknown"  # by_country key for servers whose country GeoIP does not know
PLAINTEXT_SCHEMES = frozenset({"http", "ws"})

Progress = Callable[[str, int], None]


# --- what the summariser consumes (the detector's, geo's and owners' objects fit these) --------


class FindingLike(Protocol):
    @property
    def flow_id(self) -> int | None: ...
    @property
    def location(self) -> str: ...
    @property
    def path(self) -> str | None: ...
    @property
    def encoding(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def value(self) -> str | None: ...
    @property
    def context(self) -> str | None: ...
    @property
    def explanation(self) -> str | None: ...
    # Last, and through builtins: a member named "property" shadows the decorator below it.
    @builtins.property
    def property(self) -> str: ...


class GeoLike(Protocol):
    @property
    def country(self) -> str | None: ...
    @property
    def asn(self) -> int | None: ...
    @property
    def org(self) -> str | None: ...
    @property
    def local(self) -> bool: ...


class OwnerLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def country(self) -> str | None: ...


class GeoLookup(Protocol):
    def lookup(self, ip: str) -> GeoLike: ...


class OwnerLookup(Protocol):
    def registrable_domain(self, host: str) -> str | None: ...

    def lookup(self, host: str) -> OwnerLike | None: ...


class PolicyLike(Protocol):
    name: str

    def allows(self, country: str | None) -> bool: ...


# --- accumulators ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Place:
    """Where a server IP is: looked up once per address."""

    country: str | None
    asn: int | None
    org: str | None
    local: bool


@dataclass(slots=True)
class _Destination:
    host: str
    domain: str | None
    owner: str | None
    owner_country: str | None
    server_ips: dict[str, None] = field(default_factory=dict)  # ordered set
    more_ips: int = 0
    countries: dict[str, None] = field(default_factory=dict)
    asn: int | None = None
    org: str | None = None
    flows: int = 0
    plaintext_flows: int = 0
    bytes_sent: int = 0
    properties: dict[str, int] = field(default_factory=dict)
    first_seen: float | None = None
    last_seen: float | None = None
    blind: int = 0  # TLS failures towards this host


@dataclass(slots=True)
class _Country:
    flows: int = 0
    hosts: dict[str, None] = field(default_factory=dict)
    properties: dict[str, int] = field(default_factory=dict)
    findings: int = 0


@dataclass(slots=True)
class _Group:
    """Evidence for one (property, country, host): a count and a few examples."""

    count: int = 0
    plaintext: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)


class Summariser:
    """Feed findings, then flows, WebSocket messages, TLS failures and connections; then
    ``result``."""

    def __init__(
        self,
        session: SessionInfo,
        *,
        geo: GeoLookup,
        owners: OwnerLookup | None = None,
        policy: PolicyLike | None = None,
        show_values: bool = False,
        mask: Callable[[str], str] | None = None,
        examples: int = EXAMPLES_PER_GROUP,
    ) -> None:
        self.session = session
        self.geo = geo
        self.owners = owners
        self.policy = policy
        self.show_values = show_values
        self.mask = mask or _mask
        self.examples = examples
        self._by_flow: dict[int, list[FindingLike]] = defaultdict(list)
        self._orphans: list[FindingLike] = []
        self._places: dict[str, _Place] = {}
        self._destinations: dict[str, _Destination] = {}
        self._countries: dict[str, _Country] = {}
        self._groups: dict[tuple[str, str, str], _Group] = {}
        self._first_left: dict[str, dict[str, Any]] = {}
        self._tls: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
        self._websocket_hosts: dict[int, str] = {}  # WebSocket flow id -> host
        self._connections: dict[tuple[str, str | None, str | None, int | None], dict[str, Any]] = {}
        self.findings: list[dict[str, Any]] = []
        self.flows = 0

    # --- input -----------------------------------------------------------------------------

    def add_findings(self, findings: Iterable[FindingLike]) -> None:
        for finding in findings:
            if finding.flow_id is None:
                self._orphans.append(finding)
            else:
                self._by_flow[finding.flow_id].append(finding)

    def add_flow(self, flow: Any) -> None:
        """One flow row (the store's columns as attributes)."""
        self.flows += 1
        host = _host_of(flow)
        place = self._place(flow.server_ip)
        destination = self._destination(host)
        plaintext = (flow.scheme or "").lower() in PLAINTEXT_SCHEMES
        when = flow.timestamp_start
        destination.flows += 1
        destination.plaintext_flows += plaintext
        destination.bytes_sent += _request_bytes(flow)
        if getattr(flow, "websocket", False):
            self._websocket_hosts[flow.id] = host
        if flow.server_ip:
            if flow.server_ip in destination.server_ips:
                pass
            elif len(destination.server_ips) < MAX_SERVER_IPS:
                destination.server_ips[flow.server_ip] = None
            else:
                destination.more_ips += 1
        if place.country:
            destination.countries[place.country] = None
        if destination.asn is None and place.asn is not None:
            destination.asn, destination.org = place.asn, place.org
        if when is not None:
            if destination.first_seen is None or when < destination.first_seen:
                destination.first_seen = when
            if destination.last_seen is None or when > destination.last_seen:
                destination.last_seen = when
        country = self._country(place.country)
        country.flows += 1
        country.hosts[host] = None
        # Popped so that memory holds only the findings of flows not yet seen.
        findings = self._by_flow.pop(flow.id, ())
        # Every personal value of the flow is masked in each example (URL and context), not just
        # the one it is about: an IMEI in the path would show beside a masked e-mail.
        values = tuple({f.value for f in findings if f.value})
        for finding in findings:
            self._add_finding(finding, flow, host, place, destination, country, plaintext, values)

    def add_websocket_message(self, message: Any) -> None:
        """Messages the phone sent over a WebSocket count as bytes sent to its host."""
        host = self._websocket_hosts.get(message.flow_id)
        if host is not None and message.from_client:
            self._destinations[host].bytes_sent += message.size or 0

    def add_tls_failure(self, failure: Any) -> None:
        host = failure.sni or failure.server_ip or "(unknown)"
        key = (host, failure.server_ip, failure.reason)
        entry = self._tls.get(key)
        if entry is None:
            place = self._place(failure.server_ip)
            entry = self._tls[key] = {
                "host": host,
                "server_ip": failure.server_ip,
                "count": 0,
                "reason": failure.reason,
                "side": failure.side,
                "country": place.country,
                "first_seen": _iso(failure.timestamp),
                "error": _cap(failure.error, 200),
            }
        entry["count"] += 1
        if host in self._destinations:
            self._destinations[host].blind += 1

    def add_connection(self, connection: Any) -> None:
        """A non-HTTP connection: traffic passed through but not decoded (a blind spot)."""
        host = connection.sni or connection.host or connection.server_ip or "(unknown)"
        key = (connection.protocol, host, connection.server_ip, connection.server_port)
        entry = self._connections.get(key)
        if entry is None:
            entry = self._connections[key] = {
                "protocol": connection.protocol,
                "host": host,
                "server_ip": connection.server_ip,
                "server_port": connection.server_port,
                "tls": bool(connection.tls),
                "country": self._place(connection.server_ip).country,
                "count": 0,
                "bytes_sent": 0,
            }
        entry["count"] += 1
        entry["bytes_sent"] += connection.bytes_sent or 0

    # --- output ----------------------------------------------------------------------------

    def result(
        self,
        *,
        geoip: dict[str, Any] | None = None,
        notes: Iterable[str] = (),
    ) -> dict[str, Any]:
        # Findings whose flow never appeared (deleted flow, WebSocket message without its flow).
        for leftovers in self._by_flow.values():
            self._orphans.extend(leftovers)
        self._by_flow.clear()
        for finding in self._orphans:
            self._add_orphan(finding)
        self._orphans.clear()
        self.findings.sort(key=lambda f: (f["time"] or "", f["flow_id"] or 0))

        destinations = [self._destination_dict(d) for d in self._destinations.values()]
        destinations.sort(key=lambda d: (-len(d["properties"]), -d["flows"], d["host"]))
        by_country = {
            code: {
                "properties": sorted(c.properties),
                "hosts": sorted(c.hosts),
                "flows": c.flows,
                "findings": c.findings,
                "property_counts": dict(sorted(c.properties.items())),
                "allowed": self._allowed(code if code != UNKNOWN else None),
            }
            for code, c in sorted(self._countries.items())
        }
        tls_failures = sorted(self._tls.values(), key=lambda t: (-t["count"], t["host"]))
        connections = sorted(self._connections.values(), key=lambda c: (-c["count"], c["host"]))
        evidence = self._evidence()
        matrix = self._matrix(evidence)
        session = self.session
        report: dict[str, Any] = {
            "schema": SCHEMA,
            "session": {
                "name": session.name,
                "app": session.app,
                "app_version": session.app_version,
                "device": session.device,
                "started_at": _iso(session.started_at),
                "ended_at": _iso(session.ended_at),
                "flows": self.flows,
                "platform": session.platform,
                "mode": session.mode,
                "recorded_with": session.tool_version,
            },
            "geoip": dict(geoip or {"country_db": None, "asn_db": None, "attribution": None}),
            "findings": self.findings,
            "destinations": destinations,
            "by_country": by_country,
            "tls_failures": tls_failures,
            # What the HTML page needs beyond the contract.
            "generated_at": _iso(time.time()),
            "tool_version": __version__,
            "show_values": self.show_values,
            "policy": self._policy_dict(),
            "connections": connections,
            "notes": list(notes),
            "evidence": evidence,
            "matrix": matrix,
            "first_left": self._first_left_list(evidence),
            "plaintext": self._plaintext(evidence),
        }
        report["headline"] = _headline(report)
        return report

    # --- internals -------------------------------------------------------------------------

    def _add_finding(
        self,
        finding: FindingLike,
        flow: Any,
        host: str,
        place: _Place,
        destination: _Destination,
        country: _Country,
        plaintext: bool,
        flow_values: tuple[str, ...] = (),
    ) -> None:
        prop = finding.property
        value = self._shown(finding.value)
        when = _iso(flow.timestamp_start)
        row = {
            "flow_id": finding.flow_id,
            "time": when,
            "host": host,
            "server_ip": flow.server_ip,
            "country": place.country,
            "asn": place.asn,
            "org": place.org,
            "owner": destination.owner,
            "owner_country": destination.owner_country,
            "property": prop,
            "location": finding.location,
            "path": self._path_shown(finding.path, finding, flow_values),
            "encoding": finding.encoding,
            "method": finding.method,
            "value": value,
            "confidence": finding.confidence,
            "scheme": flow.scheme,
            "plaintext": plaintext,
            "allowed": self._allowed(place.country),
        }
        self.findings.append(row)
        destination.properties[prop] = destination.properties.get(prop, 0) + 1
        country.properties[prop] = country.properties.get(prop, 0) + 1
        country.findings += 1
        code = place.country or UNKNOWN
        group = self._groups.get((prop, code, host))
        if group is None:
            group = self._groups[(prop, code, host)] = _Group()
        group.count += 1
        group.plaintext += plaintext
        if len(group.examples) < self.examples:
            group.examples.append(self._example(finding, flow, value, when, plaintext, flow_values))
        first = self._first_left.get(prop)
        start = flow.timestamp_start
        if first is None or (start is not None and (first["_t"] is None or start < first["_t"])):
            self._first_left[prop] = {
                "property": prop,
                "time": when,
                "host": host,
                "country": place.country,
                "flow_id": finding.flow_id,
                "_t": start,
            }

    def _add_orphan(self, finding: FindingLike) -> None:
        """A finding without its flow: counted under an unknown host rather than dropped."""

        class _NoFlow:
            id = finding.flow_id
            host = sni = server_ip = scheme = method = url = None
            timestamp_start = None

        flow = _NoFlow()
        host = "(flow not recorded)"
        place = self._place(None)
        destination = self._destination(host)
        self._add_finding(
            finding, flow, host, place, destination, self._country(None), plaintext=False
        )

    def _example(
        self,
        finding: FindingLike,
        flow: Any,
        value: str | None,
        when: str | None,
        plain: bool,
        flow_values: tuple[str, ...] = (),
    ) -> dict[str, Any]:
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
        shown_url = self._url_shown(flow.url or flow.host or "", finding, flow_values)
        return {
            "flow_id": finding.flow_id,
            "time": when,
            "request_line": _cap(
                f"{flow.method or '?'} {shown_url}",
                MAX_TEXT,
            ),
            "location": finding.location,
            "path": _cap(self._path_shown(finding.path, finding, flow_values), MAX_TEXT),
            "encoding": finding.encoding,
            "method": finding.method,
            "confidence": finding.confidence,
            "value": _cap(value, MAX_TEXT),
            "context": _cap(context, MAX_TEXT),
            "explanation": _cap(finding.explanation, MAX_TEXT),
            "plaintext": plain,
        }

    def _url_shown(self, url: str, finding: FindingLike, flow_values: tuple[str, ...] = ()) -> str:
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

    def _path_shown(self, path: str, finding: FindingLike, flow_values: tuple[str, ...]) -> str:
        """The key path with the flow's personal values masked: a key can be the value itself
        (an address book keyed by e-mail address)."""
        if self.show_values or not path:
            return path
        values = {v for v in (finding.value, *flow_values) if v and len(v) >= 3 and v in path}
        for personal in sorted(values, key=len, reverse=True):
            path = path.replace(personal, self.mask(personal))
        return path

    def _shown(self, value: str | None) -> str | None:
        if value is None or self.show_values:
            return value
        return self.mask(value)

    def _place(self, ip: str | None) -> _Place:
        key = ip or ""
        place = self._places.get(key)
        if place is None:
            if ip:
                info = self.geo.lookup(ip)
                place = _Place(info.country, info.asn, info.org, bool(info.local))
            else:
                place = _Place(None, None, None, False)
            self._places[key] = place
        return place

    def _destination(self, host: str) -> _Destination:
        destination = self._destinations.get(host)
        if destination is None:
            domain = owner = owner_country = None
            if self.owners is not None and not host.startswith("("):
                domain = self.owners.registrable_domain(host)
                found = self.owners.lookup(host)
                if found is not None:
                    owner, owner_country = found.name, found.country
            destination = self._destinations[host] = _Destination(
                host=host, domain=domain, owner=owner, owner_country=owner_country
            )
        return destination

    def _country(self, code: str | None) -> _Country:
        key = code or UNKNOWN
        country = self._countries.get(key)
        if country is None:
            country = self._countries[key] = _Country()
        return country

    def _allowed(self, country: str | None) -> bool | None:
        if self.policy is None:
            return None
        return bool(self.policy.allows(country))

    def _policy_dict(self) -> dict[str, Any] | None:
        if self.policy is None:
            return None
        outside = [f for f in self.findings if f["allowed"] is False]
        described = getattr(self.policy, "as_dict", None)
        return {
            **(described() if callable(described) else {}),
            "name": self.policy.name,
            "findings_outside": len(outside),
            "countries_outside": sorted({f["country"] for f in outside if f["country"]}),
            "findings_unknown_country": sum(1 for f in self.findings if f["country"] is None),
        }

    def _destination_dict(self, d: _Destination) -> dict[str, Any]:
        return {
            "host": d.host,
            "domain": d.domain,
            "server_ips": list(d.server_ips),
            "countries": list(d.countries),
            "asn": d.asn,
            "org": d.org,
            "owner": d.owner,
            "owner_country": d.owner_country,
            "flows": d.flows,
            "bytes_sent": d.bytes_sent,
            "plaintext": d.plaintext_flows > 0,
            "properties": sorted(d.properties),
            "plaintext_flows": d.plaintext_flows,
            "more_server_ips": d.more_ips,
            "findings": sum(d.properties.values()),
            "first_seen": _iso(d.first_seen),
            "last_seen": _iso(d.last_seen),
            "tls_failures": d.blind,
            "allowed": (
                None
                if self.policy is None or not d.countries
                else all(self.policy.allows(c) for c in d.countries)
            ),
        }

    def _evidence(self) -> list[dict[str, Any]]:
        """Evidence sections per (property, country), each with its hosts' examples."""
        sections: dict[tuple[str, str], dict[str, Any]] = {}
        for (prop, code, host), group in self._groups.items():
            section = sections.get((prop, code))
            if section is None:
                section = sections[(prop, code)] = {
                    "property": prop,
                    "country": None if code == UNKNOWN else code,
                    "count": 0,
                    "plaintext": 0,
                    "allowed": self._allowed(None if code == UNKNOWN else code),
                    "hosts": [],
                }
            section["count"] += group.count
            section["plaintext"] += group.plaintext
            section["hosts"].append(
                {
                    "host": host,
                    "count": group.count,
                    "plaintext": group.plaintext,
                    "examples": group.examples,
                }
            )
        out = sorted(sections.values(), key=lambda s: (s["property"], s["country"] or "~"))
        for number, section in enumerate(out, 1):
            section["id"] = f"ev-{number}"
            section["hosts"].sort(key=lambda h: (-h["count"], h["host"]))
        return out

    def _matrix(self, evidence: list[dict[str, Any]]) -> dict[str, Any]:
        """Property x country: counts and the evidence section each cell links to."""
        totals: dict[str, int] = defaultdict(int)
        props: dict[str, int] = defaultdict(int)
        cells: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for section in evidence:
            code = section["country"] or UNKNOWN
            totals[code] += 1
            props[section["property"]] += 1
            cells[section["property"]][code] = {
                "count": section["count"],
                "anchor": section["id"],
                "allowed": section["allowed"],
                "plaintext": section["plaintext"],
            }
        countries = sorted(totals, key=lambda c: (c == UNKNOWN, -totals[c], c))
        properties = sorted(props, key=lambda p: (-props[p], p))
        return {"properties": properties, "countries": countries, "cells": dict(cells)}

    def _first_left_list(self, evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
        anchors = {(s["property"], s["country"]): s["id"] for s in evidence}
        return [
            {
                **{k: v for k, v in entry.items() if k != "_t"},
                "anchor": anchors.get((entry["property"], entry["country"])),
            }
            for entry in sorted(self._first_left.values(), key=lambda f: f["time"] or "~")
        ]

    def _plaintext(self, evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for section in evidence:
            for host in section["hosts"]:
                if host["plaintext"]:
                    example = next((e for e in host["examples"] if e["plaintext"]), None)
                    out.append(
                        {
                            "property": section["property"],
                            "country": section["country"],
                            "host": host["host"],
                            "count": host["plaintext"],
                            "anchor": section["id"],
                            "example": example,
                        }
                    )
        return sorted(out, key=lambda p: (-p["count"], p["property"], p["host"]))


def _headline(report: dict[str, Any]) -> dict[str, Any]:
    countries = {
        code: len(entry["properties"])
        for code, entry in report["by_country"].items()
        if entry["properties"]
    }
    receiving = [d for d in report["destinations"] if d["properties"]]
    policy = report["policy"]
    return {
        "countries": sorted(countries, key=lambda c: (c == UNKNOWN, -countries[c], c)),
        "country_properties": countries,
        "properties": len({f["property"] for f in report["findings"]}),
        "findings": len(report["findings"]),
        "destinations": len(receiving),
        "destinations_total": len(report["destinations"]),
        "plaintext_leaks": sum(1 for f in report["findings"] if f["plaintext"]),
        "tls_failure_hosts": len({t["host"] for t in report["tls_failures"]}),
        # Hosts whose traffic was not inspected: TLS refused, or not HTTP at all.
        "blind_spots": len(
            {t["host"] for t in report["tls_failures"]} | {c["host"] for c in report["connections"]}
        ),
        "analysis_notes": len(report["notes"]),
        "outside_policy": policy["findings_outside"] if policy else None,
    }


# What Summariser.add_flow reads of a flow: no bodies (they are the bulk of a stored row).
SUMMARY_COLUMNS = (
    "id",
    "host",
    "sni",
    "server_ip",
    "scheme",
    "method",
    "url",
    "timestamp_start",
    "request_headers",
    "request_body_size",
    "websocket",
)


def _host_of(flow: Any) -> str:
    return flow.host or flow.sni or flow.server_ip or "(unknown)"


def _request_bytes(flow: Any) -> int:
    """Bytes the phone sent in this request: request line, headers and the full body size."""
    size = len(flow.method or "") + len(flow.url or "") + 12
    for pair in flow.request_headers or ():
        if len(pair) == 2:
            size += len(str(pair[0])) + len(str(pair[1])) + 4
    return size + (flow.request_body_size or 0)


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cap(text: str | None, size: int) -> str | None:
    if text is None or len(text) <= size:
        return text
    return text[: size - 1] + "…"


def _mask(value: str) -> str:
    """Fallback mask (the detector's ``mask_value`` is used when available): keep 2 + 2."""
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * min(len(value) - 4, 12) + value[-2:]


# --- wiring: store + detector + geo + owners + policy ---------------------------------------


def build_report(
    store: Store,
    session_name: str,
    *,
    profile: Any = None,
    geoip_db: str | Path | None = None,
    asn_db: str | Path | None = None,
    policy: Any = None,
    show_values: bool = False,
    progress: Progress | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """The report dict of one session (see the module docstring).

    ``profile`` is a loaded :class:`~analyzer.profile.Profile`, a path to its TOML, or None.
    ``policy`` is a loaded policy (anything with ``allows`` and ``name``), a path or a shipped
    policy name. ``progress(stage, count)`` is called now and then while flows stream.
    ``workers`` > 1 analyses a big session in that many processes (the CLI's default: the
    cores; a library caller opts in, as worker processes re-import a script's main module).
    """
    from analyzer.detect import mask_value
    from analyzer.detect.cache import findings_for_session
    from analyzer.geo import GeoResolver
    from analyzer.owners import OwnerMap

    info = store.session(session_name)
    if profile is None:  # a capture with --profile auto stored the phone's own profile
        from analyzer.device.stored import session_profile

        profile = session_profile(store, session_name)
    if isinstance(profile, str | Path):
        from analyzer.profile import load_profile

        profile = load_profile(Path(profile))
    policy = _load_policy(policy)  # before the long part: a bad policy fails at once
    geo = GeoResolver(geoip_db, asn_db)

    def detected(count: int) -> None:
        if progress and count % 5000 == 0:
            progress("detect", count)

    findings, notes = findings_for_session(store, info, profile, progress=detected, workers=workers)
    summariser = Summariser(
        info,
        geo=geo,
        owners=OwnerMap.load(),
        policy=policy,
        show_values=show_values,
        mask=mask_value,
    )
    summariser.add_findings(findings)
    del findings
    for count, flow in enumerate(store.iter_flows(info.id, SUMMARY_COLUMNS), 1):
        summariser.add_flow(flow)
        if progress and count % 5000 == 0:
            progress("flows", count)
    for message in store.websocket_messages(info.id):
        summariser.add_websocket_message(message)
    for failure in store.tls_failures(info.id):
        summariser.add_tls_failure(failure)
    for connection in store.connections(info.id):
        summariser.add_connection(connection)
    # Import notes (sessions.notes, one a line) first: what never reached the detector.
    imported = (info.notes or "").splitlines()
    return summariser.result(geoip=geo.describe(), notes=[*imported, *(str(n) for n in notes)])


def _load_policy(policy: Any) -> PolicyLike | None:
    if policy is None or hasattr(policy, "allows"):
        return policy
    from analyzer.policy import load_policy

    return load_policy(policy)
