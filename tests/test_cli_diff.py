"""``leakmap diff`` end to end: sessions imported from HAR files, a test GeoIP database, the CLI.

Two versions of an app: 6.2 sends the IMEI to a CDN host and the advertising ID (hashed) to an
API; 6.3 sends the IMEI to a *renamed* host of the same CDN, the advertising ID in clear, and
adds a Tencent endpoint in China receiving the IMEI and the e-mail address, plus a plain-HTTP
beacon. A third session has no personal data at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from analyzer.importer import import_files
from analyzer.store import Store
from tests.support.capture import CN_HOST, DE_HOST, Servers, curl, start_capture
from tests.support.diff import HarRequest, validate_diff, write_har
from tests.support.mmdb import write_country_db
from tests.support.net import wait_for

IMEI = "356938035643809"
AAID = "6a1c1487-a0af-4223-b142-a0f4621d0311"
EMAIL = "tester@example.org"
# Test servers on loopback; the test GeoIP file places them.
CDN_A, CDN_B, API, QQ, BEACON, STATIC, GOOGLE = (f"127.0.0.{n}" for n in range(11, 18))
COUNTRIES = {
    CDN_A: "US",
    CDN_B: "US",
    API: "DE",
    QQ: "CN",
    BEACON: "US",
    STATIC: "DE",
    GOOGLE: "US",
}

V62 = [
    HarRequest(f"https://cdn-a1.example-cdn.com/config?device={IMEI}", CDN_A),
    HarRequest(
        "https://api.example.org/v1/track",
        API,
        method="POST",
        body=json.dumps({"aid": hashlib.sha256(AAID.encode()).hexdigest(), "event": "open"}),
    ),
    HarRequest(f"https://app-measurement.com/a?ad_id={AAID}", GOOGLE),
    HarRequest(f"https://d1k2x9abc.cloudfront.net/s?aid={AAID}", CDN_A),
    HarRequest("https://static.example.net/app.css", STATIC),
]
V63 = [
    HarRequest(f"https://cdn-b7.example-cdn.com/config?device={IMEI}", CDN_B),
    HarRequest(
        "https://api.example.org/v1/track",
        API,
        method="POST",
        body=json.dumps({"aid": AAID, "event": "open"}),
    ),
    HarRequest(
        "https://log.qq.com/report",
        QQ,
        method="POST",
        body=json.dumps({"imei": IMEI, "mail": EMAIL}),
    ),
    HarRequest("http://beacon.example.net/ping?v=6.3", BEACON),
    # The same owner (Google) under another registrable domain.
    HarRequest(f"https://firebaselogging-pa.googleapis.com/v1/log?ad_id={AAID}", GOOGLE),
    HarRequest(f"https://d3q7zz81x.cloudfront.net/s?aid={AAID}", CDN_B),
    HarRequest("https://static.example.net/app.css", STATIC),
]
NOTHING = [HarRequest("https://static.example.net/app.css", STATIC)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A database with sessions v6.2, v6.3, v6.2-again and empty; a GeoIP file; a profile."""
    folder = tmp_path_factory.mktemp("diff-lab")
    db = folder / "leakmap.db"
    with Store(str(db)) as store:
        for name, version, requests in (
            ("v6.2", "6.2", V62),
            ("v6.3", "6.3", V63),
            ("v6.2-again", "6.2", V62),
            ("empty", "6.2", NOTHING),
        ):
            har = write_har(folder / f"{name}.har", requests)
            import_files(store, [har], session=name, app="com.example.app", app_version=version)
    geoip = write_country_db(
        folder / "country.mmdb", {f"{ip}/32": cc for ip, cc in COUNTRIES.items()}
    )
    profile = folder / "device.toml"
    profile.write_text(
        f'[device]\nname = "lab-phone"\n[known]\nimei = "{IMEI}"\n'
        f'advertisingId = "{AAID}"\nemail = "{EMAIL}"\n',
        encoding="utf-8",
    )
    yield {"db": db, "geoip": geoip, "profile": profile, "folder": folder}


