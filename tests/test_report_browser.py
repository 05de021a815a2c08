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


# --- the jurisdiction toggle, steps and names that never break inside a word ----------------------


def _jurisdiction_report(store: Store, tmp_path: Path, **options: object) -> dict:
    """Servers in Singapore run by a company based in China (umeng.com: Alibaba Group), servers
    in the United States run by one based there (facebook.com: Meta Platforms)."""
    from analyzer.owners import OwnerMap

    aaid = "6a1c1487-a0af-4223-b142-a0f4621d0311"
    session = make_session(
        store,
        "jurisdiction",
        [
            flow(f"https://alog.umeng.com/app_logs?aaid={aaid}", server_ip=SG_IP, at=1),
            flow(f"https://graph.facebook.com/act?aaid={aaid}", server_ip=US_IP, at=3),
            flow("https://alog.umeng.com/imei?i=490154203237518", server_ip=SG_IP, at=5),
        ],
    )
    ids = list(flow_ids(store, session).values())
    findings = [
        HandFinding(ids[0], "advertisingId", value=aaid),
        HandFinding(ids[1], "advertisingId", value=aaid),
        HandFinding(ids[2], "imei", value="490154203237518"),
    ]
    return summarise(store, session, findings, GeoResolver(*geo_files(tmp_path)),
                     owners=OwnerMap.load(), **options)  # fmt: skip


def _fill(page: Page, country: str) -> str:
    return page.locator(f"#map-{country}").evaluate("el => getComputedStyle(el).fill")


def test_map_and_matrix_switch_to_the_operators_countries(
    browser: Browser, store: Store, tmp_path: Path
) -> None:
    report = _jurisdiction_report(store, tmp_path)
    opened = Opened(browser, _write(tmp_path, report))
    page = opened.page
    neutral = _fill(page, "FR")
    # By server: Singapore and the US are shaded, China (no server there) is not.
    assert page.locator("#matrix-table").is_visible()
    assert not page.locator("#owner-matrix-table").is_visible()
    assert _fill(page, "CN") == neutral
    assert _fill(page, "US") != neutral
    server_header = page.locator("#matrix-table thead").inner_text()
    assert "SG" in server_header and "CN" not in server_header
    # By operator: China (Alibaba Group's home) is shaded, Singapore is not.
    page.click('label[for="view-owner"]')
    assert page.locator("#view-owner").is_checked()
    assert not page.locator("#matrix-table").is_visible()
    assert page.locator("#owner-matrix-table").is_visible()
    assert _fill(page, "CN") != neutral
    assert _fill(page, "SG") == neutral
    owner_header = page.locator("#owner-matrix-table thead").inner_text()
    assert "CN" in owner_header and "SG" not in owner_header
    assert "Alibaba Group" in (
        page.locator("#owner-matrix-table td.hit").first.get_attribute("title") or ""
    )
    # The matrix's own switch goes back; both controls drive the same view.
    page.click('#matrix label.switch[for="view-server"]')
    assert page.locator("#matrix-table").is_visible()
    assert _fill(page, "CN") == neutral
    # The headline gives both counts, in words; properties have their human names.
    summary = page.locator("#summary").inner_text()
    assert "servers in 2 countries, run by companies based in 2 countries" in summary
    assert ("The IMEI went to servers in Singapore run by Alibaba Group, a company based in "
            "China.") in summary  # fmt: skip
    assert "Advertising ID" in page.locator("#matrix-table tbody").inner_text()
    assert opened.errors == [] and opened.requests == [opened.url]
    page.close()


def test_steps_show_what_left_in_each(browser: Browser, store: Store, tmp_path: Path) -> None:
    from tests.support.report import T0

    marks = [("consent shown", T0 + 2), ("consent refused", T0 + 4)]
    report = _jurisdiction_report(store, tmp_path, marks=marks)
    opened = Opened(browser, _write(tmp_path, report))
    page = opened.page
    steps = page.locator("#step-list article.step")
    assert steps.count() == 3
    first, shown, refused = (steps.nth(n) for n in range(3))
    assert "Before any mark" in first.inner_text()
    assert "Advertising ID" in first.inner_text() and "IMEI" not in first.inner_text()
    assert "“consent shown”" in shown.inner_text() and "United States" in shown.inner_text()
    assert "IMEI" in refused.inner_text() and "before consent" not in refused.inner_text()
    assert page.locator("#step-list article.before-consent").count() == 2
    assert "Before any consent: 1 property to 2 countries, run by companies based in 2 " \
        "countries." in page.locator("#steps").inner_text()
    page.click('nav a[href="#steps"]')
    assert page.locator("#steps").is_visible()
    assert opened.errors == []
    page.close()


