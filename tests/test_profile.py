"""Device profiles (TOML) and the property vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import LeakmapError
from analyzer.profile import Profile, load_profile, profile_from_dict
from analyzer.vocabulary import PROPERTIES, closest_property

DATA = Path(__file__).parent / "data" / "profiles"

DESIGN_VOCABULARY = [
    "advertisingId",
    "developerScopedId",
    "deviceId",
    "installationId",
    "pushNotificationToken",
    "macAddress",
    "localIp",
    "publicIp",
    "latitude",
    "longitude",
    "carrier",
    "model",
    "manufacturer",
    "osName",
    "osVersion",
    "deviceName",
    "language",
    "timezone",
    "userId",
    "userAgent",
    "isRooted",
    "isEmulator",
    "screenWidth",
    "screenHeight",
    "networkConnectionType",
    "imei",
    "imsi",
    "iccid",
    "serialNumber",
    "email",
    "phoneNumber",
    "personName",
    "password",
    "wifiSsid",
    "wifiBssid",
    "contacts",
    "installedApps",
]


def test_vocabulary_is_the_design_list_in_order() -> None:
    assert list(PROPERTIES) == DESIGN_VOCABULARY


def test_load_profile_reads_values_lists_and_numbers() -> None:
    profile = load_profile(DATA / "lab-pixel.toml")
    assert profile.name == "lab-pixel-7"
    assert profile.known["email"] == ("tester@example.org", "Second.Tester@Example.org")
    assert profile.known["latitude"] == ("52.235",)
    assert profile.known["osVersion"] == ("14",)
    assert len(profile) == 10


def test_digest_is_stable_and_ignores_order_and_device_name() -> None:
    one = profile_from_dict({"device": {"name": "a"}, "known": {"imei": "1", "email": ["x", "y"]}})
    two = profile_from_dict({"device": {"name": "b"}, "known": {"email": ["y", "x"], "imei": "1"}})
    other = profile_from_dict({"known": {"imei": "2", "email": ["x", "y"]}})
    assert one.digest == two.digest
    assert one.digest != other.digest
    assert len(one.digest) == 64 and int(one.digest, 16) >= 0
    assert one.digest == load_digest_again(one)


def load_digest_again(profile: Profile) -> str:
    return Profile(name="other", known=dict(profile.known)).digest


def test_broken_toml_is_one_line_error() -> None:
    with pytest.raises(LeakmapError) as caught:
        load_profile(DATA / "broken.toml")
    message = str(caught.value)
    assert "not valid TOML" in message and "broken.toml" in message
    assert "\n" not in message


def test_unknown_property_suggests_the_right_name() -> None:
    with pytest.raises(LeakmapError, match="did you mean 'advertisingId'"):
        load_profile(DATA / "unknown-property.toml")


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("mac", "macAddress"),
        ("gps_adid", "advertisingId"),
        ("lat", "latitude"),
        ("phone_number", "phoneNumber"),
        ("emial", "email"),
    ],
)
def test_unknown_property_suggestions_use_field_aliases(key: str, suggestion: str) -> None:
    with pytest.raises(LeakmapError, match=f"did you mean '{suggestion}'"):
        profile_from_dict({"known": {key: "x"}})


def test_missing_file_and_bad_values_are_errors(tmp_path: Path) -> None:
    with pytest.raises(LeakmapError, match="no profile at"):
        load_profile(tmp_path / "absent.toml")
    with pytest.raises(LeakmapError, match="must be text or a number"):
        profile_from_dict({"known": {"imei": {"nested": 1}}})
    with pytest.raises(LeakmapError, match="must be text or a number"):
        profile_from_dict({"known": {"isRooted": True}})
    with pytest.raises(LeakmapError, match="unknown table"):
        profile_from_dict({"device": {}, "values": {}})
    with pytest.raises(LeakmapError, match=r"'imei' is outside any table; put it under \[known\]"):
        profile_from_dict({"imei": 12345, "known": {}})


def test_closest_property() -> None:
    assert closest_property("osversion") == "osVersion"
    assert closest_property("zzzzzzzz") is None
