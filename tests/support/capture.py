"""A running ``leakmap capture`` with local HTTPS/HTTP servers behind it, for end-to-end tests.

Host names resolve to loopback addresses through a script passed after ``--`` (the product has no
test special case). Registered as a pytest plugin in tests/conftest.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, err.decode() + out.decode()


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
    return subprocess.run([*command, *args, url], capture_output=True, timeout=60)
