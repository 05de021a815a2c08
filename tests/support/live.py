"""Helpers for the live view's tests: rows written as the recorder writes them, event streams.

Values are this file's own inventions (a test phone that does not exist).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from analyzer.store import Limits, Store, write_records
from analyzer.store import records as rec

ADID = "3f9d2c1a-7b4e-4c8f-a2d6-5e1b9c0f7a48"
IMEI = "490154203237518"
EMAIL = "lab.tester@probe.example"
PROFILE_TOML = (
    f'[device]\nname = "bench-phone"\n[known]\nadvertisingId = "{ADID}"\n'
    f'imei = "{IMEI}"\nemail = "{EMAIL}"\n'
)


def append(store: Store, session_id: int, records: Iterable[rec.Record]) -> None:
    """Write records in one transaction, as the recorder's writer does with a batch."""
    with store.engine.begin() as conn:
        write_records(conn, session_id, list(records), Limits(), {})


def request(
    url: str,
    *,
    server_ip: str = "127.0.0.2",
    method: str = "POST",
    body: bytes | None = None,
    headers: Iterable[tuple[str, str]] = (("content-type", "application/json"),),
    host: str | None = None,
    at: float | None = None,
    websocket: bool = False,
    mitm_id: str | None = None,
) -> rec.FlowRecord:
    """A recorded request; ``at`` defaults to now (the live view files by flow start time)."""
    parts = urlsplit(url)
    start = time.time() if at is None else at
    return rec.FlowRecord(
        mitm_id=mitm_id,
        client_ip="10.9.8.7",
        client_port=51000,
        server_ip=server_ip,
        server_port=parts.port or (443 if parts.scheme in ("https", "wss") else 80),
        host=host or parts.hostname,
        sni=parts.hostname if parts.scheme in ("https", "wss") else None,
        scheme=parts.scheme,
        method=method,
        url=url,
        http_version="HTTP/1.1",
        status_code=200,
        timestamp_start=start,
        timestamp_end=start + 0.1,
        request_headers=tuple((k.encode(), v.encode()) for k, v in headers),
        request_body=body,
        response_headers=((b"content-type", b"application/json"),),
        response_body=b"{}",
        websocket=websocket,
    )


def json_body(data: Any) -> bytes:
    return json.dumps(data).encode()


@contextmanager
def event_stream(
    url: str, headers: dict[str, str] | None = None, timeout: float = 30.0
) -> Iterator[Iterator[tuple[str, dict[str, Any]]]]:
    """Open ``url`` (an ``events`` URL) and yield an iterator of (event name, data)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    conn.request("GET", parts.path, headers={"Accept": "text/event-stream", **(headers or {})})
    response = conn.getresponse()
    if response.status != 200:
        raise AssertionError(f"event stream answered {response.status}")

    def events() -> Iterator[tuple[str, dict[str, Any]]]:
        name, data = "message", []
        for raw in response:
            line = raw.decode("utf-8").rstrip("\n")
            if not line:
                if data:
                    yield name, json.loads("\n".join(data))
                name, data = "message", []
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())

    try:
        yield events()
    finally:
        conn.close()


def raw_request(port: int, text: str) -> bytes:
    """Send ``text`` (a whole HTTP request) to 127.0.0.1:``port``; the answer's bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(text.encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


LIVE_URL = re.compile(r"^http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{32,}/$")


def printed_live_url(capture: Any, timeout: float = 60.0) -> str:
    """The live page's URL as ``leakmap capture`` printed it: a line of its own."""
    from tests.support.net import wait_for

    def found() -> str | None:
        for line in list(capture.output):
            if LIVE_URL.match(line.strip()):
                return line.strip()
        return None

    wait_for(found, timeout)
    return found() or ""


def live_child(capture: Any) -> Any:
    """The capture's live view process (a psutil.Process)."""
    import psutil

    from tests.support.net import wait_for

    parent = psutil.Process(capture.process.pid)

    def child() -> Any:
        return next(
            (p for p in parent.children() if "analyzer.live" in " ".join(p.cmdline())), None
        )

    wait_for(child)
    return child()
