"""Report a large session: time and peak memory of detection, summary and every output format.

    .venv/bin/python benchmarks/report_scale.py [--flows 100000] [--keep DIR]

Builds a session of FLOWS flows through the store's write path (batches of 500, as the
recorder's writer thread does): ~400 hosts on real addresses in several countries (the embedded
GeoIP database places them), JSON bodies (some gzip) carrying a test phone's identifiers, some
plaintext HTTP, TLS failures. Then, in a fresh process (so that its peak memory is the report's
own), it runs ``build_report`` twice (first run: detection and its cache; second: cached
findings), renders the HTML and writes JSON, CSV and HAR. Goal: < 60 s and < 1 GB for 100k flows.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from analyzer.store import Limits, Store, write_records
from analyzer.store import records as rec

AAID = "6a1c1487-a0af-4223-b142-a0f4621d0311"
IMEI = "356938035643809"
EMAIL = "tester@example.org"
PROFILE = f"""
[device]
name = "bench-phone"
[known]
advertisingId = "{AAID}"
imei = "{IMEI}"
email = "{EMAIL}"
latitude = 52.235
longitude = 10.564
"""
# Real addresses (documented operators) so the embedded GeoIP database has answers.
SERVERS = [
    "202.108.22.5",
    "202.108.22.6",
    "43.129.1.1",
    "119.28.1.1",
    "8.209.64.1",
    "8.209.64.2",
    "8.8.8.8",
    "8.8.4.4",
    "47.246.1.1",
    "80.67.1.1",
    "85.13.1.1",
    "1.2.4.8",
]
T0 = 1_767_000_000.0


def build_session(store: Store, flows: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    hosts = [f"api{n}.tracker{n % 40}.example" for n in range(400)]
    session_id = store.create_session(
        "bench", app="Bench App", app_version="1.0", device="bench-phone", started_at=T0
    )
    batch: list[rec.Record] = []
    websocket_ids: dict[str, int] = {}
    for n in range(flows):
        host = hosts[rng.randrange(len(hosts))]
        server = SERVERS[hash(host) % len(SERVERS)]
        scheme = "http" if n % 10 == 0 else "https"
        payload = {
            "adid": AAID if n % 3 == 0 else "none",
            "model": "Pixel 7",
            "os": "14",
            "lat": 52.235 if n % 7 == 0 else 0,
            "lon": 10.564 if n % 7 == 0 else 0,
            "ts": T0 + n,
            "events": [{"name": f"event{i}", "value": rng.random()} for i in range(8)],
        }
        body = json.dumps(payload).encode()
        headers = [(b"content-type", b"application/json"), (b"user-agent", b"BenchApp/1.0")]
        if n % 4 == 0:
            body = gzip.compress(body)
            headers.append((b"content-encoding", b"gzip"))
        query = f"?imei={IMEI}&n={n}" if n % 5 == 0 else f"?n={n}"
        batch.append(
            rec.FlowRecord(
                mitm_id=None,
                client_ip="10.0.0.2",
                client_port=40000 + n % 20000,
                server_ip=server,
                server_port=80 if scheme == "http" else 443,
                host=host,
                sni=host if scheme == "https" else None,
                scheme=scheme,
                method="POST",
                url=f"{scheme}://{host}/v1/collect{query}",
                http_version="HTTP/1.1",
                status_code=200,
                timestamp_start=T0 + n * 0.05,
                timestamp_end=T0 + n * 0.05 + 0.1,
                request_headers=tuple(headers),
                request_body=body,
                response_headers=((b"content-type", b"application/json"),),
                response_body=b'{"ok":true}',
            )
        )
        if n % 2000 == 0:
            batch.append(
                rec.TlsFailureRecord(
                    "client",
                    T0 + n,
                    "10.0.0.2",
                    f"pinned{n % 7}.example",
                    "8.8.8.8",
                    443,
                    "tlsv1 alert unknown ca",
                )
            )
        if len(batch) >= 500:
            with store.engine.begin() as conn:
                write_records(conn, session_id, batch, Limits(), websocket_ids)
            batch = []
    with store.engine.begin() as conn:
        write_records(conn, session_id, batch, Limits(), websocket_ids)
    store.end_session(session_id, T0 + flows * 0.05)


class _TreeMemory(threading.Thread):
    """Peak resident memory of this process and its descendants (the detection workers start
    from a fork server, so getrusage's RUSAGE_CHILDREN does not see them), sampled at 5 Hz."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.wait(0.2):
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> None:
        self._done.set()
        self.join()


def render(db: str, folder: Path) -> None:
    """The measured part, in its own process."""
    from analyzer.detect.parallel import default_workers
    from analyzer.report.csvout import write_csv
    from analyzer.report.har import write_har
    from analyzer.report.html import render_html
    from analyzer.report.jsonout import write_json
    from analyzer.summary import build_report

    figures: dict[str, float] = {}
    sampler = _TreeMemory()
    sampler.start()
    with Store(db, create=False) as store:
        start = time.perf_counter()
        workers = default_workers()
        build_report(store, "bench", profile=folder / "profile.toml", workers=workers)
        figures["report_first_s"] = time.perf_counter() - start
        figures["workers"] = workers
        sampler.stop()
        start = time.perf_counter()
        report = build_report(store, "bench", profile=folder / "profile.toml")
        figures["report_cached_s"] = time.perf_counter() - start
        start = time.perf_counter()
        html = render_html(report)
        (folder / "bench.html").write_text(html, encoding="utf-8")
        figures["html_s"] = time.perf_counter() - start
        for name, writer in (("json", write_json), ("csv", write_csv)):
            start = time.perf_counter()
            with open(folder / f"bench.{name}", "w", encoding="utf-8", newline="") as out:
                writer(report, out)
            figures[f"{name}_s"] = time.perf_counter() - start
        start = time.perf_counter()
        with open(folder / "bench.har", "w", encoding="utf-8") as out:
            write_har(store, store.session("bench"), out)
        figures["har_s"] = time.perf_counter() - start
        figures["findings"] = len(report["findings"])
        figures["destinations"] = len(report["destinations"])
        figures["evidence_sections"] = len(report["evidence"])
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # With detection workers (analyzer/detect/parallel.py): this process and all of them.
    figures["tree_rss_mb"] = sampler.peak / 1e6
    print(json.dumps(figures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="folder to keep the database and outputs in")
    parser.add_argument("--render", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument(
        "--workers", type=int, help="detection processes (default: LEAKMAP_WORKERS or the cores)"
    )
    args = parser.parse_args()
    if args.workers:
        os.environ["LEAKMAP_WORKERS"] = str(args.workers)
    if args.render:
        render(str(args.render / "bench.db"), args.render)
        return 0
    folder = args.keep or Path(tempfile.mkdtemp(prefix="leakmap-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profile.toml").write_text(PROFILE)
    db = folder / "bench.db"
    if db.exists():
        os.unlink(db)
    start = time.perf_counter()
    with Store(str(db)) as store:
        build_session(store, args.flows)
    print(
        f"session: {args.flows:,} flows written in {time.perf_counter() - start:.1f} s; "
        f"database {db.stat().st_size / 1e6:.0f} MB"
    )
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, __file__, "--render", str(folder)], capture_output=True, text=True
    )
    if child.returncode:
        print(child.stderr, file=sys.stderr)
        return 1
    total = time.perf_counter() - start
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"report, first run (detection + summary): {figures['report_first_s']:.1f} s")
    print(f"report, cached findings (summary only):  {figures['report_cached_s']:.1f} s")
    print(
        f"HTML render + write: {figures['html_s']:.1f} s; JSON {figures['json_s']:.1f} s; "
        f"CSV {figures['csv_s']:.1f} s; HAR {figures['har_s']:.1f} s"
    )
    print(
        f"findings {figures['findings']:,}; destinations {figures['destinations']:,}; "
        f"evidence sections {figures['evidence_sections']:,}"
    )
    for name in ("html", "json", "csv", "har"):
        print(f"{name.upper():4} {(folder / f'bench.{name}').stat().st_size / 1e6:8.1f} MB")
    print(
        f"reporting process: {total:.1f} s wall, peak RSS {figures['peak_rss_mb']:.0f} MB; "
        f"first run with {figures['workers']:.0f} detection worker(s): "
        f"{figures['tree_rss_mb']:.0f} MB for all processes"
    )
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
