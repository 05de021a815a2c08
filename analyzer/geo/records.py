"""Turn one database record into plain, validated values, whatever the database's shape.

MaxMind's GeoIP2/GeoLite2 files nest (``{"country": {"iso_code": "DE"}, "location": {...}}``);
ip-location-db and DB-IP lite files use other keys (``country_code``, ``asn``, ``as_name``). A
database file is input from outside, so every value is checked for type and bounded in size.
"""

from __future__ import annotations

import math
from typing import Any

MAX_NAME_CHARS = 200
MAX_ASN = 2**32 - 1


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _country_code(value: Any) -> str | None:
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return None


def _name(value: Any) -> str | None:
    """A printable name, from a plain string or a MaxMind ``names`` map (English first)."""
    if isinstance(value, dict):
        names = _mapping(value.get("names"))
        value = names.get("en") or next((v for v in names.values() if isinstance(v, str)), None)
    if isinstance(value, str):
        if not value.isprintable():  # rare: drop control characters (terminal escapes)
            value = "".join(ch for ch in value if ch.isprintable())
        return value.strip()[:MAX_NAME_CHARS] or None
    return None


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and -limit <= number <= limit:
            return number
    return None


def country_fields(record: Any) -> tuple[str | None, str | None, float | None, float | None]:
    """(country, city, latitude, longitude) from a Country or City record."""
    record = _mapping(record)
    country_value = record.get("country")
    country = (
        _country_code(_mapping(country_value).get("iso_code"))
        or _country_code(country_value)
        or _country_code(record.get("country_code"))
        # Where the database knows no physical country (anycast, satellite), the registration
        # country is still an answer to "which jurisdiction".
        or _country_code(_mapping(record.get("registered_country")).get("iso_code"))
    )
    city = _name(record.get("city"))
    location = _mapping(record.get("location"))
    latitude = _coordinate(location.get("latitude", record.get("latitude")), 90.0)
    longitude = _coordinate(location.get("longitude", record.get("longitude")), 180.0)
    if latitude is None or longitude is None:
        latitude = longitude = None
    return country, city, latitude, longitude


def _asn(value: Any) -> int | None:
    if isinstance(value, str):
        text = value.strip().upper().removeprefix("AS")
        value = int(text) if text.isdigit() and len(text) <= 10 else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ASN:
        return value
    return None


def asn_fields(record: Any) -> tuple[int | None, str | None]:
    """(asn, organisation) from a GeoLite2-ASN, GeoIP2-ISP or ip-location-db style record."""
    record = _mapping(record)
    asn = _asn(record.get("autonomous_system_number", record.get("asn")))
    org = _name(
        record.get("autonomous_system_organization")
        or record.get("as_name")
        or record.get("organization")
        or record.get("isp")
    )
    return asn, org
