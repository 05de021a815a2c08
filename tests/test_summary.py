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


def test_countries_destinations_and_findings(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    report = summarise(store, session, findings, geo, owners=OwnerMap.load())

    assert report["schema"] == "leakmap.report/2"
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
        "condition": None,
        "not_delivered": {"properties": [], "findings": 0, "flows": 0},
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
    assert matrix["places"][0] == "CN"
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


@pytest.mark.parametrize(
    ("server_ip", "place"),
    [
        ("127.0.0.99", "local"),  # loopback, no record in any database
        ("192.168.7.20", "local"),  # a private LAN address
        ("fd00::42", "local"),  # a unique-local IPv6 address
        ("203.0.113.50", "local"),  # documentation range: reserved, not routable
        ("8.8.4.4", "unknown"),  # public, but the test databases have no record for it
    ],
)
def test_local_servers_are_local_not_unknown(
    store: Store, tmp_path: Path, server_ip: str, place: str
) -> None:
    # The test GeoIP files alone (no embedded data): a public address has no record there.
    geo = GeoResolver(*geo_files(tmp_path), embedded=False)
    records = [flow("https://intranet.example.org/x", server_ip=server_ip)]
    session = make_session(store, "local", records)
    (row,) = store.iter_flows(session.id)
    report = summarise(store, session, [HandFinding(row.id, "email", value="a@b.example")], geo)
    (finding,) = report["findings"]
    assert finding["country"] is None
    assert finding["local"] is (place == "local")
    assert list(report["by_country"]) == [place]
    assert report["headline"]["countries"] == [place]
    (destination,) = report["destinations"]
    assert destination["countries"] == []
    assert destination["local"] is (place == "local")
    assert report["matrix"]["places"] == [place]
    expected = "on the local network" if place == "local" else "GeoIP does not know"
    assert expected in report["headline"]["sentences"][0]


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


def test_placeholders_are_listed_never_counted(store: Store, geo: GeoResolver) -> None:
    zeros = "00000000-0000-0000-0000-000000000000"
    session = make_session(
        store,
        "placeholders",
        [
            flow(f"https://ads.example-us.com/p?gaid={zeros}", server_ip=US_IP, at=1),
            flow("https://t.example-cn.com/d?mac=02:00:00:00:00:00", server_ip=CN_IP, at=2),
            flow(f"https://ads.example-us.com/p?gaid={AAID}", server_ip=US_IP, at=3),
        ],
    )
    ids = list(flow_ids(store, session).values())
    findings = [
        HandFinding(ids[0], "advertisingId", value=zeros, placeholder=True),
        HandFinding(ids[1], "macAddress", value="02:00:00:00:00:00", placeholder=True),
        HandFinding(ids[2], "advertisingId", value=AAID),
    ]
    report = summarise(store, session, findings, geo)

    # The JSON keeps them, flagged.
    flagged = [f for f in report["findings"] if f["placeholder"]]
    assert [(f["property"], f["placeholder_kind"]) for f in flagged] == [
        ("advertisingId", "all zeros"), ("macAddress", "02:00:00:00:00:00")
    ]  # fmt: skip
    # Never counted as the person's data.
    assert report["by_country"]["US"]["properties"] == ["advertisingId"]
    assert report["by_country"]["US"]["findings"] == 1
    assert report["by_country"]["CN"]["properties"] == []
    assert "macAddress" not in report["matrix"]["cells"]
    assert report["matrix"]["cells"]["advertisingId"]["US"]["count"] == 1
    headline = report["headline"]
    assert (headline["findings"], headline["properties"], headline["placeholders"]) == (1, 1, 2)
    assert headline["countries"] == ["US"]
    assert [e["property"] for e in report["first_left"]] == ["advertisingId"]
    assert report["first_left"][0]["time"] == "2025-12-29T09:20:03.000Z"
    cn = next(d for d in report["destinations"] if d["host"] == "t.example-cn.com")
    assert cn["properties"] == [] and cn["placeholders"] == ["macAddress"]
    # Shown as what they are.
    listed = {(p["property"], p["kind"], p["count"]) for p in report["placeholders"]}
    assert listed == {("advertisingId", "all zeros", 1), ("macAddress", "02:00:00:00:00:00", 1)}
    assert any(
        s.startswith("The advertising ID was sent as all zeros: a placeholder")
        and "ad tracking limited" in s
        for s in headline["sentences"]
    )


@pytest.mark.parametrize(
    "mapped",
    [
        "::ffff:127.0.0.2",  # IPv4-mapped
        "64:ff9b::7f00:2",  # NAT64 (RFC 6052 well-known prefix)
        "2002:7f00:2::1",  # 6to4
    ],
)
def test_translated_server_addresses_show_both(
    store: Store, geo: GeoResolver, mapped: str
) -> None:
    # The phone connected to an IPv6 address; GeoIP looked up the IPv4 address inside it.
    session = make_session(
        store, "mapped", [flow(f"https://log.example-cn.com/c?id={AAID}", server_ip=mapped)]
    )
    (flow_id,) = flow_ids(store, session).values()
    report = summarise(store, session, [HandFinding(flow_id, "advertisingId", value=AAID)], geo)
    (finding,) = report["findings"]
    assert finding["server_ip"] == mapped  # the address connected to
    assert finding["lookup_ip"] == "127.0.0.2"  # the address looked up
    assert finding["country"] == "CN"
    (destination,) = report["destinations"]
    assert destination["server_ips"] == [mapped]
    assert destination["lookup_ips"] == {mapped: "127.0.0.2"}
    example = report["evidence"][0]["hosts"][0]["examples"][0]
    assert (example["server_ip"], example["lookup_ip"]) == (mapped, "127.0.0.2")
    from analyzer.report.html import render_html

    page = render_html(report)
    shown = f'<span class="ip">{mapped}</span> <span class="muted small">(looked up as 127.0.0.2)'
    assert shown in page
    # An ordinary address is its own looked-up address: nothing extra is said.
    session = make_session(
        store, "plain", [flow(f"https://log.example-cn.com/c?id={AAID}", server_ip=CN_IP)]
    )
    (flow_id,) = flow_ids(store, session).values()
    report = summarise(store, session, [HandFinding(flow_id, "advertisingId", value=AAID)], geo)
    assert report["findings"][0]["lookup_ip"] is None


def test_policy_conditions_follow_the_findings(store: Store, geo: GeoResolver) -> None:
    from analyzer.policy import Condition

    session, findings = example_session(store)
    policy = Policy(
        name="eu-plus",
        countries=frozenset({"DE", "US"}),
        conditions=(("US", Condition("only organisations certified under a framework")),),
    )
    report = summarise(store, session, findings, geo, policy=policy, owners=OwnerMap.load())
    us = [f for f in report["findings"] if f["country"] == "US"]
    assert us and all(f["allowed"] is True for f in us)
    assert {f["condition"] for f in us} == {"only organisations certified under a framework"}
    assert {f["condition"] for f in report["findings"] if f["country"] == "CN"} == {None}
    condition = "only organisations certified under a framework"
    assert report["by_country"]["US"]["condition"] == condition
    assert report["matrix"]["cells"]["advertisingId"]["US"]["condition"]
    assert report["policy"]["findings_conditional"] == len(us)
    (conditional,) = report["policy"]["conditional"]
    assert conditional["country"] == "US"
    assert conditional["hosts"] == ["ads.tracker.test"]
    assert conditional["hosts_without_owner"] == ["ads.tracker.test"]
    section = next(s for s in report["evidence"] if s["country"] == "US")
    assert section["condition"] == "only organisations certified under a framework"
    assert report["headline"]["conditional"] == len(us)
