"""The live page in headless Chromium, beside a real ``leakmap capture`` with real clients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from analyzer.store import Store
from analyzer.store.marks import marks, step_of
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.capture import CN_HOST, PLAIN_HOST, Capture, Servers, curl, start_capture
from tests.support.live import ADID, EMAIL, PROFILE_TOML, printed_live_url
from tests.support.mmdb import write_country_db
from tests.support.net import wait_for

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=window.__pwned=2>"
SCRIPT = "<script>window.__pwned=1</script>"
RTL = "\u202eexe.gnp"


@pytest.fixture
def live(
    tmp_path: Path, sqlite_url: str, servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Capture, str]]:
    country = write_country_db(
        tmp_path / "country.mmdb", {"127.0.0.2/32": "CN", "127.0.0.4/32": "US"}
    )
    monkeypatch.setenv("LEAKMAP_GEOIP_DB", str(country))
    profile = tmp_path / "phone.toml"
    profile.write_text(PROFILE_TOML)
    capture = start_capture(tmp_path, sqlite_url, servers, "--profile", str(profile))
    try:
        yield capture, printed_live_url(capture)
    finally:
        capture.stop()


class Watched:
    """A page with the console errors and every request it made."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1280, "height": 1000})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        expect(self.page.locator("#status")).to_have_text("live: recording", timeout=60_000)


def _post(capture: Capture, url: str, data: object, *headers: str) -> None:
    args = ["-X", "POST", "-H", "Content-Type: application/json", "--data", json.dumps(data)]
    for header in headers:
        args += ["-H", header]
    result = curl(capture, url, *args)
    assert result.returncode == 0, result.stderr


def test_a_leaving_advertising_id_appears_and_hostile_content_stays_text(
    browser: Browser, live: tuple[Capture, str], servers: Servers
) -> None:
    capture, url = live
    watched = Watched(browser, url)
    page = watched.page
    _post(capture, f"https://{CN_HOST}:{servers.tls_port}/v1/install", {"adv": ADID})
    row = page.locator("#findings tbody tr").filter(has_text="Advertising ID")
    expect(row).to_have_count(1, timeout=30_000)
    expect(row).to_contain_text(CN_HOST)
    expect(row).to_contain_text("CN China")
    expect(row).not_to_contain_text(ADID)  # masked
    expect(page.locator("#map-CN")).to_have_class("land l1")
    expect(page.locator("#matrix-table thead")).to_contain_text("CN")
    expect(page.locator("#counters")).to_contain_text("1country receiving them")
    # A client that refuses the proxy's certificate: a blind spot, shown as it happens.
    assert curl(
        capture, f"https://{CN_HOST}:{servers.tls_port}/pinned", trust_proxy=False
    ).returncode
    blind = page.locator("#tls tbody tr")
    expect(blind).to_have_count(1, timeout=30_000)
    expect(blind).to_contain_text("client does not trust the proxy CA")
    expect(blind).to_contain_text(CN_HOST)

    # Hostile captured content: a Host header and JSON keys carrying markup, a right-to-left
    # override, and a 100 KB key; all beside the phone's own e-mail address.
    hostile = {IMG: {SCRIPT: {RTL: EMAIL}}, "k" * 100_000: EMAIL}
    _post(capture, f"http://{PLAIN_HOST}:{servers.plain_port}/collect", hostile,
          f"Host: {IMG}.evil.test")  # fmt: skip
    rows = page.locator("#findings tbody tr").filter(has_text="E-mail address")
    expect(rows).to_have_count(2, timeout=30_000)
    text = page.locator("#findings").inner_text()
    assert f"{IMG}.evil.test" in text and SCRIPT in text and RTL in text
    assert max(len(cell) for cell in page.locator("#findings td").all_inner_texts()) < 400
    assert page.locator("#findings img, #findings script, #findings svg").count() == 0
    assert page.evaluate("window.__pwned") is None
    base = url.split("/", 3)[:3]
    assert all(r.split("/", 3)[:3] == base for r in watched.requests), watched.requests
    assert watched.errors == []


