"""Shared parts of the live view's benchmarks: a real ``leakmap capture``, a phone-like load
(sent to ``capture_throughput.upstream``), and a browser-like reader of the live page's event
stream (its own process, so that reading events never takes the load generator's CPU or GIL).

    .venv/bin/python benchmarks/live_support.py --events URL   # the reader, as the scripts use it
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
LEAKMAP = str(Path(sys.executable).with_name("leakmap"))
# The test phone these loads come from (invented values).
ADID = "9c41e7d2-5b3a-4f68-8e1d-2a7c6b0f3e95"
IMEI = "352099001761481"
EMAIL = "bench.phone@lab.example"
PROFILE = f'[device]\nname = "bench"\n[known]\nadvertisingId = "{ADID}"\nimei = "{IMEI}"\n'
EVENTS = [f"screen_{n}" for n in range(60)] + ["app_open", "purchase", "login", "ad_click"]
HOSTS = [f"{kind}{n}.bench-{region}.example" for kind in ("api", "log", "cdn", "ads")
         for n in range(5) for region in ("cn", "us")]  # fmt: skip
LIVE_URL = re.compile(r"^http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{32,}/$")


def body_for(n: int, rng: random.Random) -> bytes:
    """A tracker-like JSON body: the phone's IDs, a changing nonce, time and event names."""
    events = [
        {"name": rng.choice(EVENTS), "ts": time.time(), "seq": n * 10 + i,
         "params": {"nonce": f"{rng.getrandbits(64):016x}", "value": rng.random()}}
        for i in range(rng.randint(1, 6))
    ]  # fmt: skip
    data = {"adid": ADID, "device": {"imei": IMEI, "model": "Pixel 8"}, "events": events}
    if n % 7 == 0:
        data["user"] = {"email": EMAIL}
    return json.dumps(data).encode()


@dataclass
class Capture:
    process: subprocess.Popen[bytes]
    port: int
    url: str | None
    lines: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(120)


def start_capture(workdir: Path, session: str, port: int, live: bool) -> Capture:
    """``leakmap capture`` on 127.0.0.1:``port`` into ``workdir/<session>.db``; waits until
    it listens (and, with ``live``, for the live page's URL)."""
    profile = workdir / "phone.toml"
    profile.write_text(PROFILE)
    command = [
        LEAKMAP, "capture", "--session", session, "--db", str(workdir / f"{session}.db"),
        "--listen-host", "127.0.0.1", "--listen-port", str(port), "--no-report",
        "--profile", str(profile), "--live" if live else "--no-live",
        "--", "--set", f"confdir={workdir / 'conf'}",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=workdir,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    capture = Capture(process, port, None)
    ready = threading.Event()

    def read(stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode(errors="replace").strip()
            capture.lines.append(line)
            if LIVE_URL.match(line):
                capture.url = line
            if "Ctrl-C ends the session" in line:
                ready.set()

    assert process.stderr is not None
    threading.Thread(target=read, args=(process.stderr,), daemon=True).start()
    if not ready.wait(120):
        process.kill()
        raise SystemExit("leakmap capture did not start:\n" + "\n".join(capture.lines[-20:]))
    if live and capture.url is None:
        raise SystemExit("leakmap capture printed no live page URL")
    return capture


def live_pid(capture: Capture) -> int:
    import psutil

    for child in psutil.Process(capture.process.pid).children():
        if "analyzer.live" in " ".join(child.cmdline()):
            return child.pid
    raise SystemExit("no live view process")


def request_bytes(target: str, host: str, body: bytes) -> bytes:
    return (
        f"POST http://{target}/collect HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
    await reader.readexactly(length)


class EventReader:
    """The live page's event stream read by a separate process (as a browser tab would).

    ``arrivals`` collects, per flow id, when its first finding arrived and when the flow
    started (both epoch seconds): the page's latency.
    """

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--events", url + "events"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.arrivals: dict[int, tuple[float, float]] = {}
        self.last_state: dict = {}
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            arrived, kind, flows = json.loads(line)
            if kind == "update":
                for flow_id, started in flows:
                    self.arrivals.setdefault(flow_id, (arrived, started))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def _read_events(url: str) -> None:
    """Print one JSON line per event: [arrival time, kind, [[flow id, started], ...]]."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=3600)
    conn.request("GET", parts.path, headers={"Accept": "text/event-stream"})
    response = conn.getresponse()
    kind = ""
    for raw in response:
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data = json.loads(line[5:])
            flows = sorted({(f["flow_id"], f["started"]) for f in data["findings"]})
            print(json.dumps([time.time(), kind, flows]), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--events":
        _read_events(sys.argv[2])
    else:
        raise SystemExit(__doc__)