def _run(lab: dict[str, Path], *args: str) -> int:
    base = ["--db", str(lab["db"]), "--geoip-db", str(lab["geoip"])]
    base += ["--profile", str(lab["profile"])]
    return main(["diff", *args, *base])


def _json(lab: dict[str, Path], old: str, new: str, *extra: str) -> tuple[int, dict[str, Any]]:
    out = lab["folder"] / f"{old}-{new}-{len(extra)}.json"
    code = _run(lab, old, new, "--format", "json", "-o", str(out), *extra)
    document = json.loads(out.read_text(encoding="utf-8"))
    validate_diff(document)
    return code, document


def _key(finding: dict[str, Any]) -> tuple[str, str | None, str]:
    return finding["property"], finding["country"], finding["host"]


def test_json_diff_of_two_app_versions(lab: dict[str, Path]) -> None:
    code, diff = _json(lab, "v6.2", "v6.3")
    assert code == 0
    assert diff["schema"] == "leakmap.diff/2"
    assert (diff["old"], diff["new"]) == ("v6.2", "v6.3")
    added = {_key(f) for f in diff["added"]["findings"]}
    assert ("imei", "CN", "log.qq.com") in added
    assert ("email", "CN", "log.qq.com") in added
    # The renamed CDN host of the same domain is not a new leak.
    assert not any(host.startswith("cdn-") for _, _, host in added)
    qq = next(f for f in diff["added"]["findings"] if f["host"] == "log.qq.com")
    assert qq["owner"] == "Tencent"
    assert "CN" in diff["added"]["countries"]
    assert "Tencent" in diff["added"]["owners"]
    assert "cdn-b7.example-cdn.com" in diff["added"]["hosts"]
    assert "cdn-a1.example-cdn.com" in diff["removed"]["hosts"]
    assert "example-cdn.com" not in diff["added"]["domains"]
    kinds = {(c["kind"], c.get("destination")) for c in diff["changed"]}
    assert ("renamed", "example-cdn.com") in kinds
    encoding = [c for c in diff["changed"] if c["kind"] == "encoding"]
    assert [(c["destination"], c["property"], c["direction"]) for c in encoding] == [
        ("api.example.org", "advertisingId", "hashed->plain")
    ]
    per_country = {c["country"]: c for c in diff["changed"] if c["kind"] == "country-properties"}
    assert {"imei", "email"} <= set(per_country["CN"]["added"])
    assert "US" not in per_country  # the US receives the same properties as before


def test_renamed_cloudfront_edge_of_a_known_owner(lab: dict[str, Path]) -> None:
    _, diff = _json(lab, "v6.2", "v6.3")
    renamed = {c["destination"]: c for c in diff["changed"] if c["kind"] == "renamed"}
    assert renamed["cloudfront.net"]["matched_by"] == "domain"
    assert renamed["cloudfront.net"]["owner"] == "Amazon"
    assert not any("cloudfront" in f["host"] for f in diff["added"]["findings"])
    assert "Amazon" not in diff["added"]["owners"]


def test_same_owner_under_another_domain_is_matched(lab: dict[str, Path]) -> None:
    _, diff = _json(lab, "v6.2", "v6.3")
    renamed = {c["destination"]: c for c in diff["changed"] if c["kind"] == "renamed"}
    google = renamed["Google"]
    assert google["matched_by"] == "owner"
    assert google["old_hosts"] == ["app-measurement.com"]
    assert google["new_hosts"] == ["firebaselogging-pa.googleapis.com"]
    assert "googleapis.com" in diff["added"]["domains"]
    assert "Google" not in diff["added"]["owners"]
    added = {_key(f) for f in diff["added"]["findings"]}
    assert ("advertisingId", "US", "firebaselogging-pa.googleapis.com") not in added


