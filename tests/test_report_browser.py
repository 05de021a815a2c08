"""The HTML report in a real browser (headless Chromium through Playwright)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from analyzer.geo import GeoResolver
from analyzer.report.html import render_html
from analyzer.store import Store
from analyzer.store import records as rec
from tests.support.report import (
    CN_IP,
    HOSTILE,
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

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


class Opened:
    """A page with every console message, page error and request it caused."""

    def __init__(self, browser: Browser, path: Path) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in (
            "error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")

    def visible_rows(self, table: str) -> int:
        return self.page.locator(f"#{table} tbody tr:visible").count()


def _write(tmp_path: Path, report: dict, name: str = "report.html") -> Path:
    path = tmp_path / name
    path.write_text(render_html(report), encoding="utf-8")
    return path


def _busy_session(store: Store) -> list[HandFinding]:
    """60 destinations (more than a page) with findings in three countries."""
    records: list[rec.Record] = []
    for n in range(60):
        server = (CN_IP, US_IP, SG_IP)[n % 3]
        records.append(flow(f"https://h{n:02}.example-cn.com/c?id=u{n}", server_ip=server, at=n))
        for _ in range(n % 4):
            records.append(flow(f"https://h{n:02}.example-cn.com/more", server_ip=server, at=n))
    session = make_session(store, "busy", records)
    properties = ["deviceId", "userId", "model", "osVersion", "email", "carrier", "timezone",
                  "language", "imei", "latitude", "longitude", "advertisingId"]
    return [
        HandFinding(flow_id, properties[n % len(properties)], value=f"value-{n}")
        for n, (url, flow_id) in enumerate(flow_ids(store, session).items())
        if "/c?" in url
    ]


def test_report_opens_clean_and_offline(browser: Browser, store: Store, tmp_path: Path) -> None:
    session, findings = example_session(store)
    report = summarise(store, session, findings, GeoResolver(*geo_files(tmp_path)))
    opened = Opened(browser, _write(tmp_path, report))
    page = opened.page
    assert opened.errors == []
    assert opened.requests == [opened.url]  # the file itself, nothing else

    # Map: every country drawn, China shaded, and its shading visible as a colour.
    assert page.locator("#map svg path.land").count() > 200
    china = page.locator("#map-CN")
    assert "l3" in (china.get_attribute("class") or "")
    fill = china.evaluate("el => getComputedStyle(el).fill")
    france = page.locator("#map-FR").evaluate("el => getComputedStyle(el).fill")
    assert fill != france
    assert page.locator("#map svg").bounding_box()["height"] > 200

    # Matrix and tables.
    assert page.locator("#matrix-table td.hit").count() == 5
    assert opened.visible_rows("dest-table") == 4
    assert opened.visible_rows("tls-table") == 1
    assert page.locator("#evidence-list article:visible").count() == 5
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    page.close()


def test_filter_sort_and_pages(browser: Browser, store: Store, tmp_path: Path) -> None:
    findings = _busy_session(store)
    report = summarise(store, store.session("busy"), findings, GeoResolver(*geo_files(tmp_path)))
    opened = Opened(browser, _write(tmp_path, report))
    page = opened.page
    assert opened.errors == []
    assert opened.visible_rows("dest-table") == 25  # one page
    counter = page.locator('[data-count-for="dest-table"]')
    assert counter.inner_text() == "60 entries"

    page.locator("#destinations .pager button", has_text="next").click()
    assert opened.visible_rows("dest-table") == 25
    assert "page 2 of 3" in page.locator("#destinations .pager").inner_text()

    page.fill('input[data-filter="dest-table"]', "h07.example")
    assert opened.visible_rows("dest-table") == 1
    assert "h07.example-cn.com" in page.locator("#dest-table tbody tr:visible").inner_text()
    assert counter.inner_text() == "1 of 60 entries"
    page.fill('input[data-filter="dest-table"]', "")
    assert opened.visible_rows("dest-table") == 25

    flows_header = page.locator("#dest-table th", has_text="Flows")
    flows_header.click()
    first = page.locator("#dest-table tbody tr:visible").first.locator("td").nth(7)
    assert first.inner_text() == "1"
    assert flows_header.get_attribute("aria-sort") == "ascending"
    flows_header.click()
    assert first.inner_text() == "4"
    assert flows_header.get_attribute("aria-sort") == "descending"

    host_header = page.locator("#dest-table th", has_text="Host")
    host_header.click()
    hosts = page.locator("#dest-table tbody tr:visible td.host").all_inner_texts()
    assert hosts == sorted(hosts)
    assert hosts[0] == "h00.example-cn.com"

    # A matrix cell leads to its evidence, even when that is on a later page of the list.
    last_cell = page.locator("#matrix-table td.hit a").last
    target = (last_cell.get_attribute("href") or "").lstrip("#")
    last_cell.click()
    assert page.locator(f"#{target}").is_visible()
    assert opened.errors == []
    page.close()


def test_hostile_content_never_runs(browser: Browser, store: Store, tmp_path: Path) -> None:
    records: list[rec.Record] = []
    for n, evil in enumerate(HOSTILE):
        records.append(
            flow(
                f"https://evil{n}.example-cn.com/{evil}?{evil}={evil}",
                server_ip=CN_IP,
                method="POST",
                headers=[(evil, evil)],
                body=('{"' + evil + '": "' + evil + '"}').encode(),
                at=n,
            )
        )
        records.append(rec.TlsFailureRecord("client", 0.0, None, evil, CN_IP, 443, evil))
    records[0].host = HOSTILE[0]
    records[2].host = "javascript:window.__pwned=3"
    session = make_session(store, "hostile", records, app=HOSTILE[1], device=HOSTILE[0])
    findings = [
        HandFinding(flow_id, HOSTILE[n % len(HOSTILE)], "body", HOSTILE[(n + 1) % len(HOSTILE)],
                    encoding=HOSTILE[1], value=HOSTILE[2], context=HOSTILE[3],
                    explanation=HOSTILE[0])
        for n, flow_id in enumerate(flow_ids(store, session).values())
    ]
    report = summarise(store, session, findings, GeoResolver(*geo_files(tmp_path)),
                       show_values=True)
    opened = Opened(browser, _write(tmp_path, report))
    page = opened.page
    assert page.evaluate("() => window.__pwned === undefined")
    assert opened.requests == [opened.url]  # no <img src=x> was fetched
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1
    assert page.locator("main svg").count() == 1  # only the map
    body = page.locator("body").inner_text()
    assert HOSTILE[0] in body  # shown as text
    assert '"><img src=x onerror=' in body
    assert "javascript:window.__pwned=3" in body
    # Following every link stays on the page (only #anchors) and runs nothing.
    for link in page.locator("a[href]").all()[:40]:
        href = link.get_attribute("href") or ""
        assert href.startswith("#")
    page.locator("#matrix-table td.hit a").first.click()
    page.fill('input[data-filter="dest-table"]', "<script>")
    assert page.evaluate("() => window.__pwned === undefined")
    assert opened.errors == []
    page.close()


def test_print_shows_everything(browser: Browser, store: Store, tmp_path: Path) -> None:
    findings = _busy_session(store)
    report = summarise(store, store.session("busy"), findings, GeoResolver(*geo_files(tmp_path)))
    opened = Opened(browser, _write(tmp_path, report))
    page = opened.page
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert opened.visible_rows("dest-table") == 60
    assert page.locator(".toc").is_hidden()
    pdf = page.pdf(path=str(tmp_path / "report.pdf"))
    assert pdf[:4] == b"%PDF"
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    assert opened.visible_rows("dest-table") == 25
    assert opened.errors == []
    page.close()


def test_hostile_traffic_through_the_detector(
    browser: Browser, store: Store, tmp_path: Path
) -> None:
    """The real pipeline: hostile keys around real identifiers, detected and then rendered."""
    from analyzer.profile import profile_from_dict
    from analyzer.summary import build_report

    imei = "356938035643809"
    records: list[rec.Record] = []
    for n, evil in enumerate(HOSTILE):
        records.append(
            flow(
                f"https://evil{n}.example-cn.com/{evil}?{evil}={imei}",
                server_ip=CN_IP,
                method="POST",
                headers=[("content-type", "application/json"), (f"x-{n}", evil)],
                body=json.dumps({evil: imei, "deviceModel": evil}).encode(),
                at=n,
            )
        )
    records[1].host = '"><img src=x onerror="window.__pwned=9">'
    make_session(store, "hostile-e2e", records)
    profile = profile_from_dict({"known": {"imei": imei}})
    country, asn = geo_files(tmp_path)
    report = build_report(store, "hostile-e2e", profile=profile, geoip_db=country, asn_db=asn,
                          show_values=True)
    paths = {f["path"] for f in report["findings"]}
    assert any("<script>" in (p or "") for p in paths)  # the hostile key reached the report
    opened = Opened(browser, _write(tmp_path, report, "e2e.html"))
    page = opened.page
    assert page.evaluate("() => window.__pwned === undefined")
    assert opened.requests == [opened.url]
    assert opened.errors == []
    assert page.locator("img").count() == 0
    page.locator("#evidence-list details").evaluate_all("ds => ds.forEach(d => d.open = true)")
    assert "<script>window.__pwned=1</script>" in page.locator("#evidence").inner_text()
    page.close()
