"""A lab: several ``leakmap capture`` processes, one per phone, writing into one PostgreSQL."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from analyzer.store import Store
from tests.conftest import drop_postgres_schema, postgres_schema_url
from tests.support.capture import LEAKMAP, Servers, start_capture
from tests.support.net import free_port

# By address: see tests/test_faults.py.
PLAIN_IP = "127.0.0.4"
PHONES = 3
REQUESTS = 40


def test_concurrent_captures_share_one_postgres_without_loss(
    tmp_path: Path, servers: Servers, postgres_engine
) -> None:  # type: ignore[no-untyped-def]
    name = f"lab_{free_port('127.0.0.1')}"
    url = postgres_schema_url(postgres_engine, name)
    try:
        captures = []
        for phone in range(PHONES):
            folder = tmp_path / f"phone{phone}"
            folder.mkdir()
            captures.append(start_capture(folder, url, servers, session=f"phone-{phone}"))
        clients = [httpx.Client(proxy=c.proxy, timeout=30) for c in captures]
        for i in range(REQUESTS):  # interleaved, so the writers really overlap
            for phone, client in enumerate(clients):
                response = client.post(
                    f"http://{PLAIN_IP}:{servers.plain_port}/p{phone}/{i}", content=b"x" * 500
                )
                assert response.status_code == 200
        for client in clients:
            client.close()
        for capture in captures:
            code, output = capture.stop()
            assert code == 0, output
        with Store(url) as store:
            sessions = {s.name: s.flows for s in store.sessions()}
            assert sessions == {f"phone-{p}": REQUESTS for p in range(PHONES)}
            for phone in range(PHONES):
                urls = {r.url for r in store.iter_flows(store.session(f"phone-{phone}").id)}
                assert all(f"/p{phone}/" in u for u in urls) and len(urls) == REQUESTS
        listed = subprocess.run(
            [LEAKMAP, "sessions", "--db", url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert all(f"phone-{p}" in listed.stdout for p in range(PHONES))
    finally:
        drop_postgres_schema(postgres_engine, name)
