"""Every report format from real captures: HAR exports of several browsers and tools, and
mitmproxy dumps of many versions (tests/data/mitmproxy, MIT licence beside them)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from analyzer.importer import import_files
from analyzer.report.csvout import write_csv
from analyzer.report.har import write_har
from analyzer.report.html import render_html
from analyzer.report.jsonout import load_schema, write_json
from analyzer.store import Store
from analyzer.summary import build_report

DATA = Path(__file__).resolve().parent / "data"
CAPTURES = sorted(
    [
        *(DATA / "mitmproxy" / "har_files").glob("*.har"),
        *(DATA / "mitmproxy" / "flows").glob("*.har"),
        *(DATA / "mitmproxy" / "flows").glob("*.mitm"),
        DATA / "mitmproxy" / "flows" / "compressed.zhar",
        DATA / "mitmproxy" / "dumpfile-7-websocket.mitm",
        DATA / "mitmproxy" / "dumpfile-19.mitm",
    ]
)
PROFILE = DATA / "profiles" / "lab-pixel.toml"


def test_the_capture_set_is_there() -> None:
    assert len(CAPTURES) >= 20
    assert all(path.is_file() for path in CAPTURES)


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_every_format_from_a_real_capture(store: Store, capture: Path, tmp_path: Path) -> None:
    imported = import_files(store, [capture], session="real")
    report = build_report(store, "real", profile=PROFILE, policy="eu-adequacy")
    assert report["session"]["flows"] == imported.flows
    assert sum(d["flows"] for d in report["destinations"]) == imported.flows

    out = io.StringIO()
    write_json(report, out)
    jsonschema.validate(json.loads(out.getvalue()), load_schema())

    out = io.StringIO()
    write_csv(report, out)
    assert len(list(csv.DictReader(io.StringIO(out.getvalue())))) == len(report["findings"])

    page = render_html(report)
    assert page.startswith("<!doctype html>")
    page = page.replace("<wbr>", "")  # host names wrap only after dots and hyphens
    for destination in report["destinations"][:20]:
        assert _escaped(destination["host"]) in page

    har_path = tmp_path / "again.har"
    with open(har_path, "w", encoding="utf-8") as har:
        entries = write_har(store, store.session("real"), har)
    assert entries == imported.flows
    # leakmap's own HAR reads back in with the same requests.
    again = import_files(store, [har_path], session="again")
    assert again.flows == imported.flows
    before = [(r.method, r.url) for r in store.iter_flows(store.session("real").id)]
    after = [(r.method, r.url) for r in store.iter_flows(store.session("again").id)]
    assert after == before


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
