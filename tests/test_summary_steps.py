"""Steps in the summary: the consent rule, findings filed under the step their flow started in,
and what left before consent."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.geo import GeoResolver
from analyzer.store import Store
from analyzer.store.marks import step_of
from analyzer.summary import consent_decision, plan_steps
from tests.support.report import (
    CN_IP,
    DE_IP,
    SG_IP,
    T0,
    US_IP,
    HandFinding,
    flow,
    flow_ids,
    make_session,
    summarise,
)


@pytest.mark.parametrize(
    ("label", "decision"),
    [
        ("consent refused", "refused"),
        ("Consent given", "given"),
        ("consent accepted", "given"),
        ("accepted cookies", "given"),
        ("Accept all", "given"),
        ("reject all", "refused"),
        ("declined tracking", "refused"),
        ("allowed tracking (ATT prompt)", "given"),
        ("opted out of personalised ads", "refused"),
        ("user consented", "given"),
        ("privacy terms agreed", "given"),
        ("withdrew consent in settings", "refused"),
        ("consent shown", None),  # the dialog appeared: nothing decided yet
        ("cookie banner shown", None),
        ("login", None),
        ("logout", None),
        ("settings opened", None),
        ("accepted friend request", None),  # a decision, but not on consent
    ],
)
def test_consent_decision(label: str, decision: str | None) -> None:
    assert consent_decision(label) == decision


def test_steps_count_as_before_consent_until_the_first_decision() -> None:
    marks = [("consent shown", 10.0), ("login", 20.0), ("consent refused", 30.0),
             ("consent accepted", 40.0)]  # fmt: skip
    steps = plan_steps(marks)
    assert [s.label for s in steps] == [None, "consent shown", "login", "consent refused",
                                        "consent accepted"]  # fmt: skip
    assert [s.before_consent for s in steps] == [True, True, True, False, False]
    assert [s.decision for s in steps] == [None, None, None, "refused", "given"]
    assert (steps[0].at, steps[0].until) == (None, 10.0)
    assert (steps[2].at, steps[2].until) == (20.0, 30.0)
    assert steps[-1].until is None
    assert plan_steps([]) == []


def _stepped_session(store: Store) -> tuple[object, list[HandFinding]]:
    """Flows at +1 .. +7 s; marks at +2 (consent shown), +4 (consent refused), +6 (login)."""
    aaid = "6a1c1487-a0af-4223-b142-a0f4621d0311"
    records = [
        flow(f"https://a.example-cn.com/start?aaid={aaid}", server_ip=CN_IP, at=1),
        flow("https://b.example-sg.com/cfg", server_ip=SG_IP, at=2),  # exactly at a mark
        flow(f"https://c.example-us.com/ad?aaid={aaid}", server_ip=US_IP, at=3),
        flow("https://d.example-de.com/x", server_ip=DE_IP, at=5),
        flow("https://a.example-cn.com/login", server_ip=CN_IP, at=7, method="POST"),
    ]
    session = make_session(store, "steps", records)
    ids = list(flow_ids(store, session).values())
    findings = [
        HandFinding(ids[0], "advertisingId", value=aaid),
        HandFinding(ids[1], "model", value="Pixel 7"),
        HandFinding(ids[2], "advertisingId", value=aaid),
        HandFinding(ids[3], "language", value="de-DE"),
        HandFinding(ids[4], "email", location="body", value="jo@example.org"),
    ]
    return session, findings


MARKS = [("consent shown", T0 + 2), ("consent refused", T0 + 4), ("login", T0 + 6)]


def test_findings_carry_the_step_their_flow_started_in(store: Store, geo: GeoResolver) -> None:
    session, findings = _stepped_session(store)
    report = summarise(store, session, findings, geo, marks=MARKS)
    steps = {f["property"] + "@" + f["host"]: f["step"] for f in report["findings"]}
    assert steps == {
        "advertisingId@a.example-cn.com": None,  # before any mark
        "model@b.example-sg.com": "consent shown",  # a flow that starts at a mark is in it
        "advertisingId@c.example-us.com": "consent shown",
        "language@d.example-de.com": "consent refused",
        "email@a.example-cn.com": "login",
    }
    # The same rule as the store's step_of.
    times, labels = [at for _, at in MARKS], [label for label, _ in MARKS]
    assert step_of(times, labels, T0 + 2) == "consent shown"
    assert report["steps"] == [
        {"label": "consent shown", "at": "2025-12-29T09:20:02.000Z"},
        {"label": "consent refused", "at": "2025-12-29T09:20:04.000Z"},
        {"label": "login", "at": "2025-12-29T09:20:06.000Z"},
    ]


def test_by_step_and_before_consent(store: Store, geo: GeoResolver) -> None:
    session, findings = _stepped_session(store)
    report = summarise(store, session, findings, geo, marks=MARKS)
    by_step = report["by_step"]
    assert [s["label"] for s in by_step] == [None, "consent shown", "consent refused", "login"]
    assert [s["before_consent"] for s in by_step] == [True, True, False, False]
    assert [s["flows"] for s in by_step] == [1, 2, 1, 1]
    assert by_step[1]["by_country"] == {"SG": ["model"], "US": ["advertisingId"]}
    assert by_step[1]["properties"] == ["advertisingId", "model"]
    assert by_step[2]["decision"] == "refused"
    consent = report["consent"]
    assert consent["decision"] == {
        "label": "consent refused", "at": "2025-12-29T09:20:04.000Z", "kind": "refused"
    }  # fmt: skip
    assert consent["properties"] == ["advertisingId", "model"]
    assert set(consent["by_country"]) == {"CN", "SG", "US"}
    assert consent["findings"] == 3
    sentence = report["headline"]["before_consent"]
    assert sentence == "Before any consent: 2 properties to 3 countries."


def test_marks_without_a_decision_make_the_whole_session_before_consent(
    store: Store, geo: GeoResolver
) -> None:
    session, findings = _stepped_session(store)
    report = summarise(store, session, findings, geo, marks=[("login", T0 + 6)])
    assert all(s["before_consent"] for s in report["by_step"])
    assert report["consent"]["decision"] is None
    assert report["consent"]["properties"] == ["advertisingId", "email", "language", "model"]
    assert "no mark records a consent decision" in report["headline"]["before_consent"]


def test_without_marks_there_are_no_steps(store: Store, geo: GeoResolver) -> None:
    session, findings = _stepped_session(store)
    report = summarise(store, session, findings, geo)
    assert report["steps"] == [] and report["by_step"] == []
    assert report["consent"] is None
    assert report["headline"]["before_consent"] is None
    assert {f["step"] for f in report["findings"]} == {None}


def test_a_repeated_label_is_two_steps(store: Store, geo: GeoResolver) -> None:
    session, findings = _stepped_session(store)
    marks = [("login", T0 + 2), ("logout", T0 + 4), ("login", T0 + 6)]
    report = summarise(store, session, findings, geo, marks=marks)
    logins = [s for s in report["by_step"] if s["label"] == "login"]
    assert [s["properties"] for s in logins] == [["advertisingId", "model"], ["email"]]
    assert [s["index"] for s in logins] == [1, 3]


def test_marks_set_with_leakmap_mark_split_the_report(tmp_path: Path) -> None:
    """A mark set afterwards from notes (leakmap mark --at) files the findings under its step."""
    import json

    from analyzer.cli import main
    from analyzer.importer import import_files
    from tests.support.diff import HarRequest, write_har
    from tests.support.mmdb import write_country_db

    aaid = "5e0c2d7a-91f4-4b3e-8c6d-0a1b2c3d4e5f"
    har = write_har(
        tmp_path / "s.har",
        [HarRequest(f"https://t.example-sg.test/a?aaid={aaid}", "127.0.0.61"),  # 00:00:00
         HarRequest("https://t.example-sg.test/b", "127.0.0.61"),
         HarRequest(f"https://t.example-sg.test/c?aaid={aaid}", "127.0.0.61")],  # 00:00:02
    )  # fmt: skip
    db = tmp_path / "leakmap.db"
    with Store(str(db)) as store:
        import_files(store, [har], session="s")
    assert main(["mark", "s", "consent refused", "--at", "2026-01-01T00:00:01Z",
                 "--db", str(db)]) == 0  # fmt: skip
    profile = tmp_path / "p.toml"
    profile.write_text(f'[device]\nname = "p"\n[known]\nadvertisingId = "{aaid}"\n')
    geoip = write_country_db(tmp_path / "c.mmdb", {"127.0.0.61/32": "SG"})
    out = tmp_path / "s.json"
    assert main(["report", "s", "--db", str(db), "--profile", str(profile), "--geoip-db",
                 str(geoip), "--format", "json", "-o", str(out)]) == 0  # fmt: skip
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["steps"] == [{"label": "consent refused", "at": "2026-01-01T00:00:01.000Z"}]
    assert [f["step"] for f in report["findings"]] == [None, "consent refused"]
    assert report["consent"]["properties"] == ["advertisingId"]
    assert report["consent"]["findings"] == 1


@pytest.mark.parametrize(
    ("servers", "expected"),
    [
        ({"local": ["imei"]}, "1 property to servers on the local network."),
        ({"unknown": ["imei"]}, "1 property to servers in a country GeoIP does not know."),
        (
            {"CN": ["imei"], "local": ["imei"]},
            "1 property to 1 country (and servers on the local network).",
        ),
        ({"CN": ["imei"], "SG": ["imei"]}, "1 property to 2 countries."),
    ],
)
def test_before_consent_never_says_zero_countries(
    servers: dict[str, list[str]], expected: str
) -> None:
    from analyzer.summary.headline import _before_consent_sentence

    consent = {"by_country": servers, "by_owner_country": {}, "properties": ["imei"],
               "decision": {"kind": "refused"}}  # fmt: skip
    assert _before_consent_sentence(consent) == "Before any consent: " + expected
