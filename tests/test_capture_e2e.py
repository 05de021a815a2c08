"""End to end: ``leakmap capture`` as a real process, real clients, real TLS, local servers.

Host names resolve to loopback addresses through a script passed after ``--`` (the product has no
test special case). The test checks that every flow is stored with the server IP that was really
connected, the host, the body bytes and sizes, HTTP/1.1 and HTTP/2, a WebSocket, a gzip body, a body
over the cap, and a client that refuses the proxy's certificate as a TLS failure.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest
from websockets.sync.client import connect as websocket_connect

from analyzer.store import Store
from tests.support.capture import (
    CN_HOST,
    DE_HOST,
    LEAKMAP,
    PLAIN_HOST,
    RESOLVE,
    WS_HOST,
    Servers,
    curl,
    start_capture,
)
from tests.support.net import free_port, free_udp_port, wait_for, wait_for_port
from tests.support.terminal import Terminal, run_in_terminal, screen_lines


def test_capture_records_every_flow_with_server_ip_host_and_bodies(
    tmp_path: Path, db_url: str, servers: Servers
) -> None:
    capture = start_capture(tmp_path, db_url, servers)
    tls, plain = servers.tls_port, servers.plain_port
    gzip_body = gzip.compress(b'{"advertising_id": "6a1c1487-a0af-4223-b142-a0f4621d0311"}')
    (tmp_path / "gzip.bin").write_bytes(gzip_body)
    big_body = os.urandom(1024 * 1024 + 4096)  # over the default 1 MiB cap
    (tmp_path / "big.bin").write_bytes(big_body)
    try:
        # HTTP/1.1 over TLS, query string with an identifier.
        result = curl(capture, f"https://{CN_HOST}:{tls}/v1/track?idfa=ABC&lat=52.1", "--http1.1")
        assert result.returncode == 0, result.stderr
        # HTTP/2 over TLS, gzip-encoded JSON body.
        result = curl(
            capture, f"https://{DE_HOST}:{tls}/collect", "--http2", "-X", "POST",
            "-H", "Content-Encoding: gzip", "-H", "Content-Type: application/json",
            "--data-binary", f"@{tmp_path / 'gzip.bin'}",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        # Plain HTTP, a body over the cap.
        result = curl(
            capture, f"http://{PLAIN_HOST}:{plain}/upload", "-X", "POST",
            "--data-binary", f"@{tmp_path / 'big.bin'}",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        # A Python client over HTTP/2.
        with httpx.Client(
            proxy=capture.proxy, verify=ssl.create_default_context(cafile=capture.ca), http2=True
        ) as client:
            response = client.get(f"https://{CN_HOST}:{tls}/config?device=lab")
            assert response.status_code == 200
            assert response.http_version == "HTTP/2"
        # A WebSocket through the proxy.
        context = ssl.create_default_context(cafile=capture.ca)
        with websocket_connect(
            f"wss://{WS_HOST}:{tls}/ws", proxy=capture.proxy, ssl=context, open_timeout=30
        ) as ws:
            ws.send('{"imei": "356938035643809"}')
            assert ws.recv(timeout=30) == '{"imei": "356938035643809"}'
        # A client that does not trust the proxy's CA: a TLS failure, not a flow.
        result = curl(capture, f"https://{CN_HOST}:{tls}/pinned", trust_proxy=False)
        assert result.returncode != 0
        with Store(capture.db) as store:
            session_id = store.session("e2e").id
            wait_for(lambda: store.counts(session_id)["tls_failures"] >= 1)
    finally:
        code, output = capture.stop()
    assert code == 0, output

    with Store(capture.db) as store:
        session = store.session("e2e")
        assert (session.app, session.app_version, session.device) == ("TestApp", "1.0", "lab-phone")
        assert session.ended_at is not None
        flows = {row.url.split("?")[0]: row for row in store.iter_flows(session.id)}
        messages = list(store.websocket_messages(session.id))
        failures = store.tls_failures(session.id)

    assert set(flows) == {
        f"https://{CN_HOST}:{tls}/v1/track",
        f"https://{DE_HOST}:{tls}/collect",
        f"http://{PLAIN_HOST}:{plain}/upload",
        f"https://{CN_HOST}:{tls}/config",
        f"https://{WS_HOST}:{tls}/ws",
    }
    track = flows[f"https://{CN_HOST}:{tls}/v1/track"]
    assert (track.host, track.server_ip, track.server_port) == (CN_HOST, "127.0.0.2", tls)
    assert track.http_version == "HTTP/1.1"
    assert track.scheme == "https" and track.sni == CN_HOST
    assert track.url.endswith("?idfa=ABC&lat=52.1")
    assert track.status_code == 200
    assert track.client_ip == "127.0.0.1"
    assert track.tls_version and track.tls_version.startswith("TLS")

    collect = flows[f"https://{DE_HOST}:{tls}/collect"]
    assert (collect.server_ip, collect.http_version) == ("127.0.0.3", "HTTP/2.0")
    assert collect.request_body == gzip_body  # as sent on the wire, still gzip
    assert collect.request_content_encoding == "gzip"
    assert collect.request_body_size == len(gzip_body)
    assert collect.request_body_sha256 == hashlib.sha256(gzip_body).hexdigest()

    upload = flows[f"http://{PLAIN_HOST}:{plain}/upload"]
    assert upload.server_ip == "127.0.0.4" and upload.scheme == "http"
    assert upload.request_body_size == len(big_body)
    assert upload.request_body_truncated is True
    assert upload.request_body == big_body[: 1024 * 1024]
    assert upload.request_body_sha256 == hashlib.sha256(big_body).hexdigest()

    config = flows[f"https://{CN_HOST}:{tls}/config"]
    assert config.http_version == "HTTP/2.0"

    ws_flow = flows[f"https://{WS_HOST}:{tls}/ws"]
    assert ws_flow.websocket is True and ws_flow.server_ip == "127.0.0.2"
    sent = [m for m in messages if m.from_client]
    assert [m.content for m in sent] == [b'{"imei": "356938035643809"}']
    assert all(m.flow_id == ws_flow.id for m in messages)
    assert len(messages) == 2  # the message and its echo

    assert len(failures) == 1
    failure = failures[0]
    assert failure.side == "client"
    assert failure.sni == CN_HOST
    assert failure.reason == "client does not trust the proxy CA"

    # What the servers received is what was stored.
    received = {r.path: r for r in servers.app.received}
    assert received["/collect"].body == gzip_body
    assert received["/upload"].body == big_body


def test_capture_refuses_clients_without_proxy_credentials(
    tmp_path: Path, db_url: str, servers: Servers
) -> None:
    capture = start_capture(tmp_path, db_url, servers, "--proxyauth", "alice:s3cret")
    url = f"http://{PLAIN_HOST}:{servers.plain_port}/ping"
    try:
        refused = curl(capture, url, "-o", "/dev/null", "-w", "%{http_code}")
        allowed = curl(capture, url, "--proxy-user", "alice:s3cret", "-w", "%{http_code}")
    finally:
        code, output = capture.stop()
    assert code == 0, output
    assert refused.stdout.decode().strip() == "407"
    assert allowed.stdout.decode().endswith("200")
    with Store(capture.db) as store:
        urls = [row.url for row in store.iter_flows(store.session("e2e").id)]
    assert urls == [url]


def test_capture_refuses_a_session_name_that_exists(tmp_path: Path) -> None:
    db = tmp_path / "taken.db"
    Store(str(db)).create_session("e2e")
    result = subprocess.run(
        [LEAKMAP, "capture", "--session", "e2e", "--db", db, "--no-report"],
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert b"exists already" in result.stderr
    assert b"Traceback" not in result.stderr


def _capture_command(
    tmp_path: Path, db: str, servers: Servers, port: int, *args: str, mitm: tuple[str, ...] = ()
) -> list[str]:
    """``leakmap capture`` on loopback with the test host names, as tests.support.capture does."""
    mapping = ",".join(f"{name}={ip}" for name, ip in servers.hosts.items())
    return [
        LEAKMAP, "capture", "--session", "e2e", "--db", db, "--listen-host", "127.0.0.1",
        "--listen-port", str(port), "--no-report", *args, "--",
        "-s", RESOLVE, "--set", f"test_hosts={mapping}", "--set", "ssl_insecure=true",
        "--set", f"confdir={tmp_path / 'mitmproxy'}", *mitm,
    ]  # fmt: skip


def _listening(pid: int) -> set[tuple[str, int]]:
    """(transport, port) of the sockets the process listens on (TCP) or is bound to (UDP)."""
    found = set()
    for conn in psutil.Process(pid).net_connections(kind="inet"):
        if conn.type == socket.SOCK_STREAM and conn.status == psutil.CONN_LISTEN:
            found.add(("tcp", conn.laddr.port))
        elif conn.type == socket.SOCK_DGRAM and conn.laddr:
            found.add(("udp", conn.laddr.port))
    return found


def _client_private_key(confdir: Path) -> str:
    """The phone's private key, from the key file mitmproxy keeps in its confdir."""
    return str(json.loads((confdir / "wireguard.conf").read_text())["client_key"])


