"""Profiles read from a phone: Android through a shell of transcripts, iPhone from lockdown."""

from __future__ import annotations

import tomllib

import pytest

from analyzer.device.android import line1_transaction, read_android
from analyzer.device.ios import read_ios
from analyzer.device.reading import DeviceReading
from analyzer.device.shell import ShellResult, find_root
from analyzer.profile import profile_from_dict
from tests.support.device import transcript

ANSWERS = {
    "getprop": transcript("getprop-emulator-api33.txt"),
    "settings get secure android_id": transcript("settings-android-id.txt"),
    "dumpsys wifi": transcript("dumpsys-wifi-emulator.txt"),
    "dumpsys location": transcript("dumpsys-location-android11.txt"),
    "dumpsys account": transcript("dumpsys-account-zbox.txt"),
    "ifconfig": transcript("ifconfig-wlan0-awesome-adb.txt"),
    "cat /sys/class/net/wlan0/address": transcript("sys-class-net-wlan0-address.txt"),
    "service call iphonesubinfo 1 s16 com.android.shell": transcript(
        "service-call-iphonesubinfo-1-awesome-adb.txt"
    ),
}


def shell_of(answers: dict[str, str], log: list[str] | None = None):  # type: ignore[no-untyped-def]
    def shell(command: str) -> ShellResult:
        if log is not None:
            log.append(command)
        if command in answers:
            return ShellResult(answers[command], 0)
        return ShellResult(
            f"/system/bin/sh: {command.split()[0]}: inaccessible or not found\n", 127
        )

    return shell


def parse_ideviceinfo(text: str) -> dict[str, object]:
    """Top-level ``Key: value`` lines of ``ideviceinfo`` output (nested blocks as lists)."""
    values: dict[str, object] = {}
    bundle: dict[str, str] | None = None
    for line in text.splitlines():
        if not line.startswith(" "):
            key, _, value = line.partition(": ")
            key = key.rstrip(":")
            if key.startswith("CarrierBundleInfoArray"):
                bundle = {}
                values["CarrierBundleInfoArray"] = [bundle]
            else:
                bundle = None
                values[key] = value
        elif bundle is not None and line.startswith("  ") and ": " in line:
            key, _, value = line.strip().partition(": ")
            bundle[key] = value
    return values


def test_android_reading_from_transcripts() -> None:
    reading = read_android(shell_of(ANSWERS), adb_serial="0A1B2C3D4E")
    known = reading.known()
    assert known["model"][:2] == ["sdk_gphone64_x86_64", "emu64x"]
    assert known["manufacturer"] == ["Google"]
    assert known["osVersion"][:3] == ["13", "33", "TE1A.220922.010"]
    assert known["developerScopedId"] == ["51b6be48bac8c569"]
    assert known["imei"] == ["860955027785041"]
    assert known["serialNumber"] == ["EMULATOR32X1X12X0", "0A1B2C3D4E"]
    assert known["carrier"] == ["T-Mobile", "310260"]
    assert known["wifiSsid"] == ["AndroidWifi"] and known["wifiBssid"] == ["00:13:10:85:fe:01"]
    assert known["macAddress"] == ["02:15:b4:00:00:00", "f8:a9:d0:17:42:4d"]
    assert known["localIp"] == ["10.0.2.16", "10.129.168.57"]
    assert (known["latitude"], known["longitude"]) == (["31.309459"], ["121.508284"])
    assert known["timezone"] == ["GMT"] and known["language"] == ["en-US"]
    unread = {u.property for u in reading.unread}
    assert {"advertisingId", "phoneNumber", "email"} <= unread
    assert "imei" not in unread
    assert any("emulator" in note for note in reading.notes)
    assert any("百度同步" in note for note in reading.notes)  # non-e-mail accounts are named


def test_android_profile_file_names_every_source_and_loads() -> None:
    reading = read_android(shell_of(ANSWERS))
    text = reading.to_toml()
    profile = profile_from_dict(tomllib.loads(text))
    assert profile.known["imei"] == ("860955027785041",)
    assert '"860955027785041"  # service call iphonesubinfo 1 s16 com.android.shell' in text
    assert "# getprop ro.product.model" in text
    assert "# - advertisingId: " in text and "Settings > Google > Ads" in text
    for value in reading.values:  # every value line carries its source
        assert value.source and value.source in text


