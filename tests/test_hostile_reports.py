"""Script-injection payloads in every captured field, through the real import path, in every
report format: in Chromium nothing runs, nothing is fetched, and the payloads show as text.

The session is a HAR 1.2 file (plus a .mitm dump of undecoded TCP connections whose SNI are
payloads) imported with ``analyzer.importer.import_files``; the detector finds
the device profile's values next to (and inside) the payloads, so they reach the evidence, the
matrix and the destination table. AS organisation names come from a test MaxMind ASN file.
``leakmap report`` cannot be given an owner map (it always uses the shipped one), so owner names
are covered one level down: the same findings summarised with a custom ``OwnerMap.load(path)``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from analyzer.cli import main
from analyzer.detect import mask_value
from analyzer.detect.cache import findings_for_session
from analyzer.diff import diff_reports
from analyzer.diff_report import render_html as render_diff_html
from analyzer.geo import GeoResolver
from analyzer.importer import import_files
from analyzer.owners import OwnerMap
from analyzer.profile import load_profile
from analyzer.report.csvout import write_csv
from analyzer.report.html import render_html
from analyzer.report.jsonout import write_json
from analyzer.store import Store
from analyzer.store.records import storable
from analyzer.summary import Summariser
from tests.support import hostile as h

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class World:
    db: str
    profile: Path
    country_db: Path
    asn_db: Path
    owners: Path
    folder: Path

    def analysis(self) -> list[str]:
        return [
            "--db",
            self.db,
            "--profile",
            str(self.profile),
            "--geoip-db",
            str(self.country_db),
            "--asn-db",
            str(self.asn_db),
        ]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Two sessions imported from HAR files: "hostile" and a "clean" baseline."""
    folder = tmp_path_factory.mktemp("hostile")
    country_db, asn_db = h.write_hostile_geo(folder)
    db = str(folder / "leakmap.db")
    with Store(db) as store:
        import_files(
            store,
            [
                h.write_har(folder / "hostile.har", h.hostile_entries()),
                h.write_hostile_mitm(folder / "hostile.mitm"),
            ],
            session="hostile",
            app=h.SCRIPT + h.ANSI,
            device=h.IMG,
            platform=h.META,
        )
        import_files(
            store,
            [h.write_har(folder / "clean.har", h.clean_entries())],
            session="clean",
            app="Clean App",
            device="lab-pixel-7",
        )
    return World(
        db, h.write_profile(folder), country_db, asn_db, h.write_hostile_owners(folder), folder
    )


class Watched:
    """A page opened from file:// with every request, dialog, console error and page error."""

    def __init__(self, browser: Browser, path: Path) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_inert(self) -> None:
        """Nothing ran, nothing was fetched, nothing was injected as markup."""
        page = self.page
        page.wait_for_timeout(300)  # a meta refresh of 0 s or an onerror would have fired
        assert page.evaluate("() => window.__pwned") is None
        assert page.url.split("#")[0] == self.url  # no refresh or navigation away
        assert self.requests == [self.url]  # the file itself, nothing else
        assert self.dialogs == []
        assert self.errors == []  # a CSP violation would be logged here too
        assert page.locator("img, iframe, object, embed, textarea, form").count() == 0
        assert page.locator("script").count() == 1
        assert page.locator("style").count() == 1
        assert page.locator("meta[http-equiv]").count() == 1  # the CSP
        assert page.locator("main svg").count() <= 1  # the map, nothing injected
        for href in page.locator("a[href]").evaluate_all(
            "as => as.map(a => a.getAttribute('href'))"
        ):
            assert href.startswith("#"), href
        assert page.locator("[onerror], [onload], [onclick], [style]").count() == 0

    def text(self) -> str:
        """All text of the page, hidden rows and closed examples included."""
        return str(
            self.page.evaluate(
                "() => ['header', 'main'].map(s => document.querySelector(s).textContent).join('')"
            )
        )


def _visible_text(payload: str) -> str:
    # As stored (NUL and lone surrogates as visible escapes, on every backend), then as the
    # HTML parser gives text back: the whole payload must be there.
    return storable(payload) or ""


def _cli_report(world: World, session: str, fmt: str, out: Path, *extra: str) -> Path:
    assert (
        main(["report", session, "--format", fmt, "-o", str(out), *world.analysis(), *extra]) == 0
    )
    return out


# --- JSON and CSV ------------------------------------------------------------------------------


