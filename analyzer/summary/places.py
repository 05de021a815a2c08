"""Where flows went: a server address's place, and tallies per destination host and per place.

A *place* is a server's country (ISO 3166-1 alpha-2), ``local`` (a loopback or private address
that no GeoIP database places, as ``leakmap geoip lookup`` says) or ``unknown``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from analyzer.summary.common import LOCAL, UNKNOWN, iso
from analyzer.summary.policyview import PolicyView

MAX_SERVER_IPS = 32  # per destination; more are counted, not listed


@dataclass(slots=True)
class Place:
    """Where a server address is: looked up once per address. ``lookup_ip`` is the address that
    was looked up when it differs from the one connected to (NAT64, IPv4-mapped, 6to4)."""

    country: str | None
    asn: int | None
    org: str | None
    local: bool
    lookup_ip: str | None = None

    @property
    def key(self) -> str:
        """The place key: the ISO country code, ``local`` or ``unknown``."""
        return self.country or (LOCAL if self.local else UNKNOWN)


def place_of(ip: str | None, geo: Any) -> Place:
    """The place of a server address by ``geo.lookup`` (nothing known without an address)."""
    if not ip:
        return Place(None, None, None, False)
    info = geo.lookup(ip)
    return Place(info.country, info.asn, info.org, bool(info.local), lookup_ip(ip, info))


def lookup_ip(ip: str, info: Any) -> str | None:
    """The address GeoIP actually looked up, when it is not the one connected to (a NAT64 or
    6to4 address looked up by its embedded IPv4, an IPv4-mapped address as IPv4); else None.

    Reads the resolver's ``lookup_ip`` where it gives one, else its canonical ``ip``.
    """
    looked = getattr(info, "lookup_ip", None) or getattr(info, "ip", None)
    if not isinstance(looked, str) or not looked:
        return None
    try:
        connected = ipaddress.ip_address(ip.strip().strip("[]").split("%", 1)[0])
        looked_up = ipaddress.ip_address(looked)
    except ValueError:
        return None
    return None if looked_up == connected else str(looked_up)


@dataclass(slots=True)
class Destination:
    """What one host received, aggregated over its flows and counted findings."""

    host: str
    domain: str | None
    owner: str | None
    owner_country: str | None
    server_ips: dict[str, None] = field(default_factory=dict)  # ordered set
    more_ips: int = 0
    lookup_ips: dict[str, str] = field(default_factory=dict)
    countries: dict[str, None] = field(default_factory=dict)
    local: bool = False
    asn: int | None = None
    org: str | None = None
    flows: int = 0
    not_delivered_flows: int = 0
    plaintext_flows: int = 0
    bytes_sent: int = 0
    properties: dict[str, int] = field(default_factory=dict)
    placeholders: dict[str, int] = field(default_factory=dict)
    first_seen: float | None = None
    last_seen: float | None = None
    blind: int = 0  # TLS failures towards this host

    def add_flow(self, flow: Any, place: Place, *, plaintext: bool, delivered: bool) -> None:
        """Count one flow to this host (``flow`` has the store's columns as attributes)."""
        self.flows += 1
        self.not_delivered_flows += not delivered
        self.plaintext_flows += plaintext
        if flow.server_ip:
            if flow.server_ip in self.server_ips:
                pass
            elif len(self.server_ips) < MAX_SERVER_IPS:
                self.server_ips[flow.server_ip] = None
                if place.lookup_ip:
                    self.lookup_ips[flow.server_ip] = place.lookup_ip
            else:
                self.more_ips += 1
        if place.country:
            self.countries[place.country] = None
        self.local = self.local or place.local
        if self.asn is None and place.asn is not None:
            self.asn, self.org = place.asn, place.org
        when = flow.timestamp_start
        if when is not None:
            if self.first_seen is None or when < self.first_seen:
                self.first_seen = when
            if self.last_seen is None or when > self.last_seen:
                self.last_seen = when

    def as_dict(self, policy: PolicyView) -> dict[str, Any]:
        """The report's ``destinations`` entry (the /1 keys first, then those /2 added)."""
        keys = list(self.countries) or [LOCAL if self.local else UNKNOWN]
        return {
            "host": self.host,
            "domain": self.domain,
            "server_ips": list(self.server_ips),
            "countries": list(self.countries),
            "asn": self.asn,
            "org": self.org,
            "owner": self.owner,
            "owner_country": self.owner_country,
            "flows": self.flows,
            "bytes_sent": self.bytes_sent,
            "plaintext": self.plaintext_flows > 0,
            "properties": sorted(self.properties),
            "plaintext_flows": self.plaintext_flows,
            "more_server_ips": self.more_ips,
            "lookup_ips": dict(self.lookup_ips),
            "local": self.local and not self.countries,
            "findings": sum(self.properties.values()),
            "not_delivered_flows": self.not_delivered_flows,
            "placeholders": sorted(self.placeholders),
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "tls_failures": self.blind,
            "allowed": (
                None
                if not policy or not (self.countries or self.local)
                else all(policy.allowed(k) for k in keys)
            ),
            "conditions": sorted({c for k in keys if (c := policy.condition(k))}),
        }


@dataclass(slots=True)
class PlaceTally:
    """What the servers of one place received (a ``by_country`` entry)."""

    flows: int = 0
    not_delivered_flows: int = 0
    hosts: dict[str, None] = field(default_factory=dict)
    properties: dict[str, int] = field(default_factory=dict)
    not_delivered: dict[str, int] = field(default_factory=dict)
    findings: int = 0

    def as_dict(self, key: str, policy: PolicyView) -> dict[str, Any]:
        """The report's ``by_country`` entry of place ``key``."""
        return {
            "properties": sorted(self.properties),
            "hosts": sorted(self.hosts),
            "flows": self.flows,
            "findings": self.findings,
            "property_counts": dict(sorted(self.properties.items())),
            "allowed": policy.allowed(key),
            "condition": policy.condition(key),
            "not_delivered": {
                "properties": sorted(self.not_delivered),
                "findings": sum(self.not_delivered.values()),
                "flows": self.not_delivered_flows,
            },
        }
