"""Faults during capture: signals, kill -9, a store that refuses writes, readers during capture.

The guarantees (README, "What is stored, and its bounds"): every completed flow is written on
SIGINT and SIGTERM; after kill -9 the database opens and reads, losing at most what the writer
had not committed yet; a store that refuses writes never stops the proxy, and every record not
stored is counted and reported; reading the store during a capture loses nothing.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, text

from analyzer.store import Store
from analyzer.store import records as rec
from analyzer.store.writer import BATCH_SIZE, Writer
from tests.support.capture import LEAKMAP, Servers, start_capture
from tests.support.net import wait_for

# By address: a host name sent through mitmproxy to Hypercorn stalls 5 s on every fifth
# keep-alive request here (not leakmap: bare mitmdump does it too), which only slows tests.
PLAIN_IP = "127.0.0.4"
IMEI = "356938035643809"


def _send(capture, servers: Servers, count: int, prefix: str = "r") -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(proxy=capture.proxy, timeout=30) as client:
        for i in range(count):
            response = client.post(
                f"http://{PLAIN_IP}:{servers.plain_port}/{prefix}/{i}?imei={IMEI}",
                content=json.dumps({"imei": IMEI, "i": i}).encode(),
            )
            assert response.status_code == 200


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signals_flush_every_completed_flow(
    tmp_path: Path, db_url: str, servers: Servers, sig: int
) -> None:
    capture = start_capture(tmp_path, db_url, servers)
    _send(capture, servers, 120)
    code, output = capture.stop(sig)
    assert code == 0, output
    with Store(db_url) as store:
        session = store.session("e2e")
        assert session.flows == 120
        assert session.ended_at is not None
    # Terminal output never shows the personal values that went through the proxy.
    assert IMEI not in output


def test_kill_9_leaves_a_readable_database_losing_at_most_one_batch(
    tmp_path: Path, sqlite_url: str, servers: Servers
) -> None:
    capture = start_capture(tmp_path, sqlite_url, servers)
    _send(capture, servers, 60)
    capture.process.kill()
    capture.process.communicate(timeout=60)
    db = sqlite3.connect(sqlite_url)  # a plain reader: the WAL is recovered on open
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = db.execute("SELECT count(*) FROM flows").fetchone()[0]
    assert 60 - BATCH_SIZE <= stored <= 60
    with Store(sqlite_url) as store:
        assert store.session("e2e").flows == stored


def test_store_refusing_writes_keeps_the_proxy_running_and_counts_losses(
    tmp_path: Path, db_url: str, servers: Servers
) -> None:
    capture = start_capture(tmp_path, db_url, servers)
    _send(capture, servers, 5, "before")
    with Store(db_url) as store:
        session_id = store.session("e2e").id
        wait_for(lambda: store.counts(session_id)["flows"] == 5)
        _refuse_inserts(store, True)
        _send(capture, servers, 7, "refused")  # the proxy still answers every request
        wait_for(lambda: capture.printed("7 lost so far"))
        _refuse_inserts(store, False)
        _send(capture, servers, 3, "after")
    code, output = capture.stop()
    assert code == 1, output  # records were lost: the capture says so in its exit code
    assert "7 records LOST" in output
    with Store(db_url) as store:
        urls = [row.url for row in store.iter_flows(store.session("e2e").id)]
    assert sum("/before/" in u for u in urls) == 5
    assert sum("/after/" in u for u in urls) == 3
    assert not any("/refused/" in u for u in urls)


def test_reports_and_listings_during_a_capture_lose_nothing(
    tmp_path: Path, db_url: str, servers: Servers
) -> None:
    capture = start_capture(tmp_path, db_url, servers)
    sender = threading.Thread(target=_send, args=(capture, servers, 200))
    sender.start()
    readers = 0
    while sender.is_alive():
        listed = subprocess.run(
            [LEAKMAP, "sessions", "--db", db_url, "--json"], capture_output=True, text=True
        )
        assert listed.returncode == 0, listed.stderr
        report = subprocess.run(
            [LEAKMAP, "report", "e2e", "--db", db_url, "--format", "json",
             "-o", str(tmp_path / "during.json")],
            capture_output=True, text=True,
        )  # fmt: skip
        assert report.returncode == 0, report.stderr
        readers += 1
    sender.join()
    code, output = capture.stop()
    assert code == 0, output
    assert readers >= 1
    with Store(db_url) as store:
        assert store.session("e2e").flows == 200


def test_writer_counts_records_lost_to_a_full_disk(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full", from a page limit on the writer's connection."""
    store = Store(str(tmp_path / "full.db"))
    session_id = store.create_session("s")
    event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA max_page_count=40"))
    store.engine.dispose()  # new connections get the limit
    errors: list[str] = []
    writer = Writer(store, session_id, on_error=errors.append)
    writer.start()
    flow = rec.FlowRecord(
        mitm_id=None, client_ip=None, client_port=None, server_ip="127.0.0.9", server_port=80,
        host="h.test", sni=None, scheme="http", method="POST", url="http://h.test/",
        http_version="HTTP/1.1", status_code=200, timestamp_start=1.0, timestamp_end=2.0,
        request_body=b"z" * 400_000,
    )  # fmt: skip
    for _ in range(3):
        assert writer.put(flow, timeout=30)
    stats = writer.close(timeout=60)
    assert stats.lost == 3
    assert errors and "full" in errors[-1]


def test_queue_refuses_records_beyond_its_byte_bound(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "q.db"))
    writer = Writer(store, store.create_session("s"), queue_bytes=1000)  # not started: no drain
    small = rec.WebSocketRecord("f", True, True, None, b"a" * 600)
    assert writer.offer(small) is True
    assert writer.offer(small) is False  # 1200 bytes would exceed the bound
    assert writer.backlog == 1


def _refuse_inserts(store: Store, refuse: bool) -> None:
    """A trigger makes every flow insert fail, as a full disk or a revoked grant would."""
    with store.engine.begin() as conn:
        if store.is_sqlite:
            conn.execute(text("DROP TRIGGER IF EXISTS refuse"))
            if refuse:
                conn.execute(
                    text(
                        "CREATE TRIGGER refuse BEFORE INSERT ON flows "
                        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
                    )
                )
            return
        conn.execute(text("DROP TRIGGER IF EXISTS refuse ON flows"))
        if refuse:
            conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ "
                    "LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text("CREATE TRIGGER refuse BEFORE INSERT ON flows EXECUTE FUNCTION refuse()")
            )
