"""The HTML report as text: self-contained, escaped, strict CSP, bounded, linked."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from analyzer.geo import GeoResolver
from analyzer.policy import Policy
from analyzer.report import html as html_report
from analyzer.report.html import render_html, world_map
from analyzer.store import Store
from tests.support.report import (
    CN_IP,
    HOSTILE,
    HandFinding,
    example_session,
    flow,
    flow_ids,
    make_session,
    summarise,
)


class _Page(HTMLParser):
    """Collects ids, links, resource references and the inline style and script."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.sources: list[str] = []
        self.csp = ""
        self.inline: dict[str, list[str]] = {"style": [], "script": []}
        self._in: str | None = None
        self.script_tags = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if "href" in values:
            self.hrefs.append(values["href"] or "")
        for name in ("src", "srcset", "action", "formaction", "xlink:href", "poster", "data"):
            if name in values:
                self.sources.append(values[name] or "")
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp = values.get("content") or ""
        if tag in ("style", "script"):
            self._in = tag
            self.inline[tag].append("")
            self.script_tags += tag == "script"
        for name in values:
            assert not name.startswith("on"), f"event handler attribute {name} on <{tag}>"

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.inline[self._in][-1] += data


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_page_is_self_contained_with_a_strict_csp(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    page = parse(render_html(summarise(store, session, findings, geo)))
    assert page.csp.startswith("default-src 'none';")
    assert "unsafe-inline" not in page.csp and "unsafe-eval" not in page.csp
    (style,), (script,) = page.inline["style"], page.inline["script"]
    # The CSP admits exactly this page's own style and script.
    assert f"style-src '{_hash(style)}'" in page.csp
    assert f"script-src '{_hash(script)}'" in page.csp
    assert page.sources == []
    assert page.hrefs and all(href.startswith("#") for href in page.hrefs)
    assert "@import" not in style and "url(" not in style
    assert "fetch(" not in script and "XMLHttpRequest" not in script and "eval(" not in script


def test_every_link_has_its_target(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    page = parse(render_html(summarise(store, session, findings, geo)))
    missing = {href for href in page.hrefs if href[1:] not in page.ids}
    assert not missing


def test_header_headline_and_sections(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    report = summarise(store, session, findings, geo)
    page = render_html(report)
    for text in (
        "Example App", "1.2.3", "lab-pixel-7", "2025-12-29 09:20:00 UTC", "GeoLite2-Country",
        "MaxMind", "Personal data went to", "China", "Singapore", "United States",
        "Property × country", "When each property first left", "Plaintext leaks",
        "pinned.example-cn.com", "client does not trust", "Methods and limitations",
        "Natural Earth", "CHINANET-<wbr>BACKBONE",
    ):
        assert text in page, text
    ids = parse(page).ids
    assert {"summary", "map", "matrix", "timeline", "destinations", "plaintext",
            "blind-spots", "evidence", "methods", "methods-capture"} <= ids
    assert "methods-import" not in ids


def test_map_shades_countries_by_properties(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    report = summarise(store, session, findings, geo)
    shapes = {c["id"]: c for c in world_map(report)["countries"]}
    assert shapes["CN"]["properties"] == 3 and shapes["CN"]["level"] == 3
    assert shapes["US"]["level"] == 1
    assert shapes["DE"]["level"] == 0  # traffic, no personal data
    assert shapes["FR"]["level"] is None
    page = render_html(report)
    assert re.search(r'<path id="map-CN" class="land l3"', page)
    assert re.search(r'<path id="map-FR" class="land"', page)
    # Singapore is too small to see: it gets a dot.
    assert re.search(r'<circle class="dot l1 ', page)


def test_values_masked_by_default(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    masked = render_html(summarise(store, session, findings, geo))
    shown = render_html(summarise(store, session, findings, geo, show_values=True))
    assert "356938035643809" not in masked
    assert "356938035643809" in shown
    assert "--show-values" in masked
    assert "shown in clear" in shown


def test_policy_outside_is_marked(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    policy = Policy(name="eu-only", countries=frozenset({"DE"}))
    page = render_html(summarise(store, session, findings, geo, policy=policy))
    assert "outside policy" in page
    assert "eu-only" in page
    assert 'class="land l3 outside"' in page


def test_hostile_content_is_escaped(store: Store, geo: GeoResolver) -> None:
    records = []
    for n, evil in enumerate(HOSTILE):
        records.append(
            flow(
                f"https://evil{n}.example-cn.com/{evil}?{evil}={evil}",
                server_ip=CN_IP,
                headers=[(f"x-{n}", evil)],
                body=('{"' + evil + '": "' + evil + '"}').encode(),
                method="POST",
                at=n,
            )
        )
    records[0].host = HOSTILE[0]
    session = make_session(store, "hostile", records)
    findings = [
        HandFinding(flow_id, HOSTILE[n % len(HOSTILE)], "body", HOSTILE[n % len(HOSTILE)],
                    encoding=HOSTILE[1], value=HOSTILE[2], context=HOSTILE[3],
                    explanation=HOSTILE[0])
        for n, flow_id in enumerate(flow_ids(store, session).values())
    ]
    report = summarise(store, session, findings, geo, show_values=True)
    page = render_html(report)
    parsed = parse(page)
    assert parsed.script_tags == 1
    assert "<img" not in page
    assert "<svg onload" not in page
    assert "<script>window" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert all(href.startswith("#") for href in parsed.hrefs)
    assert not any("javascript:" in href for href in parsed.hrefs)


def test_long_lists_are_bounded(store: Store, geo: GeoResolver, monkeypatch) -> None:
    monkeypatch.setattr(html_report, "MAX_DESTINATION_ROWS", 5)
    monkeypatch.setattr(html_report, "MAX_HOSTS_PER_SECTION", 3)
    records = [flow(f"https://h{n}.example-cn.com/?id=x", server_ip=CN_IP) for n in range(12)]
    session = make_session(store, "long", records)
    findings = [
        HandFinding(i, "deviceId", value="abcdef123456")
        for i in flow_ids(store, session).values()
    ]
    report = summarise(store, session, findings, geo)
    page = render_html(report)
    assert page.count('<tr class="receives') == 5
    assert "7 more destinations" in page
    assert page.count('<details class="ev-host"') == 3
    assert "9 more hosts (9 findings)" in page
    assert len(report["destinations"]) == 12  # the JSON keeps everything


def test_empty_session_renders(store: Store, geo: GeoResolver) -> None:
    session = make_session(store, "empty", [], app=None, app_version=None, device=None)
    page = render_html(summarise(store, session, [], geo))
    assert "No personal data was found in the inspected traffic." in page


def test_evidence_stays_bounded_across_sections(
    store: Store, geo: GeoResolver, monkeypatch
) -> None:
    monkeypatch.setattr(html_report, "MAX_HOST_GROUPS", 10)
    monkeypatch.setattr(html_report, "MAX_EXAMPLES", 8)
    monkeypatch.setattr(html_report, "MAX_ROWS", 4)
    records = [
        flow(f"http://h{n}.example-cn.com/{k}?id=x", server_ip=CN_IP, at=n)
        for n in range(6)
        for k in range(3)
    ]
    session = make_session(store, "wide", records)
    properties = ["deviceId", "userId", "email"]
    findings = [
        HandFinding(flow_id, prop, value="abcdef123456")
        for flow_id in flow_ids(store, session).values()
        for prop in properties
    ]
    report = summarise(store, session, findings, geo)
    assert sum(len(s["hosts"]) for s in report["evidence"]) == 18  # the dict keeps all
    page = render_html(report)
    assert page.count('<details class="ev-host"') == 10
    assert page.count('<div class="example">') == 8
    # What is not shown is counted, never silently dropped.
    assert "2 more hosts (6 findings)" in page
    assert "6 more hosts (18 findings)" in page
    assert page.count('<tr><td><a href="#ev-') == 4  # plaintext rows
    assert "14 more in the JSON and CSV reports." in page


@pytest.mark.parametrize("failures", [1, 2])
def test_singular_and_plural(store: Store, geo: GeoResolver, failures: int) -> None:
    from tests.support.report import tls_failure

    records = [flow("https://pinned.example-cn.com/a?id=u1", server_ip=CN_IP)]
    records += [tls_failure("pinned.example-cn.com", CN_IP, at=n) for n in range(failures)]
    session = make_session(store, "plural", records)
    (flow_id,) = flow_ids(store, session).values()
    page = render_html(summarise(store, session, [HandFinding(flow_id, "userId", value="u1")], geo))
    text = re.sub(r"<[^>]+>", "", page)
    text = re.sub(r"\s+", " ", text)
    if failures == 1:
        assert "1 TLS failure " in text and "1 TLS failures" not in text
    else:
        assert "2 TLS failures" in text
    assert "1 personal property " in text and "1 finding " in text
    assert "1 server country " in text
    assert "1 blind spot (host not inspected)" in text
    assert "1 of 1 destination received personal data" in text
    assert "1 flow" in text and "1 flows" not in text


def test_local_servers_show_as_local(store: Store, geo: GeoResolver) -> None:
    session = make_session(
        store,
        "lan",
        [flow("http://nas.home.arpa/upload?user=u7", server_ip="192.168.178.20"),
         flow("https://log.example-cn.com/x?user=u7", server_ip=CN_IP, at=1)],
    )  # fmt: skip
    findings = [HandFinding(i, "userId", value="u7") for i in flow_ids(store, session).values()]
    report = summarise(store, session, findings, geo)
    page = render_html(report)
    start = page.index('id="matrix-table"')
    matrix = page[start : page.index("</table>", start)]
    assert "<th title=\"local network\">local</th>" in matrix
    assert "??" not in page
    dest = page[page.index('id="dest-table"') :]
    assert '<span class="tag local">local</span>' in dest[: dest.index("</table>")]
    assert "The user ID went to servers in China and on the local network" in page
