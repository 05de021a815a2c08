"""capture --adb set-up and cleanup, command by command, on a fake phone behind the real adb."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from analyzer.device import adb, state
from analyzer.device.ca import ensure_ca, subject_hash_old
from analyzer.device.setup import AdbSetup, Interrupted, proxy_undo, reset
from analyzer.errors import LeakmapError
from tests.support.device import AdbServer, FakePhone

LEAKMAP = str(Path(sys.executable).with_name("leakmap"))
PORT = 18090


@pytest.fixture
def ca_pem(adb_env: AdbServer) -> bytes:
    return ensure_ca(Path(adb_env.env["HOME"]) / ".mitmproxy")


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv("LEAKMAP_STATE_DIR", str(folder))
    return folder


def steps(phone: FakePhone) -> list[str]:
    """The phone's log without the read-only probes, scripts reduced to their first line."""
    out = []
    for entry in phone.log:
        if entry.endswith("id -u") or entry.endswith("id -u'") or "settings get" in entry:
            continue
        out.append(entry.split("\n", 1)[0])
    return out


def test_user_ca_sequence_and_undo(phone_factory, ca_pem: bytes) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    said: list[str] = []
    with AdbSetup(adb.select(), PORT, ca_pem, say=said.append) as setup:
        assert setup.ca == "user"
        assert phone.reverses == {f"tcp:{PORT}": f"tcp:{PORT}"}
        assert phone.settings["global/http_proxy"] == f"127.0.0.1:{PORT}"
        assert phone.files["/sdcard/Download/leakmap-mitmproxy-ca.pem"] == ca_pem
        saved = state.load(phone.serial)
        assert saved is not None and [s["name"] for s in saved.steps] == [
            "reverse",
            "user-ca",
            "proxy",
        ]
    assert steps(phone) == [
        f"adb reverse forward:tcp:{PORT};tcp:{PORT}",
        "adb push /sdcard/Download/leakmap-mitmproxy-ca.pem",
        f"$ settings put global http_proxy 127.0.0.1:{PORT}",
        # cleanup, last step first
        "$ settings put global http_proxy :0",
        "$ settings delete global http_proxy",
        "$ rm -f /sdcard/Download/leakmap-mitmproxy-ca.pem",
        f"adb reverse killforward:tcp:{PORT}",
    ]
    assert "global/http_proxy" not in phone.settings and phone.reverses == {}
    assert state.load(phone.serial) is None
    assert any("user* CA" in line and "TLS failures (blind spots)" in line for line in said)


def test_system_ca_with_root(phone_factory, ca_pem: bytes) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory(root="su 0")
    cert_hash = subject_hash_old(ca_pem)
    said: list[str] = []
    with AdbSetup(adb.select(), PORT, ca_pem, say=said.append) as setup:
        assert setup.ca == "system"
        assert phone.mounted
        assert phone.files[f"/system/etc/security/cacerts/{cert_hash}.0"] == ca_pem
    log = steps(phone)
    assert log[:4] == [
        f"adb reverse forward:tcp:{PORT};tcp:{PORT}",
        f"adb push /data/local/tmp/leakmap-{cert_hash}.0",
        "$ su 0 sh -c ': leakmap-ca-install; set -e",
        "root# : leakmap-ca-install; set -e",
    ]
    assert f"root# cat /system/etc/security/cacerts/{cert_hash}.0" in log  # the trust check
    assert log[-5:] == [
        "$ settings put global http_proxy :0",
        "$ settings delete global http_proxy",
        "$ su 0 sh -c ': leakmap-ca-remove;",
        "root# : leakmap-ca-remove;",
        f"adb reverse killforward:tcp:{PORT}",
    ]
    assert not phone.mounted
    assert any("installed as a system CA (su 0)" in line for line in said)


def test_previous_proxy_is_restored(phone_factory, ca_pem: bytes) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory(settings={"global/http_proxy": "proxy.lab.example:3128"})
    with AdbSetup(adb.select(), PORT, ca_pem, say=lambda _: None):
        assert phone.settings["global/http_proxy"] == f"127.0.0.1:{PORT}"
    assert phone.settings["global/http_proxy"] == "proxy.lab.example:3128"


