"""The headline in plain words: one sentence per property, the server's country beside the
operator's, counts of both; and the words those sentences are made of."""

from __future__ import annotations

import pytest

from analyzer.geo import GeoResolver
from analyzer.owners import OwnerMap
from analyzer.store import Store
from analyzer.summary.headline import MAX_SENTENCES, property_sentence
from analyzer.summary.words import (
    country_in_prose,
    join_words,
    places_in_prose,
    plural,
    property_in_prose,
)
from analyzer.vocabulary import PROPERTIES
from tests.support.report import (
    CN_IP,
    SG_IP,
    US_IP,
    HandFinding,
    flow,
    flow_ids,
    make_session,
    summarise,
)


def test_server_in_one_country_operator_based_in_another(store: Store, geo: GeoResolver) -> None:
    # umeng.com is Alibaba Group's (owner map: China); its server here stands in Singapore.
    session = make_session(
        store,
        "jurisdiction",
        [
            flow("https://alog.umeng.com/app_logs?imei=490154203237518", server_ip=SG_IP),
            flow("https://graph.facebook.com/activities?imei=490154203237518", server_ip=US_IP),
            flow("https://t.unknown-sdk.test/c?imei=490154203237518", server_ip=CN_IP),
        ],
    )
    findings = [
        HandFinding(flow_id, "imei", value="490154203237518")
        for flow_id in flow_ids(store, session).values()
    ]
    report = summarise(store, session, findings, geo, owners=OwnerMap.load())
    headline = report["headline"]
    (sentence,) = headline["sentences"]
    assert sentence == (
        "The IMEI went to servers in China, Singapore and the United States run by companies "
        "based in China and the United States, and by operators leakmap could not identify."
    )
    assert headline["server_countries"] == 3
    assert headline["operator_countries"] == 2
    assert headline["owner_countries"] == ["CN", "US", "unknown"]
    assert headline["summary"] == (
        "Personal data went to servers in 3 countries, run by companies based in 2 countries "
        "(and by operators leakmap could not identify)."
    )
    assert report["by_owner_country"]["CN"]["owners"] == ["Alibaba Group"]
    assert report["by_owner_country"]["CN"]["properties"] == ["imei"]
    owner_view = report["owner_matrix"]
    assert owner_view["by"] == "owner"
    assert owner_view["cells"]["imei"]["CN"]["count"] == 1
    assert owner_view["cells"]["imei"]["CN"]["owners"] == ["Alibaba Group"]


@pytest.mark.parametrize(
    ("servers", "operators", "expected"),
    [
        ({"SG"}, {"CN": {"Example Cloud"}},
         "The IMEI went to servers in Singapore run by Example Cloud, a company based in China."),
        ({"CN"}, {"CN": {"A Corp", "B Corp"}},
         "The IMEI went to servers in China run by companies based in China (A Corp and B Corp)."),
        ({"DE", "US"}, {"unknown": {""}},
         "The IMEI went to servers in Germany and the United States; leakmap could not identify "
         "who runs them."),
        ({"local"}, {"unknown": {""}},
         "The IMEI went to servers on the local network; leakmap could not identify who runs "
         "them."),
        ({"unknown", "NL"}, {"NL": {"Example BV"}},
         "The IMEI went to servers in the Netherlands and in a country GeoIP does not know run "
         "by Example BV, a company based in the Netherlands."),
    ],
)  # fmt: skip
def test_property_sentence(
    servers: set[str], operators: dict[str, set[str]], expected: str
) -> None:
    assert property_sentence("imei", servers, operators) == expected


def test_many_properties_are_summed_up_after_the_first_sentences(
    store: Store, geo: GeoResolver
) -> None:
    records = [flow(f"https://h{n}.example-cn.com/p", server_ip=CN_IP, at=n) for n in range(14)]
    session = make_session(store, "many", records)
    props = list(PROPERTIES[:14])
    findings = [
        HandFinding(flow_id, props[n], value=f"value-{n}")
        for n, flow_id in enumerate(flow_ids(store, session).values())
    ]
    sentences = summarise(store, session, findings, geo)["headline"]["sentences"]
    assert len(sentences) == MAX_SENTENCES + 1
    assert sentences[-1].startswith("4 more properties left as well (")
    assert sentences[-1].endswith("): see the matrix.")


def test_nothing_found_says_so(store: Store, geo: GeoResolver) -> None:
    session = make_session(store, "quiet", [flow("https://cdn.example.org/a.js", server_ip=US_IP)])
    headline = summarise(store, session, [], geo)["headline"]
    assert headline["summary"] == "No personal data was found in the inspected traffic."
    assert headline["sentences"] == []
    assert headline["server_countries"] == headline["operator_countries"] == 0


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        ("advertisingId", "advertising ID"),
        ("imei", "IMEI"),
        ("wifiSsid", "Wi-Fi network name"),
        ("email", "e-mail address"),
        ("osVersion", "OS version"),
        ("macAddress", "MAC address"),
        ("notInTheVocabulary", "notInTheVocabulary"),
    ],
)
def test_property_in_prose(prop: str, expected: str) -> None:
    assert property_in_prose(prop) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("CN", "China"),
        ("US", "the United States"),
        ("GB", "the United Kingdom"),
        ("NL", "the Netherlands"),
        ("PH", "the Philippines"),
        ("KY", "the Cayman Islands"),
        ("CD", "the Democratic Republic of the Congo"),
        ("RU", "Russia"),
        ("SG", "Singapore"),
        ("ZZ", "ZZ"),
    ],
)
def test_country_in_prose(code: str, expected: str) -> None:
    assert country_in_prose(code) == expected


def test_places_plural_and_lists() -> None:
    assert places_in_prose(["CN", "SG", "US", "DE", "FR", "local"]) == (
        "in China, Singapore, the United States, Germany and 1 other country and on the local "
        "network"
    )
    assert plural(1, "TLS failure") == "1 TLS failure"
    assert plural(2, "TLS failure") == "2 TLS failures"
    assert plural(1200, "property", "properties") == "1,200 properties"
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b", "c"]) == "a, b and c"
