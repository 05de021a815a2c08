"""What the resolver knows about one server address."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GeoInfo:
    """Location and network of one IP address.

    ``country`` is ISO 3166-1 alpha-2 (upper case) or None; ``city``, ``latitude`` and
    ``longitude`` are set only where a City database has them; ``asn`` and ``org`` come from the
    ASN database. ``local`` is True only for loopback, private, link-local and reserved
    addresses that no database has a record for (a test database may map 127.0.0.2 to a country,
    and then that record wins). ``ip`` is the address in canonical form (IPv4-mapped IPv6
    addresses are given as IPv4), or the input unchanged when it is not an IP address.
    """

    ip: str
    country: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    asn: int | None = None
    org: str | None = None
    local: bool = False