@pytest.mark.parametrize(
    ("before", "restores"),
    [(None, ":0"), (":0", ":0"), ("127.0.0.1:8080", ":0"), ("10.1.2.3:3128", "10.1.2.3:3128")],
)
def test_proxy_undo_never_restores_a_dead_loopback_proxy(before: str | None, restores: str) -> None:
    assert proxy_undo(before)[0].arg == f"settings put global http_proxy {restores}"


def test_reverse_fails(phone_factory, ca_pem: bytes) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    phone.fail_reverse = "cannot bind listener: Address already in use"
    with pytest.raises(LeakmapError, match="Address already in use"):
        AdbSetup(adb.select(), PORT, ca_pem, say=lambda _: None).apply()
    assert steps(phone) == [
        f"adb reverse forward:tcp:{PORT};tcp:{PORT}",
        f"adb reverse killforward:tcp:{PORT}",  # the undo runs (harmless: nothing to remove)
    ]
    assert "global/http_proxy" not in phone.settings
    assert state.load(phone.serial) is None


def test_proxy_set_fails(phone_factory, ca_pem: bytes) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory(root="su 0")
    phone.fail["settings put global http_proxy 127.0.0.1"] = (
        "Security exception: WRITE_SECURE_SETTINGS"
    )
    with pytest.raises(LeakmapError, match="did not take the proxy setting"):
        AdbSetup(adb.select(), PORT, ca_pem, say=lambda _: None).apply()
    log = steps(phone)
    assert log[-4:] == [
        "$ settings delete global http_proxy",
        "$ su 0 sh -c ': leakmap-ca-remove;",
        "root# : leakmap-ca-remove;",
        f"adb reverse killforward:tcp:{PORT}",
    ]
    assert not phone.mounted and phone.reverses == {}
    assert state.load(phone.serial) is None


def test_ca_push_fails_falls_back_and_says_so(phone_factory, ca_pem: bytes) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory(root="su 0")
    phone.fail_push = True
    said: list[str] = []
    with AdbSetup(adb.select(), PORT, ca_pem, say=said.append) as setup:
        assert setup.ca == "none"
        assert phone.settings["global/http_proxy"] == f"127.0.0.1:{PORT}"  # capture still runs
    log = steps(phone)
    assert not any("leakmap-ca-install" in entry for entry in log)  # nothing to install
    # adbutils reports a refused push as FAIL (it does not read adbd's reason)
    assert any("could not be installed" in line and "adb push" in line for line in said)
    assert any("HTTPS will fail until then" in line for line in said)
    assert "global/http_proxy" not in phone.settings and phone.reverses == {}


def test_install_script_failure_is_undone_then_user_ca(phone_factory, ca_pem: bytes) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory(root="su 0")
    phone.fail[": leakmap-ca-install;"] = "mount: '/system/etc/security/cacerts': Permission denied"
    said: list[str] = []
    with AdbSetup(adb.select(), PORT, ca_pem, say=said.append) as setup:
        assert setup.ca == "user"
    assert any("install script failed: mount:" in line for line in said)
    assert "root# : leakmap-ca-remove;" in steps(phone)


def test_a_running_capture_is_not_disturbed(phone_factory, ca_pem: bytes, state_dir: Path) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / f"adb-{phone.serial.replace(':', '_')}.json").write_text(
            json.dumps({"serial": phone.serial, "pid": other.pid, "started_at": 1.0, "steps": []})
        )
        with pytest.raises(LeakmapError, match=f"still running \\(pid {other.pid}\\)"):
            AdbSetup(adb.select(), PORT, ca_pem, say=lambda _: None).apply()
        assert phone.reverses == {}
    finally:
        other.kill()
        other.wait()