def _wait_in_terminal(terminal: Terminal, text: str) -> None:
    def seen() -> bool:
        if terminal.process.poll() is not None:
            raise AssertionError(terminal.raw.decode(errors="replace"))
        return terminal.printed(text)

    wait_for(seen)


def test_capture_listens_on_tcp_for_the_proxy_and_udp_51820_style_port_for_wireguard(
    tmp_path: Path, sqlite_url: str, servers: Servers
) -> None:
    udp_port = free_udp_port()
    capture = start_capture(
        tmp_path, sqlite_url, servers, "--mode", "regular", "--mode", "wireguard",
        "--wireguard-port", str(udp_port),
    )  # fmt: skip
    try:
        wait_for(lambda: capture.printed("Ctrl-C ends the session"))
        listening = _listening(capture.process.pid)
        result = curl(capture, f"http://{PLAIN_HOST}:{servers.plain_port}/ping")
    finally:
        code, output = capture.stop()
    assert code == 0, output
    assert ("tcp", capture.port) in listening
    assert ("udp", udp_port) in listening
    assert ("udp", capture.port) not in listening  # WireGuard no longer takes the proxy's port
    assert result.returncode == 0, result.stderr
    assert f"WireGuard endpoint the phone connects to: 127.0.0.1:{udp_port} (UDP)" in output
    assert f"127.0.0.1:{capture.port}" in output  # the HTTP proxy address for the phone


