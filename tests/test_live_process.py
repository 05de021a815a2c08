"""The live view's own process: started beside a capture, following the store, never an orphan."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import psutil
import pytest

from analyzer.errors import LeakmapError
from analyzer.live import start_live_view
from analyzer.live.process import NICENESS
from analyzer.store import Store
from tests.support.live import ADID, PROFILE_TOML, append, json_body, request
from tests.support.net import wait_for


def _state(url: str) -> dict:
    return httpx.get(url + "state", timeout=30).json()


@pytest.mark.parametrize("handed", ["file", "text"])
def test_it_follows_the_session_the_capture_creates_and_stops_with_it(
    db_url: str, tmp_path: Path, handed: str
) -> None:
    profile = tmp_path / "phone.toml"
    profile.write_text(PROFILE_TOML)
    Store(db_url).close()  # the capture opens the store before it starts the live view
    if handed == "file":
        view = start_live_view(db_url, "cap-1", profile=profile)
    else:  # read from the phone: never on a command line
        view = start_live_view(db_url, "cap-1", profile_text=PROFILE_TOML)
    try:
        child = psutil.Process(view.process.pid)
        wait_for(lambda: httpx.get(view.url + "state", timeout=30).status_code == 200)
        assert _state(view.url)["status"] == "waiting"
        with Store(db_url) as store:
            session = store.create_session("cap-1", app="ProbeApp", app_version="2.0")
            append(store, session, [
                request("https://api.probe.example/v1/e", body=json_body({"x": ADID})),
            ])  # fmt: skip
            wait_for(lambda: _state(view.url)["counters"]["flows"] == 1)
            state = _state(view.url)
            assert state["status"] == "recording"
            assert state["session"]["app"] == "ProbeApp"
            # A known value found only through the profile handed over with --profile.
            assert [f["method"] for f in state["findings"]] == ["known-value"]
            store.end_session(session)
            wait_for(lambda: _state(view.url)["status"] == "ended")
        # What others on the machine can read of the process says nothing secret.
        command = " ".join(child.cmdline())
        assert view.url.split("/")[3] not in command
        assert db_url not in command and ADID not in command
        assert child.nice() == min(19, psutil.Process().nice() + NICENESS)  # the proxy goes first
    finally:
        code = view.stop()
    assert code == 0
    assert not child.is_running()
    with pytest.raises(httpx.ConnectError):
        httpx.get(view.url, timeout=5)


_PARENT = textwrap.dedent(
    """
    import json, sys, time
    from analyzer.live import start_live_view
    view = start_live_view(sys.argv[1], "cap-2")
    print(json.dumps({"pid": view.process.pid, "url": view.url}), flush=True)
    time.sleep(600)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_the_live_process_never_outlives_the_capture(sqlite_url: str, sig: int) -> None:
    Store(sqlite_url).close()
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, sqlite_url], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    started = json.loads(parent.stdout.readline())
    child = psutil.Process(started["pid"])
    wait_for(lambda: httpx.get(started["url"] + "state", timeout=30).status_code == 200)
    parent.send_signal(sig)  # even SIGKILL: no chance to clean up
    parent.wait(30)
    child.wait(30)  # raises psutil.TimeoutExpired if it stayed
    assert not child.is_running()


def test_on_its_own_it_prints_its_url_and_stops_on_sigterm(sqlite_url: str) -> None:
    Store(sqlite_url).close()
    process = subprocess.Popen(
        [sys.executable, "-m", "analyzer.live", "--db", sqlite_url, "--session", "solo"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("leakmap live page: http://127.0.0.1:")
        url = line.split(": ", 1)[1].strip()
        assert _state(url)["session"]["name"] == "solo"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0


def test_a_bad_profile_stops_it_with_one_line(sqlite_url: str, tmp_path: Path) -> None:
    Store(sqlite_url).close()
    broken = tmp_path / "broken.toml"
    broken.write_text("[known]\nimeii = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "analyzer.live", "--db", sqlite_url, "--session", "x",
         "--profile", str(broken)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("leakmap: live view stopped: ")
    assert "imei" in lines[0]  # the closest property is suggested


def test_a_port_in_use_is_a_one_line_error(sqlite_url: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(
            LeakmapError, match=f"cannot listen for the live page on 127.0.0.1:{port}"
        ):
            start_live_view(sqlite_url, "x", port=port)
    assert os.environ.get("LEAKMAP_DB") != sqlite_url  # the child's setting stays the child's
