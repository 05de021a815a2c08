"""Where the data goes: server IP -> country, city, coordinates, ASN and AS organisation.

from analyzer.geo import GeoResolver, GeoInfo
geo = GeoResolver(geoip_db=None, asn_db=None)   # LeakmapError on a bad file
info = geo.lookup("8.8.8.8")                    # GeoInfo(country="US", asn=15169, ...)
geo.lookup("64:ff9b::808:808").lookup_ip        # "8.8.8.8": NAT64, looked up by its IPv4
geo.describe()  # {"country_db": ..., "asn_db": ..., "attribution": ...}
"""

from __future__ import annotations

from analyzer.geo.database import DatabaseInfo, GeoDatabase, Role
from analyzer.geo.info import GeoInfo
from analyzer.geo.resolver import GeoResolver
from analyzer.geo.special import is_local, parse_address
from analyzer.geo.translated import TRANSLATIONS, embedded_ipv4

__all__ = [
    "TRANSLATIONS",
    "DatabaseInfo",
    "GeoDatabase",
    "GeoInfo",
    "GeoResolver",
    "Role",
    "embedded_ipv4",
    "is_local",
    "parse_address",
]
