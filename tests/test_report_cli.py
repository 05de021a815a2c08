"""``leakmap report`` end to end: store -> detector -> GeoIP -> owners -> policy -> files."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest

from analyzer.cli import main
from analyzer.report import default_path, write_report
from analyzer.report import html as html_report
from analyzer.report.jsonout import load_schema
from analyzer.store import Store
from analyzer.summary import build_report
from tests.support.report import CN_IP, DE_IP, US_IP, flow, geo_files, make_session, tls_failure

AAID = "6a1c1487-a0af-4223-b142-a0f4621d0311"
IMEI = "356938035643809"
PROFILE = f"""
[device]
name = "lab-pixel-7"
[known]
advertisingId = "{AAID}"
imei = "{IMEI}"
email = "tester@example.org"
"""


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A database with one session, a profile and GeoIP files; the working folder is tmp."""
    monkeypatch.chdir(tmp_path)
    country, asn = geo_files(tmp_path)
    (tmp_path / "device.toml").write_text(PROFILE)
    db = str(tmp_path / "lab.db")
    with Store(db) as store:
        make_session(
            store,
            "app-1.0",
            [
                flow(
                    "https://log.example-cn.com/v2/report",
                    server_ip=CN_IP,
                    method="POST",
                    headers=[("content-type", "application/json")],
                    body=json.dumps({"device": {"imei": IMEI, "mail": "tester@example.org"}})
                    .encode(),
                    at=1,
                ),
                flow(f"http://ads.tracker.test/px?aaid={AAID}", server_ip=US_IP, at=2),
                flow("https://cdn.example.de/app.js", server_ip=DE_IP, at=3),
                tls_failure("pinned.example-cn.com", CN_IP, at=4),
            ],
        )
    return {
        "db": db,
        "profile": str(tmp_path / "device.toml"),
        "geoip": str(country),
        "asn": str(asn),
    }


def _args(lab: dict[str, str], *extra: str) -> list[str]:
    return [
        "report", "app-1.0", "--db", lab["db"], "--profile", lab["profile"],
        "--geoip-db", lab["geoip"], "--asn-db", lab["asn"], *extra,
    ]


def test_html_report_by_default(lab: dict[str, str], capsys: pytest.CaptureFixture) -> None:
    assert main(_args(lab)) == 0
    path = Path("reports/app-1.0.html")
    assert path.is_file()
    page = path.read_text()
    assert "China" in page and "United States" in page
    assert "imei" in page and "advertisingId" in page
    assert IMEI not in page  # masked
    assert "report: reports/app-1.0.html" in capsys.readouterr().err
    assert not [p for p in Path("reports").iterdir() if p.name.endswith(".part")]


def test_json_on_stdout_follows_the_schema(
    lab: dict[str, str], capsys: pytest.CaptureFixture
) -> None:
    assert main(_args(lab, "--format", "json")) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, load_schema())
    found = {(f["property"], f["country"], f["method"]) for f in document["findings"]}
    assert ("imei", "CN", "known-value") in found
    assert ("advertisingId", "US", "known-value") in found
    assert ("email", "CN", "known-value") in found
    plaintext = [f for f in document["findings"] if f["plaintext"]]
    assert {f["host"] for f in plaintext} == {"ads.tracker.test"}
    assert document["by_country"]["CN"]["hosts"] == ["log.example-cn.com"]
    assert document["tls_failures"][0]["host"] == "pinned.example-cn.com"
    assert document["session"]["name"] == "app-1.0"
    assert "GeoLite2-Country" in document["geoip"]["country_db"]
    assert all(IMEI not in (f["value"] or "") for f in document["findings"])


