"""Does recording slow the proxy down, and does it lose flows?

Runs a loopback load through mitmdump in three set-ups, alternating rounds so that machine noise
hits all of them alike:

    bare      mitmdump                               (the baseline)
    leakmap   mitmdump -s addons/recorder.py         (SQLite, writer thread)
    save      mitmdump -w FILE                       (mitmproxy's own recorder)

The client keeps CONCURRENCY keep-alive connections busy with POST requests (1 KiB JSON bodies)
to a plain-HTTP server on 127.0.0.2 for ROUND_SECONDS each round. Prints requests/s per set-up,
the ratios to bare mitmdump, and for leakmap the flows sent vs stored.

    .venv/bin/python benchmarks/capture_throughput.py [--rounds 3] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MITMDUMP = str(Path(sys.executable).with_name("mitmdump"))
CONCURRENCY = 16
BODY = json.dumps({"event": "app_open", "payload": "x" * 950}).encode()
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


async def upstream(host: str, port: int) -> asyncio.Server:
    """A minimal keep-alive HTTP/1.1 server: reads a request with a body, answers 200."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                writer.write(RESPONSE)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)


async def load(proxy_port: int, target: str, seconds: float) -> int:
    """Requests completed through the proxy in ``seconds``."""
    done = 0
    deadline = time.monotonic() + seconds
    request = (
        f"POST http://{target}/collect HTTP/1.1\r\nHost: {target}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
        try:
            while time.monotonic() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                await reader.readexactly(length)
                done += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return done


def start_proxy(
    mode: str, port: int, workdir: Path, round_no: int
) -> tuple[subprocess.Popen[bytes], Path | None]:
    args = [MITMDUMP, "-q", "--listen-host", "127.0.0.1", "--listen-port", str(port),
            "--set", f"confdir={workdir / 'conf'}"]  # fmt: skip
    db = None
    if mode == "leakmap":
        db = workdir / f"bench-{round_no}.db"
        args += ["-s", str(ROOT / "addons" / "recorder.py"), "--set", f"leakmap_db={db}",
                 "--set", f"leakmap_session=bench-{round_no}"]  # fmt: skip
    elif mode == "save":
        args += ["-w", str(workdir / f"bench-{round_no}.mitm")]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, db
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{mode}: mitmdump did not start: {process.communicate()[1].decode()}")


async def wait_port(port: int, host: str = "127.0.0.1") -> None:
    """Wait until a freshly started proxy accepts connections (60 s at most)."""
    for _ in range(600):
        try:
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit(f"nothing listens on {host}:{port} after 60 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stored_flows(db: Path, session: str) -> int:
    sys.path.insert(0, str(ROOT))
    from analyzer.store import Store

    with Store(str(db)) as store:
        return store.session(session).flows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    options = parser.parse_args()

    target_port = free_port("127.0.0.2")
    server = await upstream("127.0.0.2", target_port)
    target = f"127.0.0.2:{target_port}"
    rates: dict[str, list[float]] = {"bare": [], "leakmap": [], "save": []}
    # CPU time of the proxy process per request: far less sensitive to a noisy machine than
    # requests/s, and it includes the recorder's writer thread.
    cpu: dict[str, list[float]] = {mode: [] for mode in rates}
    sent_total = stored_total = 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for round_no in range(options.rounds):
            for mode in rates:
                port = free_port("127.0.0.1")
                process, db = start_proxy(mode, port, workdir, round_no)
                warm = await load(port, target, 1.0)  # warm-up: stored, not timed
                start, cpu_start = time.monotonic(), cpu_seconds(process.pid)
                count = await load(port, target, options.seconds)
                elapsed = time.monotonic() - start
                await asyncio.sleep(0.5)  # let the writer commit its last batch
                cpu[mode].append((cpu_seconds(process.pid) - cpu_start) / count * 1e6)
                process.send_signal(signal.SIGINT)
                process.wait(120)
                rate = count / elapsed
                rates[mode].append(rate)
                line = (
                    f"round {round_no + 1} {mode:8} {rate:8.0f} req/s "
                    f"{cpu[mode][-1]:6.0f} us CPU/request"
                )
                if db is not None:
                    stored = stored_flows(db, f"bench-{round_no}")
                    sent = warm + count
                    sent_total += sent
                    stored_total += stored
                    line += f"   sent {sent}, stored {stored}"
                print(line, flush=True)
    server.close()

    bare = statistics.median(rates["bare"])
    print(
        f"\nmedian of {options.rounds} rounds, {options.seconds:.0f} s each, {CONCURRENCY} "
        f"connections, {len(BODY)} B POST bodies, {os.cpu_count()} CPUs"
    )
    bare_cpu = statistics.median(cpu["bare"])
    for mode, values in rates.items():
        median, cost = statistics.median(values), statistics.median(cpu[mode])
        print(
            f"  {mode:8} {median:8.0f} req/s   {median / bare:5.2f}x bare mitmdump   "
            f"{cost:5.0f} us CPU/request = {bare_cpu / cost:5.2f}x bare's throughput per CPU"
        )
    print(f"  leakmap flows sent {sent_total}, stored {stored_total}, "
          f"lost {sent_total - stored_total}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
