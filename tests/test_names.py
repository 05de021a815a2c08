"""Name and format detection by kind (issue 13): each kind under spellings no rule lists, with
decoys of the same kind that must yield nothing. All values are invented."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from analyzer.detect import Detector, Finding

DETECTOR = Detector()
FCM = "c7Yq0Zt1RkM:APA91b" + "Hq8Lw3Nx5Tz" * 12
APNS = "5e" + "a1" * 30 + "c3"


def detect(body: Any, url: str = "https://sdk.example.net/v2/track") -> list[Finding]:
    flow = SimpleNamespace(
        id=7,
        url=url,
        request_headers=[],
        request_body=json.dumps(body).encode(),
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type="application/json",
    )
    return DETECTOR.detect(flow)


def found(body: Any) -> set[tuple[str, str]]:
    """(path, property) of the findings that claim personal data."""
    return {(f.path, f.property) for f in detect(body) if not f.placeholder}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"subscriber": {"handle": FCM}}, "subscriber.handle"),  # any key: the form tells
        ({"meta": [FCM]}, "meta.0"),
        ({"registrationToken": "APA91b" + "Kx3Lm9Pq2Rs7" * 10}, "registrationToken"),
        ({"device": {"pushToken": APNS}}, "device.pushToken"),
        ({"apns_dev_token": APNS.upper()}, "apns_dev_token"),
        ({"device": {"token": APNS}}, "device.token"),  # a bare "token" in a device object
    ],
)
def test_push_tokens(body: dict[str, Any], path: str) -> None:
    assert (path, "pushNotificationToken") in found(body)


@pytest.mark.parametrize(
    "body",
    [
        {"checksum": APNS},  # 64 hex digits without a push name: a digest
        {"session": {"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}},
        {"device": {"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}},  # a JWT
        {"push_enabled": True, "push": "1"},
        {"note": "APA91b is the prefix of legacy tokens"},
    ],
)
def test_push_token_decoys(body: dict[str, Any]) -> None:
    assert not {p for _, p in found(body)} & {"pushNotificationToken"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("timeZone", "America/Argentina/Buenos_Aires"),
        ("tz", "CEST"),
        ("tz", "MESZ"),  # German CLDR abbreviation
        ("tz_name", "AEDT"),
        ("tzOffset", "GMT+01:00"),
        ("tz_offset", "+0530"),
        ("utc_offset", "UTC-3"),
        ("timezone", "GMT%2B09%3A00"),  # percent-encoded in a JSON string
        ("tzOffsetHours", 5.5),
        ("tz_offset_min", -300),
        ("secondsFromGMT", 7200),
        ("rawOffsetMillis", 3600000),
        ("timeZoneLabel", "Central European Standard Time"),
    ],
)
def test_time_zones_in_every_form(key: str, value: object) -> None:
    assert (key, "timezone") in found({key: value})


@pytest.mark.parametrize(
    "body",
    [
        {"tz": 1718035200},  # a timestamp
        {"tz_offset": 1000},  # not a quarter-hour in any unit
        {"zone": "EU-West"},  # a data-centre zone
        {"zone": "A3"},
        {"timezone": "tomorrow"},
        {"event_time_zone_name": 2024},
    ],
)
def test_time_zone_decoys(body: dict[str, Any]) -> None:
    assert not {p for _, p in found(body)} & {"timezone"}


def test_an_iana_zone_is_telling_under_any_key() -> None:
    assert ("ctx.3", "timezone") in found({"ctx": ["a", "b", "c", "Asia/Kolkata"]})
    assert found({"path": "Assets/Images"}) == set()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("network", "wifi"),
        ("netType", "LTE"),
        ("connection", "WWAN"),
        ("conn", "cellular"),
        ("network_type", 13),  # TelephonyManager.NETWORK_TYPE_LTE
        ("connectionType", 2),  # OpenRTB: WiFi
        ("radioAccessTech", "CTRadioAccessTechnologyNRNSA"),
        ("data_network_type", "NETWORK_TYPE_NR"),
        ("net_status", "5G"),
        ("effectiveType", "4g"),
    ],
)
def test_network_types(key: str, value: object) -> None:
    assert (key, "networkConnectionType") in found({key: value})


@pytest.mark.parametrize(
    "body",
    [
        {"network": "https://ads.example-net.com/v1"},
        {"network": 3},  # a bare network name with a number: an ad network's ID
        {"network_type": 77},  # out of every documented enum
        {"connection": "keep-alive"},
    ],
)
def test_network_decoys(body: dict[str, Any]) -> None:
    assert not {p for _, p in found(body)} & {"networkConnectionType"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("carrierName", "Telia"),
        ("sim_operator", "26203"),
        ("mcc_mnc", "310-410"),
        ("plmn", "46001"),
        ("mcc", "262"),
        ("spn", "congstar"),
    ],
)
def test_carriers_and_mcc_mnc(key: str, value: str) -> None:
    assert (key, "carrier") in found({key: value})


@pytest.mark.parametrize(
    "body",
    [
        {"carrier": "12345"},  # no such mobile country code
        {"mcc": "999"},
        {"carrier_tracking_no": "1Z999AA10123456784"},  # a parcel carrier
        {"operator_id": 42},
        {"carrier": "https://example.org/carrier"},
    ],
)
def test_carrier_decoys(body: dict[str, Any]) -> None:
    assert not {p for _, p in found(body)} & {"carrier"}


@pytest.mark.parametrize(
    ("key", "value", "props"),
    [
        ("os_ver", "17.5", {"osVersion"}),
        ("OSVersionName", "14", {"osVersion"}),
        ("x-osv", "13", {"osVersion"}),
        ("platformVersion", "Android 14", {"osName", "osVersion"}),
        ("os_build", "21F90", {"osVersion"}),  # iOS build number
        ("osBuildId", "18H17", {"osVersion"}),
        ("build_display", "UP1A.231005.007", {"osVersion"}),
        ("buildVersion", "Build/TQ3A.230901.001", {"osVersion"}),
        ("androidApiLevel", 34, {"osVersion"}),
    ],
)
def test_os_versions_and_builds(key: str, value: object, props: set[str]) -> None:
    assert {(key, prop) for prop in props} <= found({key: value})


@pytest.mark.parametrize(
    "body",
    [
        {"app_build": "4521"},
        {"sdk_version": "21.2.0"},
        {"os_build": "20240105"},
        {"version": "17.5"},  # a bare version is the app's
        {"os_ver": 1999},
    ],
)
def test_os_version_decoys(body: dict[str, Any]) -> None:
    assert not {p for _, p in found(body)} & {"osVersion"}


@pytest.mark.parametrize(
    ("body", "path", "prop"),
    [
        ({"security": {"jailbroken": "YES"}}, "security.jailbroken", "isRooted"),
        ({"is_rooted_device": 1}, "is_rooted_device", "isRooted"),
        ({"device": {"root": False}}, "device.root", "isRooted"),
        ({"env": {"is_simulator": True}}, "env.is_simulator", "isEmulator"),
        ({"runningOnEmulator": "false"}, "runningOnEmulator", "isEmulator"),
    ],
)
def test_rooted_jailbroken_and_emulator_flags(body: dict[str, Any], path: str, prop: str) -> None:
    assert (path, prop) in found(body)


def test_flag_decoys() -> None:
    assert found({"root": "true", "emulator_version": "34.1.9", "jailbreak": "maybe"}) == set()


@pytest.mark.parametrize(
    ("body", "path", "prop"),
    [
        ({"lastKnownLat": 41.3851}, "lastKnownLat", "latitude"),
        ({"gps": {"latitude_deg": -33.8688}}, "gps.latitude_deg", "latitude"),
        ({"geo": {"lng": 151.2093}}, "geo.lng", "longitude"),
        ({"lon": "-58.3816"}, "lon", "longitude"),
    ],
)
def test_a_lone_coordinate_under_a_coordinate_name(
    body: dict[str, Any], path: str, prop: str
) -> None:
    assert found(body) == {(path, prop)}


def test_coordinate_decoys() -> None:
    assert found({"lat": 1700000000, "latitude_accuracy": 12.5, "score": 41.38}) == set()
    # Found by value form alone (no coordinate name), one coordinate is not a location.
    assert found({"values": ["52.520008"]}) == set()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"display_size": "1284x2778x460"}, "display_size"),  # W x H x density
        ({"resolution": "1080*2400"}, "resolution"),
        ({"screen": "1440 x 3200 px"}, "screen"),
        ({"device": {"screen_size": "750.000000x1334.000000"}}, "device.screen_size"),
    ],
)
def test_resolutions(body: dict[str, Any], path: str) -> None:
    assert {(path, "screenWidth"), (path, "screenHeight")} <= found(body)


def test_width_and_height_need_a_screen_like_parent() -> None:
    screen = found({"screenMetrics": {"w": 1440, "h": 3200}, "displayInfo": {"width": 1170}})
    assert screen == {
        ("screenMetrics.w", "screenWidth"),
        ("screenMetrics.h", "screenHeight"),
        ("displayInfo.width", "screenWidth"),
    }
    ads = {"ad": {"creative": {"width": 300, "height": 250}}, "adUnit": {"size": "320x50"}}
    assert found(ads) == set()
    assert found({"image_height": 1024, "thumb": {"w": 640, "h": 480}}) == set()


@pytest.mark.parametrize(
    ("key", "prop"),
    [
        ("dev_mdl", "model"),
        ("scr_w", "screenWidth"),
        ("tzOffset", "timezone"),
        ("os_ver", "osVersion"),
        ("adv_id", "advertisingId"),
        ("simCarrierName", "carrier"),
        ("device-manuf", "manufacturer"),
        ("IDFAValue", "advertisingId"),
        ("wlan0mac", "macAddress"),
    ],
)
def test_names_are_matched_by_their_words(key: str, prop: str) -> None:
    values = {
        "model": "SM-A546B",
        "screenWidth": 1080,
        "timezone": 3600,
        "osVersion": "17.5",
        "advertisingId": "7c1f3a52-9e0b-4d8f-a3b1-2e5f6c7d8e9f",
        "carrier": "Telia",
        "manufacturer": "OnePlus",
        "macAddress": "3c:5a:b4:11:22:33",
    }
    assert (key, prop) in found({key: values[prop]})


def test_words_before_the_name_that_say_it_is_about_something_else() -> None:
    body = {
        "server_ip": "10.0.0.8",
        "image_width": 1080,
        "sdk_platform": "android",
        "banner_locale": "de_DE",
        "channel": "huawei",  # an app store named after a maker
        "mp_lib": "android",  # the SDK's own library
    }
    assert found(body) == set()


@pytest.mark.parametrize(
    ("body", "path", "prop"),
    [
        ({"idfa": "00000000-0000-0000-0000-000000000000"}, "idfa", "advertisingId"),
        ({"gaid": "ifa:00000000-0000-0000-0000-000000000000"}, "gaid", "advertisingId"),
        ({"wifi_mac": "02:00:00:00:00:00"}, "wifi_mac", "macAddress"),
        ({"carrier": "--"}, "carrier", "carrier"),
        ({"carrier_mcc_mnc": "65535"}, "carrier_mcc_mnc", "carrier"),
        ({"device_model": "unknown"}, "device_model", "model"),
        ({"network_subtype": "UNKNOWN_MOBILE_SUBTYPE"}, "network_subtype", "networkConnectionType"),
        ({"android_id": "0000000000000000"}, "android_id", "developerScopedId"),
    ],
)
def test_placeholders_are_reported_as_placeholders(
    body: dict[str, Any], path: str, prop: str
) -> None:
    findings = [f for f in detect(body) if f.path == path]
    assert [(f.property, f.placeholder) for f in findings] == [(prop, True)]
    assert "placeholder" in findings[0].explanation


def test_real_values_are_not_placeholders_and_context_names_make_none() -> None:
    assert all(
        not f.placeholder
        for f in detect({"network": "none", "idfa": "7c1f3a52-9e0b-4d8f-a3b1-2e5f6c7d8e9f"})
    )
    assert detect({"w": "unknown", "brand": "null"}) == []  # context names: no placeholder either


def test_a_mac_placeholder_in_free_text_is_a_placeholder() -> None:
    findings = detect({"log": "iface wlan0 hwaddr 02:00:00:00:00:00 up"})
    assert [(f.property, f.placeholder) for f in findings] == [("macAddress", True)]


def test_a_model_under_a_device_name_key_is_the_model() -> None:
    assert found({"device_name": "SM-S911B"}) >= {("device_name", "model")}
    assert found({"device_name": "Lena's phone"}) == {("device_name", "deviceName")}


def test_text_decoded_into_fields_is_not_scanned_twice() -> None:
    inner = json.dumps({"mac": "5C-3A-45-1F-9E-07", "imei": "861234056789012"})
    flow = SimpleNamespace(
        id=1,
        url="https://api.example.cn/client",
        request_headers=[],
        request_body=f"api_input={inner}".encode(),
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type="application/x-www-form-urlencoded",
    )
    paths = {(f.path, f.property) for f in DETECTOR.detect(flow)}
    assert paths == {("api_input.mac", "macAddress"), ("api_input.imei", "imei")}
