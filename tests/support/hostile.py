"""Hostile captures for the report tests: script-injection payloads in every captured field.

``write_hostile_har`` writes a HAR 1.2 file (as Chrome exports it, with ``_webSocketMessages``)
whose hosts, paths, query keys and values, header names and values, cookies, JSON and form
bodies and WebSocket messages carry the payloads below, each next to a value of the device
profile (``PROFILE_TOML``) so that the detector reports it and the report shows it.
``write_hostile_geo`` maps the HAR's server addresses to countries and to AS organisations
whose names are payloads; ``write_hostile_owners`` is an owner map whose owner names are;
``write_hostile_mitm`` a mitmproxy dump of TCP connections with payload SNI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mitmproxy import tcp
from mitmproxy.io import FlowWriter
from mitmproxy.test import tflow

from tests.support.har import har_entry
from tests.support.mmdb import write_asn_db, write_country_db

# Each payload that runs sets window.__pwned; any that loads something hits 127.0.0.1:1.
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '"><img src=x onerror="window.__pwned=2">'
SVG = "'><svg onload=window.__pwned=3>"
JS_URL = "javascript:window.__pwned=4"
STYLE_SCRIPT = "</style><script>window.__pwned=5</script>"
TEMPLATE = "{{7*7}}{% raw %}{{ r }}{% endraw %}${7*7}"
TEXTAREA = "</textarea></title><script>window.__pwned=6</script>"
CSS = "</style><style>*{background:url(http://127.0.0.1:1/css)}</style>"
BIDI = "\u202egnp.exe\u202d \u2066rtl\u2069 \u200fmark"
NUL = "nul\x00<script>window.__pwned=7</script>"
META = '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:1/">'
ANSI = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"  # terminal title, clear screen, colour
LONG = "<i>" + "L" * 100_000 + "</i>"  # 100 KB
FORMULAS = ['=HYPERLINK("http://127.0.0.1:1/","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]

PAYLOADS = [SCRIPT, IMG, SVG, JS_URL, STYLE_SCRIPT, TEMPLATE, TEXTAREA, CSS, BIDI, NUL, META]

# Payloads a URL's host can hold (no '/', ':', '@', '?', '#'; urlsplit lower-cases them).
HOST_PAYLOADS = [
    "<svg onload=window.__pwned=3>.evil.test",
    '"><img src=x onerror=window.__pwned=2>.evil.test',
    "{{7*7}}.evil.test",
    "\u202eevil.test",
    "javascript.evil.test",
    "=1+2.evil.test",  # a formula, for the CSV
    "-2+3.evil.test",
]

# The test phone. Some of its own values are payloads, so with --show-values the finding's value
# itself is hostile.
IMEI = "356938035643809"
EMAIL = "tester@example.org"
ADID = "6a1c1487-a0af-4223-b142-a0f4621d0311"
KNOWN_PAYLOADS = {"personName": SCRIPT, "deviceName": IMG, "wifiSsid": SVG, "userId": JS_URL}
PROFILE_TOML = (
    '[device]\nname = "lab-pixel-7"\n[known]\n'
    f'imei = "{IMEI}"\nemail = "{EMAIL}"\nadvertisingId = "{ADID}"\n'
    + "".join(f"{prop} = {json.dumps(value)}\n" for prop, value in KNOWN_PAYLOADS.items())
)

# Server addresses: country and AS organisation (payloads) of each.
SERVERS = {
    "127.0.0.2": ("CN", 4134, SCRIPT),
    "127.0.0.3": ("US", 15169, IMG),
    "127.0.0.4": ("DE", 3320, META),
    "127.0.0.5": ("SG", 45102, JS_URL),
    "127.0.0.6": ("RU", 12389, FORMULAS[0]),
    "127.0.0.7": ("BR", 28573, NUL + BIDI),
}
CLEAN_IP = "127.0.0.9"

# Owner names (payloads) for registrable domains used by the hostile HAR.
OWNED = {"tracker-one.com": STYLE_SCRIPT, "tracker-two.net": IMG, "tracker-three.org": FORMULAS[1]}


def printable(text: str) -> str:
    """``text`` as leakmap's GeoIP layer keeps names: without control or format characters."""
    return "".join(ch for ch in text if ch.isprintable())


def write_hostile_geo(folder: Path) -> tuple[Path, Path]:
    """(country db, ASN db) for ``SERVERS``; the clean server is in FR."""
    countries = {f"{ip}/32": cc for ip, (cc, _, _) in SERVERS.items()}
    countries[f"{CLEAN_IP}/32"] = "FR"
    asns = {f"{ip}/32": (asn, org) for ip, (_, asn, org) in SERVERS.items()}
    asns[f"{CLEAN_IP}/32"] = (16276, "OVH SAS")
    return (
        write_country_db(folder / "country.mmdb", countries),
        write_asn_db(folder / "asn.mmdb", asns),
    )


def write_profile(folder: Path) -> Path:
    path = folder / "profile.toml"
    path.write_text(PROFILE_TOML, encoding="utf-8")
    return path


def write_hostile_owners(folder: Path) -> Path:
    """An owner map in the shipped format whose owner names are payloads."""
    lines = []
    for domain, name in OWNED.items():
        lines += [
            "[[owner]]",
            f"name = {json.dumps(name)}",
            'country = "CN"',
            f"source = {json.dumps(META)}",
            f'domains = ["{domain}"]',
            "",
        ]
    path = folder / "owners.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _time(n: int) -> str:
    """``n`` seconds after the capture started, as a HAR timestamp."""
    return f"2025-12-29T{10 + n // 3600:02}:{n // 60 % 60:02}:{n % 60:02}.000Z"


