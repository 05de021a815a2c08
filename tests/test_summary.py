"""The summariser: findings joined with flows, GeoIP, owners and a policy into the report dict."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.geo import GeoResolver
from analyzer.owners import OwnerMap
from analyzer.policy import Policy
from analyzer.store import Store
from analyzer.summary import EXAMPLES_PER_GROUP, Summariser
from tests.support.report import (
    CN_IP,
    DE_IP,
    SG_IP,
    US_IP,
    HandFinding,
    example_session,
    flow,
    flow_ids,
    geo_files,
    make_session,
    summarise,
)

AAID = "6a1c1487-a0af-4223-b142-a0f4621d0311"


@pytest.fixture
def geo(tmp_path: Path) -> GeoResolver:
    return GeoResolver(*geo_files(tmp_path))


def test_countries_destinations_and_findings(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    report = summarise(store, session, findings, geo, owners=OwnerMap.load())

    assert report["schema"] == "leakmap.report/1"
    assert report["session"]["flows"] == 5
    assert report["session"]["app"] == "Example App"
    assert report["by_country"]["CN"]["properties"] == ["advertisingId", "imei", "latitude"]
    assert report["by_country"]["US"]["properties"] == ["advertisingId"]
    assert report["by_country"]["DE"] == {
        "properties": [],
        "hosts": ["cdn.example.org"],
        "flows": 1,
        "findings": 0,
        "property_counts": {},
        "allowed": None,
    }
    log = next(d for d in report["destinations"] if d["host"] == "log.example-cn.com")
    assert log["domain"] == "example-cn.com"
    assert log["server_ips"] == [CN_IP]
    assert log["countries"] == ["CN"]
    assert (log["asn"], log["org"]) == (4134, "CHINANET-BACKBONE")
    assert log["flows"] == 2
    assert log["plaintext"] is False
    # The POST carries a 26-byte body on top of its request line.
    assert log["bytes_sent"] > 26 + len("https://log.example-cn.com/v2/report")
    assert log["properties"] == ["advertisingId", "imei", "latitude"]
    # Destinations receiving the most properties come first.
    assert report["destinations"][0]["host"] == "log.example-cn.com"

    imei = next(f for f in report["findings"] if f["property"] == "imei")
    assert imei["host"] == "log.example-cn.com"
    assert imei["server_ip"] == CN_IP
    assert imei["country"] == "CN"
    assert imei["time"] == "2025-12-29T09:20:02.000Z"
    assert imei["encoding"] == "json"
    assert imei["location"] == "body"
    assert [f["time"] for f in report["findings"]] == sorted(f["time"] for f in report["findings"])


def test_owner_from_the_owner_map(store: Store, geo: GeoResolver) -> None:
    session = make_session(
        store, "owners", [flow("https://graph.facebook.com/v1/activities", server_ip=US_IP)]
    )
    report = summarise(store, session, [], geo, owners=OwnerMap.load())
    (destination,) = report["destinations"]
    owner = OwnerMap.load().lookup("graph.facebook.com")
    assert owner is not None
    assert destination["owner"] == owner.name
    assert destination["owner_country"] == owner.country
    assert destination["domain"] == "facebook.com"


def test_values_masked_unless_asked(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    masked = summarise(store, session, findings, geo)
    shown = summarise(store, session, findings, geo, show_values=True)

    def texts(report: dict) -> str:
        return repr(report["findings"]) + repr(report["evidence"]) + repr(report["plaintext"])

    assert AAID not in texts(masked)
    assert "356938035643809" not in texts(masked)
    assert AAID in texts(shown)
    assert "356938035643809" in texts(shown)
    example = masked["evidence"][0]["hosts"][0]["examples"][0]
    # Every query value of the request line is masked, not only the finding's.
    assert "52.235" not in example["request_line"]
    assert example["request_line"].startswith("GET https://log.example-cn.com/collect?aaid=")


def test_policy_marks_findings_outside(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    policy = Policy(name="eu-us", countries=frozenset({"DE", "US"}))
    report = summarise(store, session, findings, geo, policy=policy)

    outside = {(f["property"], f["country"]) for f in report["findings"] if not f["allowed"]}
    assert outside == {
        ("advertisingId", "CN"), ("latitude", "CN"), ("imei", "CN"), ("model", "SG")
    }
    assert report["policy"]["name"] == "eu-us"
    assert report["policy"]["findings_outside"] == 4
    assert report["policy"]["countries_outside"] == ["CN", "SG"]
    assert report["headline"]["outside_policy"] == 4
    assert report["by_country"]["CN"]["allowed"] is False
    assert report["by_country"]["US"]["allowed"] is True
    assert report["matrix"]["cells"]["imei"]["CN"]["allowed"] is False
    without = summarise(store, session, findings, geo)
    assert without["policy"] is None
    assert {f["allowed"] for f in without["findings"]} == {None}


def test_headline_plaintext_and_blind_spots(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    report = summarise(store, session, findings, geo)
    headline = report["headline"]
    assert headline["countries"] == ["CN", "SG", "US"]  # most properties first
    assert headline["country_properties"] == {"CN": 3, "SG": 1, "US": 1}
    assert headline["properties"] == 4
    assert headline["destinations"] == 3
    assert headline["destinations_total"] == 4
    assert headline["plaintext_leaks"] == 1
    assert headline["blind_spots"] == 1

    (plain,) = report["plaintext"]
    assert (plain["property"], plain["host"], plain["country"]) == (
        "advertisingId", "ads.tracker.test", "US"
    )
    (failure,) = report["tls_failures"]
    assert failure["host"] == "pinned.example-cn.com"
    assert failure["server_ip"] == CN_IP
    assert failure["count"] == 2
    assert failure["country"] == "CN"
    assert failure["reason"]


def test_matrix_cells_link_to_evidence(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    report = summarise(store, session, findings, geo)
    matrix = report["matrix"]
    assert matrix["countries"][0] == "CN"
    assert matrix["properties"][0] == "advertisingId"  # received by two countries
    anchors = {section["id"]: section for section in report["evidence"]}
    for prop, row in matrix["cells"].items():
        for country, cell in row.items():
            section = anchors[cell["anchor"]]
            assert (section["property"], section["country"] or "unknown") == (prop, country)
            assert section["count"] == cell["count"]


def test_first_left_per_property(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    report = summarise(store, session, findings, geo)
    first = {entry["property"]: entry for entry in report["first_left"]}
    # advertisingId left for CN at +1 s, before the plaintext request to the US at +3 s.
    assert first["advertisingId"]["country"] == "CN"
    assert first["advertisingId"]["time"] == "2025-12-29T09:20:01.000Z"
    assert [e["property"] for e in report["first_left"]] == [
        "advertisingId", "latitude", "imei", "model"
    ]


def test_evidence_is_bounded_but_counts_are_complete(store: Store, geo: GeoResolver) -> None:
    records = [
        flow(f"https://t.example-cn.com/e?n={n}&id={AAID}", server_ip=CN_IP, at=n)
        for n in range(40)
    ]
    session = make_session(store, "many", records)
    findings = [
        HandFinding(flow_id, "advertisingId", "query", "id", value=AAID)
        for flow_id in flow_ids(store, session).values()
    ]
    report = summarise(store, session, findings, geo)
    (section,) = report["evidence"]
    (host,) = section["hosts"]
    assert host["count"] == 40
    assert len(host["examples"]) == EXAMPLES_PER_GROUP
    assert len(report["findings"]) == 40
    assert report["by_country"]["CN"]["findings"] == 40


def test_findings_without_a_flow_are_kept(store: Store, geo: GeoResolver) -> None:
    session = make_session(store, "orphans", [flow("https://a.example.org/", server_ip=DE_IP)])
    report = summarise(
        store, session, [HandFinding(None, "email", "websocket", value="x@example.org")], geo
    )
    (finding,) = report["findings"]
    assert finding["host"] == "(flow not recorded)"
    assert finding["country"] is None
    assert report["by_country"]["unknown"]["properties"] == ["email"]


def test_flows_are_streamed_and_findings_released(store: Store, geo: GeoResolver) -> None:
    session = make_session(
        store,
        "stream",
        [flow(f"https://s.example-sg.com/{n}", server_ip=SG_IP, at=n) for n in range(3)],
    )
    ids = list(flow_ids(store, session).values())
    summariser = Summariser(session, geo=geo)
    summariser.add_findings([HandFinding(i, "userId", value=f"user{i}") for i in ids])
    rows = store.iter_flows(session.id)
    summariser.add_flow(next(rows))
    # The first flow's findings are turned into rows and no longer held per flow.
    assert ids[0] not in summariser._by_flow
    assert len(summariser.findings) == 1
    for row in rows:
        summariser.add_flow(row)
    assert not summariser._by_flow
    assert len(summariser.result()["findings"]) == 3


def test_a_server_without_geoip_record_is_unknown(store: Store, geo: GeoResolver) -> None:
    session = make_session(
        store, "local", [flow("https://intranet.example.org/x", server_ip="127.0.0.99")]
    )
    (row,) = store.iter_flows(session.id)
    report = summarise(store, session, [HandFinding(row.id, "email", value="a@b.example")], geo)
    assert report["findings"][0]["country"] is None
    assert "unknown" in report["by_country"]
    assert report["headline"]["countries"] == ["unknown"]


def test_show_values_reveals_contexts_written_masked(store: Store, geo: GeoResolver) -> None:
    from analyzer.detect import mask_value

    session = make_session(store, "ctx", [flow("https://a.example-cn.com/x", server_ip=CN_IP)])
    (row,) = store.iter_flows(session.id)
    imei = "356938035643809"
    finding = HandFinding(row.id, "imei", value=imei, context=f"imei={mask_value(imei)}&x=1")
    shown = summarise(store, session, [finding], geo, show_values=True, mask=mask_value)
    masked = summarise(store, session, [finding], geo, mask=mask_value)
    assert shown["evidence"][0]["hosts"][0]["examples"][0]["context"] == f"imei={imei}&x=1"
    example = masked["evidence"][0]["hosts"][0]["examples"][0]
    assert example["context"] == f"imei={mask_value(imei)}&x=1"
    assert masked["first_left"][0]["anchor"] == masked["evidence"][0]["id"]


def test_websocket_messages_count_as_bytes_sent(store: Store, geo: GeoResolver) -> None:
    from analyzer.store import records as rec

    session = make_session(
        store,
        "ws",
        [
            flow("https://ws.example-cn.com/socket", server_ip=CN_IP, websocket=True,
                 mitm_id="w1"),
            rec.WebSocketRecord("w1", True, True, 1.0, b"x" * 1000),
            rec.WebSocketRecord("w1", False, True, 2.0, b"y" * 5000),  # received: not counted
        ],
    )
    report = summarise(store, session, [], geo)
    (destination,) = report["destinations"]
    assert 1000 < destination["bytes_sent"] < 1500