@pytest.mark.parametrize("show", [True, False])
def test_json_report_keeps_payloads_as_data(world: World, tmp_path: Path, show: bool) -> None:
    path = _cli_report(
        world, "hostile", "json", tmp_path / "r.json", *(["--show-values"] if show else [])
    )
    document = json.loads(path.read_text(encoding="utf-8"))  # valid JSON
    findings = document["findings"]
    assert (
        document["session"]["app"] == h.SCRIPT + h.ANSI and document["session"]["device"] == h.IMG
    )
    orgs = {f["org"] for f in findings}
    # GeoIP names lose control and bidi characters (terminal escapes); the rest is kept whole.
    assert {h.printable(org) for _, _, org in h.SERVERS.values()} <= orgs
    hosts = {f["host"] for f in findings}
    assert {name.lower() for name in h.HOST_PAYLOADS[:4]} <= hosts
    paths = "\n".join(f["path"] or "" for f in findings)
    personal = set(h.KNOWN_PAYLOADS.values())
    for payload in h.PAYLOADS:
        # As the store keeps text on every backend: NUL and lone surrogates as visible escapes;
        # or as sent, where the key came from a body (a HAR's form params keep their bytes).
        # A key that is one of the profile's values is personal data: masked unless shown.
        if show or payload not in personal:
            assert storable(payload) in paths or payload in paths, payload
        else:
            assert payload not in paths and mask_value(payload) in paths, payload
    locations = {f["location"] for f in findings}
    assert {"query", "path", "header", "cookie", "body", "websocket"} <= locations
    # Long keys arrive as data (the detector bounds what it keeps of a 100 KB one).
    assert any(len(p) >= 1000 and h.LONG.startswith(p) for p in paths.split("\n"))
    values = {f["value"] for f in findings}
    if show:
        assert set(h.KNOWN_PAYLOADS.values()) <= values
    else:
        assert not values & set(h.KNOWN_PAYLOADS.values())
        assert h.IMEI not in path.read_text(encoding="utf-8")
    assert h.IMEI not in {d["host"] for d in document["destinations"]}
    assert {h.SCRIPT, h.IMG, h.META} <= {c["host"] for c in document["connections"]}
    assert any(h.HOST_PAYLOADS[1] in note for note in document["notes"])


@pytest.mark.parametrize("show", [True, False])
def test_csv_cells_never_start_a_formula(world: World, tmp_path: Path, show: bool) -> None:
    path = _cli_report(
        world, "hostile", "csv", tmp_path / "r.csv", *(["--show-values"] if show else [])
    )
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert len(body) > 100 and all(len(row) == len(header) for row in body)
    cells = [cell for row in body for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_START), cell[:80]
    # The formulas are still there, defused, as data.
    hosts = {row[header.index("host")] for row in body}
    assert {"'=1+2.evil.test", "'-2+3.evil.test"} <= hosts
    org = header.index("org")
    assert "'" + h.FORMULAS[0] in {row[org] for row in body}
    paths = {row[header.index("path")] for row in body}
    assert any(cell.startswith("'=") for cell in paths)
    assert any(cell.startswith("'@") for cell in paths)
    assert any(cell.startswith("'+") for cell in paths)
    assert h.printable(h.NUL + h.BIDI) in {row[org] for row in body}
    if show:
        assert h.SCRIPT in {row[header.index("value")] for row in body}


def _owner_report(world: World, *, show_values: bool = True) -> dict[str, Any]:
    """The hostile session as ``build_report`` makes it, but with the payload owner map."""
    owners = OwnerMap.load(world.owners)
    with Store(world.db, create=False) as store:
        info = store.session("hostile")
        findings, notes = findings_for_session(store, info, load_profile(world.profile))
        summariser = Summariser(
            info,
            geo=GeoResolver(world.country_db, world.asn_db),
            owners=owners,
            show_values=show_values,
            mask=mask_value,
        )
        summariser.add_findings(findings)
        for flow in store.iter_flows(info.id):
            summariser.add_flow(flow)
        for message in store.websocket_messages(info.id):
            summariser.add_websocket_message(message)
    return summariser.result(notes=[str(n) for n in notes])


