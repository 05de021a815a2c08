"""Does the live view slow the capture down? ``leakmap capture --live`` against ``--no-live``.

Each round runs both set-ups, one after the other, in alternating order (noise on a shared
machine hits both alike): a real ``leakmap capture`` with the device profile, a local upstream
on 127.0.0.2, and CONCURRENCY keep-alive connections sending tracker-like JSON POSTs (the
phone's advertising ID and IMEI, changing event names and nonces, 40 host names) for
``--seconds``. With ``--live``, timing starts once the live view is up (its start-up is paid
once per session) and a second process reads the page's event stream, as an open browser tab
does. Prints requests/s and the capture's CPU per request for both, the ratio
live / no-live (median of the per-round ratios, and of the medians), and how far the live view
had got by the end of each round.

    .venv/bin/python benchmarks/live_overhead.py [--rounds 6] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capture_throughput import cpu_seconds, free_port, upstream
from live_support import (
    HOSTS,
    EventReader,
    body_for,
    exchange,
    live_pid,
    request_bytes,
    start_capture,
)

CONCURRENCY = 16
BODIES = 6000  # distinct request bodies (no repeats within a round), prepared before timing


async def load(proxy_port: int, target: str, seconds: float, requests: list[bytes]) -> int:
    """Requests completed through the proxy in ``seconds``."""
    done = 0
    deadline = time.monotonic() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
        n = offset
        try:
            while time.monotonic() < deadline:
                await exchange(reader, writer, requests[n % len(requests)])
                n += CONCURRENCY
                done += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
    return done


async def ready(url: str) -> None:
    """Wait until the live view has started and found the session."""
    async with httpx.AsyncClient() as client:
        for _ in range(1200):
            try:
                state = (await client.get(url + "state", timeout=30)).json()
                if state["status"] == "recording":
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the live view did not start")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=8.0)
    options = parser.parse_args()

    target_port = free_port("127.0.0.2")
    server = await upstream("127.0.0.2", target_port)
    target = f"127.0.0.2:{target_port}"
    rng = random.Random(15)
    requests = [request_bytes(target, HOSTS[n % len(HOSTS)], body_for(n, rng))
                for n in range(BODIES)]  # fmt: skip
    rates: dict[str, list[float]] = {"no-live": [], "live": []}
    cpu: dict[str, list[float]] = {"no-live": [], "live": []}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for round_no in range(options.rounds):
            order = ["no-live", "live"] if round_no % 2 == 0 else ["live", "no-live"]
            for mode in order:
                live = mode == "live"
                session = f"{mode}-{round_no}"
                capture = start_capture(workdir, session, free_port("127.0.0.1"), live)
                reader = None
                if live and capture.url:
                    await ready(capture.url)  # its start-up is paid once per session, not timed
                    reader = EventReader(capture.url)
                await load(capture.port, target, 1.0, requests)  # warm-up, not timed
                live_cpu = cpu_seconds(live_pid(capture)) if live else 0.0
                start, cpu_start = time.monotonic(), cpu_seconds(capture.process.pid)
                count = await load(capture.port, target, options.seconds, requests)
                elapsed = time.monotonic() - start
                await asyncio.sleep(0.5)  # the writer's last batch
                cost = (cpu_seconds(capture.process.pid) - cpu_start) / count * 1e6
                rate = count / elapsed
                rates[mode].append(rate)
                cpu[mode].append(cost)
                line = f"round {round_no + 1} {mode:8} {rate:7.0f} req/s {cost:6.0f} us CPU/request"
                if live and capture.url:
                    state = httpx.get(capture.url + "state", timeout=30).json()
                    used = cpu_seconds(live_pid(capture)) - live_cpu
                    line += (
                        f"   live view: {state['counters']['flows']} flows analysed, "
                        f"{state['counters']['behind']} behind, {used:.1f} s CPU at nice +10"
                    )
                print(line, flush=True)
                capture.stop()
                if reader is not None:
                    reader.stop()
    server.close()

    ratios = [live / bare for live, bare in zip(rates["live"], rates["no-live"], strict=True)]
    no_live, live = statistics.median(rates["no-live"]), statistics.median(rates["live"])
    print(
        f"\n{options.rounds} rounds x {options.seconds:.0f} s per set-up, {CONCURRENCY} "
        f"connections, {len(requests[0])}-byte requests, {os.cpu_count()} CPUs "
        "(shared with other work: expect noise)"
    )
    print(f"  no-live  {no_live:7.0f} req/s   {statistics.median(cpu['no-live']):5.0f} us CPU/req")
    print(f"  live     {live:7.0f} req/s   {statistics.median(cpu['live']):5.0f} us CPU/req")
    print(
        f"  live / no-live throughput: {statistics.median(ratios):.3f} (median of per-round "
        f"ratios {', '.join(f'{r:.3f}' for r in ratios)}); {live / no_live:.3f} (of medians)"
    )
    per_cpu = statistics.median(cpu["no-live"]) / statistics.median(cpu["live"])
    print(
        f"  the capture's CPU per request, no-live / live: {per_cpu:.3f} (its throughput per "
        "CPU with the live view; less sensitive to a busy machine than requests/s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
