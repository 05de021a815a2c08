"""``leakmap capture`` with its live view: real proxy, real clients, real TLS, the real page server.

Host names resolve to loopback addresses (tests/support/capture.py); a MaxMind-format file given
in LEAKMAP_GEOIP_DB places those addresses in countries, as a researcher's GeoLite2 file would.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import psutil
import pytest

from analyzer.store import Store
from analyzer.store.marks import marks, step_of
from tests.support.capture import (
    CN_HOST,
    LEAKMAP,
    PLAIN_HOST,
    Capture,
    Servers,
    curl,
    start_capture,
)
from tests.support.live import ADID, IMEI, PROFILE_TOML, live_child, printed_live_url
from tests.support.mmdb import write_country_db
from tests.support.net import free_port, wait_for, wait_for_port


@pytest.fixture
def geo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    country = write_country_db(
        tmp_path / "country.mmdb",
        {"127.0.0.2/32": "CN", "127.0.0.3/32": "DE", "127.0.0.4/32": "US"},
    )
    monkeypatch.setenv("LEAKMAP_GEOIP_DB", str(country))


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "phone.toml"
    path.write_text(PROFILE_TOML)
    return path


def _state(url: str) -> dict:
    return httpx.get(url + "state", timeout=30).json()


def test_a_flow_shows_on_the_live_page_filed_under_the_step_set_from_a_terminal(
    tmp_path: Path, db_url: str, servers: Servers, geo_env: None, profile: Path
) -> None:
    capture = start_capture(tmp_path, db_url, servers, "--profile", str(profile))
    try:
        url = printed_live_url(capture)
        tls = servers.tls_port
        # The advertising ID, as the profile knows it, in a JSON body over HTTPS.
        result = curl(
            capture, f"https://{CN_HOST}:{tls}/v3/events", "-X", "POST",
            "-H", "Content-Type: application/json", "--data", f'{{"aid": "{ADID}"}}',
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        wait_for(lambda: _state(url)["counters"]["findings"] >= 1)
        (found,) = [f for f in _state(url)["findings"] if f["property"] == "advertisingId"]
        assert (found["host"], found["country"], found["method"]) == (
            CN_HOST, "CN", "known-value")  # fmt: skip
        assert found["step"] is None and ADID not in found["value"]

        marked = subprocess.run(
            [LEAKMAP, "mark", "e2e", "consent refused", "--db", db_url],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert marked.returncode == 0, marked.stderr
        wait_for(lambda: any(s["label"] == "consent refused" for s in _state(url)["steps"]))
        result = curl(capture, f"http://{PLAIN_HOST}:{servers.plain_port}/p?imei={IMEI}")
        assert result.returncode == 0, result.stderr
        wait_for(lambda: any(f["property"] == "imei" for f in _state(url)["findings"]))
        state = _state(url)
        (imei,) = [f for f in state["findings"] if f["property"] == "imei"]
        assert (imei["step"], imei["country"], imei["plaintext"]) == ("consent refused", "US", True)
        current = [s for s in state["steps"] if s["current"]]
        assert [s["label"] for s in current] == ["consent refused"]
        assert current[0]["properties"] == ["imei"]
    finally:
        code, output = capture.stop()
    assert code == 0, output
    with Store(db_url) as store:
        session = store.session("e2e")
        (mark,) = marks(store, session.id)
        starts = {r.url.split("?")[0].rsplit("/", 1)[1]: r.timestamp_start
                  for r in store.iter_flows(session.id)}  # fmt: skip
    assert step_of([mark.at], [mark.label], starts["p"]) == "consent refused"
    assert step_of([mark.at], [mark.label], starts["events"]) is None


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_the_live_view_stops_with_the_capture(
    tmp_path: Path, sqlite_url: str, servers: Servers, sig: int
) -> None:
    capture = start_capture(tmp_path, sqlite_url, servers)
    url = printed_live_url(capture)
    child = live_child(capture)
    wait_for(lambda: _state(url)["status"] == "recording")
    code, output = capture.stop(sig)
    if sig != signal.SIGKILL:
        assert code == 0, output
    child.wait(30)  # psutil.TimeoutExpired if it stayed behind
    assert not child.is_running()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)


def test_no_live_means_no_page_and_no_process(
    tmp_path: Path, sqlite_url: str, servers: Servers
) -> None:
    capture = start_capture(tmp_path, sqlite_url, servers, "--no-live")
    try:
        wait_for(lambda: capture.printed("Ctrl-C ends the session."))
        assert not capture.printed("Live page")
        assert psutil.Process(capture.process.pid).children() == []
    finally:
        code, output = capture.stop()
    assert code == 0, output


def test_a_bad_profile_stops_the_capture_before_it_starts(tmp_path: Path, sqlite_url: str) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[known]\nimeii = '490154203237518'\n")
    result = subprocess.run(
        [LEAKMAP, "capture", "--session", "never", "--db", sqlite_url, "--profile", str(broken),
         "--listen-host", "127.0.0.1", "--listen-port", "1", "--no-report"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("leakmap: error: ") and "did you mean 'imei'" in line
    with Store(sqlite_url) as store:
        assert store.session_id("never") is None


def test_the_live_page_searches_for_the_profile_read_from_the_phone(
    phone_factory,
    adb_env,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    android_id = "7e3f19ac02b4d855"  # this test's phone
    phone = phone_factory(settings={"secure/android_id": android_id})
    port = free_port("127.0.0.1")
    db = tmp_path / "lab.db"
    env = dict(adb_env.env, LEAKMAP_STATE_DIR=str(tmp_path / "state"), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [LEAKMAP, "capture", "--session", "phone-live", "--db", str(db), "--listen-port",
         str(port), "--no-report", "--adb", phone.serial, "--profile", "auto"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    capture = Capture(process, port, str(db), tmp_path, None)  # type: ignore[arg-type]
    try:
        wait_for_port("127.0.0.1", port, process=process)
        url = printed_live_url(capture)
        # Unreachable upstream: an error flow, still a request that left the phone.
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(f"GET http://127.0.0.1:9/c?aid={android_id} HTTP/1.1\r\n"
                           "Host: 127.0.0.1:9\r\n\r\n".encode())  # fmt: skip
            client.settimeout(30)
            assert client.recv(64).startswith(b"HTTP/1.1 502")
        wait_for(lambda: _state(url)["counters"]["findings"] >= 1)
        found = [f for f in _state(url)["findings"] if f["property"] == "developerScopedId"]
        assert [f["method"] for f in found] == ["known-value"]  # only the profile knows it
        assert android_id not in json.dumps(_state(url))
    finally:
        code, output = capture.stop(signal.SIGTERM)
    assert code == 0, output
