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
    and then that record wins). ``ip`` is the address as the phone connected to it, in canonical
    form, or the input unchanged (at most 64 characters) when it is not an IP address.

    ``lookup_ip`` is set when the record is another address's: the IPv4 address embedded in a
    translated or tunnelled IPv6 ``ip`` (NAT64 ``64:ff9b::a.b.c.d``, IPv4-mapped or -compatible,
    6to4, Teredo), which is what was looked up and what ``local`` was judged on; ``translation``
    then names the kind (a key of ``analyzer.geo.translated.TRANSLATIONS``, e.g. "nat64").
    Both are None when ``ip`` itself was looked up.
    """

    ip: str
    country: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    asn: int | None = None
    org: str | None = None
    local: bool = False
    lookup_ip: str | None = None
    translation: str | None = None
