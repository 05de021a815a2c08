"""Value formats of language, time zone, network type and carrier (formats_locale.py), and the
reference tables they consult (lookups.py)."""

from __future__ import annotations

import pytest

from analyzer.detect import lookups
from analyzer.detect.formats_locale import carrier, language, mcc, network, network_code, timezone
from analyzer.detect.placeholders import placeholder


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("de", True),
        ("pt-BR", True),
        ("zh_Hans_CN", True),
        ("en-US,en;q=0.9", True),
        ("French", True),
        ("Deutsch", True),
        ("xx-YY", False),
        ("en-XY", False),
        ("auto", False),
        ("12", False),
    ],
)
def test_language(value: str, ok: bool) -> None:
    assert bool(language("language", value)) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("Europe/Berlin", True),
        ("CET", True),
        ("MESZ", True),
        ("GMT+01:00", True),
        ("GMT 02:00", True),
        ("-0430", True),
        ("5.75", True),  # Nepal, hours
        ("-480", True),  # minutes (Date.getTimezoneOffset)
        ("19800", True),  # seconds
        ("-18000000", True),  # milliseconds
        ("1718035200", False),  # a timestamp
        ("5.3", False),
        ("1000", False),
        ("NOPE", False),
    ],
)
def test_timezone(value: str, ok: bool) -> None:
    assert bool(timezone("timezone", value)) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("WIFI", True),
        ("Wi-Fi", True),
        ("wwan", True),
        ("NETWORK_TYPE_LTE", True),
        ("CTRadioAccessTechnologyNRNSA", True),
        ("slow-2g", True),
        ("fast", False),
        ("13", False),
    ],
)
def test_network_words(value: str, ok: bool) -> None:
    assert bool(network("networkConnectionType", value)) is ok


def test_network_enums_only_under_type_names() -> None:
    assert network_code("x", "13") == [("networkConnectionType", "13")]
    assert network_code("x", "-1") and not network_code("x", "31")


def test_carrier_and_mcc_use_the_carrier_table() -> None:
    assert lookups.carriers()["26202"][0] == "Vodafone"
    assert "262" in lookups.mobile_country_codes()
    assert carrier("carrier", "26202") and carrier("carrier", "310-260")
    assert not carrier("carrier", "12345") and not carrier("carrier", "999-01")
    assert carrier("carrier", "Telia") and not carrier("carrier", "true")
    assert mcc("carrier", "262") and mcc("carrier", "02") and not mcc("carrier", "999")


def test_reference_tables_are_loaded() -> None:
    assert {"de", "en", "yue"} <= lookups.language_codes()
    assert {"DE", "BR"} <= lookups.region_codes()
    assert {"CEST", "MESZ", "PDT"} <= lookups.zone_abbreviations()
    assert "europe/berlin" in lookups.zone_names()


@pytest.mark.parametrize(
    ("prop", "value", "empty"),
    [
        ("advertisingId", "00000000-0000-0000-0000-000000000000", True),
        ("macAddress", "02:00:00:00:00:00", True),
        ("carrier", "65535", True),
        ("carrier", "--", True),
        ("latitude", "0.0", True),
        ("networkConnectionType", "none", False),  # no network is a real state
        ("networkConnectionType", "NETWORK_TYPE_UNKNOWN", True),
        ("model", "Pixel 8", False),
        ("deviceId", "0", True),
    ],
)
def test_placeholders(prop: str, value: str, empty: bool) -> None:
    assert (placeholder(prop, value) is not None) is empty
