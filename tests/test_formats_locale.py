"""Value formats of language, time zone, network type and carrier (formats_locale.py), and the
reference tables they consult (lookups.py)."""

from __future__ import annotations

import pytest

from analyzer.detect import lookups
from analyzer.detect.formats_locale import (
    carrier,
    language,
    mcc,
    network,
    network_code,
    network_word,
    telling_network_word,
    timezone,
)
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
        ("HSPA+", True),  # NetworkInfo.getSubtypeName
        ("CDMA - EvDo rev. A", True),
        ("CTRadioAccessTechnologyCDMAEVDORev0", True),
        ("CTRadioAccessTechnologyeHRPD", True),
        ("TRANSPORT_CELLULAR", True),  # NetworkCapabilities
        ("wiredEthernet", True),  # NWInterface.InterfaceType
        ("LTE_CA", True),
        ("fast", False),
        ("13", False),
        ("typewriter", False),
        ("wifi" * 13, False),  # longer than any network word
    ],
)
def test_network_words(value: str, ok: bool) -> None:
    assert bool(network("networkConnectionType", value)) is ok


@pytest.mark.parametrize(
    ("value", "word", "telling"),
    [
        ("Wi-Fi", "wifi", True),
        ("LTE", "lte", True),
        ("5G_NSA", "5gnsa", True),
        ("ReachableViaWWAN", "reachableviawwan", True),
        ("NETWORK_TYPE_EDGE", "edge", True),  # a platform constant says what it is
        ("TYPE_MOBILE", "mobile", True),
        ("Edge", "edge", False),  # also a browser
        ("mobile", "mobile", False),  # also a form factor
        ("none", "none", False),
        ("GSM", "gsm", False),  # also a phone type (TelephonyManager.PHONE_TYPE_GSM)
        ("Vodafone", None, False),
    ],
)
def test_telling_network_words(value: str, word: str | None, telling: bool) -> None:
    assert network_word(value) == word
    assert telling_network_word(value) is telling


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("-1", True),  # ConnectivityManager.TYPE_NONE
        ("0", True),  # TYPE_MOBILE, NETWORK_TYPE_UNKNOWN
        ("13", True),  # NETWORK_TYPE_LTE
        ("17", True),  # TYPE_VPN
        ("20", True),  # NETWORK_TYPE_NR, the highest documented
        ("21", False),
        ("31", False),
        ("-2", False),
        ("LTE", True),
    ],
)
def test_network_enums_are_the_documented_ones(value: str, ok: bool) -> None:
    assert bool(network_code("x", value)) is ok


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
