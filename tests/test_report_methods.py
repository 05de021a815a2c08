"""What "Methods" says: how the session was made (capture or import) and which device profile was
searched for (given, stored with the session, or none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from analyzer.cli import main
from analyzer.importer import import_files
from analyzer.store import Store
from analyzer.store.models import Session
from tests.support.diff import HarRequest, write_har
from tests.support.mmdb import write_country_db

TABLET = "Kitchen Tablet Zq"
STORED = f"""
[device]
name = "lab-tablet"
[known]
deviceName = "{TABLET}"
"""


@pytest.fixture
def lab(tmp_path: Path) -> dict[str, Path]:
    """An imported session whose body carries the device's name under a key that says nothing
    (only a profile finds it), and one request whose exporter wrote no server address."""
    har = write_har(
        tmp_path / "tablet.har",
        [
            HarRequest(
                "https://sync.example-sg.test/v2/state",
                "127.0.0.31",
                method="POST",
                body=json.dumps({"n": TABLET, "k": 7}),
            ),
            HarRequest("https://cdn.example-sg.test/app.js", ""),
        ],
    )
    db = tmp_path / "leakmap.db"
    with Store(str(db)) as store:
        import_files(store, [har], session="tablet")
    geoip = write_country_db(tmp_path / "c.mmdb", {"127.0.0.31/32": "SG"})
    return {"db": db, "geoip": geoip, "folder": tmp_path}


def _store_profile(db: Path, text: str) -> None:
    with Store(str(db)) as store, store.engine.begin() as conn:
        conn.execute(update(Session).where(Session.name == "tablet").values(profile=text))


def _report(lab: dict[str, Path], *args: str, fmt: str = "json") -> tuple[int, Path]:
    out = lab["folder"] / f"report.{fmt}"
    code = main(["report", "tablet", "--db", str(lab["db"]), "--geoip-db", str(lab["geoip"]),
                 "--format", fmt, "-o", str(out), *args])  # fmt: skip
    return code, out


def test_the_stored_profile_is_used_without_profile_option(lab: dict[str, Path]) -> None:
    code, out = _report(lab)
    assert code == 0
    before = json.loads(out.read_text(encoding="utf-8"))
    assert "deviceName" not in {f["property"] for f in before["findings"]}
    assert before["methods"]["profile"]["source"] is None

    _store_profile(lab["db"], STORED)
    code, out = _report(lab)
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    (found,) = [f for f in report["findings"] if f["property"] == "deviceName"]
    assert found["method"] == "known-value" and found["country"] == "SG"
    assert report["methods"]["profile"] == {
        "source": "stored", "name": "lab-tablet", "values": 1, "path": None
    }  # fmt: skip
    code, page = _report(lab, fmt="html")
    assert code == 0
    text = page.read_text(encoding="utf-8")
    assert "The device profile stored with the session" in text
    assert "no <code>--profile</code> was given" in text


def test_a_given_profile_wins_over_the_stored_one(lab: dict[str, Path]) -> None:
    _store_profile(lab["db"], STORED)
    other = lab["folder"] / "other.toml"
    other.write_text('[device]\nname = "other"\n[known]\ndeviceName = "Someone Else"\n')
    code, out = _report(lab, "--profile", str(other))
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert "deviceName" not in {f["property"] for f in report["findings"]}
    assert report["methods"]["profile"]["source"] == "option"
    assert report["methods"]["profile"]["path"] == str(other)


def test_a_broken_stored_profile_is_one_line(
    lab: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _store_profile(lab["db"], "[device\nname = ")
    code, out = _report(lab)
    assert code == 1
    error = capsys.readouterr().err
    assert error.startswith("leakmap: error: the profile stored with 'tablet' is not TOML")
    assert len(error.strip().splitlines()) == 1
    assert not out.exists()


def test_methods_describe_an_import(lab: dict[str, Path]) -> None:
    code, out = _report(lab)
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["methods"]["kind"] == "import"
    assert report["methods"]["flows_without_server_ip"] == 1
    code, page = _report(lab, fmt="html")
    text = page.read_text(encoding="utf-8")
    assert 'id="methods-import"' in text and 'id="methods-capture"' not in text
    assert "imported from HAR files</strong>" in text
    assert "1 flow without one: its server country is unknown" in text
    assert "A mitmproxy dump was recorded" not in text
    assert "TLS-intercepting proxy (mitmproxy) between the phone" not in text
    assert "<dt>Imported</dt>" in text


def test_methods_describe_an_import_of_mitmproxy_dumps_and_har(tmp_path: Path) -> None:
    from analyzer.report.html import render_html
    from analyzer.summary import build_report

    dump = Path(__file__).parent / "data" / "mitmproxy" / "dumpfile-7.mitm"
    har = write_har(tmp_path / "one.har", [HarRequest("https://a.example.org/x", "127.0.0.31")])
    with Store(str(tmp_path / "leakmap.db")) as store:
        import_files(store, [dump], session="dump")
        import_files(store, [dump, har], session="both")
        dump_page = render_html(build_report(store, "dump"))
        both = build_report(store, "both")
    assert "imported from mitmproxy dumps</strong>" in dump_page
    assert "A mitmproxy dump was recorded by mitmproxy" in dump_page
    assert "A HAR file is written by" not in dump_page
    assert both["methods"]["flows_without_client_address"] == 1
    page = render_html(both)
    assert "imported from HAR files and mitmproxy dumps</strong>" in page
    assert "1 flow as HAR files write them, without a client address" in page


def test_the_diff_says_which_profile_each_side_used(lab: dict[str, Path]) -> None:
    requests = [HarRequest("https://a.example.org/", "127.0.0.31")]
    har = write_har(lab["folder"] / "again.har", requests)
    with Store(str(lab["db"])) as store:
        import_files(store, [har], session="again")
    _store_profile(lab["db"], STORED)
    out = lab["folder"] / "diff.html"
    code = main(["diff", "tablet", "again", "--db", str(lab["db"]), "--geoip-db",
                 str(lab["geoip"]), "-o", str(out)])  # fmt: skip
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert ("Device profile searched for: tablet: the profile stored with the session "
            "(lab-tablet, 1 known value); again: no device profile.") in text  # fmt: skip


def test_a_zeroed_advertising_id_is_a_placeholder_end_to_end(tmp_path: Path) -> None:
    """The detector flags the all-zero advertising ID (Finding.placeholder); the report lists it
    as a placeholder and counts nothing for it."""
    from analyzer.report.html import render_html
    from analyzer.summary import build_report

    zeros = "00000000-0000-0000-0000-000000000000"
    har = write_har(
        tmp_path / "limited.har",
        [HarRequest(f"https://ads.example-sg.test/v1/conv?advertising_id={zeros}", "127.0.0.31")],
    )
    geoip = write_country_db(tmp_path / "c.mmdb", {"127.0.0.31/32": "SG"})
    with Store(str(tmp_path / "leakmap.db")) as store:
        import_files(store, [har], session="limited")
        report = build_report(store, "limited", geoip_db=geoip)
    ids = [f for f in report["findings"] if f["property"] == "advertisingId"]
    assert ids and all(f["placeholder"] for f in ids)
    assert report["by_country"]["SG"]["properties"] == []
    assert report["headline"]["findings"] == 0 and report["headline"]["placeholders"] == len(ids)
    page = render_html(report)
    assert "The advertising ID was sent as all zeros: a placeholder" in page
    assert 'id="placeholder-table"' in page