def test_session_without_findings(lab: dict[str, Path]) -> None:
    code, diff = _json(lab, "empty", "v6.2", "--fail-on", "new-finding")
    assert code == 1
    assert {f["property"] for f in diff["added"]["findings"]} >= {"imei", "advertisingId"}
    assert diff["sessions"]["old"]["findings"] == 0
    code, back = _json(lab, "v6.2", "empty", "--fail-on", "new-finding,new-country")
    assert code == 0
    assert back["added"]["findings"] == []
    assert {f["property"] for f in back["removed"]["findings"]} >= {"imei", "advertisingId"}


def test_same_traffic_twice_has_no_differences(lab: dict[str, Path]) -> None:
    code, diff = _json(lab, "v6.2", "v6.2-again", "--fail-on", "any-change")
    assert code == 0
    assert all(not v for v in diff["added"].values())
    assert all(not v for v in diff["removed"].values())
    assert diff["changed"] == []


@pytest.mark.parametrize(
    ("gates", "expected"),
    [
        (["new-country"], 1),
        (["new-country:RU"], 0),
        (["new-owner:Tencent"], 1),
        (["new-domain"], 1),
        (["new-property"], 1),  # e-mail: never sent by 6.2
        (["property:imei"], 1),
        (["property:phoneNumber"], 0),
        (["country:CN"], 1),
        (["new-plaintext"], 1),
        (["plaintext"], 1),
        (["new-unhashed"], 1),
        (["new-blind-spot", "blind-spot"], 0),
        (["new-country:RU", "property:imei"], 1),
    ],
)
def test_gates_exit_codes(
    lab: dict[str, Path], gates: list[str], expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a for gate in gates for a in ("--fail-on", gate)]
    out = lab["folder"] / "gate.html"
    assert _run(lab, "v6.2", "v6.3", "-o", str(out), *args) == expected
    printed = capsys.readouterr().out
    assert ("gate hit:" in printed) == (expected == 1)


