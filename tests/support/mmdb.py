"""Build small MaxMind-format files in tests, in the shapes of MaxMind's own databases.

    write_country_db(path, {"127.0.0.2/32": "CN", "2001:db8::/32": "DE"})
    write_city_db(path, {"127.0.0.3/32": ("SG", "Singapore", 1.29, 103.85)})
    write_asn_db(path, {"127.0.0.2/32": (4134, "CHINANET-BACKBONE")})

Files are IPv6 databases with IPv4 space at ::/96 (as GeoLite2 files are), so IPv4 and IPv6
networks may be mixed in one mapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPNetwork, IPSet


def write_db(path: Path, database_type: str, records: dict[str, dict[str, Any]]) -> Path:
    """Any record shape: ``{network: record}``; returns ``path``."""
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type=database_type,
        languages=["en"],
        description=f"leakmap test {database_type}",
    )
    for network, record in records.items():
        writer.insert_network(IPSet([IPNetwork(network)]), record)
    writer.to_db_file(str(path))
    return path


def country_record(country: str) -> dict[str, Any]:
    return {
        "country": {"iso_code": country, "names": {"en": country}},
        "registered_country": {"iso_code": country},
    }


def write_country_db(
    path: Path, countries: dict[str, str], database_type: str = "GeoLite2-Country"
) -> Path:
    """GeoLite2-Country shape: ``{network: ISO code}``."""
    return write_db(path, database_type, {net: country_record(cc) for net, cc in countries.items()})


def write_city_db(
    path: Path,
    cities: dict[str, tuple[str, str, float, float]],
    database_type: str = "GeoLite2-City",
) -> Path:
    """GeoLite2-City shape: ``{network: (ISO code, city, latitude, longitude)}``."""
    records = {
        net: {
            **country_record(cc),
            "city": {"names": {"en": city, "de": city}},
            "location": {"latitude": lat, "longitude": lon, "accuracy_radius": 50},
        }
        for net, (cc, city, lat, lon) in cities.items()
    }
    return write_db(path, database_type, records)


def write_asn_db(
    path: Path, asns: dict[str, tuple[int, str]], database_type: str = "GeoLite2-ASN"
) -> Path:
    """GeoLite2-ASN shape: ``{network: (ASN, organisation)}``."""
    records = {
        net: {"autonomous_system_number": asn, "autonomous_system_organization": org}
        for net, (asn, org) in asns.items()
    }
    return write_db(path, database_type, records)
