"""A lab on one PostgreSQL: concurrent captures under load, and a report over many stored flows.

    .venv/bin/python benchmarks/postgres_lab.py captures [--phones 4] [--seconds 20]
    .venv/bin/python benchmarks/postgres_lab.py report [--flows 1000000]

``captures`` starts PHONES ``leakmap capture`` processes (one port each) writing into one fresh
PostgreSQL schema, loads them all at once through loopback for SECONDS, stops them with SIGINT
and prints flows/s in total and flows sent vs stored.

``report`` fills a session with FLOWS realistic flows through the store's batch writer, then runs
``leakmap report --format json`` on it and prints wall time and the report process's peak RSS.

The database is ``LEAKMAP_TEST_POSTGRES`` (default: the test database scripts/ci-postgres makes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capture_throughput import free_port, load, upstream, wait_port

from analyzer.store import Store, write_records
from analyzer.store import records as rec

LEAKMAP = str(Path(sys.executable).with_name("leakmap"))
POSTGRES = os.environ.get(
    "LEAKMAP_TEST_POSTGRES", "postgresql+psycopg://leakmap:leakmap@127.0.0.1:5432/leakmap_test"
)


def fresh_schema(prefix: str) -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    return name, f"{POSTGRES}?options=-csearch_path%3D{name}"


def drop_schema(name: str) -> None:
    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    engine.dispose()


async def captures(phones: int, seconds: float) -> None:
    schema, url = fresh_schema("bench_lab")
    target_port = free_port("127.0.0.2")
    server = await upstream("127.0.0.2", target_port)
    processes: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for phone in range(phones):
                port = free_port("127.0.0.1")
                command = [
                    LEAKMAP, "capture", "--session", f"phone-{phone}", "--db", url,
                    "--listen-host", "127.0.0.1", "--listen-port", str(port), "--no-report",
                    "--", "--set", f"confdir={tmp}/conf{phone}", "-q",
                ]  # fmt: skip
                process = subprocess.Popen(
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
                )
                processes.append((process, port))
            for _process, port in processes:
                await wait_port(port)
            start = time.monotonic()
            sent = await asyncio.gather(
                *(load(port, f"127.0.0.2:{target_port}", seconds) for _, port in processes)
            )
            elapsed = time.monotonic() - start
            for process, _ in processes:
                process.send_signal(signal.SIGINT)
            for process, _ in processes:
                process.wait(300)
        with Store(url) as store:
            stored = {s.name: s.flows for s in store.sessions()}
        total_sent, total_stored = sum(sent), sum(stored.values())
        print(f"{phones} captures into one PostgreSQL, {seconds:.0f} s of load each")
        for phone, count in enumerate(sent):
            print(f"  phone-{phone}: sent {count}, stored {stored.get(f'phone-{phone}', 0)}")
        print(f"  total {total_sent / elapsed:.0f} flows/s, sent {total_sent}, "
              f"stored {total_stored}, lost {total_sent - total_stored}")  # fmt: skip
    finally:
        server.close()
        for process, _ in processes:
            if process.poll() is None:
                process.kill()
        drop_schema(schema)


def synthetic_flow(i: int, rng: random.Random) -> rec.FlowRecord:
    """A mobile-app-like request: a few trackers, JSON bodies with an identifier now and then."""
    hosts = ["app-measurement.com", "graph.facebook.com", "api.umeng.com", "log.byteoversea.com",
             "sdk.appsflyer.com", "api.example-app.com", "cdn.example-app.com"]  # fmt: skip
    host = hosts[i % len(hosts)]
    body = json.dumps(
        {
            "event": "screen_view",
            "seq": i,
            "ts": 1_700_000_000 + i,
            "idfa": "6a1c1487-a0af-4223-b142-a0f4621d0311" if i % 10 == 0 else None,
            "pad": "x" * rng.randint(200, 1500),
        }
    ).encode()
    return rec.FlowRecord(
        mitm_id=None, client_ip="10.0.0.1", client_port=50000,
        server_ip=f"203.0.113.{i % 200 + 1}", server_port=443, host=host, sni=host,
        scheme="https", method="POST", url=f"https://{host}/v1/collect?n={i}",
        http_version="HTTP/2.0", status_code=200, timestamp_start=1_700_000_000.0 + i,
        timestamp_end=1_700_000_000.2 + i,
        request_headers=((b"content-type", b"application/json"), (b"user-agent", b"App/1.0")),
        request_body=body, response_headers=((b"content-type", b"application/json"),),
        response_body=b'{"ok":true}',
    )  # fmt: skip


def report(flows: int) -> None:
    schema, url = fresh_schema("bench_report")
    rng = random.Random(1)
    try:
        start = time.monotonic()
        with Store(url) as store:
            session_id = store.create_session("big", app="Bench")
            limits, ids = rec.Limits(), {}
            for offset in range(0, flows, 5000):
                batch = [synthetic_flow(i, rng) for i in range(offset, min(flows, offset + 5000))]
                with store.engine.begin() as conn:
                    write_records(conn, session_id, batch, limits, ids)
        print(f"stored {flows} flows in {time.monotonic() - start:.0f} s")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "big.json"
            start = time.monotonic()
            result = subprocess.run(
                [LEAKMAP, "report", "big", "--db", url, "--format", "json", "-o", str(out)],
                capture_output=True, text=True,
            )  # fmt: skip
            elapsed = time.monotonic() - start
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if result.returncode != 0:
                raise SystemExit(f"report failed: {result.stderr}")
            size = out.stat().st_size
        print(f"report over {flows} flows from PostgreSQL: {elapsed:.0f} s, "
              f"peak RSS {peak:.0f} MiB, JSON {size / 1e6:.1f} MB")  # fmt: skip
    finally:
        drop_schema(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    c = sub.add_parser("captures")
    c.add_argument("--phones", type=int, default=4)
    c.add_argument("--seconds", type=float, default=20.0)
    r = sub.add_parser("report")
    r.add_argument("--flows", type=int, default=1_000_000)
    options = parser.parse_args()
    if options.what == "captures":
        asyncio.run(captures(options.phones, options.seconds))
    else:
        report(options.flows)


if __name__ == "__main__":
    main()
