"""Request parts HAR gives only in its lists: a query only in ``queryString``, cookies only in
``cookies``, a body only in ``postData.params`` (analyzer/importer/harparts.py, harbody.py).

Entries are built in the form Insomnia and HTTP-client HAR generators write (module docs), with
invented values; decoys are the forms where URL and lists agree (Chrome, Firefox, mitmproxy).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from analyzer.importer import read_records
from analyzer.importer.harparts import cookie_header, url_with_query_string
from analyzer.importer.notes import ImportNotes
from analyzer.store import records as rec
from tests.support.har import har_entry

LEAKMAP = str(Path(sys.executable).with_name("leakmap"))
AD_ID = "0c7e4b92-5d1a-4f63-9e28-b3a4c5d6e7f8"
EMAIL = "mara.quell@example.net"
IMEI = "353918104752238"


def q(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


@pytest.mark.parametrize(
    ("url", "query_string", "expected"),
    [
        # Insomnia: the base URL, parameters only in queryString; values encoded once
        ("https://a.example.io/v1/e", q(("gaid", AD_ID), ("mail", EMAIL)),
         f"https://a.example.io/v1/e?gaid={AD_ID}&mail=mara.quell@example.net"),
        ("https://a.example.io/v1/e", q(("city", "Zürich Nord"), ("pre", "x%20y")),
         "https://a.example.io/v1/e?city=Z%C3%BCrich+Nord&pre=x%20y"),
        # a fragment stays last
        ("https://a.example.io/p#top", q(("k", "1")), "https://a.example.io/p?k=1#top"),
        # one parameter only in the list: appended
        ("https://a.example.io/p?a=1", q(("a", "1"), ("imei", IMEI)),
         f"https://a.example.io/p?a=1&imei={IMEI}"),
    ],
)  # fmt: skip
def test_parameters_only_in_query_string_reach_the_url(
    url: str, query_string: Any, expected: str
) -> None:
    rebuilt, notes = url_with_query_string(url, query_string)
    assert rebuilt == expected
    assert len(notes) == 1 and "queryString" in notes[0]


@pytest.mark.parametrize(
    ("url", "query_string"),
    [
        # Chrome: names and values as in the URL
        ("https://a.example.io/p?e%5Bid%5D=7&m=a%40b.c", q(("e%5Bid%5D", "7"), ("m", "a%40b.c"))),
        # Firefox: decoded
        ("https://a.example.io/p?e%5Bid%5D=7&m=a%40b.c", q(("e[id]", "7"), ("m", "a@b.c"))),
        ("https://a.example.io/p?flag", q(("flag", ""))),
        ("https://a.example.io/p", []),
        ("https://a.example.io/p", None),
        ("https://a.example.io/p", "gaid=1"),  # not a list
        ("https://a.example.io/p", [7, {"value": "x"}, {"name": ""}]),  # no usable item
    ],
)  # fmt: skip
def test_a_query_the_url_already_has_is_left_alone(url: str, query_string: Any) -> None:
    assert url_with_query_string(url, query_string) == (url, [])


def test_cookies_only_in_the_list_become_a_cookie_header() -> None:
    headers = ((b"User-Agent", b"okhttp/4.12"),)
    built, notes = cookie_header(headers, q(("uid", "u-81"), ("adid", AD_ID)))
    assert built[-1] == (b"Cookie", f"uid=u-81; adid={AD_ID}".encode())
    assert notes and "header rebuilt" in notes[0]
    with_cookie = ((b"cookie", b"uid=u-81"),)
    assert cookie_header(with_cookie, q(("uid", "u-81"))) == (with_cookie, [])
    assert cookie_header(headers, []) == (headers, [])


def _har(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "insomnia.har"
    creator = {"name": "Insomnia REST Client", "version": "insomnia.desktop.app:v2023.5.8"}
    document = {"log": {"version": "1.2", "creator": creator, "entries": entries}}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _entries() -> list[dict[str, Any]]:
    base = "2026-03-07T21:45:13.250Z"
    query = har_entry(base, "https://attr.example-ads.io/v2/open", "198.51.100.20")
    query["request"]["queryString"] = q(("advertising_id", AD_ID), ("src", "organic"))
    cookies = har_entry(base, "https://id.example-ads.io/sync", "198.51.100.21")
    cookies["request"]["cookies"] = q(("contact", EMAIL))
    form = har_entry(base, "https://auth.example-ads.io/token", "198.51.100.22", method="POST")
    form["request"]["postData"] = {
        "mimeType": "application/x-www-form-urlencoded",
        "params": q(("login", EMAIL), ("hw", f"IMEI {IMEI} / P8")),
    }
    upload = har_entry(base, "https://up.example-ads.io/avatar", "198.51.100.23", method="POST")
    upload["request"]["postData"] = {"mimeType": "multipart/form-data", "params": [
        {"name": "device_imei", "value": IMEI},
        {"name": 'pic"\r\nX-Injected: 1', "fileName": "/home/mara/me.png"},
    ]}  # fmt: skip
    return [query, cookies, form, upload]


def test_an_insomnia_file_gives_every_part_to_the_flows_with_notes(tmp_path: Path) -> None:
    notes = ImportNotes("insomnia.har")
    flows = [r for r in read_records(_har(tmp_path, _entries()), notes) if r is not None]
    assert all(isinstance(f, rec.FlowRecord) for f in flows)
    query, cookies, form, upload = flows
    assert isinstance(query, rec.FlowRecord) and query.url.endswith(
        f"?advertising_id={AD_ID}&src=organic"
    )
    assert isinstance(cookies, rec.FlowRecord)
    assert (b"Cookie", f"contact={EMAIL}".encode()) in cookies.request_headers
    assert isinstance(form, rec.FlowRecord)
    assert form.request_body == f"login=mara.quell@example.net&hw=IMEI+{IMEI}+%2F+P8".encode()
    assert isinstance(upload, rec.FlowRecord) and upload.request_body is not None
    # The hostile field name cannot add a header line to the rebuilt part.
    assert b"\r\nX-Injected: 1" not in upload.request_body
    assert b'name="pic%22%0D%0AX-Injected: 1"; filename="/home/mara/me.png"' in upload.request_body
    text = "\n".join(notes.lines())
    assert "query given only in queryString" in text
    assert "cookies given only in the cookies list" in text
    assert "request body given only as postData.params: rebuilt from them (2 times" in text
    assert "multipart file field 'pic\"??X-Injected: 1' without its content" in text
    assert EMAIL not in text and AD_ID not in text


def test_leakmap_finds_what_only_the_lists_carried(tmp_path: Path) -> None:
    db, report = tmp_path / "l.db", tmp_path / "r.json"
    profile = tmp_path / "device.toml"
    profile.write_text(
        f'[known]\nadvertisingId = "{AD_ID}"\nemail = "{EMAIL}"\nimei = "{IMEI}"\n',
        encoding="utf-8",
    )
    run = [LEAKMAP, "import", str(_har(tmp_path, _entries())), "--session", "s", "--db", str(db)]
    subprocess.run(run, check=True, capture_output=True, timeout=120)
    subprocess.run(
        [LEAKMAP, "report", "s", "--db", str(db), "--profile", str(profile), "--format", "json",
         "-o", str(report)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    findings = json.loads(report.read_text())["findings"]
    found = {(f["host"], f["property"], f["location"]) for f in findings}
    assert ("attr.example-ads.io", "advertisingId", "query") in found
    assert ("id.example-ads.io", "email", "cookie") in found
    assert ("auth.example-ads.io", "email", "body") in found
    assert ("auth.example-ads.io", "imei", "body") in found
    assert ("up.example-ads.io", "imei", "body") in found
