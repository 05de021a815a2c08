"""Synthetic requests for name and format detection: spellings and decoys of every kind.

:data:`NAMED_FIELDS` sends the core properties under spellings that are partly outside the
alias table (reached through tokens, qualifiers, parent joining or device context);
:data:`DECOY_FIELDS` are the classic false positives that must yield nothing.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
from collections import defaultdict
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from analyzer.detect.corpus_trackers import put_path
from analyzer.detect.placeholders import placeholder
from analyzer.detect.scoring import Case, Label

# --- field names and formats without a profile (synthetic, spellings beyond the alias table) ---

# (property, key path, value). Many spellings are deliberately not literally in aliases.toml:
# they must be reached through normalisation, qualifiers, parent joining or device context.
NAMED_FIELDS: tuple[tuple[str, str, object], ...] = (
    ("advertisingId", "advertisingId", "38400000-8cf0-11bd-b23e-10b96e40000d"),
    ("advertisingId", "device.ids.google_ad_id", "38400000-8cf0-11bd-b23e-10b96e40000d"),
    ("advertisingId", "user.IDFA", "00000000-0000-0000-0000-000000000000"),
    ("advertisingId", "identifiers.adId", "7c1f3a52-9e0b-4d8f-a3b1-2e5f6c7d8e9f"),
    ("developerScopedId", "androidId", "9774d56d682e549c"),
    ("developerScopedId", "device.android_id", "b45a24b6f5947383"),
    ("developerScopedId", "identifierForVendor", "6E5AA92E-3945-43BA-9136-DD160C98ED2E"),
    ("model", "deviceModel", "SM-G991B"),
    ("model", "device.model", "Pixel 7"),
    ("model", "hw.model_name", "iPhone14,2"),
    ("manufacturer", "deviceManufacturer", "samsung"),
    ("manufacturer", "device.make", "Xiaomi"),
    ("manufacturer", "hardware.brand", "google"),
    ("osName", "osName", "Android"),
    ("osName", "device.platform", "iOS"),
    ("osName", "os_type", "android"),
    ("osVersion", "osVersion", "13"),
    ("osVersion", "device.os_version", "17.4.1"),
    ("osVersion", "systemVersion", "16.6"),
    ("osVersion", "android_api_level", 33),
    ("carrier", "carrierName", "T-Mobile"),
    ("carrier", "network.operator_name", "Vodafone DE"),
    ("carrier", "sim.mccmnc", "26202"),
    ("language", "locale", "en_US"),
    ("language", "device.lang", "de"),
    ("language", "preferredLanguage", "zh-Hans-CN"),
    ("timezone", "timeZone", "Asia/Shanghai"),
    ("timezone", "device.tz_offset", -18000),
    ("timezone", "tzName", "GMT+08:00"),
    ("latitude", "lat", 31.2304),
    ("longitude", "lng", 121.4737),
    ("latitude", "location.latitude", 52.520008),
    ("longitude", "location.longitude", 13.404954),
    ("latitude", "geo.lat", "48.8566"),
    ("longitude", "geo.lon", "2.3522"),
    ("latitude", "userLat", 40.71),
    ("longitude", "userLng", -74.01),
    ("latitude", "ll", "35.6762,139.6503"),
    ("longitude", "ll", "35.6762,139.6503"),
    ("macAddress", "macAddress", "3C:5A:B4:01:02:03"),
    ("macAddress", "device.wifi_mac", "3c-5a-b4-01-02-03"),
    ("macAddress", "hwAddr", "3c5ab4010203"),
    ("localIp", "localIp", "192.168.1.23"),
    ("localIp", "device.ip_address", "10.0.0.17"),
    ("localIp", "network.ipv4", "172.16.4.2"),
    ("screenWidth", "screenWidth", 1080),
    ("screenHeight", "screenHeight", 2400),
    ("screenWidth", "display.width", 1170),
    ("screenHeight", "display.height", 2532),
    ("screenWidth", "device.w", 720),
    ("screenHeight", "device.h", 1600),
    ("screenWidth", "screen_resolution", "1080x2340"),
    ("screenHeight", "screen_resolution", "1080x2340"),
    ("imei", "deviceImei", "356938035643809"),
    ("email", "userEmail", "li.wei@example.cn"),
    ("phoneNumber", "msisdn", "+8613800138000"),
    ("wifiBssid", "wifi.bssid", "a4:2b:8c:0f:11:e0"),
    ("isRooted", "isJailbroken", False),
    ("userAgent", "webview_ua", "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36"),
    # Kinds of issue 13, spellings tokenised rather than listed (invented values throughout).
    ("pushNotificationToken", "device.pushToken", "9f" * 32),
    ("pushNotificationToken", "subscriber.handle", "c7Yq0Zt1RkM:APA91b" + "Hq8Lw3Nx5Tz" * 12),
    ("pushNotificationToken", "fcm_reg_id", "dX4kPq9sT2e:APA91b" + "Zr7Ke2Mv9Qa" * 11),
    ("timezone", "tzOffset", 3600),
    ("timezone", "tz_offset_min", -300),
    ("timezone", "locale.tz_abbr", "CEST"),
    ("timezone", "device_tz", "MESZ"),
    ("timezone", "user.timeZoneMillis", 19800000),
    ("timezone", "gmtOffset", "GMT+05:30"),
    ("timezone", "zone_hours", 9),
    ("networkConnectionType", "netType", "LTE"),
    ("networkConnectionType", "device.conn", "wwan"),
    ("networkConnectionType", "connectivity_type", 13),
    ("networkConnectionType", "radioAccessTech", "CTRadioAccessTechnologyNR"),
    ("networkConnectionType", "net_status", "5G"),
    ("carrier", "sim.mcc_mnc", "310-410"),
    ("carrier", "networkOperatorName", "Telia"),
    ("carrier", "plmn_id", "23415"),
    ("osVersion", "os_ver", "17.5"),
    ("osVersion", "device.os.release", "14"),
    ("osVersion", "os_build", "21F90"),
    ("osVersion", "platformVersion", "Android 14"),
    ("osName", "platformVersion", "Android 14"),
    ("isRooted", "security.jailbroken", "YES"),
    ("isRooted", "is_rooted_device", 1),
    ("isEmulator", "env.is_simulator", True),
    ("latitude", "gps.latitude_deg", 41.3851),
    ("screenWidth", "device.display_size", "1284x2778x460"),
    ("screenHeight", "device.display_size", "1284x2778x460"),
    ("screenWidth", "screenMetrics.w", 1440),
    ("screenHeight", "screenMetrics.h", 3200),
    ("model", "dev_mdl", "SM-A546B"),
    ("manufacturer", "dev_mdl", "SM-A546B"),
    ("screenWidth", "scr_w", 1080),
    ("manufacturer", "hw.mfr_name", "OnePlus"),
)

# Fields that must yield nothing: the classic false positives.
DECOY_FIELDS: tuple[tuple[str, object], ...] = (
    ("request_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    ("trace.span_id", "6e0c63257de34c92bf9efcd03927272e"),
    ("event_id", "c0a80101-0000-4000-8000-000000000001"),
    ("order_number", "490154203237519"),  # 15 digits failing Luhn
    ("ts", 1700000000123),
    ("created", "2024-05-01T12:00:00Z"),
    ("price", 12.99),
    ("amount", "52.52"),
    ("thumb", base64.b64encode(b"\x89PNG\r\n idfa gaid imei lat lng " * 3).decode()),
    ("banner.w", 320),
    ("banner.h", 50),
    ("imp.0.w", 300),
    ("imp.0.h", 250),
    ("app_version", "14.2.1"),
    ("sdk_version", "8.1.0"),
    ("versionCode", 1402),
    ("session_id", "a3f1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b"),
    ("app_id", "com.example.app"),
    ("count", 1080),
    ("score", 13.404954),
    ("name", "Level 3"),
    ("type", "click"),
    ("status", "ok"),
    # Decoys of the kinds above: right name, wrong kind of value, or a name about something else.
    ("tz", 1718035200),  # a timestamp under a time-zone name
    ("zone", "EU-West"),  # a data-centre zone
    ("network", "https://ads.example-net.com/v1"),
    ("ad.creative.width", 300),
    ("ad.creative.height", 250),
    ("adUnit.size", "320x50"),
    ("image_height", 1024),
    ("app_build", "4521"),
    ("push_enabled", True),
    ("session_token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMTIzNDU2"),
    ("checksum", "ab" * 32),
    ("channel", "xiaomi"),
    ("lib", "android"),
    ("carrier_tracking_no", "1Z999AA10123456784"),
    ("operator_id", 42),
    ("latitude_accuracy", 12.5),
    ("video.duration_ms", 3600000),
)


def named_fields_corpus(rounds: int = 8, seed: int = 7) -> Iterator[Case]:
    """Requests mixing NAMED_FIELDS (shuffled, a few per request) with all DECOY_FIELDS."""
    rng = random.Random(seed)
    flow_id = 0
    for _ in range(rounds):
        entries = list(NAMED_FIELDS)
        rng.shuffle(entries)
        # Coordinates travel in pairs; keep each pair in one request.
        pairs: dict[str, list[tuple[str, str, object]]] = defaultdict(list)
        for prop, path, value in entries:
            group = _geo_group(path) if prop in ("latitude", "longitude") else path
            pairs[group].append((prop, path, value))
        groups = list(pairs.values())
        for start in range(0, len(groups), 6):
            flow_id += 1
            body: dict[str, Any] = {}
            labels: list[Label] = []
            for group in groups[start : start + 6]:
                for prop, path, value in group:
                    put_path(body, path.split("."), value)
                    if placeholder(prop, str(value)) is None:  # a placeholder is no label
                        labels.append(Label(prop, "body", path, prop))
            for path, value in DECOY_FIELDS:
                keys = path.split(".")
                if keys[0] == "imp":
                    body.setdefault("imp", [{}])[0][keys[2]] = value
                else:
                    put_path(body, keys, value)
            flow = SimpleNamespace(
                id=flow_id,
                url="https://sdk.example.com/v1/events",
                method="POST",
                host="sdk.example.com",
                request_headers=[["Content-Type", "application/json"]],
                request_body=gzip.compress(json.dumps(body).encode()),
                request_body_truncated=False,
                request_content_encoding="gzip",
                request_content_type="application/json",
                carrier="named-fields",
            )
            yield Case(flow, [], labels)


def _geo_group(path: str) -> str:
    # Pairs share their object ("location.latitude"/"location.longitude") or a stem ("userLat").
    if "." in path:
        return path.split(".")[0]
    return {"lat": "plain", "lng": "plain", "userLat": "user", "userLng": "user"}.get(path, path)