SETUP_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from analyzer.device import adb
    from analyzer.device.ca import ensure_ca
    from analyzer.device.setup import AdbSetup
    from pathlib import Path
    pem = ensure_ca(Path.home() / ".mitmproxy")
    with AdbSetup(adb.select(), int(sys.argv[1]), pem, say=lambda t: print(t, flush=True)):
        print("READY", flush=True)
        time.sleep(60)
    """
)


def _spawn_setup(adb_env: AdbServer, state_dir: Path) -> subprocess.Popen[str]:
    env = dict(adb_env.env, LEAKMAP_STATE_DIR=str(state_dir))
    return subprocess.Popen(
        [sys.executable, "-c", SETUP_SCRIPT, str(PORT)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )


def test_sigterm_while_setting_up_undoes_what_was_done(
    phone_factory, adb_env: AdbServer, state_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    gate = threading.Event()
    phone.hold["settings put global http_proxy 127.0.0.1"] = gate  # the last step hangs
    child = _spawn_setup(adb_env, state_dir)
    try:
        assert phone.held.wait(60), child.stderr.read() if child.poll() is not None else "no call"
        child.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        gate.set()  # the phone answers; the interrupted set-up must now undo everything
        _out, err = child.communicate(timeout=60)
    finally:
        gate.set()
        child.kill()
    assert child.returncode != 0
    assert "SIGTERM while setting the phone up" in err
    assert phone.reverses == {}
    assert phone.settings.get("global/http_proxy") in (None,)
    assert "$ rm -f /sdcard/Download/leakmap-mitmproxy-ca.pem" in phone.log
    assert state.load(phone.serial) is None


def test_sigterm_during_the_session_cleans_up(
    phone_factory, adb_env: AdbServer, state_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    child = _spawn_setup(adb_env, state_dir)
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == "READY":
                break
        assert phone.settings["global/http_proxy"] == f"127.0.0.1:{PORT}"
        child.send_signal(signal.SIGINT)  # Ctrl-C
        child.communicate(timeout=60)
    finally:
        child.kill()
    assert "global/http_proxy" not in phone.settings and phone.reverses == {}
    assert state.load(phone.serial) is None


def test_kill_9_then_reset(phone_factory, adb_env: AdbServer, state_dir: Path) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    child = _spawn_setup(adb_env, state_dir)
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == "READY":
                break
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
    # kill -9: nothing was undone, the state file says what to undo
    assert phone.settings["global/http_proxy"] == f"127.0.0.1:{PORT}"
    left = state.load(phone.serial)
    assert left is not None and not left.alive
    env = dict(adb_env.env, LEAKMAP_STATE_DIR=str(state_dir))
    listed = subprocess.run(
        [LEAKMAP, "device", "list"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "was left set up by a capture; run `leakmap device reset`" in listed.stderr
    result = subprocess.run(
        [LEAKMAP, "device", "reset"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert f"{phone.serial}: restored" in result.stderr
    assert "global/http_proxy" not in phone.settings and phone.reverses == {}
    assert "/sdcard/Download/leakmap-mitmproxy-ca.pem" not in phone.files
    assert state.load(phone.serial) is None
    again = subprocess.run(
        [LEAKMAP, "device", "reset"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "nothing to reset" in again.stderr


def test_next_start_repairs_a_killed_session(phone_factory, ca_pem: bytes, state_dir: Path) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    phone.settings["global/http_proxy"] = "127.0.0.1:9999"
    phone.reverses["tcp:9999"] = "tcp:9999"
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / f"adb-{phone.serial.replace(':', '_')}.json").write_text(
        json.dumps(
            {
                "serial": phone.serial,
                "pid": dead.pid,
                "started_at": 1.0,
                "steps": [
                    {"name": "reverse", "undo": [{"kind": "reverse-remove", "arg": "tcp:9999"}]},
                    {
                        "name": "proxy",
                        "undo": [
                            {"kind": "shell", "arg": "settings put global http_proxy :0"},
                            {"kind": "shell", "arg": "settings delete global http_proxy"},
                        ],
                    },
                ],
            }
        )
    )
    said: list[str] = []
    with AdbSetup(adb.select(), PORT, ca_pem, say=said.append):
        assert "tcp:9999" not in phone.reverses
        assert phone.settings["global/http_proxy"] == f"127.0.0.1:{PORT}"
    assert any("did not end" in line and "undoing that first" in line for line in said)


def test_reset_with_the_phone_gone_keeps_the_state(
    phone_factory, adb_env: AdbServer, ca_pem: bytes
) -> None:  # type: ignore[no-untyped-def]
    phone = phone_factory()
    setup = AdbSetup(adb.select(), PORT, ca_pem, say=lambda _: None)
    setup.apply()
    setup.state.state.pid = 1 << 22  # pretend its capture died
    setup.state._write()
    adb_env.detach(phone)
    said: list[str] = []
    assert reset(select=adb.select, say=said.append) == 1
    assert any("connect it and run `leakmap device reset` again" in line for line in said)
    assert state.load(phone.serial) is not None


def test_interrupted_is_a_leakmap_error() -> None:
    assert issubclass(Interrupted, LeakmapError) and Interrupted.exit_code == 143