def test_android_root_reads_advertising_id_and_tries_subinfo_as_root() -> None:
    adid_xml = (
        "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n"
        '    <string name="adid_key">5e1f0c2a-93b4-4d7e-b0a8-6c2f41d9e357</string>\n</map>\n'
    )
    answers = dict(ANSWERS)
    answers["id -u"] = "0\n"  # adbd runs as root (an emulator after `adb root`)
    answers["cat /data/data/com.google.android.gms/shared_prefs/adid_settings.xml"] = adid_xml
    log: list[str] = []
    reading = read_android(shell_of(answers, log))
    assert reading.known()["advertisingId"] == ["5e1f0c2a-93b4-4d7e-b0a8-6c2f41d9e357"]
    assert any("root: adbd" in note for note in reading.notes)
    assert "advertisingId" not in {u.property for u in reading.unread}


def test_android_security_exception_is_the_reason() -> None:
    answers = dict(ANSWERS)
    answers["service call iphonesubinfo 1 s16 com.android.shell"] = (
        "Result: Parcel(\n  0x00000000: ffffffff 00000004 00650044 00690076 '........D.e.v.i.'\n"
        "  0x00000010: 00000064                            'd...            ')\n"
    )
    reading = read_android(shell_of(answers))
    gap = next(u for u in reading.unread if u.property == "imei")
    assert gap.reason == "getDeviceId: SecurityException: Devi"
    assert "*#06#" in gap.hint


def test_android_nothing_answers() -> None:
    reading = read_android(shell_of({}))
    assert reading.values == []
    assert any("getprop printed nothing" in note for note in reading.notes)
    profile_from_dict(tomllib.loads(reading.to_toml()))  # still a valid, empty profile


@pytest.mark.parametrize(
    ("sdk", "code"), [(34, 15), (29, 12), (26, 13), (21, 11), (19, 6), (16, 5)]
)
def test_line1_transaction_by_api_level(sdk: int, code: int) -> None:
    assert line1_transaction(sdk) == code


def test_root_probe_order() -> None:
    assert find_root(shell_of({"id -u": "2000\n", "su 0 id -u": "0\n"})).how == "su 0"  # type: ignore[union-attr]
    assert find_root(shell_of({"id -u": "2000\n", "su -c 'id -u'": "0\n"})).how == "su -c"  # type: ignore[union-attr]
    assert find_root(shell_of({"id -u": "2000\n"})) is None
    root = find_root(shell_of({"su 0 id -u": "0\n"}))
    assert root is not None and root.wrap("cat /x y") == "su 0 sh -c 'cat /x y'"


def test_hostile_values_cannot_break_the_file() -> None:
    reading = DeviceReading("android", name='lab"\n[known]\nimei = "1"')
    reading.add("wifiSsid", 'x" # \n[device]\nname = "evil\x7f', 'dumpsys wifi\n[known]\nx = "1"')
    reading.add("deviceName", "Kim's phone \\ ✓", "settings get global device_name")
    data = tomllib.loads(reading.to_toml())
    assert data["device"]["name"] == 'lab" [known] imei = "1"'
    assert data["known"]["wifiSsid"] == 'x" #  [device] name = "evil'
    assert data["known"]["deviceName"] == "Kim's phone \\ ✓"
    assert set(data["known"]) == {"wifiSsid", "deviceName"}


def test_ios_reading_from_ideviceinfo_transcripts() -> None:
    values = parse_ideviceinfo(transcript("ideviceinfo-iphone-ios12.txt"))
    reading = read_ios(values, {"Locale": "en_US", "Language": "en"})
    known = reading.known()
    assert known["macAddress"] == ["e4:b2:fb:21:5b:94"]
    assert known["osVersion"] == ["16D40"]
    assert known["deviceName"] == ["Jagadeesh Marella’s iPhone"]
    assert known["iccid"] == ["89148000004521204639"]
    assert known["imsi"] == ["311480451650869"]
    assert known["imei"] == ["35734409230880"]  # the MEID of the CDMA bundle
    assert known["carrier"] == ["311480"]
    assert known["language"] == ["en_US", "en"]
    assert "lockdown CarrierBundleInfoArray[0] InternationalMobileSubscriberIdentity" in (
        reading.to_toml()
    )
    assert {"phoneNumber", "serialNumber", "advertisingId"} <= {u.property for u in reading.unread}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "ideviceinfo-simple-ipod.txt",
            {
                "deviceId": ["94c72869fab81da038f3ab7f8e3839a888c7374f"],
                "timezone": ["US/Pacific"],
                "deviceName": ["iPod"],
            },
        ),
        (
            "ideviceinfo-ipod-ios1.txt",
            {"model": ["iPod1,1"], "osVersion": ["1.1", "3A101a"], "serialNumber": ["9C801BHP14N"]},
        ),
    ],
)
def test_ios_older_devices(name: str, expected: dict[str, list[str]]) -> None:
    reading = read_ios(parse_ideviceinfo(transcript(name)))
    for prop, values in expected.items():
        assert reading.known()[prop] == values
    profile_from_dict(tomllib.loads(reading.to_toml()))
