"""The pure parsers of device output, on transcripts of real phones (see tests/data/device)."""

from __future__ import annotations

import struct

import pytest

from analyzer.device.android_dumpsys import parse_accounts, parse_locations, parse_wifi_info
from analyzer.device.android_parse import (
    is_imei,
    is_meid,
    is_phone_number,
    normal_mac,
    parse_adid_settings,
    parse_getprop,
    parse_interfaces,
    parse_old_iphonesubinfo,
    setting_value,
)
from analyzer.device.parcel import ParcelError, decode_string_reply, parcel_bytes
from tests.support.device import transcript


def encode_reply(words: list[int]) -> str:
    """A ``service call`` dump of int32 ``words`` in the Parcel::print layout (for format tests)."""
    rows = []
    for offset in range(0, len(words), 4):
        row = " ".join(f"{w & 0xFFFFFFFF:08x}" for w in words[offset : offset + 4])
        rows.append(f"  0x{offset * 4:08x}: {row} '................'")
    return "Result: Parcel(\n" + "\n".join(rows) + ")\n"


def string16_words(text: str) -> list[int]:
    raw = text.encode("utf-16-le") + b"\0\0"
    raw += b"\0" * (-len(raw) % 4)
    return [len(text), *struct.unpack(f"<{len(raw) // 4}i", raw)]


def test_getprop_transcript_keeps_every_property_and_multiline_values() -> None:
    props = parse_getprop(transcript("getprop-emulator-api33.txt"))
    assert props["ro.product.model"] == "sdk_gphone64_x86_64"
    assert props["ro.build.version.sdk"] == "33"
    assert props["persist.sys.timezone"] == "GMT"
    assert props["persist.sys.boot.reason.history"] == (
        "reboot,factory_reset,1681492200\nreboot,1681492082"
    )
    assert props["persist.sys.boot.reason"] == ""
    assert len(props) == transcript("getprop-emulator-api33.txt").count("\n[") + 1


@pytest.mark.parametrize(
    ("name", "imei"),
    [
        ("service-call-iphonesubinfo-1-adbkit.txt", "355490069927394"),
        ("service-call-iphonesubinfo-1-awesome-adb.txt", "860955027785041"),
    ],
)
def test_service_call_transcripts_decode_to_the_imei(name: str, imei: str) -> None:
    reply = decode_string_reply(transcript(name))
    assert reply.text == imei and reply.error is None
    assert is_imei(imei)


def test_parcel_security_exception_gives_its_message() -> None:
    message = "getDeviceId: The user 2000 does not meet the requirements"
    reply = decode_string_reply(encode_reply([-1, *string16_words(message)]))
    assert reply.text is None
    assert reply.error == f"SecurityException: {message}"


def test_parcel_reply_header_is_skipped_and_null_string_is_none() -> None:
    assert decode_string_reply(encode_reply([-128, 8, 0x1234, -1])).text is None
    assert decode_string_reply(encode_reply([0, *string16_words("+4915112345")])).text == (
        "+4915112345"
    )


def test_parcel_one_line_form() -> None:
    assert parcel_bytes("Result: Parcel(00000000 ffffffff   '........')") == (
        b"\0\0\0\0\xff\xff\xff\xff"
    )


@pytest.mark.parametrize(
    "text",
    [
        'Result: Parcel(Error: 0xffffffb6 "Not a data message")',
        "service: command not found",
        "",
        "Result: Parcel(\n  0x00000000: 00000000 0000ffff '........')",  # count past the end
        "Result: Parcel(\n  0x00000000: 00000000 00000001 0000dc00 '........')",  # lone surrogate
    ],
)
def test_bad_parcels_raise_a_parcel_error(text: str) -> None:
    with pytest.raises(ParcelError):
        decode_string_reply(text)


def test_parcel_dump_is_bounded() -> None:
    huge = "Result: Parcel(\n" + "  0x00000000: 00000000 00000000 00000000 00000000\n" * 2000
    with pytest.raises(ParcelError, match="too long"):
        parcel_bytes(huge)


def test_wifi_transcript() -> None:
    wifi = parse_wifi_info(transcript("dumpsys-wifi-emulator.txt"))
    assert wifi is not None
    assert (wifi.ssid, wifi.bssid, wifi.mac, wifi.ip) == (
        "AndroidWifi",
        "00:13:10:85:fe:01",
        "02:15:b4:00:00:00",
        "10.0.2.16",
    )


@pytest.mark.parametrize(
    ("line", "ssid", "bssid"),
    [
        (
            'mWifiInfo SSID: "Café, 2nd floor", BSSID: 0a:1b:2c:3d:4e:5f, MAC: 02:00:00:00:00:00',
            "Café, 2nd floor",
            "0a:1b:2c:3d:4e:5f",
        ),
        (
            "mWifiInfo SSID: <unknown ssid>, BSSID: 02:00:00:00:00:00, MAC: 02:00:00:00:00:00",
            None,
            None,
        ),
        (
            'WifiInfo: SSID: "lab", BSSID: 66:55:44:33:22:11, MAC: 12:34:56:78:9a:bc, '
            "IP: /192.0.2.7",
            "lab",
            "66:55:44:33:22:11",
        ),
    ],
)
def test_wifi_line_variants(line: str, ssid: str | None, bssid: str | None) -> None:
    wifi = parse_wifi_info(line)
    assert wifi is not None and (wifi.ssid, wifi.bssid) == (ssid, bssid)
    assert wifi.mac != "02:00:00:00:00:00"  # the placeholder never counts as an address