def test_policy_marks_and_gates(lab: dict[str, Path]) -> None:
    policy = ("--policy", "eu-adequacy", "--fail-on", "outside-policy")
    code, diff = _json(lab, "v6.2", "v6.3", *policy)
    assert code == 1
    assert diff["policy"]["name"] == "eu-adequacy"
    marks = {_key(f): f["outside_policy"] for f in diff["added"]["findings"]}
    assert marks[("imei", "CN", "log.qq.com")] is True
    assert diff["gates"][0]["gate"] == "outside-policy"
    assert any("log.qq.com" in reason for reason in diff["gates"][0]["reasons"])
    # 6.2 sends only to the US and Germany: inside the policy.
    code, _ = _json(lab, "empty", "v6.2", *policy)
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["v6.2", "v6.3", "--fail-on", "new-planet"], "unknown gate 'new-planet'"),
        (["v6.2", "v6.3", "--fail-on", "property:imeii"], "did you mean 'imei'"),
        (["v6.2", "v6.3", "--fail-on", "country:XX"], "unknown country code"),
        (["v6.2", "v6.3", "--fail-on", "outside-policy"], "needs a policy"),
        (["v6.2", "nope", "--fail-on", "new-country"], "no session named 'nope'"),
        (["v6.2", "v6.3", "--policy", "no-such-policy"], "no policy file 'no-such-policy'"),
        (["v6.2", "v6.2"], "the same session"),
    ],
)
def test_usage_and_data_errors_exit_2(
    lab: dict[str, Path], args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(lab, *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1  # one line, never a traceback


def test_broken_policy_file_exits_2(
    lab: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = lab["folder"] / "bad-policy.toml"
    bad.write_text('[policy]\nallowed = ["DE", "UK"]\n', encoding="utf-8")
    assert _run(lab, "v6.2", "v6.3", "--policy", str(bad)) == 2
    assert "unknown country code" in capsys.readouterr().err


def test_missing_database_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "a", "b", "--db", str(tmp_path / "none.db")]) == 2
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_bad_format_is_a_usage_error(lab: dict[str, Path]) -> None:
    assert _run(lab, "v6.2", "v6.3", "--format", "pdf") == 2


def test_json_to_stdout_and_summary_to_stderr(
    lab: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(lab, "v6.2", "v6.3", "--format", "json", "--fail-on", "new-country") == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["schema"] == "leakmap.diff/2"
    assert "leakmap diff: v6.2" in captured.err
    assert "gate hit: new-country: CN" in captured.err


def test_html_report_and_terminal_summary(
    lab: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = lab["folder"] / "diff.html"
    assert _run(lab, "v6.2", "v6.3", "--policy", "eu-adequacy", "-o", str(out)) == 0
    page = out.read_text(encoding="utf-8").replace("<wbr>", "")
    assert "Content-Security-Policy" in page and "default-src &#39;none&#39;" in page
    # Nothing is loaded from anywhere: no external src/href.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "log.qq.com" in page and "Tencent" in page
    assert "outside policy" in page
    assert "cdn-b7.example-cdn.com" in page
    summary = capsys.readouterr().out
    assert summary.startswith("leakmap diff: v6.2 (com.example.app 6.2) -> v6.3")
    assert "imei -> log.qq.com (CN, Tencent) [outside policy]" in summary
    assert f"report: {out}" in summary
    assert len(summary.splitlines()) <= 42


def test_html_default_goes_to_reports_folder(
    lab: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _run(lab, "v6.2", "v6.3") == 0
    assert (tmp_path / "reports" / "v6.2-vs-v6.3.html").is_file()
    assert not list((tmp_path / "reports").glob("*.part"))


# --- blind spots through the real capture path ---------------------------------------------------


def test_blind_spot_appearing_between_two_captures(
    tmp_path: Path, servers: Servers, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two real captures: in the second, the app refuses the proxy's CA (a pinned client)."""
    db = str(tmp_path / "captures.db")
    tls = servers.tls_port
    places = {"127.0.0.2/32": "CN", "127.0.0.3/32": "DE"}
    geoip = write_country_db(tmp_path / "country.mmdb", places)
    for session, trusted in (("cap-1", True), ("cap-2", False)):
        capture = start_capture(tmp_path, db, servers, session=session)
        try:
            result = curl(capture, f"https://{DE_HOST}:{tls}/collect?imei={IMEI}")
            assert result.returncode == 0, result.stderr
            result = curl(capture, f"https://{CN_HOST}:{tls}/v1/track", trust_proxy=trusted)
            assert (result.returncode == 0) == trusted
            if not trusted:
                with Store(db) as store:
                    session_id = store.session(session).id
                    wait_for(lambda: store.counts(session_id)["tls_failures"] >= 1)  # noqa: B023
        finally:
            code, output = capture.stop()
        assert code == 0, output
    capsys.readouterr()

    out = tmp_path / "diff.json"
    args = ["--db", db, "--geoip-db", str(geoip), "--format", "json", "-o", str(out)]
    assert main(["diff", "cap-1", "cap-2", *args, "--fail-on", "new-blind-spot"]) == 1
    diff = json.loads(out.read_text(encoding="utf-8"))
    spots = [c for c in diff["changed"] if c["kind"] == "blind-spot"]
    assert [(s["change"], s["host"]) for s in spots] == [("appeared", CN_HOST)]
    assert spots[0]["reasons"] == ["client does not trust the proxy CA"]
    assert "gate hit: new-blind-spot: api.tracker-cn.test" in capsys.readouterr().out
    # Read the other way round, the blind spot disappeared: no gate fires.
    assert main(["diff", "cap-2", "cap-1", *args, "--fail-on", "new-blind-spot"]) == 0
    back = json.loads(out.read_text(encoding="utf-8"))
    assert [c["change"] for c in back["changed"] if c["kind"] == "blind-spot"] == ["disappeared"]


# --- the page in a real browser ----------------------------------------------------------------


@pytest.mark.browser
def test_diff_page_in_a_browser_runs_clean_and_offline(lab: dict[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    out = lab["folder"] / "browser.html"
    assert _run(lab, "v6.2", "v6.3", "--policy", "eu-adequacy", "-o", str(out)) == 0
    url = out.resolve().as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # A CSP violation (a blocked inline style or script) is reported on the console.
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_load_state("load")
            assert errors == []
            assert requests == [url]
            rows = page.locator("#added-findings tbody tr")
            assert rows.count() == 2
            # The sorting script ran (allowed by the CSP hash): sort by property, descending.
            header = page.locator("#added-findings th", has_text="Property")
            header.click()
            header.click()
            assert rows.first.locator("td code").first.inner_text() == "imei"
            # The stylesheet applied: the outside-policy tag is coloured, not default black.
            colour = page.locator("#added-findings .tag.outside").first.evaluate(
                "el => getComputedStyle(el).color"
            )
            assert colour not in ("rgb(0, 0, 0)", "")
            page.screenshot(path=str(lab["folder"] / "diff.png"), full_page=True)
        finally:
            browser.close()


# --- a saved report as the baseline (CI keeps it next to the code) -------------------------------


def test_saved_report_as_baseline(lab: dict[str, Path]) -> None:
    baseline = lab["folder"] / "baseline-6.2.json"
    analysis = ["--db", str(lab["db"]), "--geoip-db", str(lab["geoip"])]
    analysis += ["--profile", str(lab["profile"])]
    assert main(["report", "v6.2", "--format", "json", "-o", str(baseline), *analysis]) == 0
    code, from_file = _json(lab, str(baseline), "v6.3", "--fail-on", "new-country")
    assert code == 1
    _, from_store = _json(lab, "v6.2", "v6.3")
    assert from_file["old"] == "v6.2"
    assert from_file["added"] == from_store["added"]
    assert from_file["removed"] == from_store["removed"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not JSON"),
        (b'{"schema": "leakmap.diff/1"}', "is not a leakmap.report/1 or /2 document"),
        (b"[" * 100_000 + b"]" * 100_000, "is not JSON"),
    ],
)
def test_broken_report_file_exits_2(
    lab: dict[str, Path], content: bytes, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = lab["folder"] / "broken.json"
    path.write_bytes(content)
    assert _run(lab, str(path), "v6.3") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert _run(lab, str(lab["folder"] / "missing.json"), "v6.3") == 2
    assert "cannot read report" in capsys.readouterr().err


def test_html_to_stdout_with_dash(lab: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(lab, "v6.2", "v6.3", "-o", "-") == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("<!doctype html>")
    assert "leakmap diff: v6.2" in captured.err
    assert not Path("-").exists()


# --- the same on every database the store supports (SQLite, PostgreSQL) --------------------------


def test_diff_on_each_database(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(db_url) as store:
        for name, requests in (("old", V62), ("new", V63)):
            har = write_har(tmp_path / f"{name}.har", requests)
            import_files(store, [har], session=name, app="com.example.app")
    geoip = write_country_db(
        tmp_path / "country.mmdb", {f"{ip}/32": cc for ip, cc in COUNTRIES.items()}
    )
    profile = tmp_path / "device.toml"
    profile.write_text(f'[device]\nname = "p"\n[known]\nimei = "{IMEI}"\n', encoding="utf-8")
    args = ["--db", db_url, "--geoip-db", str(geoip), "--profile", str(profile)]
    assert main(["diff", "old", "new", *args, "--format", "json", "--fail-on", "new-owner"]) == 1
    diff = json.loads(capsys.readouterr().out)
    validate_diff(diff)
    added = {_key(f) for f in diff["added"]["findings"]}
    assert ("imei", "CN", "log.qq.com") in added
    assert {host for _, _, host in added} == {"log.qq.com"}


def test_unreadable_geoip_file_is_a_data_error(
    lab: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = lab["folder"] / "not-a-database.mmdb"
    bogus.write_bytes(b"this is not a MaxMind file")
    code = main(["diff", "v6.2", "v6.3", "--db", str(lab["db"]), "--geoip-db", str(bogus)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("leakmap: error:") and err.count("\n") == 1
    assert "not-a-database.mmdb" in err
