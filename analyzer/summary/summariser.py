"""``Summariser``: findings joined with flows, GeoIP, owners, a policy and the session's steps.

The pure part of the summary (no database, no files): the tests drive it with hand-made inputs,
:func:`analyzer.summary.build.build_report` with the store's. Flows are streamed once, in id
order; per-flow facts (bytes, hosts, countries, steps) are aggregated as they pass, so memory
grows with the number of hosts and findings, never with bodies. Evidence is bounded: a few
examples per (property, place, host) plus counts.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from analyzer import __version__
from analyzer.summary.blindspots import BlindSpots
from analyzer.summary.common import (
    PLAINTEXT_SCHEMES,
    SCHEMA,
    UNKNOWN,
    FindingLike,
    GeoLookup,
    OwnerLookup,
    PolicyLike,
    fallback_mask,
    host_of,
    iso,
    place_order,
    request_bytes,
)
from analyzer.summary.delivery import delivered as was_delivered
from analyzer.summary.evidence import (
    EXAMPLES_PER_GROUP,
    Group,
    Masker,
    Placeholders,
    evidence_sections,
    first_left_rows,
    plaintext_rows,
)
from analyzer.summary.headline import headline
from analyzer.summary.places import Destination, Place, PlaceTally, place_of
from analyzer.summary.policyview import PolicyView
from analyzer.summary.steps import (
    StepTally,
    before_consent,
    plan_steps,
    step_index,
    step_summaries,
)
from analyzer.summary.views import by_owner_country, linked_matrix


class Summariser:
    """Feed findings, then flows, WebSocket messages, TLS failures and connections; then
    ``result``.

    ``marks``: the session's steps as ``(label, at)`` pairs in time order (epoch seconds).
    ``policy``: allowed countries (``allows``; ``condition`` if it has one).
    """

    def __init__(
        self,
        session: Any,
        *,
        geo: GeoLookup,
        owners: OwnerLookup | None = None,
        policy: PolicyLike | None = None,
        show_values: bool = False,
        mask: Callable[[str], str] | None = None,
        examples: int = EXAMPLES_PER_GROUP,
        marks: Sequence[tuple[str, float]] = (),
    ) -> None:
        self.session = session
        self.geo = geo
        self.owners = owners
        self.policy = PolicyView(policy)
        self.show_values = show_values
        self.masker = Masker(show_values, mask or fallback_mask)
        self.examples = examples
        self.marks = [(str(label), float(at)) for label, at in marks]
        self._mark_times = [at for _, at in self.marks]
        self._by_flow: dict[int, list[FindingLike]] = defaultdict(list)
        self._orphans: list[FindingLike] = []
        self._places: dict[str, Place] = {}
        self._destinations: dict[str, Destination] = {}
        self._countries: dict[str, PlaceTally] = {}
        self._groups: dict[tuple[str, str, str], Group] = {}
        self.placeholders = Placeholders()
        self._first_left: dict[str, dict[str, Any]] = {}
        self._steps: dict[int, StepTally] = defaultdict(StepTally)
        self._websocket_hosts: dict[int, str] = {}  # WebSocket flow id -> host
        self.blind = BlindSpots(self._place)
        self.findings: list[dict[str, Any]] = []
        self.flows = 0
        self.flows_without_time = 0
        self.flows_without_ip = 0
        self.flows_not_delivered = 0
        self.flows_without_client = 0  # HAR files carry no client address; mitmproxy dumps do

    # --- input -----------------------------------------------------------------------------

    def add_findings(self, findings: Iterable[FindingLike]) -> None:
        """The detector's findings of the session, held per flow until the flow passes."""
        for finding in findings:
            if finding.flow_id is None:
                self._orphans.append(finding)
            else:
                self._by_flow[finding.flow_id].append(finding)

    def add_flow(self, flow: Any) -> None:
        """One flow row (the store's columns as attributes; ``SUMMARY_COLUMNS`` at least)."""
        self.flows += 1
        host = host_of(flow)
        place = self._place(flow.server_ip)
        destination = self._destination(host)
        plaintext = (flow.scheme or "").lower() in PLAINTEXT_SCHEMES
        delivered = was_delivered(getattr(flow, "error", None), getattr(flow, "status_code", None))
        when = flow.timestamp_start
        step = step_index(self._mark_times, when)
        self.flows_without_time += when is None
        self.flows_without_ip += not flow.server_ip
        self.flows_not_delivered += not delivered
        self.flows_without_client += not getattr(flow, "client_ip", None)
        tally = self._steps[step]
        tally.flows += 1
        tally.hosts[host] = None
        destination.add_flow(flow, place, plaintext=plaintext, delivered=delivered)
        destination.bytes_sent += request_bytes(flow)
        if getattr(flow, "websocket", False):
            self._websocket_hosts[flow.id] = host
        country = self._country(place.key)
        country.flows += 1
        country.not_delivered_flows += not delivered
        country.hosts[host] = None
        # Popped so that memory holds only the findings of flows not yet seen.
        findings = self._by_flow.pop(flow.id, ())
        # Every personal value of the flow is masked in each example (URL and context), not just
        # the one it is about: an IMEI in the path would show beside a masked e-mail.
        values = tuple({f.value for f in findings if f.value})
        for finding in findings:
            self._add_finding(
                finding, flow, host, place, destination, country, plaintext, delivered, step, values
            )

    def add_websocket_message(self, message: Any) -> None:
        """Messages the phone sent over a WebSocket count as bytes sent to its host."""
        host = self._websocket_hosts.get(message.flow_id)
        if host is not None and message.from_client:
            self._destinations[host].bytes_sent += message.size or 0

    def add_tls_failure(self, failure: Any) -> None:
        """A TLS handshake that failed: a blind spot, counted against its host too."""
        host = self.blind.add_tls_failure(failure)
        if host in self._destinations:
            self._destinations[host].blind += 1

    def add_connection(self, connection: Any) -> None:
        """A non-HTTP connection: traffic passed through but not decoded (a blind spot)."""
        self.blind.add_connection(connection)

    # --- output ----------------------------------------------------------------------------

    def result(
        self,
        *,
        geoip: dict[str, Any] | None = None,
        notes: Iterable[str] = (),
        methods: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The report dict (``leakmap.report/2`` plus what the HTML page needs)."""
        # Findings whose flow never appeared (deleted flow, WebSocket message without its flow).
        for leftovers in self._by_flow.values():
            self._orphans.extend(leftovers)
        self._by_flow.clear()
        for finding in self._orphans:
            self._add_orphan(finding)
        self._orphans.clear()
        self.findings.sort(key=lambda f: (f["time"] or "", f["flow_id"] or 0))

        destinations = [d.as_dict(self.policy) for d in self._destinations.values()]
        destinations.sort(key=lambda d: (-len(d["properties"]), -d["flows"], d["host"]))
        evidence = evidence_sections(self._groups, self.policy.allowed, self.policy.condition)
        anchors = {(s["property"], s["place"]): s["id"] for s in evidence}
        steps = plan_steps(self.marks)
        summaries = step_summaries(steps, self._steps, self.findings) if steps else []
        for finding in self.findings:
            index = finding.pop("_step")
            finding["step"] = steps[index].label if steps else None
        session = self.session
        report: dict[str, Any] = {
            "schema": SCHEMA,
            "session": {
                "name": session.name,
                "app": session.app,
                "app_version": session.app_version,
                "device": session.device,
                "started_at": iso(session.started_at),
                "ended_at": iso(session.ended_at),
                "flows": self.flows,
                "platform": session.platform,
                "mode": session.mode,
                "recorded_with": session.tool_version,
            },
            "geoip": dict(geoip or {"country_db": None, "asn_db": None, "attribution": None}),
            "findings": self.findings,
            "destinations": destinations,
            "by_country": self._by_country(),
            "tls_failures": self.blind.tls_failures,
            "steps": [{"label": label, "at": iso(at)} for label, at in self.marks],
            # Additions of leakmap.report/2 (and what the HTML page needs).
            "generated_at": iso(time.time()),
            "tool_version": __version__,
            "show_values": self.show_values,
            "policy": self.policy.describe(self.findings),
            "connections": self.blind.connections,
            "notes": list(notes),
            "methods": {
                "kind": "import" if session.mode == "import" else "capture",
                "mode": session.mode,
                "flows_not_delivered": self.flows_not_delivered,
                "flows_without_server_ip": self.flows_without_ip,
                "flows_without_time": self.flows_without_time,
                "flows_without_client_address": self.flows_without_client,
                **(methods or {}),
            },
            "by_step": summaries,
            "consent": before_consent(summaries, len(self.marks)),
            "placeholders": self.placeholders.rows(),
            "evidence": evidence,
            "matrix": linked_matrix(self.findings, "server", anchors, self.policy),
            "owner_matrix": linked_matrix(self.findings, "owner", anchors, self.policy),
            "first_left": first_left_rows(self._first_left.values(), anchors),
            "plaintext": plaintext_rows(evidence),
        }
        report["by_owner_country"] = by_owner_country(self.findings, destinations)
        report["headline"] = headline(report)
        return report

    # --- internals -------------------------------------------------------------------------

    def _add_finding(
        self,
        finding: FindingLike,
        flow: Any,
        host: str,
        place: Place,
        destination: Destination,
        country: PlaceTally,
        plaintext: bool,
        delivered: bool,
        step: int,
        flow_values: tuple[str, ...] = (),
    ) -> None:
        prop = finding.property
        placeholder = bool(getattr(finding, "placeholder", False))
        key = place.key
        row = {
            "flow_id": finding.flow_id,
            "time": iso(flow.timestamp_start),
            "host": host,
            "server_ip": flow.server_ip,
            "country": place.country,
            "asn": place.asn,
            "org": place.org,
            "owner": destination.owner,
            "owner_country": destination.owner_country,
            "property": prop,
            "location": finding.location,
            "path": self.masker.path(finding.path, finding, flow_values),
            "encoding": finding.encoding,
            "method": finding.method,
            "value": self.masker.value(finding.value),
            "confidence": finding.confidence,
            "scheme": flow.scheme,
            "plaintext": plaintext,
            "allowed": self.policy.allowed(key),
            "condition": self.policy.condition(key),
            "local": place.local,
            "lookup_ip": place.lookup_ip,
            "delivered": delivered,
            "placeholder": placeholder,
            "_step": step,
        }
        self.findings.append(row)
        if placeholder:
            destination.placeholders[prop] = destination.placeholders.get(prop, 0) + 1
            row["placeholder_kind"] = self.placeholders.add(
                finding,
                host,
                lambda: self.masker.example(
                    finding,
                    flow,
                    plaintext=plaintext,
                    delivered=delivered,
                    lookup_ip=place.lookup_ip,
                    flow_values=flow_values,
                ),
            )
            return
        if delivered:
            destination.properties[prop] = destination.properties.get(prop, 0) + 1
            country.properties[prop] = country.properties.get(prop, 0) + 1
            country.findings += 1
        else:
            country.not_delivered[prop] = country.not_delivered.get(prop, 0) + 1
        group = self._groups.get((prop, key, host))
        if group is None:
            group = self._groups[(prop, key, host)] = Group()
        if delivered:
            group.count += 1
            group.plaintext += plaintext
        else:
            group.not_delivered += 1
        if len(group.examples) < self.examples:
            group.examples.append(
                self.masker.example(
                    finding,
                    flow,
                    plaintext=plaintext,
                    delivered=delivered,
                    lookup_ip=place.lookup_ip,
                    flow_values=flow_values,
                )
            )
        if not delivered:
            return
        first = self._first_left.get(prop)
        start = flow.timestamp_start
        if first is None or (start is not None and (first["_t"] is None or start < first["_t"])):
            self._first_left[prop] = {
                "property": prop,
                "time": row["time"],
                "host": host,
                "country": place.country,
                "place": key,
                "flow_id": finding.flow_id,
                "_t": start,
            }

    def _add_orphan(self, finding: FindingLike) -> None:
        """A finding without its flow: counted under an unknown host rather than dropped."""

        class _NoFlow:
            id = finding.flow_id
            host = sni = server_ip = scheme = method = url = error = status_code = None
            timestamp_start = None

        host = "(flow not recorded)"
        self._add_finding(
            finding,
            _NoFlow(),
            host,
            self._place(None),
            self._destination(host),
            self._country(UNKNOWN),
            plaintext=False,
            delivered=True,
            step=0,
        )

    def _place(self, ip: str | None) -> Place:
        place = self._places.get(ip or "")
        if place is None:
            place = self._places[ip or ""] = place_of(ip, self.geo)
        return place

    def _destination(self, host: str) -> Destination:
        destination = self._destinations.get(host)
        if destination is None:
            domain = owner = owner_country = None
            if self.owners is not None and not host.startswith("("):
                domain = self.owners.registrable_domain(host)
                found = self.owners.lookup(host)
                if found is not None:
                    owner, owner_country = found.name, found.country
            destination = self._destinations[host] = Destination(
                host=host, domain=domain, owner=owner, owner_country=owner_country
            )
        return destination

    def _country(self, key: str) -> PlaceTally:
        country = self._countries.get(key)
        if country is None:
            country = self._countries[key] = PlaceTally()
        return country

    def _by_country(self) -> dict[str, dict[str, Any]]:
        ordered = sorted(self._countries.items(), key=lambda kv: place_order(kv[0]))
        return {key: tally.as_dict(key, self.policy) for key, tally in ordered}
