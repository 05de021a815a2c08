"""Formats telling without a field name (patterns.py): an OS name with its version, an Android
build ID, a GMT offset, a network kind; each under keys that name nothing, with decoys of the
same kind that must yield nothing. All values are invented."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from analyzer.detect import Detector, Finding
from analyzer.detect.formats_device import MANUFACTURERS
from analyzer.detect.formats_locale import TELLING_NETWORK_WORDS

DETECTOR = Detector()


def detect(body: Any) -> list[Finding]:
    flow = SimpleNamespace(
        id=3,
        url="https://collect.example.org/v1/batch",
        request_headers=[],
        request_body=json.dumps(body).encode(),
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type="application/json",
    )
    return DETECTOR.detect(flow)


def found(body: Any) -> set[tuple[str, str]]:
    return {(f.path, f.property) for f in detect(body) if not f.placeholder}


@pytest.mark.parametrize(
    "value",
    ["Android 12", "iOS 16.7.2", "IOS_15.8", "iPadOS 17.1", "HarmonyOS 3.0", "Android13"],
)
def test_an_os_with_its_version_is_both_name_and_version(value: str) -> None:
    findings = [f for f in detect({"k9": value}) if f.path == "k9"]
    assert {f.property for f in findings} == {"osName", "osVersion"}
    assert {f.method for f in findings} == {"pattern"}


@pytest.mark.parametrize(
    "body",
    [
        {"client": "android4.2.1"},  # an SDK's build name: glued, with dots
        {"client": "ios-6.0.3"},
        {"ua_lib": "android/2.7"},
        {"k9": "Android 77"},  # no such major version
        {"k9": "requires Android 12 or later"},  # not the whole value
        {"sdk": "Android 13"},  # the SDK's own platform
        {"lib": "iOS 17.0"},
    ],
)
def test_os_version_pattern_decoys(body: dict[str, Any]) -> None:
    assert not {p for _, p in found(body)} & {"osName", "osVersion"}


@pytest.mark.parametrize(
    "value", ["Build/RQ2A.210505.003", "AP2A.240805.005", "SP1A.210812.016.C1"]
)
def test_an_android_build_id_is_telling_alone(value: str) -> None:
    assert found({"b": value}) == {("b", "osVersion")}


@pytest.mark.parametrize(
    "value", ["AB1.12345.678", "Build/12.3.4", "XY9.240805", "ABCDE1.240805.005", "1A2B.240805.005"]
)
def test_build_id_decoys(value: str) -> None:
    assert found({"b": value}) == set()


@pytest.mark.parametrize("value", ["GMT+08:00", "UTC-03:30", "GMT+0545", "GMT-7"])
def test_a_gmt_offset_is_telling_alone(value: str) -> None:
    assert found({"q": value}) == {("q", "timezone")}


@pytest.mark.parametrize("value", ["GMT+99:00", "UTC+5:17", "GMT", "UTC+", "GMT+08:00 today"])
def test_gmt_offset_decoys(value: str) -> None:
    assert found({"q": value}) == set()


@pytest.mark.parametrize(
    "value",
    [
        "wifi",
        "WIFI",
        "Wi-Fi",
        "LTE",
        "5G",
        "4g",
        "wwan",
        "cellular",
        "HSPA+",
        "CDMA - EvDo rev. B",
        "CTRadioAccessTechnologyNRNSA",
        "CTRadioAccessTechnologyEdge",
        "NETWORK_TYPE_IWLAN",
        "TYPE_MOBILE",
        "ReachableViaWiFi",
    ],
)
def test_a_network_kind_is_telling_alone(value: str) -> None:
    assert found({"c": value}) == {("c", "networkConnectionType")}
    assert found({"props": {"acc": value}}) == {("props.acc", "networkConnectionType")}


@pytest.mark.parametrize("maker", sorted(MANUFACTURERS))
def test_the_maker_pattern_reaches_every_maker(maker: str) -> None:
    # The look-ahead on first and second letters must let every maker of the list through.
    assert ("k1", "manufacturer") in found({"k1": maker.title()})


@pytest.mark.parametrize(
    ("value", "prop"),
    [
        ("iPhone15,4", "model"),
        ("iPad13,16", "model"),
        ("Watch6,2", "model"),
        ("AppleTV14,1", "model"),
        ("SM-S921B", "model"),
        ("Pixel 8a", "model"),
        ("sdk_gphone64_x86_64", "model"),
        ("Redmi Note 13", "model"),
        ("POCO F6", "model"),
        ("CPH2581", "model"),
        ("RMX3870", "model"),
        ("VOG-L29", "model"),
        ("android", "osName"),
        ("ANDROID", "osName"),
        ("iOS", "osName"),
        ("IOS", "osName"),
        ("iPadOS", "osName"),
        ("HarmonyOS", "osName"),
        ("watchOS 10.4", "osVersion"),
        ("tvOS 17.4", "osVersion"),
        ("visionOS 1.1", "osVersion"),
        ("iPhone OS 16_7", "osVersion"),
    ],
)
def test_model_and_system_patterns_reach_every_form(value: str, prop: str) -> None:
    assert ("k2", prop) in found({"k2": value})


@pytest.mark.parametrize("word", sorted(TELLING_NETWORK_WORDS))
def test_the_pattern_reaches_every_telling_network_word(word: str) -> None:
    # The pattern's cheap filter must let through each word the format check calls telling.
    assert found({"c": word.upper()}) == {("c", "networkConnectionType")}


def test_network_kinds_in_text_whose_lower_case_changes_length() -> None:
    # "İ" lower-cases to two characters: the pattern then reads the text in its own case.
    body = {"city": "İzmir", "c": "Wi-Fi", "d": "LTE"}
    assert found(body) >= {("c", "networkConnectionType"), ("d", "networkConnectionType")}


@pytest.mark.parametrize(
    "body",
    [
        {"browser": "Edge"},  # words that also mean something else need a network name
        {"form_factor": "mobile"},
        {"result": "none"},
        {"phone_type": "GSM"},
        {"category": "other"},
        {"video": {"preload": "wifi"}},  # about a video, not the phone
        {"sdk": "LTE"},
        {"title": "wifi settings"},  # not the whole value
        {"code": "4G7"},
    ],
)
def test_network_pattern_decoys(body: dict[str, Any]) -> None:
    assert not {p for _, p in found(body)} & {"networkConnectionType"}


def test_a_named_field_is_not_reported_twice() -> None:
    findings = detect({"network_type": "LTE", "os": "Android 14"})
    assert sorted((f.path, f.property, f.method) for f in findings) == [
        ("network_type", "networkConnectionType", "key-name"),
        ("os", "osName", "key-name"),
        ("os", "osVersion", "key-name"),
    ]


@pytest.mark.parametrize(
    ("value", "model", "system"),
    [
        ("iPad13,4-iPadOS-17.1", "iPad13,4", "iPadOS-17.1"),
        ("SM-A536B/Android 13", "SM-A536B", "Android 13"),
        ("Pixel 8a; Android 14", "Pixel 8a", "Android 14"),
        ("iOS 16.7; iPhone12,8", "iPhone12,8", "iOS 16.7"),
    ],
)
def test_a_model_with_its_os_in_one_value(value: str, model: str, system: str) -> None:
    findings = detect({"blob": value, "dv": {"hw_os_ver": value}})
    in_blob = {(f.property, f.value) for f in findings if f.path == "blob"}
    assert {("model", model), ("osName", system), ("osVersion", system)} <= in_blob
    # Under a name for the OS version, the model (which the name does not explain) still counts.
    assert ("model", model) in {(f.property, f.value) for f in findings if f.path == "dv.hw_os_ver"}


@pytest.mark.parametrize(
    "value", ["Android 14; build 33", "SM-A536B", "xSM-A536B-Android-13", "iPhone12,8 iPhone12,8"]
)
def test_no_combined_model_and_os_in_other_text(value: str) -> None:
    models = {f.value for f in detect({"blob": value}) if f.property == "model"}
    assert models <= {"SM-A536B"}  # a model alone stays a model; nothing else is one


@pytest.mark.parametrize(
    ("value", "system"),
    [("iPadOS 16.3; iPad", "iPadOS 16.3"), ("Android 12; phone", "Android 12")],
)
def test_the_os_first_in_a_short_device_description(value: str, system: str) -> None:
    found_here = {(f.property, f.value) for f in detect({"bb": value})}
    assert {("osName", system), ("osVersion", system)} <= found_here


@pytest.mark.parametrize("value", ["Android 99; tablet", "Android 12;", "iOS 17 is out; read more"])
def test_no_os_in_other_descriptions(value: str) -> None:
    assert not {f.property for f in detect({"bb": value})} & {"osName", "osVersion"}
