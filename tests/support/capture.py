"""A running ``leakmap capture`` with local HTTPS/HTTP servers behind it, for end-to-end tests.

Host names resolve to loopback addresses through a script passed after ``--`` (the product has no
test special case). Registered as a pytest plugin in tests/conftest.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from tests.support.net import free_port, wait_for, wait_for_port
from tests.support.servers import RecordingApp, serve_app, write_certificate

CN_HOST, DE_HOST, PLAIN_HOST, WS_HOST = (
    "api.tracker-cn.test",
    "cdn.analytics-de.test",
    "plain.ads-us.test",
    "ws.push-cn.test",
)
LEAKMAP = str(Path(sys.executable).with_name("leakmap"))
RESOLVE = str(Path(__file__).parent / "resolve_hosts.py")


@dataclass
class Servers:
    app: RecordingApp
    tls_port: int
    plain_port: int
    hosts: dict[str, str]


@dataclass
class Capture:
    process: subprocess.Popen[bytes]
    port: int
    db: str
    ca: Path
    servers: Servers
    output: list[str] = field(default_factory=list)  # stdout and stderr lines, read as they come
    _readers: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        for stream in (self.process.stdout, self.process.stderr):
            reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
            reader.start()
            self._readers.append(reader)

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            self.output.append(line.decode(errors="replace"))

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def printed(self, text: str) -> bool:
        return any(text in line for line in list(self.output))

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        self.process.send_signal(sig)
        self.process.wait(timeout=60)
        for reader in self._readers:
            reader.join(10)
        return self.process.returncode, "".join(self.output)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    hosts = {
        CN_HOST: "127.0.0.2",
        WS_HOST: "127.0.0.2",
        DE_HOST: "127.0.0.3",
        PLAIN_HOST: "127.0.0.4",
    }
    cert, key = write_certificate(tmp_path, list(hosts), sorted(set(hosts.values())))
    tls_port = free_port("127.0.0.2")
    plain_port = free_port("127.0.0.4")
    app = RecordingApp()
    tls_binds = [f"127.0.0.2:{tls_port}", f"127.0.0.3:{tls_port}"]
    with serve_app(
        app, tls_binds=tls_binds, plain_binds=[f"127.0.0.4:{plain_port}"], cert=cert, key=key
    ):
        for bind in [*tls_binds, f"127.0.0.4:{plain_port}"]:
            host, port = bind.split(":")
            wait_for_port(host, int(port))
        yield Servers(app, tls_port, plain_port, hosts)


def start_capture(
    tmp_path: Path, db: str, servers: Servers, *args: str, session: str = "e2e"
) -> Capture:
    port = free_port("127.0.0.1")
    confdir = tmp_path / "mitmproxy"
    mapping = ",".join(f"{name}={ip}" for name, ip in servers.hosts.items())
    command = [
        LEAKMAP, "capture", "--session", session, "--app", "TestApp", "--app-version", "1.0",
        "--device", "lab-phone", "--db", db, "--listen-host", "127.0.0.1",
        "--listen-port", str(port), "--no-report", *args, "--",
        "-s", RESOLVE, "--set", f"test_hosts={mapping}", "--set", "ssl_insecure=true",
        "--set", f"confdir={confdir}",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        wait_for_port("127.0.0.1", port, process=process)
    except Exception:
        process.kill()
        raise AssertionError(process.communicate()[1].decode()) from None
    ca = confdir / "mitmproxy-ca-cert.pem"
    wait_for(ca.exists)
    return Capture(process, port, db, ca, servers)


def curl(
    capture: Capture, url: str, *args: str, trust_proxy: bool = True
) -> subprocess.CompletedProcess[bytes]:
    command = ["curl", "-sS", "--max-time", "30", "--proxy", capture.proxy, "--noproxy", ""]
    if trust_proxy:
        command += ["--cacert", str(capture.ca)]
    return subprocess.run([*command, *args, url], capture_output=True, timeout=900)
