"""diff_reports on hand-built session reports: every level of difference the issue lists."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.diff import SCHEMA, diff_reports, encoding_class, registrable_domain
from analyzer.errors import LeakmapError
from analyzer.policy import load_policy
from tests.support.diff import destination, finding, report, tls_failure, validate_diff


def _changes(diff: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [c for c in diff["changed"] if c["kind"] == kind]


def test_schema_and_session_names() -> None:
    diff = diff_reports(report("v1"), report("v2"))
    assert diff["schema"] == SCHEMA == "leakmap.diff/2"
    assert (diff["old"], diff["new"]) == ("v1", "v2")
    for block in ("added", "removed"):
        assert set(diff[block]) == {"countries", "hosts", "domains", "owners", "findings"}
    assert diff["changed"] == []


def test_new_property_to_a_new_country_is_added_at_every_level() -> None:
    old = report("v1", findings=[finding("advertisingId", "ads.example.com", "DE", owner="Ads")])
    new = report(
        "v2",
        findings=[
            finding("advertisingId", "ads.example.com", "DE", owner="Ads"),
            finding("imei", "log.tencent-cdn.cn", "CN", owner="Tencent"),
        ],
    )
    diff = diff_reports(old, new)
    assert diff["added"]["countries"] == ["CN"]
    assert diff["added"]["hosts"] == ["log.tencent-cdn.cn"]
    assert diff["added"]["domains"] == ["tencent-cdn.cn"]
    assert diff["added"]["owners"] == ["Tencent"]
    [added] = diff["added"]["findings"]
    assert {k: added[k] for k in ("property", "country", "host", "owner")} == {
        "property": "imei",
        "country": "CN",
        "host": "log.tencent-cdn.cn",
        "owner": "Tencent",
    }
    assert diff["removed"]["findings"] == []
    assert _changes(diff, "country-properties") == [
        {"kind": "country-properties", "country": "CN", "place": "CN", "added": ["imei"],
         "removed": []}
    ]


def test_gone_property_is_removed() -> None:
    old = report("v1", findings=[finding("email", "api.example.com", "US", owner="Example")])
    new = report("v2", destinations=[destination("api.example.com", countries=["US"])])
    diff = diff_reports(old, new)
    assert [f["property"] for f in diff["removed"]["findings"]] == ["email"]
    assert diff["added"]["findings"] == []
    [props] = _changes(diff, "properties")
    assert (props["destination"], props["added"], props["removed"]) == (
        "api.example.com",
        [],
        ["email"],
    )


def test_renamed_cdn_host_matches_by_registrable_domain() -> None:
    old = report("v1", findings=[finding("imei", "cdn-a1.example-cdn.com", "US", owner="CDN Co")])
    new = report("v2", findings=[finding("imei", "cdn-b7.example-cdn.com", "US", owner="CDN Co")])
    diff = diff_reports(old, new)
    # The host name changed, the data flow did not: no added or removed finding.
    assert diff["added"]["findings"] == diff["removed"]["findings"] == []
    assert diff["added"]["hosts"] == ["cdn-b7.example-cdn.com"]
    assert diff["removed"]["hosts"] == ["cdn-a1.example-cdn.com"]
    assert diff["added"]["domains"] == diff["added"]["owners"] == []
    [renamed] = _changes(diff, "renamed")
    assert renamed["matched_by"] == "domain"
    assert renamed["destination"] == "example-cdn.com"
    assert (renamed["old_hosts"], renamed["new_hosts"]) == (
        ["cdn-a1.example-cdn.com"],
        ["cdn-b7.example-cdn.com"],
    )
    assert _changes(diff, "properties") == []
    # Matched, so not in the tables of destinations that are really new or gone.
    assert diff["destinations"] == {"added": [], "removed": []}


def test_unmatched_destinations_are_listed_with_what_they_receive() -> None:
    old = report("v1", destinations=[destination("gone.example.org", countries=["DE"])])
    new = report(
        "v2",
        findings=[finding("imei", "log.tencent.cn", "CN", owner="Tencent")],
        destinations=[destination("log.tencent.cn", owner="Tencent", plaintext=True, flows=3)],
    )
    diff = diff_reports(old, new)
    [arrived] = diff["destinations"]["added"]
    assert arrived["host"] == "log.tencent.cn"
    assert (arrived["owner"], arrived["countries"], arrived["properties"]) == (
        "Tencent",
        ["CN"],
        ["imei"],
    )
    assert (arrived["flows"], arrived["plaintext"]) == (3, True)
    assert [d["host"] for d in diff["destinations"]["removed"]] == ["gone.example.org"]


def test_destination_matches_by_owner_when_domain_changes() -> None:
    old = report("v1", findings=[finding("deviceId", "t.tracker-one.com", "US", owner="Tracker")])
    new = report("v2", findings=[finding("deviceId", "t.tracker-two.net", "US", owner="Tracker")])
    diff = diff_reports(old, new)
    assert diff["added"]["findings"] == []
    assert diff["added"]["domains"] == ["tracker-two.net"]
    assert diff["added"]["owners"] == []
    [renamed] = _changes(diff, "renamed")
    assert (renamed["matched_by"], renamed["destination"]) == ("owner", "Tracker")


def test_same_owner_new_country_is_still_a_new_finding() -> None:
    old = report("v1", findings=[finding("imei", "cdn-a1.example-cdn.com", "US", owner="CDN Co")])
    new = report("v2", findings=[finding("imei", "cdn-b7.example-cdn.com", "CN", owner="CDN Co")])
    diff = diff_reports(old, new)
    assert [(f["property"], f["country"]) for f in diff["added"]["findings"]] == [("imei", "CN")]
    assert [(f["property"], f["country"]) for f in diff["removed"]["findings"]] == [("imei", "US")]
    [countries] = _changes(diff, "countries")
    assert (countries["added"], countries["removed"]) == (["CN"], ["US"])


def test_unknown_owner_does_not_match_destinations() -> None:
    old = report("v1", findings=[finding("email", "a.one.com", "US")])
    new = report("v2", findings=[finding("email", "b.two.com", "US")])
    diff = diff_reports(old, new)
    assert [f["host"] for f in diff["added"]["findings"]] == ["b.two.com"]
    assert _changes(diff, "renamed") == []


@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [
        ("plain", "sha256", "plain->hashed"),
        ("md5", "base64", "hashed->plain"),
        ("url", "base64", None),
        ("gzip>json>sha1", "gzip>json", "hashed->plain"),
    ],
)
def test_encoding_changes(before: str, after: str, direction: str | None) -> None:
    old = report("v1", findings=[finding("email", "api.example.com", "US", encoding=before)])
    new = report("v2", findings=[finding("email", "api.example.com", "US", encoding=after)])
    [change] = _changes(diff_reports(old, new), "encoding")
    assert (change["property"], change["old"], change["new"]) == ("email", [before], [after])
    assert change["direction"] == direction


def test_encoding_class() -> None:
    assert encoding_class(["sha256", "md5"]) == "hashed"
    assert encoding_class(["sha256", "plain"]) == "plain"
    assert encoding_class(["gzip+base64"]) == "plain"
    assert encoding_class(["json>hmac-sha256"]) == "hashed"


@pytest.mark.parametrize(("old_plain", "new_plain"), [(False, True), (True, False)])
def test_plaintext_and_tls(old_plain: bool, new_plain: bool) -> None:
    old = report("v1", destinations=[destination("api.example.com", plaintext=old_plain)])
    new = report("v2", destinations=[destination("api.example.com", plaintext=new_plain)])
    [change] = _changes(diff_reports(old, new), "transport")
    assert change["old"] == ("plaintext" if old_plain else "tls")
    assert change["new"] == ("plaintext" if new_plain else "tls")


def test_blind_spots_appear_and_disappear() -> None:
    old = report("v1", tls_failures=[tls_failure("pinned.bank.com")])
    new = report("v2", tls_failures=[tls_failure("pinned.other.org", count=3)])
    spots = _changes(diff_reports(old, new), "blind-spot")
    assert [(s["change"], s["host"], s["count"]) for s in spots] == [
        ("appeared", "pinned.other.org", 3),
        ("disappeared", "pinned.bank.com", 1),
    ]
    assert spots[0]["reasons"] == ["client does not trust the proxy CA"]


def test_blind_spot_on_renamed_host_of_same_domain_is_no_change() -> None:
    old = report("v1", tls_failures=[tls_failure("edge-1.pinned.com")])
    new = report("v2", tls_failures=[tls_failure("edge-9.pinned.com")])
    assert _changes(diff_reports(old, new), "blind-spot") == []


def test_volume_per_destination_sums_renamed_hosts() -> None:
    old = report(
        "v1",
        destinations=[
            destination("cdn-a1.example-cdn.com", flows=2, bytes_sent=500),
            destination("cdn-a2.example-cdn.com", flows=1, bytes_sent=100),
        ],
    )
    new = report(
        "v2", destinations=[destination("cdn-b7.example-cdn.com", flows=9, bytes_sent=9000)]
    )
    [volume] = _changes(diff_reports(old, new), "volume")
    assert (volume["old_flows"], volume["new_flows"]) == (3, 9)
    assert (volume["old_bytes"], volume["new_bytes"]) == (600, 9000)


def test_unchanged_volume_is_not_reported() -> None:
    one = report("v1", destinations=[destination("api.example.com", flows=4, bytes_sent=40)])
    two = report("v2", destinations=[destination("api.example.com", flows=4, bytes_sent=40)])
    assert diff_reports(one, two)["changed"] == []


def test_session_without_findings_against_one_with_findings() -> None:
    empty = report("v1")
    full = report(
        "v2",
        findings=[
            finding("imei", "a.example.cn", "CN", owner="Owner A"),
            finding("email", "b.example.org", None),
        ],
    )
    diff = diff_reports(empty, full)
    assert [(f["property"], f["country"]) for f in diff["added"]["findings"]] == [
        ("email", None),
        ("imei", "CN"),
    ]
    assert diff["added"]["countries"] == ["CN"]
    unknown = [c for c in _changes(diff, "country-properties") if c["country"] is None]
    assert unknown == [
        {"kind": "country-properties", "country": None, "place": "unknown",
         "added": ["email"], "removed": []}
    ]
    back = diff_reports(full, empty)
    assert [f["property"] for f in back["removed"]["findings"]] == ["email", "imei"]
    assert back["added"]["findings"] == []


def test_policy_marks_findings_and_summarises_new_session() -> None:
    policy = load_policy("eu-adequacy")
    new = report(
        "v2",
        findings=[
            finding("imei", "a.example.cn", "CN"),
            finding("email", "b.example.de", "DE"),
            finding("deviceId", "c.example.net", None),
        ],
    )
    diff = diff_reports(report("v1"), new, policy=policy)
    marks = {f["property"]: f["outside_policy"] for f in diff["added"]["findings"]}
    # Unknown countries count as outside: a gate must not pass on what GeoIP could not place.
    assert marks == {"imei": True, "email": False, "deviceId": True}
    assert diff["policy"]["name"] == "eu-adequacy"
    outside = diff["sessions"]["new"]["outside_policy"]
    assert [(o["property"], o["country"]) for o in outside] == [("deviceId", None), ("imei", "CN")]


def test_conditions_and_local_servers_in_the_diff() -> None:
    from analyzer.diff_report import render_html, terminal_summary

    dpf = "only organisations certified under the EU-US Data Privacy Framework"
    new = report(
        "v2",
        findings=[
            finding("email", "graph.example.com", "US", owner="Example Inc"),
            finding("imei", "nas.home.arpa", None, server_ip="192.168.1.20"),
        ],
    )
    new["findings"][1]["local"] = True
    diff = diff_reports(report("v1"), new, policy=load_policy("eu-adequacy"))
    by_prop = {f["property"]: f for f in diff["added"]["findings"]}
    assert by_prop["email"]["condition"] == dpf and by_prop["email"]["outside_policy"] is False
    assert by_prop["imei"]["local"] is True and by_prop["imei"]["outside_policy"] is False
    (local,) = [c for c in diff["changed"] if c["kind"] == "country-properties"
                and c["place"] == "local"]  # fmt: skip
    assert local["country"] is None and local["added"] == ["imei"]
    summary = terminal_summary(diff)
    assert f"email -> graph.example.com (US, Example Inc) [condition: {dpf}]" in summary
    assert "imei -> nas.home.arpa (local network)" in summary
    page = render_html(diff)
    assert f"condition: {dpf}" in page
    assert '<span class="tag local">local</span> local network' in page
    # Without a policy, the condition the report carries is kept.
    new["findings"][0]["condition"] = dpf
    assert diff_reports(report("v1"), new)["added"]["findings"][0]["condition"] == dpf


def test_without_policy_the_reports_own_marks_are_kept() -> None:
    new = report("v2", findings=[finding("imei", "a.example.cn", "CN", allowed=False)])
    diff = diff_reports(report("v1"), new)
    assert diff["policy"] is None
    assert diff["added"]["findings"][0]["outside_policy"] is True
    plain = diff_reports(report("v1"), report("v2", findings=[finding("imei", "a.b.cn", "CN")]))
    assert plain["added"]["findings"][0]["outside_policy"] is None


def test_sessions_summary_lists_what_gates_need() -> None:
    new = report(
        "v2",
        findings=[finding("imei", "a.example.cn", "CN", owner="Tencent")],
        destinations=[destination("plain.example.org", plaintext=True, countries=["US"])],
        tls_failures=[tls_failure("pinned.example.com")],
    )
    summary = diff_reports(report("v1"), new)["sessions"]["new"]
    assert summary["properties"] == ["imei"]
    assert summary["countries"] == ["CN", "US"]
    assert summary["owners"] == ["Tencent"]
    assert summary["plaintext_hosts"] == ["plain.example.org"]
    assert summary["blind_spots"] == ["pinned.example.com"]
    assert summary["properties_by_country"] == {"CN": ["imei"]}


def test_other_schema_is_a_data_error() -> None:
    with pytest.raises(LeakmapError, match="schema") as caught:
        diff_reports({"schema": "leakmap.diff/1"}, report("v2"))
    assert caught.value.exit_code == 2


def test_malformed_fields_are_ignored_not_fatal() -> None:
    broken = {
        "schema": "leakmap.report/1",
        "session": {"name": "odd"},
        "findings": [None, 3, {"property": None}, {"property": "imei", "host": None}],
        "destinations": "not a list",
        "tls_failures": [{"host": None, "server_ip": None, "count": "x"}],
    }
    diff = diff_reports(report("v1"), broken)
    assert [f["property"] for f in diff["added"]["findings"]] == ["imei"]
    assert diff["added"]["findings"][0]["host"] == "(unknown host)"


def test_registrable_domain() -> None:
    assert registrable_domain("cdn-a1.example-cdn.com") == "example-cdn.com"
    assert registrable_domain("a.b.example.co.uk") == "example.co.uk"
    assert registrable_domain("203.0.113.7") is None
    assert registrable_domain("2001:db8::1") is None


# --- properties over generated reports --------------------------------------------------------

_hosts = st.sampled_from(
    ["cdn-a1.example-cdn.com", "cdn-b7.example-cdn.com", "api.example.org", "t.tracker.cn"]
)
_findings = st.builds(
    finding,
    st.sampled_from(["imei", "email", "advertisingId", "latitude"]),
    _hosts,
    st.sampled_from(["CN", "US", "DE", None]),
    owner=st.sampled_from([None, "CDN Co", "Tracker"]),
    encoding=st.sampled_from(["plain", "sha256", "base64"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_findings, max_size=8))
def test_a_report_against_itself_has_no_differences(findings: list[dict[str, Any]]) -> None:
    one = report("a", findings=findings)
    diff = diff_reports(one, report("b", findings=findings))
    assert all(not v for v in diff["added"].values())
    assert all(not v for v in diff["removed"].values())
    assert diff["changed"] == []


@settings(max_examples=60, deadline=None)
@given(st.lists(_findings, max_size=8), st.lists(_findings, max_size=8))
def test_swapping_sessions_swaps_added_and_removed(
    left: list[dict[str, Any]], right: list[dict[str, Any]]
) -> None:
    forward = diff_reports(report("a", findings=left), report("b", findings=right))
    backward = diff_reports(report("b", findings=right), report("a", findings=left))
    validate_diff(forward)
    assert forward["added"] == backward["removed"]
    assert forward["removed"] == backward["added"]


# --- rendering ----------------------------------------------------------------------------------

HOSTILE_HOST = "<script>window.__pwned=1</script>\x1b[2J.evil.example"


def _hostile_diff() -> dict[str, Any]:
    new = report(
        "v2<img src=x onerror=alert(1)>",
        findings=[finding("imei", HOSTILE_HOST, "CN", owner='"><svg onload=alert(2)>')],
        tls_failures=[tls_failure("{{7*7}}.pinned.example")],
    )
    return diff_reports(report("v1"), new, policy=load_policy("eu-adequacy"))


def test_html_escapes_captured_strings_and_loads_nothing() -> None:
    from analyzer.diff_report import render_html
    from analyzer.gates import evaluate, parse_gates

    diff = _hostile_diff()
    page = render_html(diff, evaluate(parse_gates(["new-country"]), diff))
    page = page.replace("<wbr>", "")  # names wrap only after their dots and hyphens
    assert "<script>window.__pwned" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "<svg onload" not in page and "<img src=x" not in page
    assert "{{7*7}}.pinned.example" in page  # rendered as text, not evaluated
    assert "default-src &#39;none&#39;" in page
    assert "new-country" in page and "outside policy" in page


def test_terminal_summary_strips_control_characters() -> None:
    from analyzer.diff_report import terminal_summary

    text = terminal_summary(_hostile_diff())
    assert "\x1b" not in text
    assert "imei -> <script>window.__pwned=1</script>?[2j.evil.example (CN" in text
    assert "[outside policy]" in text


def test_json_document_round_trips() -> None:
    import json

    from analyzer.diff_report import render_json

    diff = _hostile_diff()
    assert json.loads(render_json(diff)) == json.loads(json.dumps(diff))
    validate_diff(json.loads(render_json(diff)))


def test_undecoded_connections_are_blind_spots_too() -> None:
    new = report("v2")
    new["connections"] = [
        {"protocol": "udp", "host": "quic.example.cn", "server_ip": "192.0.2.7",
         "server_port": 443, "tls": False, "country": "CN", "count": 4, "bytes_sent": 900},
    ]  # fmt: skip
    diff = diff_reports(report("v1"), new)
    [spot] = _changes(diff, "blind-spot")
    assert (spot["change"], spot["host"], spot["count"]) == ("appeared", "quic.example.cn", 4)
    assert spot["reasons"] == ["udp connection to port 443 not decoded (no HTTP)"]
    assert diff["sessions"]["new"]["blind_spots"] == ["quic.example.cn"]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_report_keys = st.sampled_from(
    ["findings", "destinations", "tls_failures", "connections", "session", "by_country"]
)
_entry_keys = st.sampled_from(
    ["property", "host", "country", "owner", "encoding", "domain", "countries", "flows",
     "bytes_sent", "plaintext", "properties", "count", "server_ip", "allowed", "protocol"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        _report_keys,
        st.lists(st.dictionaries(_entry_keys, _json_values, max_size=6), max_size=4) | _json_values,
        max_size=5,
    )
)
def test_any_report_shaped_garbage_gives_a_valid_diff(garbage: dict[str, Any]) -> None:
    """Reports may come from edited files: odd values are ignored, never a crash."""
    diff = diff_reports(report("v1", findings=[finding("imei", "a.example.cn", "CN")]), garbage)
    validate_diff(diff)
    from analyzer.diff_report import render_html, terminal_summary

    assert "<html" in render_html(diff)
    assert terminal_summary(diff).startswith("leakmap diff:")
