"""Diffs by step: two versions imported from HAR files, with marks, compared step by step, and
the before-consent gate (library and ``leakmap diff``).

Version 1 sends the advertising ID before any mark, nothing personal while the consent dialog
shows, and the e-mail address after the login. Version 2 also sends the e-mail address while the
consent dialog shows (before consent) and the IMEI after consent is refused.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from playwright.sync_api import Browser

from analyzer.cli import main
from analyzer.diff import diff_reports
from analyzer.diff_report import terminal_summary
from analyzer.errors import LeakmapError
from analyzer.gates import evaluate, parse_gates
from analyzer.importer import import_files
from analyzer.report.jsonout import report_document
from analyzer.store import Store
from analyzer.store.marks import add_mark
from analyzer.summary import build_report
from tests.support.diff import HarRequest, validate_diff, write_har
from tests.support.mmdb import write_country_db

AAID = "0f3e6a2c-7d41-4b8e-9a55-2c1d8e6f4b90"
EMAIL = "mira.test@example.net"
IMEI = "490154203237518"
SG, US, CN = "127.0.0.51", "127.0.0.52", "127.0.0.53"


def _at(second: int) -> float:
    """write_har puts entry n at 2026-01-01T00:00:0n UTC."""
    return datetime.fromisoformat(f"2026-01-01T00:00:{second:02d}+00:00").timestamp()


V1 = [
    HarRequest(f"https://alog.umeng.com/start?aaid={AAID}", SG),  # 0: before any mark
    HarRequest("https://alog.umeng.com/cfg", SG),  # 1
    HarRequest("https://graph.facebook.com/consent_ui", US),  # 2: consent shown
    HarRequest("https://cdn.example-cn.test/app.js", CN),  # 3
    HarRequest("https://api.example-cn.test/login", CN, method="POST",
               body=json.dumps({"mail": EMAIL})),  # 4: after consent refused, at login
]  # fmt: skip
V2 = [
    HarRequest(f"https://alog.umeng.com/start?aaid={AAID}", SG),  # 0: before any mark
    HarRequest("https://alog.umeng.com/cfg", SG),  # 1
    HarRequest(f"https://alog.umeng.com/u?email={EMAIL}", SG),  # 2: consent shown
    HarRequest(f"https://cdn.example-cn.test/d?imei={IMEI}", CN),  # 3: consent refused
    HarRequest("https://api.example-cn.test/login", CN, method="POST",
               body=json.dumps({"mail": EMAIL})),  # 4
]  # fmt: skip
MARKS = [("consent shown", 2), ("consent refused", 3), ("login", 4)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("diff-steps")
    db = folder / "leakmap.db"
    with Store(str(db)) as store:
        sessions = (("v1", V1, True), ("v2", V2, True), ("v2-unmarked", V2, False))
        for name, requests, marked in sessions:
            har = write_har(folder / f"{name}.har", requests)
            result = import_files(store, [har], session=name, app="com.example.app")
            if marked:
                for label, second in MARKS:
                    add_mark(store, result.session_id, label, _at(second), source="import")
    geoip = write_country_db(folder / "c.mmdb", {f"{SG}/32": "SG", f"{US}/32": "US",
                                                 f"{CN}/32": "CN"})  # fmt: skip
    profile = folder / "device.toml"
    profile.write_text(
        f'[device]\nname = "lab"\n[known]\nadvertisingId = "{AAID}"\nemail = "{EMAIL}"\n'
        f'imei = "{IMEI}"\n',
        encoding="utf-8",
    )
    yield {"db": db, "geoip": geoip, "profile": profile, "folder": folder}


def _report(lab: dict[str, Path], name: str) -> dict[str, Any]:
    with Store(str(lab["db"])) as store:
        return build_report(store, name, profile=lab["profile"], geoip_db=lab["geoip"])


def _document(lab: dict[str, Path], name: str) -> dict[str, Any]:
    """The report as ``--format json`` writes it (a saved baseline)."""
    return json.loads(json.dumps(report_document(_report(lab, name))))


def test_reports_file_findings_under_steps(lab: dict[str, Path]) -> None:
    report = _report(lab, "v2")
    steps = {(f["property"], f["host"]): f["step"] for f in report["findings"]}
    assert steps == {
        ("advertisingId", "alog.umeng.com"): None,
        ("email", "alog.umeng.com"): "consent shown",
        ("imei", "cdn.example-cn.test"): "consent refused",
        ("email", "api.example-cn.test"): "login",
    }
    assert report["consent"]["properties"] == ["advertisingId", "email"]
    assert report["headline"]["before_consent"] == (
        "Before any consent: 2 properties to 1 country, run by companies based in 1 country."
    )


def test_the_same_steps_are_compared_by_label(lab: dict[str, Path]) -> None:
    diff = diff_reports(_report(lab, "v1"), _report(lab, "v2"))
    validate_diff(diff)
    steps = diff["steps"]
    assert [s["label"] for s in steps["old"]] == ["consent shown", "consent refused", "login"]
    compared = {c["label"]: c for c in steps["compared"]}
    assert list(compared) == [None, "consent shown", "consent refused", "login"]
    assert compared[None]["added"] == [] and compared[None]["removed"] == []
    (email,) = compared["consent shown"]["added"]
    assert (email["property"], email["host"], email["country"]) == ("email", "alog.umeng.com", "SG")
    assert email["owner"] == "Alibaba Group" and email["steps"] == ["consent shown"]
    assert compared["consent refused"]["properties"]["added"] == ["imei"]
    assert compared["login"]["properties"] == {
        "old": ["email"], "new": ["email"], "added": [], "removed": []
    }  # fmt: skip
    before = steps["before_consent"]
    assert before["old"]["decision"] == {
        "label": "consent refused", "at": "2026-01-01T00:00:03.000Z", "kind": "refused"
    }  # fmt: skip
    assert before["old"]["properties"] == ["advertisingId"]
    assert before["new"]["properties"] == ["advertisingId", "email"]
    assert before["added"]["properties"] == ["email"]
    assert before["removed"]["properties"] == []
    # Over the whole session: the e-mail address to Singapore and the IMEI are new.
    assert {(f["property"], f["country"]) for f in diff["added"]["findings"]} == {
        ("email", "SG"), ("imei", "CN")
    }  # fmt: skip


@pytest.mark.parametrize(
    ("gate", "fires"),
    [("before-consent", True), ("before-consent:email", True), ("before-consent:imei", False),
     ("before-consent:advertisingId", False)],
)  # fmt: skip
def test_before_consent_gate(lab: dict[str, Path], gate: str, fires: bool) -> None:
    diff = diff_reports(_report(lab, "v1"), _report(lab, "v2"))
    hits = evaluate(parse_gates([gate]), diff)
    assert bool(hits) is fires
    if fires:
        (hit,) = hits
        assert hit.reasons == ("email -> alog.umeng.com (SG) before consent",)
    # The other way round, nothing new leaves before consent.
    assert evaluate(parse_gates([gate]), diff_reports(_report(lab, "v2"), _report(lab, "v1"))) == []


def test_before_consent_needs_marks_in_both_sessions(lab: dict[str, Path]) -> None:
    diff = diff_reports(_report(lab, "v1"), _report(lab, "v2-unmarked"))
    assert diff["steps"]["before_consent"]["new"]["marked"] is False
    assert diff["steps"]["before_consent"]["new"]["properties"] == []
    # nothing reads as "stopped sending before consent": an unmarked session is not compared
    assert diff["steps"]["before_consent"]["removed"] == {"properties": [], "findings": []}
    assert diff["steps"]["before_consent"]["added"] == {"properties": [], "findings": []}
    summary = terminal_summary(diff)
    assert "before consent: not compared (the new session has no marks)" in summary
    assert "before consent: -" not in summary
    with pytest.raises(LeakmapError, match="new session 'v2-unmarked' has no marks") as caught:
        evaluate(parse_gates(["before-consent"]), diff)
    assert caught.value.exit_code == 2
    # Other gates still work on the same diff.
    assert evaluate(parse_gates(["new-property:imei"]), diff)


def test_cli_gate_exit_codes_and_json(lab: dict[str, Path]) -> None:
    base = ["--db", str(lab["db"]), "--geoip-db", str(lab["geoip"]),
            "--profile", str(lab["profile"])]  # fmt: skip
    out = lab["folder"] / "gate.json"
    args = ["diff", "v1", "v2", *base, "--format", "json", "-o", str(out)]
    assert main([*args, "--fail-on", "before-consent:email"]) == 1
    document = json.loads(out.read_text(encoding="utf-8"))
    validate_diff(document)
    assert document["gates"] == [
        {"gate": "before-consent:email",
         "reasons": ["email -> alog.umeng.com (SG) before consent"]}
    ]  # fmt: skip
    assert main([*args, "--fail-on", "before-consent:imei"]) == 0
    assert main(["diff", "v1", "v2-unmarked", *base, "--fail-on", "before-consent"]) == 2
    assert main(["diff", "v1", "v2", *base, "--fail-on", "before-consent:imie"]) == 2  # typo


def test_diff_json_keeps_every_version_1_field(lab: dict[str, Path]) -> None:
    path = Path(__file__).parent / "data" / "schemas" / "leakmap.diff-1.schema.json"
    old_schema = json.loads(path.read_text(encoding="utf-8"))
    old_schema["properties"]["schema"] = {"const": "leakmap.diff/2"}
    diff = json.loads(json.dumps(diff_reports(_report(lab, "v1"), _report(lab, "v2"))))
    jsonschema.validate(diff, old_schema)


def test_a_saved_version_1_report_is_still_a_baseline(lab: dict[str, Path]) -> None:
    document = _document(lab, "v1")
    old = copy.deepcopy(document)
    old["schema"] = "leakmap.report/1"
    for key in ("steps", "by_step", "consent", "by_owner_country", "placeholders", "methods"):
        old.pop(key, None)
    for finding in old["findings"]:
        for key in ("step", "placeholder", "delivered", "local", "lookup_ip", "condition"):
            finding.pop(key, None)
    saved = lab["folder"] / "v1-baseline.json"
    saved.write_text(json.dumps(old), encoding="utf-8")
    base = ["--db", str(lab["db"]), "--geoip-db", str(lab["geoip"]),
            "--profile", str(lab["profile"])]  # fmt: skip
    out = lab["folder"] / "from-baseline.json"
    code = main(["diff", str(saved), "v2", *base, "--format", "json", "-o", str(out),
                 "--fail-on", "new-property:imei"])  # fmt: skip
    assert code == 1
    diff = json.loads(out.read_text(encoding="utf-8"))
    assert diff["steps"]["before_consent"]["old"]["marked"] is False
    assert diff["steps"]["compared"][0]["label"] is None  # before any mark comes first
    # A /1 baseline has no steps: the before-consent gate cannot say anything (exit 2).
    assert main(["diff", str(saved), "v2", *base, "--fail-on", "before-consent"]) == 2


def test_diff_page_shows_the_steps(browser: Browser, lab: dict[str, Path]) -> None:
    out = lab["folder"] / "steps.html"
    base = ["--db", str(lab["db"]), "--geoip-db", str(lab["geoip"]),
            "--profile", str(lab["profile"])]  # fmt: skip
    assert main(["diff", "v1", "v2", *base, "-o", str(out)]) == 0
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.resolve().as_uri())
    summary = page.locator("#summary").inner_text()
    assert ("Before consent, v2 now sends 1 property that v1 did not send before consent: "
            "E-mail address.") in summary  # fmt: skip
    steps = page.locator("#steps")
    assert "v1: consent refused at “consent refused”" in steps.inner_text()
    assert page.locator("#before-consent-added tbody tr").count() == 1
    assert "consent shown" in page.locator("#before-consent-added").inner_text()
    assert errors == []
    page.close()


def test_steps_from_marks_files_through_the_commands(tmp_path: Path) -> None:
    """leakmap import --marks, leakmap report, leakmap diff --fail-on before-consent: the whole
    path a researcher takes with notes of when they tapped."""
    db = tmp_path / "leakmap.db"
    geoip = write_country_db(tmp_path / "c.mmdb", {f"{SG}/32": "SG", f"{CN}/32": "CN"})
    profile = tmp_path / "device.toml"
    profile.write_text(f'[device]\nname = "lab"\n[known]\nemail = "{EMAIL}"\nimei = "{IMEI}"\n')
    marks = tmp_path / "steps.csv"
    marks.write_text(
        "time,label\n"
        "2026-01-01T00:00:02Z,consent shown\n"
        "2026-01-01T01:00:03+01:00,consent refused\n"  # the same instant, another zone
        f"{_at(4)},login\n"
    )
    for name, requests in (("v1", V1), ("v2", V2)):
        har = write_har(tmp_path / f"{name}.har", requests)
        code = main(["import", str(har), "--session", name, "--db", str(db),
                     "--marks", str(marks)])  # fmt: skip
        assert code == 0
    common = ["--db", str(db), "--geoip-db", str(geoip), "--profile", str(profile)]
    out = tmp_path / "v2.json"
    assert main(["report", "v2", *common, "--format", "json", "-o", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [s["label"] for s in report["steps"]] == ["consent shown", "consent refused", "login"]
    assert {f["step"] for f in report["findings"] if f["property"] == "email"} == {
        "consent shown", "login"
    }  # fmt: skip
    assert report["consent"]["decision"]["kind"] == "refused"
    assert main(["diff", "v1", "v2", *common, "--fail-on", "before-consent"]) == 1
    assert main(["diff", "v2", "v1", *common, "--fail-on", "before-consent"]) == 0