def test_a_step_set_on_the_page_is_stored_and_files_what_follows(
    browser: Browser, live: tuple[Capture, str], servers: Servers, sqlite_url: str
) -> None:
    capture, url = live
    page = Watched(browser, url).page
    page.get_by_role("button", name="consent accepted").click()
    expect(page.locator("#mark-result")).to_contain_text("Step “consent accepted” from")
    page.fill("#mark-label", "login with e-mail")
    page.press("#mark-label", "Enter")
    expect(page.locator("#current-step")).to_have_text("login with e-mail", timeout=30_000)
    expect(page.locator("#mark-label")).to_have_value("")
    _post(capture, f"https://{CN_HOST}:{servers.tls_port}/v1/login", {"user": EMAIL})
    row = page.locator("#findings tbody tr").filter(has_text="E-mail address")
    expect(row).to_have_count(1, timeout=30_000)
    expect(row.locator("td").nth(1)).to_have_text("login with e-mail")
    steps = page.locator("#steps tbody tr")
    expect(steps).to_have_count(3)
    expect(steps.nth(2)).to_contain_text("email")

    capture.stop()
    with Store(sqlite_url) as store:
        session = store.session("e2e")
        stored = marks(store, session.id)
        (flow,) = list(store.iter_flows(session.id))
    assert [(m.label, m.source) for m in stored] == [
        ("consent accepted", "page"), ("login with e-mail", "page")]  # fmt: skip
    labels = [m.label for m in stored]
    assert step_of([m.at for m in stored], labels, flow.timestamp_start) == "login with e-mail"


ATTACKER = "http://attacker.probe.test/"
ATTACK = """<!doctype html><body><script>
window.results = {};
const live = %s;
function note(key, value) { window.results[key] = value; }
fetch(live + "state").then(r => note("read", r.status)).catch(e => note("read", "failed"));
fetch(live + "marks", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
  body: JSON.stringify({label: "forged (text)"})}).then(() => note("simple", "sent"))
  .catch(() => note("simple", "failed"));
fetch(live + "marks", {method: "POST", headers: {"Content-Type": "application/json"},
  body: JSON.stringify({label: "forged (json)"})}).then(r => note("json", r.status))
  .catch(() => note("json", "failed"));
const events = new EventSource(live + "events");
events.onmessage = () => note("events", "read");
events.addEventListener("snapshot", () => note("events", "read"));
events.onerror = () => { note("events", "failed"); events.close(); };
const script = document.createElement("script");
script.src = live + "assets/live.js";
script.onload = () => note("script", "loaded");
script.onerror = () => note("script", "failed");
document.body.appendChild(script);
</script></body>"""


def test_another_site_can_neither_read_the_page_nor_set_a_step(
    browser: Browser, live: tuple[Capture, str], sqlite_url: str
) -> None:
    _, url = live
    page = browser.new_page()
    page.route(
        ATTACKER + "**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body=ATTACK % json.dumps(url)
        ),
    )
    page.goto(ATTACKER)
    page.wait_for_function("Object.keys(window.results).length === 5", timeout=60_000)
    results = page.evaluate("window.results")
    # A no-cors POST leaves the browser unread (or is stopped by Chromium's own private network
    # rules); either way the server refuses it: no step below.
    assert results.pop("simple") in ("sent", "failed")
    assert results == {"read": "failed", "json": "failed", "events": "failed", "script": "failed"}
    wait_for(lambda: Store(sqlite_url).session_id("e2e") is not None)
    with Store(sqlite_url) as store:
        assert marks(store, store.session("e2e").id) == []  # the "sent" one was refused


def test_a_name_rebound_to_loopback_gets_nothing(
    browser: Browser, live: tuple[Capture, str]
) -> None:
    _, url = live
    port = url.split(":")[2].split("/")[0]
    rebound = url.replace(f"127.0.0.1:{port}", f"rebound.probe.test:{port}")
    # A second Chromium (same Playwright) whose resolver sends the attacker's name to loopback.
    rule = "--host-resolver-rules=MAP rebound.probe.test 127.0.0.1"
    rebinding = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rule])
    try:
        page = rebinding.new_page()
        response = page.goto(rebound)
        assert response is not None and response.status == 403
        assert page.inner_text("body").strip() == "forbidden"
    finally:
        rebinding.close()