def test_csv_file_and_show_values(lab: dict[str, str]) -> None:
    Path("out").mkdir()
    assert main(_args(lab, "--format", "csv", "-o", "out/findings.csv", "--show-values")) == 0
    path = Path("out/findings.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    imei = next(r for r in rows if r["property"] == "imei")
    assert imei["value"] == IMEI
    # Values in clear: the file is readable by its owner only.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_har_export(lab: dict[str, str]) -> None:
    assert main(["report", "app-1.0", "--db", lab["db"], "--format", "har"]) == 0
    har = json.loads(Path("reports/app-1.0.har").read_text())
    assert len(har["log"]["entries"]) == 3
    assert har["log"]["entries"][0]["request"]["postData"]["text"].startswith('{"device"')


def test_policy_marks_countries(lab: dict[str, str], capsys: pytest.CaptureFixture) -> None:
    assert main(_args(lab, "--format", "json", "--policy", "eu-adequacy")) == 0
    document = json.loads(capsys.readouterr().out)
    by_country = {f["country"]: f["allowed"] for f in document["findings"]}
    assert by_country["CN"] is False
    assert document["policy"]["findings_outside"] >= 2
    assert "CN" in document["policy"]["countries_outside"]


def test_unknown_session_is_one_line_and_writes_nothing(
    lab: dict[str, str], capsys: pytest.CaptureFixture
) -> None:
    code = main(["report", "nope", "--db", lab["db"], "-o", "x.html"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "no session named 'nope'" in err
    assert "Traceback" not in err
    assert not Path("x.html").exists()


def test_missing_database_and_bad_format(
    lab: dict[str, str], capsys: pytest.CaptureFixture
) -> None:
    assert main(["report", "app-1.0", "--db", "missing.db"]) == 1
    assert "no database" in capsys.readouterr().err
    assert not Path("missing.db").exists()
    assert main(["report", "app-1.0", "--db", lab["db"], "--format", "pdf"]) == 2  # usage
    assert "unknown --format 'pdf'" in capsys.readouterr().err


def test_worker_count_is_checked(
    lab: dict[str, str], capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(_args(lab, "--workers", "0")) != 0
    assert "--workers" in capsys.readouterr().err
    monkeypatch.setenv("LEAKMAP_WORKERS", "all")
    assert main(_args(lab, "--format", "json")) == 1
    err = capsys.readouterr().err
    assert "LEAKMAP_WORKERS must be a whole number" in err and "Traceback" not in err
    # Given explicitly, --workers wins over the environment (a small session: one process).
    assert main(_args(lab, "--format", "json", "--workers", "2")) == 0
    assert json.loads(capsys.readouterr().out)["findings"]


def test_a_failure_leaves_the_old_report_whole(
    lab: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = Path("reports/app-1.0.html")
    target.parent.mkdir()
    target.write_text("previous report")

    def broken(report: dict) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("analyzer.report.render_html", broken)
    with pytest.raises(RuntimeError):
        write_report(lab["db"], "app-1.0", target, "html")
    assert target.read_text() == "previous report"
    assert os.listdir("reports") == ["app-1.0.html"]


def test_write_report_opens_a_database_by_name(lab: dict[str, str]) -> None:
    # `leakmap capture` calls it with the --db value when the capture ends.
    path = write_report(lab["db"], "app-1.0", Path("end.html"), "html", profile=lab["profile"])
    assert path == Path("end.html")
    assert "log.example-cn.com" in path.read_text()


def test_findings_are_cached_between_reports(lab: dict[str, str]) -> None:
    with Store(lab["db"], create=False) as store:
        first = build_report(store, "app-1.0", profile=lab["profile"], geoip_db=lab["geoip"])
        second = build_report(store, "app-1.0", profile=lab["profile"], geoip_db=lab["geoip"])
    assert first["findings"] == second["findings"]
    assert first["findings"]


def test_default_paths_are_safe_file_names() -> None:
    assert default_path("app-1.0", "html") == Path("reports/app-1.0.html")
    assert default_path("../../etc/passwd", "har") == Path("reports/_.._etc_passwd.har")
    assert default_path("..", "json") == Path("reports/session.json")


def test_renderer_is_the_module_function() -> None:
    # write_report resolves the renderer at call time, so the failure test above is meaningful.
    import analyzer.report as package

    assert package.render_html is html_report.render_html


def test_a_closed_pipe_ends_quietly(lab: dict[str, str]) -> None:
    import subprocess
    import sys

    with Store(lab["db"]) as store:  # output well beyond a pipe's 64 KiB buffer
        make_session(
            store, "big", [flow(f"https://a{n}.example-cn.com/?imei={IMEI}") for n in range(1500)]
        )
    leakmap = Path(sys.executable).parent / "leakmap"
    with subprocess.Popen(
        [str(leakmap), "report", "big", "--db", lab["db"], "--profile", lab["profile"],
         "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(1) == b"{"
        process.stdout.close()  # as `| head -c 1` does
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == 0
    assert "Traceback" not in stderr
    assert "BrokenPipe" not in stderr
