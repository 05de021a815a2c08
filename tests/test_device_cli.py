"""leakmap device help; capture --adb end to end (real mitmproxy, adb server); stored profiles."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.cli import _optional_values, main
from analyzer.device.stored import save_session_profile, session_profile
from analyzer.errors import LeakmapError
from analyzer.store import Store
from tests.support.device import AdbServer, transcript

LEAKMAP = str(Path(sys.executable).with_name("leakmap"))


@pytest.mark.parametrize("command", [[], ["list"], ["profile"], ["reset"], ["doctor"]])
def test_every_device_command_has_help_with_an_example(command: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["device", *command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example: leakmap device" in out


def test_capture_help_documents_adb() -> None:
    result = subprocess.run([LEAKMAP, "capture", "--help"], capture_output=True, text=True)
    assert "--adb" in result.stdout and "--profile auto" in result.stdout


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["capture", "--session", "s", "--adb"], ["capture", "--session", "s", "--adb", "-"]),
        (["capture", "--adb", "--session", "s"], ["capture", "--adb", "-", "--session", "s"]),
        (["capture", "--adb", "emulator-5554"], ["capture", "--adb", "emulator-5554"]),
        (["capture", "--adb", "--", "--adb"], ["capture", "--adb", "-", "--", "--adb"]),
        (["report", "--adb"], ["report", "--adb"]),
    ],
)
def test_bare_adb_means_the_one_attached_phone(argv: list[str], expected: list[str]) -> None:
    assert _optional_values(argv) == expected


def test_profile_auto_needs_adb(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["capture", "--session", "s", "--db", str(tmp_path / "x.db"), "--profile", "auto"])
    assert code == 1
    assert "--profile auto reads the profile from the phone: add --adb" in capsys.readouterr().err


def test_stored_profile_round_trip(db_url: str) -> None:
    with Store(db_url) as store:
        store.create_session("with-phone")
        assert session_profile(store, "with-phone") is None
        save_session_profile(
            store, "with-phone", '[device]\nname = "p"\n[known]\nimei = "490154203237518"\n'
        )
        profile = session_profile(store, "with-phone")
        assert profile is not None and profile.known["imei"] == ("490154203237518",)
        with pytest.raises(LeakmapError, match="no session named 'other'"):
            save_session_profile(store, "other", "[known]\n")
        with pytest.raises(LeakmapError, match="unknown property"):
            save_session_profile(store, "with-phone", "[known]\nimeii = '1'\n")


def _wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def test_capture_adb_end_to_end(phone_factory, adb_env: AdbServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory(
        settings={"secure/android_id": transcript("settings-android-id.txt").strip()},
        answers={"dumpsys wifi": transcript("dumpsys-wifi-emulator.txt")},
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tmp_path / "lab.db"
    env = dict(adb_env.env, LEAKMAP_STATE_DIR=str(tmp_path / "state"))
    capture = subprocess.Popen(
        [
            LEAKMAP,
            "capture",
            "--session",
            "phone-1",
            "--db",
            str(db),
            "--listen-port",
            str(port),
            "--no-report",
            "--adb",
            phone.serial,
            "--profile",
            "auto",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        _wait_port(port)
        assert phone.settings["global/http_proxy"] == f"127.0.0.1:{port}"
        assert phone.reverses == {f"tcp:{port}": f"tcp:{port}"}
        with socket.create_connection(("127.0.0.1", port)) as client:  # loopback only: reachable
            client.sendall(b"GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n")
            client.settimeout(20)
            assert client.recv(64).startswith(b"HTTP/1.1 502")
        capture.send_signal(signal.SIGTERM)
        _out, err = capture.communicate(timeout=120)
    finally:
        capture.kill()
    assert capture.returncode == 0, err
    assert "adb reverse" in err and "proxy: global HTTP proxy" in err and "profile:" in err
    assert "global/http_proxy" not in phone.settings and phone.reverses == {}
    with Store(str(db)) as store:
        profile = session_profile(store, "phone-1")
        assert profile is not None
        assert profile.known["developerScopedId"] == ("51b6be48bac8c569",)
        assert profile.known["wifiSsid"] == ("AndroidWifi",)
        assert store.session("phone-1").device == "sdk_gphone64_x86_64"
        assert store.session("phone-1").platform == "android"
    report = subprocess.run(
        [LEAKMAP, "report", "phone-1", "--db", str(db), "--format", "json", "-o", "-"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert report.returncode == 0, report.stderr