def test_wireguard_key_stays_out_of_a_log_file_and_lands_in_a_private_file(
    tmp_path: Path, sqlite_url: str, servers: Servers
) -> None:
    port, udp_port = free_port("127.0.0.1"), free_udp_port()
    log_file = tmp_path / "capture.log"
    command = _capture_command(
        tmp_path, sqlite_url, servers, port, "-v", "--mode", "regular", "--mode", "wireguard",
        "--wireguard-port", str(udp_port), mitm=("--set", "termlog_verbosity=debug"),
    )  # fmt: skip
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port("127.0.0.1", port, process=process)
            wait_for(lambda: b"Ctrl-C ends the session" in log_file.read_bytes())
        finally:
            process.send_signal(2)
            process.wait(timeout=60)
    text = log_file.read_text()
    assert process.returncode == 0, text
    confdir = tmp_path / "mitmproxy"
    key = _client_private_key(confdir)
    assert key not in text
    assert "PrivateKey" not in text
    client_conf = confdir / f"wireguard-client-{udp_port}.conf"
    assert str(client_conf) in text  # the log says where the configuration is
    assert f"PrivateKey = {key}" in client_conf.read_text()
    assert client_conf.stat().st_mode & 0o777 == 0o600
    assert (confdir / "wireguard.conf").stat().st_mode & 0o777 == 0o600  # mitmproxy's key file


def test_capture_on_a_terminal_shows_the_wireguard_qr_code_once(
    tmp_path: Path, sqlite_url: str, servers: Servers
) -> None:
    port, udp_port = free_port("127.0.0.1"), free_udp_port()
    terminal = run_in_terminal(
        _capture_command(
            tmp_path, sqlite_url, servers, port, "--mode", "regular", "--mode",
            f"wireguard@{udp_port}",
        ),
        tmp_path,
    )  # fmt: skip
    _wait_in_terminal(terminal, "Ctrl-C ends the session")
    code, raw = terminal.stop()
    output = raw.decode(errors="replace")
    assert code == 0, output
    assert f"127.0.0.1:{port}" in output  # the proxy address to set on the phone
    assert "http://mitm.it" in output
    assert "[Interface]" in output and f"Endpoint = 127.0.0.1:{udp_port}" in output
    assert "\u2588" in output or "\u2580" in output  # the QR code, drawn with block characters
    assert "Android" in output and "iOS" in output and "pinning" in output
    assert output.count(_client_private_key(tmp_path / "mitmproxy")) == 1  # shown once


def test_advertised_host_is_the_endpoint_and_the_proxy_address_printed(
    tmp_path: Path, sqlite_url: str, servers: Servers
) -> None:
    udp_port = free_udp_port()
    capture = start_capture(
        tmp_path, sqlite_url, servers, "--mode", "regular", "--mode", "wireguard",
        "--wireguard-port", str(udp_port), "--advertise-host", "192.0.2.44",
    )  # fmt: skip
    try:
        wait_for(lambda: capture.printed("Ctrl-C ends the session"))
    finally:
        code, output = capture.stop()
    assert code == 0, output
    assert f"WireGuard endpoint the phone connects to: 192.0.2.44:{udp_port} (UDP)" in output
    assert f"192.0.2.44:{capture.port}" in output
    client_conf = tmp_path / "mitmproxy" / f"wireguard-client-{udp_port}.conf"
    assert f"Endpoint = 192.0.2.44:{udp_port}" in client_conf.read_text()