def test_owner_names_in_csv_and_json(world: World) -> None:
    report = _owner_report(world)
    out = io.StringIO()
    write_csv(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    owners = {row["owner"] for row in rows}
    assert {h.STYLE_SCRIPT, h.IMG, "'" + h.FORMULAS[1]} <= owners
    assert not any(cell.startswith(FORMULA_START) for row in rows for cell in row.values())
    out = io.StringIO()
    write_json(report, out)
    document = json.loads(out.getvalue())
    assert set(h.OWNED.values()) <= {d["owner"] for d in document["destinations"]}


def test_websocket_messages_both_ways_are_stored(world: World) -> None:
    """The import keeps what the server sent too, payloads intact, though only what the phone
    sent is searched for personal data."""
    with Store(world.db, create=False) as store:
        messages = list(store.websocket_messages(store.session("hostile").id))
    received = [m for m in messages if not m.from_client]
    sent = [m for m in messages if m.from_client]
    assert len(received) == len(sent) == len(h.PAYLOADS)
    assert any(h.NUL.encode() in bytes(m.content) for m in received)
    assert any(h.META.encode() in bytes(m.content) for m in received)


def test_masked_html_holds_no_value_in_clear(world: World, tmp_path: Path) -> None:
    """Without --show-values no personal value is in the file, in any form a URL gives it,
    even in an example about another value of the same request."""
    html = _cli_report(world, "hostile", "html", tmp_path / "r.html").read_text(encoding="utf-8")
    assert "api0.tracker-one.com" in html and "&lt;script&gt;window.__pwned=1" in html
    for value in (h.IMEI, h.EMAIL, h.ADID):
        for form in {value, quote(value, safe=""), quote_plus(value)}:
            assert form not in html, form


# --- the session report in Chromium ------------------------------------------------------------


def _exercise_report(watched: Watched) -> None:
    """Filter, sort, page, follow matrix links and evidence, with the payloads on the page."""
    page = watched.page
    counter = page.locator('[data-count-for="dest-table"]')
    assert "entries" in counter.inner_text()
    assert page.locator("#dest-table tbody tr:visible").count() == 25  # more than a page
    page.locator("#destinations .pager button", has_text="next").click()
    assert "page 2 of" in page.locator("#destinations .pager").inner_text()
    for payload in (h.SCRIPT, h.IMG, h.SVG, h.JS_URL, h.TEMPLATE, h.META, h.BIDI):
        page.fill('input[data-filter="dest-table"]', payload)
        page.fill('input[data-filter="evidence-list"]', payload)
    page.fill('input[data-filter="dest-table"]', "<svg onload")
    assert page.locator("#dest-table tbody tr:visible").count() >= 1
    assert (
        "<svg onload=window.__pwned=3>"
        in page.locator("#dest-table tbody tr:visible td.host").first.inner_text()
    )
    page.fill('input[data-filter="dest-table"]', "")
    page.fill('input[data-filter="evidence-list"]', "")
    for header in page.locator("#dest-table th[data-sort]").all():
        header.click()
        header.click()
    for header in page.locator("#country-table th[data-sort]").all():
        header.click()
    # Evidence pages (more than one), then every matrix cell leads to its evidence, wherever
    # the list's pages put it; then everything open.
    pager = page.locator("#evidence .pager")
    assert "page 1 of" in pager.inner_text()
    pager.locator("button", has_text="next").click()
    assert "page 2 of" in pager.inner_text()
    pager.locator("button", has_text="previous").click()
    links = page.locator("#matrix-table td.hit a")
    assert links.count() >= 10
    for n in range(links.count()):
        link = links.nth(n)
        target = (link.get_attribute("href") or "").lstrip("#")
        link.click()
        expect(page.locator(f"#{target}")).to_be_visible()  # after the hashchange event
    pager.locator("button", has_text="show all").click()
    page.locator("#evidence-list details").evaluate_all("ds => ds.forEach(d => d.open = true)")
    # A hostile fragment: the page looks it up as an id, nothing more.
    page.evaluate("(h) => { location.hash = h }", h.SCRIPT)
    page.evaluate("(h) => { location.hash = h }", h.IMG)
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")


@pytest.mark.browser
@pytest.mark.parametrize("show", [True, False])
def test_session_report_runs_nothing(
    browser: Browser, world: World, tmp_path: Path, show: bool
) -> None:
    path = _cli_report(
        world, "hostile", "html", tmp_path / "r.html", *(["--show-values"] if show else [])
    )
    watched = Watched(browser, path)
    watched.assert_inert()
    page = watched.page
    assert page.title().startswith("leakmap: " + h.SCRIPT)  # the app name, as text
    text = watched.text()
    # Shown as text: the AS names, hosts, and (in evidence paths) every payload.
    for org in (h.SCRIPT, h.IMG, h.META, h.JS_URL, h.FORMULAS[0]):
        assert org in page.locator("#dest-table").text_content(), org
    for host in h.HOST_PAYLOADS[:3]:
        assert host in text
    # Connections not decoded (blind spots), from the .mitm dump: SNI payloads as text.
    connections = page.locator("#conn-table").text_content() or ""
    for sni in (h.SCRIPT, h.IMG, h.SVG, h.META):
        assert sni in connections, sni
    notes = page.locator("#blind-spots ul.notes").text_content() or ""
    assert h.HOST_PAYLOADS[1] in notes
    evidence = page.locator("#evidence-list").text_content() or ""
    for payload in h.PAYLOADS:
        if show or payload not in h.KNOWN_PAYLOADS.values():
            assert _visible_text(payload) in evidence, payload
        else:  # a key that is a profile value is personal data: shown masked
            assert _visible_text(mask_value(payload)) in evidence, payload
    assert "\u202e" in evidence  # bidi controls are kept as characters, not interpreted
    assert "LLLLLLLLLL" in evidence
    if show:
        values = page.locator("#evidence-list code.value").all_text_contents()
        assert set(h.KNOWN_PAYLOADS.values()) <= set(values)
    else:  # masked: no personal value in clear anywhere, not even beside a payload
        for value in (h.IMEI, h.EMAIL, h.ADID):
            assert value not in text, value
    _exercise_report(watched)
    watched.assert_inert()
    page.close()


@pytest.mark.browser
def test_owner_names_are_text(browser: Browser, world: World, tmp_path: Path) -> None:
    """Owner names from a custom owner map, through the real detector, summariser and page."""
    report = _owner_report(world)
    assert {d["owner"] for d in report["destinations"]} >= set(h.OWNED.values())
    path = tmp_path / "owners.html"
    path.write_text(render_html(report), encoding="utf-8")
    watched = Watched(browser, path)
    watched.assert_inert()
    table = watched.page.locator("#dest-table").text_content() or ""
    for name in h.OWNED.values():
        assert name in table
    watched.page.fill('input[data-filter="dest-table"]', h.STYLE_SCRIPT)
    assert watched.page.locator("#dest-table tbody tr:visible").count() >= 1
    watched.page.fill('input[data-filter="dest-table"]', "")
    _exercise_report(watched)
    watched.assert_inert()
    watched.page.close()

    # The diff page against a clean baseline: new owners and hosts with hostile names.
    with Store(world.db, create=False) as store:
        from analyzer.summary import build_report

        clean = build_report(
            store, "clean", profile=world.profile, geoip_db=world.country_db, asn_db=world.asn_db
        )
    diff = diff_reports(clean, report)
    path = tmp_path / "owners-diff.html"
    path.write_text(render_diff_html(diff), encoding="utf-8")
    watched = Watched(browser, path)
    watched.assert_inert()
    text = watched.text()
    for name in h.OWNED.values():
        assert name in text
    watched.page.close()


# --- the diff report ---------------------------------------------------------------------------


@pytest.mark.browser
def test_diff_report_runs_nothing(
    browser: Browser, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "diff.html"
    assert (
        main(["diff", "clean", "hostile", *world.analysis(), "--format", "html", "-o", str(path)])
        == 0
    )
    terminal = capsys.readouterr()
    assert h.SCRIPT in terminal.out  # the app's name, in the summary printed
    assert "\x1b" not in terminal.out + terminal.err  # no terminal escape passed through
    assert "\u202e" not in terminal.out
    watched = Watched(browser, path)
    watched.assert_inert()
    text = watched.text()
    for host in h.HOST_PAYLOADS[:3]:
        assert host in text
    assert h.SCRIPT in text  # the app's name, in the header
    assert h.META in text  # a new blind spot (TCP connection) named by its SNI
    page = watched.page
    assert page.locator("table[data-sortable]").count() >= 2
    for table in page.locator("table[data-sortable]").all()[:6]:
        for header in table.locator("th[data-sort]").all():
            header.click()
    for box in page.locator("input[data-filter]").all():
        box.fill(h.IMG)
        box.fill("")
    for button in page.locator(".pager button", has_text="show all").all():
        button.click()
    page.locator("details").evaluate_all("ds => ds.forEach(d => d.open = true)")
    watched.assert_inert()
    page.close()

    # The reverse direction lists the hostile hosts as gone; JSON stays valid with them.
    out = tmp_path / "diff.json"
    assert (
        main(["diff", "hostile", "clean", *world.analysis(), "--format", "json", "-o", str(out)])
        == 0
    )
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert h.HOST_PAYLOADS[0] in json.dumps(document, ensure_ascii=False)


@pytest.mark.browser
def test_diff_of_a_saved_hostile_report(browser: Browser, world: World, tmp_path: Path) -> None:
    """A baseline kept as a JSON report (values shown) is read back as data, not markup."""
    saved = _cli_report(world, "hostile", "json", tmp_path / "hostile.json", "--show-values")
    path = tmp_path / "diff.html"
    assert (
        main(["diff", str(saved), "clean", *world.analysis(), "--format", "html", "-o", str(path)])
        == 0
    )
    watched = Watched(browser, path)
    watched.assert_inert()
    text = watched.text()
    for host in h.HOST_PAYLOADS[:3]:
        assert host in text  # gone destinations
    for box in watched.page.locator("input[data-filter]").all():
        box.fill(h.SCRIPT)
    watched.assert_inert()
    watched.page.close()
