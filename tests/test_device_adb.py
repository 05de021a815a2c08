"""The adb layer and `leakmap device` against the real adb server (fake phones over TCP)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.device import adb
from analyzer.errors import LeakmapError
from tests.support.device import AdbServer, transcript

LEAKMAP = str(Path(sys.executable).with_name("leakmap"))


def run_leakmap(server: AdbServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        server.env,
        LEAKMAP_STATE_DIR=str(tmp_path / "state"),
        USBMUXD_SOCKET_ADDRESS=str(tmp_path / "no-usbmuxd"),
    )
    return subprocess.run(
        [LEAKMAP, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_no_device_attached(adb_env: AdbServer) -> None:
    with pytest.raises(LeakmapError, match=r"no Android phone attached .*USB debugging"):
        adb.select()


def test_one_device_is_chosen_and_answers(phone_factory) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    device = adb.select()
    assert device.serial == phone.serial
    result = device.shell("getprop ro.build.version.release")
    assert (result.output.strip(), result.exit_code) == ("13", 0)
    assert device.shell("no-such-command").exit_code == 0  # the fake answers "" for unknowns
    device.reverse("tcp:18080", "tcp:18080")
    assert device.reverse_list() == [("tcp:18080", "tcp:18080")]
    device.reverse_remove("tcp:18080")
    assert device.reverse_list() == []
    with pytest.raises(LeakmapError, match="listener 'tcp:18080' not found"):
        device.reverse_remove("tcp:18080")
    device.push(b"-----BEGIN CERTIFICATE-----\n", "/data/local/tmp/x.pem")
    assert phone.files["/data/local/tmp/x.pem"] == b"-----BEGIN CERTIFICATE-----\n"


def test_several_devices_need_a_serial(phone_factory) -> None:  # type: ignore[no-untyped-def]
    first, second = phone_factory(), phone_factory()
    with pytest.raises(LeakmapError, match=r"several phones attached .*--serial") as caught:
        adb.select()
    assert first.serial in str(caught.value) and second.serial in str(caught.value)
    assert adb.select(second.serial).serial == second.serial
    with pytest.raises(LeakmapError, match=r"no device '127.0.0.1:1' \(attached: "):
        adb.select("127.0.0.1:1")


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("unauthorized", r"is unauthorized: unlock the phone and accept"),
        ("offline", r"is offline: reconnect the cable"),
    ],
)
def test_unusable_states_say_what_to_do(phone_factory, state: str, message: str) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory(state)
    with pytest.raises(LeakmapError, match=message):
        adb.select()
    with pytest.raises(LeakmapError, match=message):
        adb.select(phone.serial)


def test_unreachable_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A port where nothing listens, and no adb on PATH to start a server there.
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", "1")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("ADBUTILS_ADB_PATH", str(tmp_path / "adb-missing"))
    with pytest.raises(adb.AdbUnavailable, match=r"cannot reach the adb server at 127.0.0.1:1"):
        adb.list_devices()


def test_device_list_command(phone_factory, adb_env: AdbServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ready, locked = phone_factory(), phone_factory("unauthorized")
    result = run_leakmap(adb_env, tmp_path, "device", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(
        ready.serial in line and "sdk_gphone64_x86_64" in line and "Android 13" in line
        for line in lines
    )
    assert any(locked.serial in line and "unauthorized" in line for line in lines)
    assert "accept the 'Allow USB debugging?' prompt" in result.stderr
    assert "usbmuxd is not running" in result.stderr


def test_device_profile_command_writes_a_profile(
    phone_factory, adb_env: AdbServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory(
        settings={"secure/android_id": transcript("settings-android-id.txt").strip()},
        answers={"dumpsys wifi": transcript("dumpsys-wifi-emulator.txt")},
    )
    out = tmp_path / "phone.toml"
    result = run_leakmap(adb_env, tmp_path, "device", "profile", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert 'developerScopedId = "51b6be48bac8c569"  # settings get secure android_id' in text
    assert 'wifiSsid = "AndroidWifi"  # dumpsys wifi (SSID)' in text
    assert f"serial {phone.serial}" in text
    assert out.stat().st_mode & 0o777 == 0o600
    assert "not read: " in result.stderr
    report = run_leakmap(adb_env, tmp_path, "device", "profile", "--serial", "nope")
    assert report.returncode == 1
    assert report.stderr.strip().startswith("leakmap: error: no device 'nope'")


def test_device_profile_without_any_phone(adb_env: AdbServer, tmp_path: Path) -> None:
    result = run_leakmap(adb_env, tmp_path, "device", "profile")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no Android phone attached" in result.stderr


def test_doctor_prints_every_layer_and_the_plan(
    phone_factory, adb_env: AdbServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    ca = Path(adb_env.env["HOME"]) / ".mitmproxy" / "mitmproxy-ca-cert.pem"
    from analyzer.device.ca import ensure_ca

    ensure_ca(ca.parent)
    result = run_leakmap(adb_env, tmp_path, "device", "doctor", "--listen-port", "18081")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "protocol version 41" in out
    assert f"{phone.serial} (tcp): device" in out
    assert "usbmuxd: usbmuxd is not running" in out
    assert f"mitmproxy CA: {ca}" in out
    assert "root on" in out and "none (the CA can only be a user CA)" in out
    assert "reverse tcp:18081 tcp:18081" in out
    assert "settings put global http_proxy 127.0.0.1:18081" in out
    assert phone.settings == {} and phone.reverses == {}  # doctor changes nothing