def _entry(
    n: int,
    url: str,
    server_ip: str,
    *,
    method: str = "GET",
    headers: list[tuple[str, str]] | None = None,
    post: dict[str, Any] | None = None,
    websocket: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    entry = har_entry(
        _time(n),
        url,
        server_ip,
        method=method,
        headers=[{"name": k, "value": v} for k, v in headers or []],
        post=post,
        status=101 if websocket else 200,
        response_headers=[{"name": "content-type", "value": "application/json"}],
        response_type="application/json",
        response_text="{}",
        time=120,
        timings=(1, 100, 19),
    )
    if websocket is not None:
        entry["_webSocketMessages"] = websocket
    return entry


def hostile_entries() -> list[dict[str, Any]]:
    """Every field of a request carrying payloads, each next to a profile value."""
    ips = list(SERVERS)
    entries: list[dict[str, Any]] = []
    everything = [*PAYLOADS, LONG, *FORMULAS]
    for n, evil in enumerate(everything):
        ip = ips[n % len(ips)]
        domain = list(OWNED)[n % len(OWNED)]
        segment = quote(evil[:2000], safe="<>\"'{}%=:;!*$ ")
        # Path segment and query key and value, raw (as a hostile HAR may carry them).
        url = (
            f"http://api{n}.{domain}/{segment}/{IMEI}?{quote(evil[:2000])}={IMEI}"
            f"&id={quote(evil[:2000])}{ADID}&{quote(evil[:500])}{EMAIL}=1"
        )
        headers = [
            ("content-type", "application/json"),
            (f"x-{n}-{evil[:200]}", IMEI),
            ("x-device", f"{evil}{IMEI}"),
            ("cookie", f"{evil[:300]}={EMAIL}; uid={evil}{ADID}"),
        ]
        body = json.dumps(
            {
                evil: IMEI,
                "name": f"{evil} {EMAIL}",
                "nested": {"k": [evil, ADID]},
                "who": KNOWN_PAYLOADS["personName"],
            }
        )
        entries.append(
            _entry(
                n,
                url,
                ip,
                method="POST",
                headers=headers,
                post={"mimeType": "application/json", "text": body},
            )
        )
        # A form body: keys and values.
        form = [
            {"name": evil[:1000], "value": EMAIL},
            {"name": "adid", "value": f"{evil}{ADID}"},
            {"name": "dev", "value": KNOWN_PAYLOADS["deviceName"]},
        ]
        entries.append(
            _entry(
                1000 + n,
                f"https://forms.{domain}/submit",
                ip,
                method="POST",
                headers=[("content-type", "application/x-www-form-urlencoded")],
                post={"mimeType": "application/x-www-form-urlencoded", "params": form},
            )
        )
    for n, host in enumerate(HOST_PAYLOADS):
        ip = ips[n % len(ips)]
        entries.append(_entry(2000 + n, f"https://{host}/h?imei={IMEI}&ssid={SVG}", ip))
        # Broken XML: the decoder's note about it names the (hostile) host.
        entries.append(
            _entry(
                2100 + n,
                f"https://{host}/xml",
                ip,
                method="POST",
                headers=[("content-type", "application/xml")],
                post={"mimeType": "application/xml", "text": f"<a><{SCRIPT}{IMEI}"},
            )
        )
    # WebSocket: payloads both ways; what the phone sends carries personal data.
    messages = []
    for n, evil in enumerate(PAYLOADS):
        messages.append(
            {
                "type": "send",
                "time": 1_767_002_400.0 + n,
                "opcode": 1,
                "data": json.dumps({evil: IMEI, "email": EMAIL, "v": evil}),
            }
        )
        messages.append(
            {"type": "receive", "time": 1_767_002_400.5 + n, "opcode": 1, "data": f"{evil}{META}"}
        )
    entries.append(
        _entry(
            3000,
            "wss://ws.tracker-one.com/socket",
            ips[0],
            headers=[("upgrade", "websocket")],
            websocket=messages,
        )
    )
    # Enough plain destinations for the destination table to have pages.
    for n in range(30):
        entries.append(
            _entry(4000 + n, f"https://h{n:02}.pages.test/c?imei={IMEI}", ips[n % len(ips)])
        )
    return entries


def clean_entries() -> list[dict[str, Any]]:
    """A small baseline without payloads, for the diff."""
    return [_entry(n, f"https://clean{n}.example.com/c?imei={IMEI}", CLEAN_IP) for n in range(3)]


def write_hostile_mitm(path: Path) -> Path:
    """A mitmproxy dump of TCP connections (not HTTP: blind spots) whose SNI and host are
    payloads, and whose first bytes carry one."""
    ips = list(SERVERS)
    with path.open("wb") as handle:
        writer = FlowWriter(handle)
        for n, evil in enumerate([SCRIPT, IMG, SVG, META, BIDI, FORMULAS[0]]):
            flow = tflow.ttcpflow(
                messages=[
                    tcp.TCPMessage(True, f"{evil}{IMEI}".encode(), 1_767_002_000.0 + n),
                    tcp.TCPMessage(False, evil.encode(), 1_767_002_000.5 + n),
                ]
            )
            flow.client_conn.sni = evil
            flow.client_conn.timestamp_start = 1_767_002_000.0 + n
            flow.server_conn.address = (evil, 443)
            flow.server_conn.peername = (ips[n % len(ips)], 443)
            writer.add(flow)
    return path


def write_har(path: Path, entries: list[dict[str, Any]]) -> Path:
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [],
            "entries": entries,
        }
    }
    path.write_text(json.dumps(har), encoding="utf-8")
    return path
