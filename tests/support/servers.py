"""Real destination servers on loopback addresses (127.0.0.2, ...) for end-to-end tests.

Hypercorn serves a small ASGI app over HTTPS (HTTP/1.1 and HTTP/2, with WebSocket echo) and plain
HTTP, each in its own thread and event loop. Every request received is kept, so tests can compare
what the server got with what leakmap stored.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypercorn.asyncio import serve
from hypercorn.config import Config


def write_certificate(folder: Path, names: list[str], ips: list[str]) -> tuple[Path, Path]:
    """A self-signed certificate for ``names`` and ``ips``; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server-cert.pem", folder / "server-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Received:
    method: str
    path: str
    query: bytes
    http_version: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    server: str


@dataclass
class RecordingApp:
    """ASGI app: answers every request with a small JSON body; echoes WebSocket messages."""

    received: list[Received] = field(default_factory=list)
    websocket_messages: list[str | bytes] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] == "websocket":
            await self._websocket(receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        server = f"{scope['server'][0]}:{scope['server'][1]}"
        self.received.append(
            Received(
                scope["method"],
                scope["path"],
                scope["query_string"],
                scope["http_version"],
                list(scope["headers"]),
                body,
                server,
            )
        )
        payload = json.dumps({"ok": True, "server": server, "bytes": len(body)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _websocket(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
            elif message["type"] == "websocket.receive":
                data = message.get("text") if message.get("text") is not None else message["bytes"]
                self.websocket_messages.append(data)
                key = "text" if isinstance(data, str) else "bytes"
                await send({"type": "websocket.send", key: data})
            else:
                return


@contextmanager
def serve_app(
    app: RecordingApp,
    *,
    tls_binds: list[str],
    plain_binds: list[str],
    cert: Path,
    key: Path,
) -> Iterator[None]:
    """Run ``app`` with Hypercorn on the given ``host:port`` binds until the block ends."""
    config = Config()
    config.bind = tls_binds
    config.insecure_bind = plain_binds
    config.certfile, config.keyfile = str(cert), str(key)
    config.alpn_protocols = ["h2", "http/1.1"]
    config.accesslog = None
    config.errorlog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()

    async def main() -> None:
        async def trigger() -> None:
            started.set()
            await stop.wait()

        await serve(app, config, shutdown_trigger=trigger)  # type: ignore[arg-type]

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
