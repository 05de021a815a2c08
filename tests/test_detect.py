"""Detection without a profile: field names with value formats, formats in free text, guards."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.detect import DETECTOR_VERSION, Detector, Finding, mask_value
from analyzer.detect.aliases import table
from analyzer.detect.corpus_names import DECOY_FIELDS, named_fields_corpus
from analyzer.detect.scoring import score
from analyzer.profile import profile_from_dict
from analyzer.vocabulary import PROPERTIES

DETECTOR = Detector()
FUZZ_DETECTOR = Detector(
    profile_from_dict({"known": {"imei": "356938035643809", "email": "a@b.org", "osVersion": "14"}})
)


def detect(body: dict[str, Any], **extra: Any) -> list[Finding]:
    flow = SimpleNamespace(
        id=3,
        url=extra.pop("url", "https://sdk.example.com/e"),
        request_headers=extra.pop("headers", []),
        request_body=json.dumps(body).encode(),
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type="application/json",
    )
    return DETECTOR.detect(flow)


def props(findings: list[Finding]) -> dict[str, str]:
    return {f.path: f.property for f in findings}


@pytest.mark.parametrize(
    ("body", "path", "prop"),
    [
        ({"gps_adid": "38400000-8cf0-11bd-b23e-10b96e40000d"}, "gps_adid", "advertisingId"),
        (
            {"device": {"identity": {"ifa": "C28EC4DC-DC86-4D1E-A3A9-353789F5CD26"}}},
            "device.identity.ifa",
            "advertisingId",
        ),
        ({"android_id": "9774d56d682e549c"}, "android_id", "developerScopedId"),
        ({"idfv": "6E5AA92E-3945-43BA-9136-DD160C98ED2E"}, "idfv", "developerScopedId"),
        ({"deviceModel": "SM-G991B"}, "deviceModel", "model"),
        ({"device": {"name": "Anna's iPhone"}}, "device.name", "deviceName"),
        ({"screen_info": {"width": 1170}}, "screen_info.width", "screenWidth"),
        ({"lastKnownLatitude": 52.52, "lastKnownLongitude": 13.4}, "lastKnownLatitude", "latitude"),
        ({"wifi": {"bssid": "a4:2b:8c:0f:11:e0"}}, "wifi.bssid", "wifiBssid"),
        ({"ip": "192.168.1.20"}, "ip", "localIp"),
        ({"ip": "8.8.8.8"}, "ip", "publicIp"),
        ({"imei": "356938035643809"}, "imei", "imei"),
        ({"tz": "+0100"}, "tz", "timezone"),
        ({"locale": "zh_CN"}, "locale", "language"),
        ({"session": {"os": {"version": "13"}}}, "session.os.version", "osVersion"),
        ({"osbuild": "RSR1.201013.001"}, "osbuild", "osVersion"),
        ({"user": {"email": "li.wei@example.cn"}}, "user.email", "email"),
    ],
)
def test_field_names_with_valid_values(body: dict[str, Any], path: str, prop: str) -> None:
    findings = [f for f in detect(body) if f.path == path]
    assert prop in {f.property for f in findings}
    assert all(f.method == "key-name" and 0 < f.confidence < 1 for f in findings)


def test_composite_values_give_both_properties() -> None:
    found = detect({"os": "Android 11", "screen_size": "1440x2560", "ll": "52.52,13.40"})
    assert {(f.path, f.property) for f in found} >= {
        ("os", "osName"),
        ("os", "osVersion"),
        ("screen_size", "screenWidth"),
        ("screen_size", "screenHeight"),
        ("ll", "latitude"),
        ("ll", "longitude"),
    }


def test_context_names_need_a_device_context() -> None:
    device = props(detect({"device": {"w": 1080, "h": 2400}}))
    assert device == {"device.w": "screenWidth", "device.h": "screenHeight"}
    ad_slot = detect({"banner": {"w": 320, "h": 50}, "imp": [{"w": 300, "h": 250}]})
    assert ad_slot == []
    siblings = props(detect({"model": "Pixel 7", "os": "android", "w": 1080, "h": 2400}))
    assert siblings["w"] == "screenWidth" and siblings["h"] == "screenHeight"


@pytest.mark.parametrize(
    "body",
    [
        {"thumb": base64.b64encode(b"\x89PNG idfa gaid imei lat lng" * 4).decode()},
        {"request_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "trace_id": "6e0c6325"},
        {"imei": "490154203237519", "order_no": "490154203237519"},  # Luhn fails
        {"lat": 1700000000, "lng": 1700000001},  # timestamps
        {"latitude_accuracy": 12.5, "lng_zoom": "14.2"},  # about a coordinate, not one
        {"price": 12.99, "amount": "52.52", "ts": 1700000000123},
        {"app_version": "14.2.1", "sdk_version": "8.1.0", "version": "3.1"},
        {"idfa": "not-a-uuid", "gaid": "", "mac": "hello"},
    ],
)
def test_classic_false_positives_are_not_reported(body: dict[str, Any]) -> None:
    assert detect(body) == []


def test_cookie_names_need_a_strict_value_format() -> None:
    cookies = [["Cookie", "SSID=A_mrQx81kd2x04; uid=abc12345; lat=52.52; lon=13.40"]]
    found = {(f.property, f.path) for f in detect({}, headers=cookies)}
    assert found == {("latitude", "lat"), ("longitude", "lon")}


def test_url_route_words_are_weak_names() -> None:
    found = detect({}, url="https://files.example.org/packages/00/ab/name-1.0.tar.gz")
    assert found == []
    found = detect({}, url="https://api.example.org/v1/imei/356938035643809")
    assert [(f.property, f.location, f.path) for f in found] == [("imei", "path", "/3")]


def test_placeholders_are_recorded_and_marked() -> None:
    found = detect({"idfa": "00000000-0000-0000-0000-000000000000", "mac": "02:00:00:00:00:00"})
    by_prop = {f.property: f for f in found}
    assert "limited ad tracking" in by_prop["advertisingId"].explanation
    assert "placeholder MAC" in by_prop["macAddress"].explanation


def test_formats_in_free_text() -> None:
    text = "contact tester@example.org from device 356938035643809 at 3c:5a:b4:01:02:03 ok"
    found = detect({"message": text, "logo": "logo@2x.png"})
    assert {(f.property, f.method) for f in found} == {
        ("email", "pattern"),
        ("imei", "pattern"),
        ("macAddress", "pattern"),
    }
    email = next(f for f in found if f.property == "email")
    assert email.value == "tester@example.org" and email.value not in email.context
    assert {f.property for f in detect({"v": "Google sdk_gphone_x86_64"})} == {
        "manufacturer",
        "model",
    }
    assert detect({"provider": "Google Play Services"}) == []


def test_model_identifiers_name_their_maker() -> None:
    found = {
        (f.path, f.property): f for f in detect({"device_model": "iPhone10,4", "m": "SM-A515F"})
    }
    assert found[("device_model", "manufacturer")].method == "key-name"
    assert (
        "maker Apple follows from the model" in found[("device_model", "manufacturer")].explanation
    )
    # Without a telling name, the model's form alone names model and maker (pattern).
    assert found[("m", "model")].method == "pattern"
    assert "Samsung" in found[("m", "manufacturer")].explanation
    # A codename names no maker; a device class is no model.
    assert {f.property for f in detect({"model": "ranchu"})} == {"model"}
    assert detect({"model": "phone", "device_model": "tablet"}) == []


def test_platform_words_and_api_levels() -> None:
    found = {(f.path, f.property) for f in detect({"platform": "iPhone", "app_platform": "ipad"})}
    assert found >= {("platform", "osName"), ("platform", "manufacturer")}
    assert ("app_platform", "osName") in found
    android = {"clientInfo": {"androidClientInfo": {"sdkVersion": 30, "model": "Pixel 7"}}}
    assert ("clientInfo.androidClientInfo.sdkVersion", "osVersion") in {
        (f.path, f.property) for f in detect(android)
    }
    # A tracker SDK's own version is no API level, in or out of a device object.
    assert detect({"device": {"sdk_version": "8.1.0"}, "sdk": "12.4"}) == []


def test_unnamed_values_that_name_a_system_or_locale() -> None:
    # Protobuf field numbers name nothing: an OS name or a locale is telling by its form alone.
    found = {(f.path, f.property) for f in detect({"1": {"8": "android", "12": "de_DE"}})}
    assert found == {("1.8", "osName"), ("1.12", "language")}
    assert detect({"1": {"8": "androids", "12": "de_de", "13": "DE_de"}}) == []


def test_mcc_mnc_with_or_without_separator() -> None:
    for value in ("26202", "310260", "310-260", "262/02"):
        assert [f.property for f in detect({"carrier": value})] == ["carrier"], value
    for value in ("12345", "0", "2024-01-01", "310-2600"):
        assert detect({"carrier": value}) == [], value


def test_keys_that_are_data_are_read_as_values() -> None:
    found = detect({"book": {"anna@example.org": "Anna"}, "scan": {"a4:2b:8c:0f:11:e0": -61}})
    assert {(f.property, f.path, f.method) for f in found} == {
        ("email", "book.anna@example.org", "pattern"),
        ("macAddress", "scan.a4:2b:8c:0f:11:e0", "pattern"),
    }


def test_user_agent_header_is_not_a_finding_but_a_body_user_agent_is() -> None:
    headers = [["User-Agent", "Mozilla/5.0 (Linux; Android 13; Pixel 7)"]]
    assert detect({}, headers=headers) == []
    found = detect({"ua": "Mozilla/5.0 (Linux; Android 13; Pixel 7)"})
    assert [f.property for f in found] == ["userAgent"]


def test_findings_are_folded_over_array_indices() -> None:
    events = [{"os": "android", "n": i} for i in range(50)]
    found = detect({"events": events})
    assert [(f.path, f.property) for f in found] == [("events.0.os", "osName")]


def test_finding_fields_follow_the_contract() -> None:
    found = detect(
        {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d", "x": "a@b.org"},
        url="https://sdk.example.com/v1?lat=52.5&lon=13.4",
    )
    assert {f.location for f in found} == {"body", "query"}
    for finding in found:
        assert finding.flow_id == 3
        assert finding.property in PROPERTIES
        assert finding.method in ("key-name", "pattern")
        assert finding.encoding in ("json", "plain")
        assert finding.explanation
        assert finding.value not in finding.context  # values are masked in the excerpt


def test_mask_value() -> None:
    assert mask_value("356938035643809") == "3569*******3809"
    assert mask_value("abcdefgh") == "ab****gh"
    assert mask_value("en") == "e*"
    assert mask_value("") == ""


def test_alias_table_is_consistent() -> None:
    rules = table()
    assert rules.strong[("gps", "ad", "id")].name == "advertisingId"
    assert rules.strong[("android", "id")].name == "developerScopedId"
    assert rules.strong[("latitude",)].name == "latitude"
    assert all(rule.why for rule in [*rules.strong.values(), *rules.context.values()])
    assert DETECTOR_VERSION.startswith("1.")


def test_no_false_positives_among_decoys_of_the_named_corpus() -> None:
    cases = [
        (case, [f for f in DETECTOR.detect(case.flow) if not f.placeholder])
        for case in named_fields_corpus(rounds=2)
    ]
    _, by_prop, problems = score(cases, ("key-name", "pattern"), check_encoding=False)
    # Ignored: a manufacturer derived from a model identifier where only the model is labelled.
    assert all(t.findings == t.correct + t.ignored for t in by_prop.values()), problems[:5]
    assert {p for p, t in by_prop.items() if t.ignored} <= {"manufacturer"}
    decoy_paths = {path for path, _ in DECOY_FIELDS}
    for _, findings in cases:
        assert not decoy_paths & {f.path for f in findings}


@settings(max_examples=120, deadline=None)
@given(
    body=st.binary(max_size=400) | st.text(max_size=400).map(str.encode),
    url=st.text(max_size=80),
    header=st.text(max_size=60),
)
def test_hostile_flows_never_raise_and_findings_are_well_formed(
    body: bytes, url: str, header: str
) -> None:
    flow = SimpleNamespace(
        id=1,
        url="https://h.example/" + url,
        request_headers=[["X-A", header], ["Cookie", header]],
        request_body=body,
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type=None,
    )
    for finding in FUZZ_DETECTOR.detect(flow):
        assert finding.property in PROPERTIES
        assert finding.location in ("query", "path", "header", "cookie", "body", "websocket")
        assert 0 < finding.confidence <= 1