COUNTER_DRAW = re.compile(
    rb"\r\x1b\[Kflows \d+ stored, \d+ queued \| hosts \d+ \| TLS failures \d+"
)


@pytest.mark.parametrize("verbose", [False, True])
def test_terminal_keeps_counters_on_their_own_line_and_connection_lines_behind_verbose(
    tmp_path: Path, sqlite_url: str, servers: Servers, verbose: bool
) -> None:
    port = free_port("127.0.0.1")
    args = ["-v"] if verbose else []
    terminal = run_in_terminal(
        _capture_command(tmp_path, sqlite_url, servers, port, *args), tmp_path
    )
    capture_ca = tmp_path / "mitmproxy" / "mitmproxy-ca-cert.pem"
    proxy = ["curl", "-sS", "--max-time", "30", "--proxy", f"http://127.0.0.1:{port}"]
    try:
        _wait_in_terminal(terminal, "Ctrl-C ends the session")
        for n in range(3):
            _wait_in_terminal(terminal, f"flows {n} stored")  # the counter line is drawn
            time.sleep(0.2)
            done = subprocess.run(
                [*proxy, "--cacert", str(capture_ca),
                 f"https://{CN_HOST}:{servers.tls_port}/n{n}"],
                capture_output=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        _wait_in_terminal(terminal, "flows 3 stored")
        # A client that does not trust the proxy: mitmproxy warns, whatever the verbosity.
        subprocess.run([*proxy, f"https://{CN_HOST}:{servers.tls_port}/x"], capture_output=True)
        # The counter line is drawn again below the warning.
        wait_for(lambda: screen_lines(terminal.raw)[-1].endswith("TLS failures 1"))
    finally:
        code, raw = terminal.stop()
    lines = screen_lines(raw)
    text = "\n".join(lines)
    assert code == 0, text
    # Every drawing of the counters starts its own line, and nothing is written after it on
    # that line: the next output erases it (to redraw it) or ends the line.
    draws = list(COUNTER_DRAW.finditer(raw))
    assert len(draws) >= 4, text
    for draw in draws:
        after = raw[draw.end() : draw.end() + 3]
        assert after in (b"", b"\r\x1b[") or after.startswith((b"\r\n", b"\n")), (
            f"{draw.group()!r} runs into {raw[draw.end() : draw.end() + 60]!r}"
        )
    assert "Client TLS handshake failed" in text  # warnings are always shown
    assert ("client connect" in text) is verbose
    assert ("server connect" in text) is verbose


def test_capture_stores_its_profile_with_the_session(
    tmp_path: Path, db_url: str, servers: Servers
) -> None:
    from analyzer.device.stored import session_profile

    profile = tmp_path / "phone.toml"
    profile.write_text('[known]\nimei = "490154203237518"\nemail = "a.tester@example.net"\n')
    capture = start_capture(tmp_path, db_url, servers, "--no-live", "--profile", str(profile))
    try:
        result = curl(capture, f"http://{PLAIN_HOST}:{servers.plain_port}/p?imei=490154203237518")
        assert result.returncode == 0, result.stderr
    finally:
        code, output = capture.stop()
    assert code == 0, output
    with Store(capture.db) as store:
        stored = session_profile(store, "e2e")
    assert stored is not None
    assert dict(stored.values()) == {"imei": "490154203237518", "email": "a.tester@example.net"}


def test_capture_refuses_a_bad_profile_before_anything_starts(tmp_path: Path) -> None:
    db = tmp_path / "lab.db"
    profile = tmp_path / "bad.toml"
    profile.write_text('[known]\nmac = "02:00:00:00:00:01"\n')
    port = free_port("127.0.0.1")
    result = subprocess.run(
        [LEAKMAP, "capture", "--session", "s", "--db", db, "--listen-host", "127.0.0.1",
         "--listen-port", str(port), "--no-live", "--no-report", "--profile", profile],
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.decode().strip().count("\n") == 0, result.stderr
    assert b"unknown property 'mac'" in result.stderr
    assert not db.exists()  # nothing created, no empty session left behind


def test_capture_names_a_port_in_use_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "lab.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [LEAKMAP, "capture", "--session", "s", "--db", db, "--listen-host", "127.0.0.1",
             "--listen-port", str(port), "--no-live", "--no-report"],
            capture_output=True, timeout=60,
        )  # fmt: skip
    message = result.stderr.decode().strip()
    assert result.returncode == 1
    assert message.count("\n") == 0, message
    assert f"cannot listen on TCP 127.0.0.1:{port}" in message
    with Store(str(db)) as store:
        assert store.sessions() == []