def test_accounts_transcript_has_no_email_but_keeps_names() -> None:
    accounts = parse_accounts(transcript("dumpsys-account-zbox.txt"))
    assert [a.name for a in accounts] == ["百度同步", "美团账号", "小红书"]
    assert not any(a.is_email for a in accounts)


def test_accounts_listing_only_not_history_or_visibility() -> None:
    text = (
        "User UserInfo{0:Owner:c13}:\n  Accounts: 1\n"
        "    Account {name=kim.lab@example.net, type=com.google}\n\n  Accounts History\n"
        "    Account {name=old.lab@example.net, type=com.google}\n"
        "User UserInfo{10:Work:1030}:\n  Accounts: 1\n"
        "    Account {name=kim@work.example, type=com.google}\n"
    )
    accounts = parse_accounts(text)
    assert [(a.name, a.user) for a in accounts] == [
        ("kim.lab@example.net", 0),
        ("kim@work.example", 10),
    ]
    assert all(a.is_email for a in accounts)


def test_location_transcript_latest_fix_first() -> None:
    fixes = parse_locations(transcript("dumpsys-location-android11.txt"))
    assert (fixes[0].latitude, fixes[0].longitude, fixes[0].provider) == (
        "31.309459",
        "121.508284",
        "network",
    )
    assert fixes[0].elapsed == pytest.approx(83.722)
    assert [f.latitude for f in fixes] == ["31.309459", "31.315315"]  # repeats dropped


def test_location_skips_placeholders_and_impossible_coordinates() -> None:
    text = (
        "last location=Location[gps 0.000000,0.000000 hAcc=1]\n"
        "last location=Location[gps 123.4,10.0 et=+1s]\n"
        "last location=Location[fused -33.856784,151.215297 hAcc=12 et=+2d3h0m1s5ms]\n"
    )
    fixes = parse_locations(text)
    assert [(f.latitude, f.longitude) for f in fixes] == [("-33.856784", "151.215297")]
    assert fixes[0].elapsed == pytest.approx(2 * 86400 + 3 * 3600 + 1.005)


def test_interfaces_ifconfig_transcript() -> None:
    addresses = parse_interfaces(transcript("ifconfig-wlan0-awesome-adb.txt"))
    assert [(a.interface, a.address, a.scope) for a in addresses] == [
        ("wlan0", "10.129.168.57", "global"),
        ("wlan0", "fe80::66cc:2eff:fe68:b6b6", "link"),
    ]


def test_interfaces_ip_addr_format() -> None:
    text = (
        "1: lo: <LOOPBACK,UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n"
        "30: wlan0: <BROADCAST,MULTICAST,UP> mtu 1500\n"
        "    link/ether 2a:00:11:22:33:44 brd ff:ff:ff:ff:ff:ff\n"
        "    inet 198.51.100.23/24 brd 198.51.100.255 scope global wlan0\n"
        "    inet6 2001:db8::1c/64 scope global dynamic\n"
    )
    assert [(a.interface, a.address, a.scope) for a in parse_interfaces(text)] == [
        ("lo", "127.0.0.1", "host"),
        ("wlan0", "198.51.100.23", "global"),
        ("wlan0", "2001:db8::1c", "global"),
    ]


def test_small_transcripts() -> None:
    assert setting_value(transcript("settings-android-id.txt")) == "51b6be48bac8c569"
    assert setting_value("null\n") is None
    assert parse_old_iphonesubinfo(transcript("dumpsys-iphonesubinfo-android44.txt")) == (
        "860955027785041"
    )
    assert normal_mac(transcript("sys-class-net-wlan0-address.txt")) == "f8:a9:d0:17:42:4d"
    assert normal_mac("02:00:00:00:00:00") is None


@pytest.mark.parametrize(
    ("text", "imei", "meid", "phone"),
    [
        ("490154203237518", True, False, True),
        ("490154203237519", False, False, True),
        ("A10000009296F2", False, True, False),
        ("+49 151 2345 678", False, False, True),
        ("unknown", False, False, False),
    ],
)
def test_identity_checks(text: str, imei: bool, meid: bool, phone: bool) -> None:
    assert (is_imei(text), is_meid(text), is_phone_number(text)) == (imei, meid, phone)


def test_adid_settings() -> None:
    xml = (
        "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n"
        '    <string name="adid_key">C3A5E0D2-7F41-4B8E-9A61-2D7B3E9F0A14</string>\n'
        '    <boolean name="enable_limit_ad_tracking" value="false" />\n</map>\n'
    )
    assert parse_adid_settings(xml) == "c3a5e0d2-7f41-4b8e-9a61-2d7b3e9f0a14"
    assert parse_adid_settings("<map><int name='x' value='1'/></map>") is None
    with pytest.raises(ValueError, match="DTD"):
        parse_adid_settings('<!DOCTYPE m [<!ENTITY a "aaaa">]><map>&a;</map>')
    with pytest.raises(ValueError, match="not XML"):
        parse_adid_settings("<map>")
    with pytest.raises(ValueError, match="too big"):
        parse_adid_settings("<map>" + " " * 70_000 + "</map>")
