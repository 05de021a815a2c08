"""Server IP -> country, city, coordinates, ASN and AS organisation, with a cache.

Every address is looked up in the databases first (a file given by the user, then the embedded
default); only an address that no database has a record for, and that is not globally
routable (loopback, private, link-local, reserved, multicast), is classed as local. A translated
IPv6 address (NAT64, IPv4-mapped, 6to4, ...) is looked up, and classed, by the IPv4 address it
carries (see ``analyzer.geo.translated``).

The embedded default is not asked about such non-global addresses: its source data has records
for some of them (192.168.0.0/16 and 172.16.0.0/12 as "AU"), which would put a phone's LAN
traffic in Australia. A file the user gives is asked about every address, so a lab or test
database can map 127.0.0.2 to a country on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from analyzer.geo.database import GeoDatabase, Role
from analyzer.geo.embedded import embedded_data
from analyzer.geo.info import GeoInfo
from analyzer.geo.records import asn_fields, country_fields
from analyzer.geo.special import MAX_ADDRESS_CHARS, IPAddress, is_local, parse_address
from analyzer.geo.translated import embedded_ipv4

T = TypeVar("T", bound=tuple[Any, ...])

# Sessions repeat a few hundred addresses; a benchmark or a huge lab database may pass a
# million. Past this many entries the cache starts afresh rather than grow without bound.
CACHE_LIMIT = 1 << 20
MAXMIND_GEOLITE_ATTRIBUTION = (
    "This product includes GeoLite2 data created by MaxMind, available from "
    "https://www.maxmind.com."
)


class GeoResolver:
    """Look up server addresses.

    ``GeoResolver(geoip_db=None, asn_db=None)``: ``geoip_db`` is a MaxMind-format Country or
    City file (GeoLite2/GeoIP2, DB-IP, ip-location-db), ``asn_db`` an ASN (or ISP) file. Where a
    file is given it is asked first; the embedded default answers for addresses it has no record
    for (pass ``embedded=False`` to use the given files alone). Raises ``LeakmapError`` with a
    one-line message for a missing, corrupt or wrong-type file.

    ``lookup(ip) -> GeoInfo`` accepts IPv4 and IPv6 text (``[::1]`` and zone ids are understood)
    and never raises for odd input: a value that is not an IP address gives a GeoInfo with
    nothing known. An IPv6 address that carries an IPv4 address (NAT64 ``64:ff9b::/96`` and
    ``64:ff9b:1::/48``, IPv4-mapped and -compatible, 6to4, Teredo) is looked up by that IPv4
    address, given back as ``GeoInfo.lookup_ip``. Results are cached per input string.
    """

    def __init__(
        self,
        geoip_db: Path | None = None,
        asn_db: Path | None = None,
        *,
        embedded: bool = True,
    ) -> None:
        self._country_dbs: list[GeoDatabase] = []
        self._asn_dbs: list[GeoDatabase] = []
        try:
            if geoip_db is not None:
                self._country_dbs.append(GeoDatabase(Path(geoip_db), Role.COUNTRY))
            if asn_db is not None:
                self._asn_dbs.append(GeoDatabase(Path(asn_db), Role.ASN))
            self._attribution = ""
            if embedded:
                data = embedded_data()
                for files, role, entry in (
                    (self._country_dbs, Role.COUNTRY, data.country),
                    (self._asn_dbs, Role.ASN, data.asn),
                ):
                    files.append(
                        GeoDatabase(
                            entry.path,
                            role,
                            embedded=True,
                            source=entry.source,
                            networks=entry.networks,
                        )
                    )
                self._attribution = data.attribution
        except BaseException:
            self.close()
            raise
        self._cache: dict[str, GeoInfo] = {}
        # Interned names: a million cached results share a few thousand organisation strings.
        self._strings: dict[str, str] = {}

    @property
    def databases(self) -> list[GeoDatabase]:
        """The open files, country role first, in the order they are asked."""
        return [*self._country_dbs, *self._asn_dbs]

    def lookup(self, ip: str) -> GeoInfo:
        """Country, city, coordinates, ASN and organisation of one address (cached)."""
        cached = self._cache.get(ip)
        if cached is not None:
            return cached
        info = self._resolve(ip)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[ip] = info
        return info

    def describe(self) -> dict[str, str]:
        """What the report prints about its data: ``{"country_db", "asn_db", "attribution"}``."""
        notes = [self._attribution] if self._attribution else []
        if any(db.info.database_type.startswith("GeoLite2") for db in self.databases):
            notes.insert(0, MAXMIND_GEOLITE_ATTRIBUTION)
        return {
            "country_db": _chain(self._country_dbs),
            "asn_db": _chain(self._asn_dbs),
            "attribution": " ".join(notes),
        }

    def close(self) -> None:
        for database in self.databases:
            database.close()

    def __enter__(self) -> GeoResolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _resolve(self, ip: str) -> GeoInfo:
        connected = parse_address(ip)
        if connected is None:
            return GeoInfo(ip=str(ip)[:MAX_ADDRESS_CHARS])
        translated = embedded_ipv4(connected)
        address, translation = translated if translated is not None else (connected, None)
        local = is_local(address)
        # Embedded data is not asked about non-global addresses (see the module docstring).
        skip_embedded = local
        country_record = self._first(self._country_dbs, address, skip_embedded, country_fields)
        asn_record = self._first(self._asn_dbs, address, skip_embedded, asn_fields)
        found = country_record is not None or asn_record is not None
        country, city, latitude, longitude = country_record or (None, None, None, None)
        asn, org = asn_record or (None, None)
        return GeoInfo(
            ip=str(connected),
            country=self._intern(country),
            city=self._intern(city),
            latitude=latitude,
            longitude=longitude,
            asn=asn,
            org=self._intern(org),
            local=local and not found,
            lookup_ip=str(address) if translation else None,
            translation=translation,
        )

    @staticmethod
    def _first(
        databases: list[GeoDatabase],
        address: IPAddress,
        skip_embedded: bool,
        parse: Callable[[Any], T],
    ) -> T | None:
        """Fields of the first record whose key field (country, ASN) is known; failing that,
        of the first record at all (a City record without a country still has a city)."""
        fallback: T | None = None
        for database in databases:
            if skip_embedded and database.info.embedded:
                continue
            record = database.get(address)
            if record is None:
                continue
            fields = parse(record)
            if fields[0] is not None:
                return fields
            if fallback is None:
                fallback = fields
        return fallback

    def _intern(self, text: str | None) -> str | None:
        if text is None:
            return None
        return self._strings.setdefault(text, text)


def _chain(databases: list[GeoDatabase]) -> str:
    if not databases:
        return "none"
    first, *rest = databases
    text = first.info.summary()
    if rest:
        text += "; where it has no record: " + "; ".join(db.info.summary() for db in rest)
    return text
