"""Does the live view's memory stay flat over a long session, and how soon does a flow show?

A real ``leakmap capture --live`` with the device profile; a phone-like load of ``--rate``
tracker requests a second (default 10) for ``--minutes`` (default 10) through the proxy to a
local upstream: 40 host names, the phone's advertising ID and IMEI in every body, an e-mail in
one in seven, changing event names, nonces and times (so the detector keeps meeting new
values). A second process reads the live page's event stream, as an open browser tab does.

Every 10 s prints the live process's resident memory (RSS), the flows it has analysed and the
findings it has counted; at the end, the RSS growth from the first minute to the end, and the
page's latency: from a flow's start to its first finding arriving at the reader (median, 95th
percentile, maximum).

    .venv/bin/python benchmarks/live_memory.py [--minutes 10] [--rate 10]
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
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capture_throughput import free_port, upstream
from live_support import (
    HOSTS,
    EventReader,
    body_for,
    exchange,
    live_pid,
    request_bytes,
    start_capture,
)

SAMPLE_EVERY = 10.0
MIB = 1024 * 1024


async def steady_load(proxy_port: int, target: str, rate: float, seconds: float) -> int:
    """``rate`` requests a second for ``seconds`` on one keep-alive connection; returns the
    number sent (a slow answer delays the next request, never bunches them up)."""
    rng = random.Random(10)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
    start = time.monotonic()
    sent = 0
    try:
        while (now := time.monotonic()) - start < seconds:
            due = start + sent / rate
            if due > now:
                await asyncio.sleep(due - now)
            host = HOSTS[sent % len(HOSTS)]
            await exchange(reader, writer, request_bytes(target, host, body_for(sent, rng)))
            sent += 1
    finally:
        writer.close()
    return sent


async def sample(pid: int, url: str, seconds: float, samples: list[tuple[float, float]]) -> None:
    process = psutil.Process(pid)
    start = time.monotonic()
    print(f"{'time':>6} {'live RSS':>10} {'flows analysed':>15} {'findings':>9}", flush=True)
    while (elapsed := time.monotonic() - start) <= seconds + 1:
        rss = process.memory_info().rss / MIB
        async with httpx.AsyncClient() as client:
            state = (await client.get(url + "state", timeout=30)).json()
        counters = state["counters"]
        samples.append((elapsed, rss))
        print(
            f"{elapsed:5.0f}s {rss:8.1f} MiB {counters['flows']:>15} {counters['findings']:>9}",
            flush=True,
        )
        await asyncio.sleep(SAMPLE_EVERY)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=10.0, help="requests a second")
    options = parser.parse_args()
    seconds = options.minutes * 60

    target_port = free_port("127.0.0.2")
    server = await upstream("127.0.0.2", target_port)
    with tempfile.TemporaryDirectory() as tmp:
        capture = start_capture(Path(tmp), "long", free_port("127.0.0.1"), live=True)
        assert capture.url is not None
        reader = EventReader(capture.url)
        samples: list[tuple[float, float]] = []
        try:
            sent, _ = await asyncio.gather(
                steady_load(capture.port, f"127.0.0.2:{target_port}", options.rate, seconds),
                sample(live_pid(capture), capture.url, seconds, samples),
            )
            await asyncio.sleep(2)  # the last flows reach the page
        finally:
            capture.stop()
            reader.stop()
    server.close()

    warm = [rss for at, rss in samples if at >= 60] or [samples[-1][1]]
    latencies = sorted(arrived - started for arrived, started in reader.arrivals.values())
    print(
        f"\n{sent} requests at {options.rate:g}/s over {options.minutes:g} min, "
        f"{os.cpu_count()} CPUs (shared with other work: expect noise)"
    )
    print(
        f"  live view RSS: {samples[0][1]:.1f} MiB at start, {warm[0]:.1f} MiB after the first "
        f"minute, {samples[-1][1]:.1f} MiB at the end (max {max(r for _, r in samples):.1f}); "
        f"growth after the first minute: {samples[-1][1] - warm[0]:+.1f} MiB"
    )
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        print(
            f"  flow start -> first finding on the page ({len(latencies)} flows): median "
            f"{statistics.median(latencies):.2f} s, 95th percentile {p95:.2f} s, "
            f"max {latencies[-1]:.2f} s"
        )


if __name__ == "__main__":
    asyncio.run(main())