_BREAKS = """
els => els.flatMap(el => {
  // Each line break inside the element: the characters on either side of it.
  const out = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const chars = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (rect) chars.push({c: node.data[i], top: Math.round(rect.top)});
    }
  }
  for (let i = 1; i < chars.length; i++) {
    if (chars[i].top > chars[i - 1].top + 2) out.push(chars[i - 1].c + "|" + chars[i].c);
  }
  return out;
})
"""


def test_names_break_only_at_dots_hyphens_and_spaces(
    browser: Browser, store: Store, tmp_path: Path
) -> None:
    from analyzer.owners import OwnerMap

    hosts = [
        "collector-eu-west-1.telemetry-ingest.very-long-analytics-vendor-name.example-cn.com",
        "a1b2c3d4e5f6.cdn-edge-node-frankfurt-main.global-content-delivery.example.org",
        "alog.umeng.com",
    ]
    session = make_session(
        store,
        "long-names",
        [flow(f"https://{h}/collect?uid=user-{n}", server_ip=SG_IP, at=n)
         for n, h in enumerate(hosts)],
    )  # fmt: skip
    findings = [
        HandFinding(flow_id, "userId", value=f"user-{n}")
        for n, flow_id in enumerate(flow_ids(store, session).values())
    ]
    report = summarise(store, session, findings, GeoResolver(*geo_files(tmp_path)),
                       owners=OwnerMap.load())  # fmt: skip
    path = _write(tmp_path, report)
    page = browser.new_page(viewport={"width": 420, "height": 900})
    page.goto(path.resolve().as_uri())
    names = page.locator("#dest-table td .nm")
    assert names.count() >= 9  # host, domain, operator and AS organisation cells
    breaks = names.evaluate_all(_BREAKS)
    assert breaks, "the narrow page should wrap some names"
    for pair in breaks:
        before, after = pair.split("|")
        assert before in ".- " or after == " ", f"a name broke inside a word: {pair!r}"
    page.close()


def test_hostile_step_labels_and_hosts_show_as_text(
    browser: Browser, store: Store, tmp_path: Path
) -> None:
    """Step labels, and captured host names in the new places (the not-delivered sentence, the
    placeholder table, the per-step tables) are text, never markup."""
    from tests.support.report import T0

    refused = flow("https://x.example-cn.com/a?e=jo@example.org", server_ip=CN_IP, at=1,
                   status=None)  # fmt: skip
    refused.host = HOSTILE[1]
    refused.error = "Connection refused"
    zeros = flow("https://y.example-us.com/p?gaid=0", server_ip=US_IP, at=3)
    zeros.host = HOSTILE[3]
    session = make_session(store, "hostile-steps", [refused, zeros])
    ids = list(flow_ids(store, session).values())
    findings = [
        HandFinding(ids[0], "email", value="jo@example.org"),
        HandFinding(ids[1], "advertisingId", value="00000000-0000-0000-0000-000000000000",
                    placeholder=True),
    ]  # fmt: skip
    marks = [(HOSTILE[0], T0 + 2), (HOSTILE[1], T0 + 2.5)]
    report = summarise(store, session, findings, GeoResolver(*geo_files(tmp_path)), marks=marks)
    opened = Opened(browser, _write(tmp_path, report))
    page = opened.page
    steps = page.locator("#steps").inner_text()
    assert HOSTILE[0] in steps and HOSTILE[1] in steps
    summary = page.locator("#summary").inner_text()
    assert f"The phone also tried to send the e-mail address to {HOSTILE[1]}" in summary
    assert HOSTILE[3] in page.locator("#placeholders").inner_text()
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.locator("img").count() == 0 and page.locator("main svg").count() == 1
    assert opened.errors == [] and opened.requests == [opened.url]
    page.close()
