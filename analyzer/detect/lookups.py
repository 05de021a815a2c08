"""Reference tables the format checks consult, loaded once on first use.

- Mobile operators by MCC+MNC with their names and SPNs: ``analyzer/data/carriers/carriers.tsv``,
  built from Android's carrier identification database (AOSP TelephonyProvider, Apache-2.0) by
  ``scripts/build_carrier_data.py``.
- Language and region codes, language names, time-zone abbreviations (CLDR via Babel, IANA tz):
  ``analyzer/data/locale/locale.json``, built by ``scripts/build_locale_data.py``.
- IANA time zone names: ``zoneinfo.available_timezones()`` (the tzdata package where the system
  has no zoneinfo).
"""

from __future__ import annotations

import json
import zoneinfo
from functools import cache
from importlib import resources


def _read(path: str) -> str:
    return resources.files("analyzer").joinpath(path).read_text("utf-8")


@cache
def carriers() -> dict[str, tuple[str, ...]]:
    """``{"26202": ("Vodafone", "Vodafone.de", ...)}``: MCC+MNC (5-6 digits) -> names."""
    out: dict[str, tuple[str, ...]] = {}
    for line in _read("data/carriers/carriers.tsv").splitlines():
        if line and not line.startswith("#"):
            key, _, names = line.partition("\t")
            out[key] = tuple(name for name in names.split("|") if name)
    return out


@cache
def mobile_country_codes() -> frozenset[str]:
    """The MCCs (3 digits) that hold at least one operator in :func:`carriers`."""
    return frozenset(key[:3] for key in carriers() if key[:3] != "001")


@cache
def carrier_names() -> frozenset[str]:
    """Every carrier name and SPN of :func:`carriers`, lower-cased."""
    return frozenset(name.lower() for names in carriers().values() for name in names)


@cache
def _locale() -> dict[str, list[str]]:
    return json.loads(_read("data/locale/locale.json"))


@cache
def language_codes() -> frozenset[str]:
    """ISO 639 language codes known to CLDR (``en``, ``de``, ``yue``), lower case."""
    return frozenset(code.lower() for code in _locale()["languages"])


@cache
def language_names() -> frozenset[str]:
    """Language names in English and in themselves (``french``, ``deutsch``), lower case."""
    return frozenset(_locale()["language_names"])


@cache
def region_codes() -> frozenset[str]:
    """ISO 3166 region codes known to CLDR (``DE``, ``BR``), upper case."""
    return frozenset(_locale()["regions"])


@cache
def zone_abbreviations() -> frozenset[str]:
    """Time-zone abbreviations of the tz database and CLDR (``CET``, ``CEST``, ``MESZ``)."""
    return frozenset(_locale()["zone_abbreviations"])


@cache
def zone_names() -> frozenset[str]:
    """IANA zone names, lower-cased (``europe/berlin``); empty where no tz data is installed."""
    try:
        return frozenset(name.lower() for name in zoneinfo.available_timezones())
    except (OSError, ValueError):  # pragma: no cover - no tz data at all
        return frozenset()
