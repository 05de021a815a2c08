"""A phone for the tests: an adb-protocol *device* that the real adb server connects to over TCP.

``FakePhone`` speaks the device side of the adb transport protocol (AOSP
``packages/modules/adb/protocol.txt``: 24-byte messages CNXN, AUTH, OPEN, OKAY, WRTE, CLSE), so
``adb connect 127.0.0.1:PORT`` attaches it to the real adb server, which then shows it in
``adb devices`` and routes ``shell:``, ``reverse:`` and ``sync:`` services to it exactly as to a
phone. It answers shell commands from transcripts of real phones (``tests/data/device``) and
keeps a little device state (settings, files, reverse forwards) so that set-up and cleanup can be
checked command by command. ``mode="unauthorized"`` answers CNXN with AUTH tokens like a phone
whose user has not accepted the key; ``mode="offline"`` never completes the handshake.

What it proves: leakmap's adb layer, adbutils and the real adb server agree on every service
leakmap uses, and the set-up/cleanup sequence is what a phone receives. What it does not prove:
how a real Android build answers (root, SELinux, mount namespaces); that comes from transcripts.

Fixtures: ``adb_server`` (a private adb server on a free port, this process pointed at it with
ANDROID_ADB_SERVER_PORT) and ``attach(phone)`` (``adb connect``, waits for the state).
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "device"

A_CNXN, A_AUTH, A_OPEN = 0x4E584E43, 0x48545541, 0x4E45504F
A_OKAY, A_CLSE, A_WRTE = 0x59414B4F, 0x45534C43, 0x45545257
VERSION, MAXDATA = 0x01000001, 256 * 1024
EXIT_MARK = "; echo X4EXIT:$?"  # adbutils' shell2 over the v1 shell appends this


def transcript(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def _message(command: int, arg0: int, arg1: int, data: bytes = b"") -> bytes:
    header = struct.pack(
        "<6I", command, arg0, arg1, len(data), sum(data) & 0xFFFFFFFF, command ^ 0xFFFFFFFF
    )
    return header + data


@dataclass
class _Stream:
    local: int
    remote: int
    service: str
    pending: list[bytes] = field(default_factory=list)
    buffer: bytes = b""
    closed: bool = False


class FakePhone:
    """A device on the adb transport; ``log`` lists every shell command and service, in order."""

    def __init__(
        self,
        *,
        mode: str = "device",
        props: dict[str, str] | None = None,
        answers: dict[str, str] | None = None,
        root: str | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.mode = mode
        self.props_dump = transcript("getprop-emulator-api33.txt")
        self.props = props or {}
        # command -> output; a value of None means "command not found" (exit 127)
        self.answers: dict[str, str | None] = dict(answers or {})
        self.root = root  # None, "adbd", "su 0"
        self.settings: dict[str, str] = dict(settings or {})  # "namespace/key" -> value
        self.files: dict[str, bytes] = {}
        self.reverses: dict[str, str] = {}
        self.mounted = False
        self.dirs: set[str] = set()  # e.g. the Android 14 APEX CA folder
        self.log: list[str] = []
        self.fail: dict[str, str] = {}  # command prefix -> output of a failing (exit 1) command
        self.fail_push = False
        self.fail_reverse = ""
        self.hold: dict[str, threading.Event] = {}  # command prefix -> wait until set
        self.held = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.serial = f"127.0.0.1:{self.port}"
        self._ids = 100
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    # --- the shell --------------------------------------------------------------------------

    def run(self, command: str, as_root: bool = False) -> tuple[str, int]:
        """What the phone prints for ``command`` and its exit code."""
        self.log.append(("root# " if as_root else "$ ") + command)
        for prefix, event in self.hold.items():
            if command.startswith(prefix):
                self.held.set()
                event.wait(30)
        for prefix, output in self.fail.items():
            if command.startswith(prefix):
                return output, 1
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
        if words[:2] == ["su", "0"] and self.root == "su 0":
            if words[2:] == ["id", "-u"]:
                return "0\n", 0
            if words[2:4] == ["sh", "-c"]:
                return self.run(words[4], as_root=True)
        if words and words[0] == "su" and self.root != "su 0":
            return "/system/bin/sh: su: inaccessible or not found\n", 127
        root = as_root or self.root == "adbd"
        if command == "id -u":
            return ("0\n" if root else "2000\n"), 0
        if command == "getprop":
            return self.props_dump, 0
        if words[:1] == ["getprop"] and len(words) == 2:
            if words[1] in self.props:
                return self.props[words[1]] + "\n", 0
            from analyzer.device.android_parse import parse_getprop

            return parse_getprop(self.props_dump).get(words[1], "") + "\n", 0
        if words[:2] == ["settings", "get"] and len(words) == 4:
            return self.settings.get(f"{words[2]}/{words[3]}", "null") + "\n", 0
        if words[:2] == ["settings", "put"] and len(words) == 5:
            self.settings[f"{words[2]}/{words[3]}"] = words[4]
            return "", 0
        if words[:2] == ["settings", "delete"] and len(words) == 4:
            self.settings.pop(f"{words[2]}/{words[3]}", None)
            return "Deleted 1 rows\n", 0
        if command.startswith(": leakmap-ca-install;"):
            return self._install_ca(command, root)
        if command.startswith(": leakmap-ca-remove;"):
            if not root:
                return "umount: Permission denied\n", 1
            self.mounted = False
            self.files = {k: v for k, v in self.files.items() if "/cacerts/" not in k}
            return "", 0
        if command in self.answers:
            return self._answer(command)
        if words[:2] == ["ls", "-d"] and len(words) == 3:
            if words[2] in self.dirs:
                return words[2] + "\n", 0
            return f"ls: {words[2]}: No such file or directory\n", 1
        if words[:1] == ["cat"] and len(words) == 2:
            path = words[1]
            if path in self.files and (root or path.startswith(("/sdcard", "/data/local/tmp"))):
                return self.files[path].decode("utf-8", "replace"), 0
            return (
                f"cat: {path}: Permission denied\n" if not root else f"cat: {path}: No such file\n",
                1,
            )
        if words[:1] == ["rm"]:
            for path in words[1:]:
                self.files.pop(path, None)
            return "", 0
        return self._answer(command)

    def _answer(self, command: str) -> tuple[str, int]:
        if command in self.answers:
            output = self.answers[command]
            return (
                (output, 0)
                if output is not None
                else (f"/system/bin/sh: {command}: not found\n", 127)
            )
        return "", 0

    def _install_ca(self, command: str, root: bool) -> tuple[str, int]:
        if not root:
            return "mount: Permission denied\n", 1
        staged = [p for p in self.files if p.startswith("/data/local/tmp/leakmap-")]
        if not staged:
            return "cp: /data/local/tmp/leakmap-*: No such file\n", 1
        for path in staged:
            name = path.rsplit("leakmap-", 1)[1]
            self.files[f"/system/etc/security/cacerts/{name}"] = self.files[path]
            if "/apex/com.android.conscrypt/cacerts" in self.dirs:  # the bind mount shows it
                self.files[f"/apex/com.android.conscrypt/cacerts/{name}"] = self.files[path]
        self.mounted = True
        return "", 0

    # --- the adb transport ------------------------------------------------------------------

    def close(self) -> None:
        self._stop = True
        self.server.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        streams: dict[int, _Stream] = {}
        try:
            while True:
                header = _read(conn, 24)
                command, arg0, arg1, length, _check, _magic = struct.unpack("<6I", header)
                data = _read(conn, length) if length else b""
                if self.mode == "offline":
                    continue
                if command == A_CNXN:
                    if self.mode == "unauthorized":
                        conn.sendall(_message(A_AUTH, 1, 0, os.urandom(20)))
                    else:
                        conn.sendall(_message(A_CNXN, VERSION, MAXDATA, self._banner()))
                elif command == A_AUTH:
                    if arg0 == 2:  # a signature: refuse it, as a phone that does not know the key
                        conn.sendall(_message(A_AUTH, 1, 0, os.urandom(20)))
                elif command == A_OPEN:
                    self._open(conn, streams, arg0, data.rstrip(b"\0").decode("utf-8", "replace"))
                elif command == A_OKAY:
                    stream = streams.get(arg1)
                    if stream is not None:
                        self._send_next(conn, streams, stream)
                elif command == A_WRTE:
                    stream = streams.get(arg1)
                    conn.sendall(_message(A_OKAY, arg1, arg0))
                    if stream is not None and stream.service == "sync:":
                        stream.buffer += data
                        self._sync(conn, streams, stream)
                elif command == A_CLSE:
                    stream = streams.pop(arg1, None)
                    if stream is not None and not stream.closed:
                        conn.sendall(_message(A_CLSE, stream.local, stream.remote))
        except (OSError, ConnectionError):
            pass
        finally:
            conn.close()

    def _banner(self) -> bytes:
        return (
            b"device::ro.product.name=sdk_gphone64_x86_64;ro.product.model=sdk_gphone64_x86_64;"
            b"ro.product.device=emu64x;features=cmd,stat_v2,apex,fixed_push_mkdir"
        )

    def _open(
        self, conn: socket.socket, streams: dict[int, _Stream], remote: int, service: str
    ) -> None:
        self._ids += 1
        stream = _Stream(self._ids, remote, service)
        if service.startswith("shell:"):
            command = service[len("shell:") :]
            suffix = command.endswith(EXIT_MARK)
            if suffix:
                command = command[: -len(EXIT_MARK)]
            output, code = self.run(command)
            payload = output.encode("utf-8") + (f"X4EXIT:{code}".encode() if suffix else b"")
            stream.pending = [payload[i : i + 4096] for i in range(0, len(payload), 4096)]
        elif service.startswith("reverse:"):
            stream.pending = [self._reverse(service[len("reverse:") :])]
        elif service == "sync:":
            pass
        else:
            self.log.append(f"service {service} (refused)")
            conn.sendall(_message(A_CLSE, 0, remote))
            return
        streams[stream.local] = stream
        conn.sendall(_message(A_OKAY, stream.local, remote))
        if service != "sync:":
            self._send_next(conn, streams, stream)

    def _send_next(self, conn: socket.socket, streams: dict[int, _Stream], stream: _Stream) -> None:
        if stream.pending:
            conn.sendall(_message(A_WRTE, stream.local, stream.remote, stream.pending.pop(0)))
        elif stream.service != "sync:" and not stream.closed:
            stream.closed = True
            conn.sendall(_message(A_CLSE, stream.local, stream.remote))

    def _reverse(self, request: str) -> bytes:
        self.log.append(f"adb reverse {request}")
        if request.startswith("forward:"):
            spec = request[len("forward:") :].removeprefix("norebind:")
            remote, _, local = spec.partition(";")
            if self.fail_reverse:
                return _fail(self.fail_reverse)
            self.reverses[remote] = local
            return b"OKAY"
        if request.startswith("killforward:"):
            remote = request[len("killforward:") :]
            if self.reverses.pop(remote, None) is None:
                return _fail(f"listener '{remote}' not found")
            return b"OKAY"
        if request == "list-forward":
            pairs = self.reverses.items()
            lines = "".join(f"{self.serial} {remote} {local}\n" for remote, local in pairs)
            return f"{len(lines):04x}".encode() + lines.encode()  # adbd sends no OKAY here
        return _fail("unknown reverse request")

    def _sync(self, conn: socket.socket, streams: dict[int, _Stream], stream: _Stream) -> None:
        while len(stream.buffer) >= 8:
            tag, size = stream.buffer[:4], struct.unpack("<I", stream.buffer[4:8])[0]
            if tag == b"STAT":
                if len(stream.buffer) < 8 + size:
                    return
                path = stream.buffer[8 : 8 + size].decode()
                stream.buffer = stream.buffer[8 + size :]
                mode = 0o40755 if path.endswith("/") else (0o100644 if path in self.files else 0)
                reply = b"STAT" + struct.pack("<III", mode, len(self.files.get(path, b"")), 0)
                conn.sendall(_message(A_WRTE, stream.local, stream.remote, reply))
            elif tag == b"SEND":
                if len(stream.buffer) < 8 + size:
                    return
                target = stream.buffer[8 : 8 + size].decode().rsplit(",", 1)[0]
                stream.buffer = stream.buffer[8 + size :]
                stream.target = target  # type: ignore[attr-defined]
                stream.content = b""  # type: ignore[attr-defined]
            elif tag == b"DATA":
                if len(stream.buffer) < 8 + size:
                    return
                stream.content += stream.buffer[8 : 8 + size]  # type: ignore[attr-defined]
                stream.buffer = stream.buffer[8 + size :]
            elif tag == b"DONE":
                stream.buffer = stream.buffer[8:]
                target = stream.target  # type: ignore[attr-defined]
                self.log.append(f"adb push {target}")
                if self.fail_push:
                    message = b"couldn't create file: Read-only file system"
                    reply = b"FAIL" + struct.pack("<I", len(message)) + message
                else:
                    self.files[target] = stream.content  # type: ignore[attr-defined]
                    reply = b"OKAY" + b"\0\0\0\0"
                conn.sendall(_message(A_WRTE, stream.local, stream.remote, reply))
            elif tag == b"QUIT":
                stream.buffer = b""
                return
            else:
                return


def _fail(message: str) -> bytes:
    return b"FAIL" + f"{len(message):04x}".encode() + message.encode()


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


# --- the real adb server ----------------------------------------------------------------------


@dataclass
class AdbServer:
    port: int
    env: dict[str, str]

    def adb(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["adb", "-P", str(self.port), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def state(self, serial: str) -> str | None:
        for line in self.adb("devices").stdout.splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) == 2 and parts[0] == serial:
                return parts[1]
        return None

    def attach(self, phone: FakePhone, state: str = "device", timeout: float = 15) -> None:
        self.adb("connect", phone.serial)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state(phone.serial) == state:
                return
            time.sleep(0.1)
        raise AssertionError(
            f"{phone.serial} never reached {state!r}: {self.adb('devices').stdout!r}"
        )

    def detach(self, phone: FakePhone) -> None:
        self.adb("disconnect", phone.serial)
        phone.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdbServer]:
    """A private adb server (Debian's adb) on a free port, with its own key in a temp HOME."""
    if shutil.which("adb") is None:
        pytest.fail(
            "adb is not installed (Debian: apt install adb; .ci/run installs it)", pytrace=False
        )
    home = tmp_path_factory.mktemp("adb-home")
    port = _free_port()
    env = dict(os.environ, HOME=str(home), ANDROID_ADB_SERVER_PORT=str(port))
    env.pop("ANDROID_SERIAL", None)
    server = AdbServer(port, env)
    started = server.adb("start-server")
    assert started.returncode == 0, started.stderr
    yield server
    server.adb("kill-server")


@pytest.fixture
def adb_env(adb_server: AdbServer, monkeypatch: pytest.MonkeyPatch) -> AdbServer:
    """Point this process (adbutils) at the private server."""
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(adb_server.port))
    monkeypatch.setenv("HOME", adb_server.env["HOME"])
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    return adb_server


@pytest.fixture
def phone_factory(adb_env: AdbServer) -> Iterator[Callable[..., FakePhone]]:
    """Make and attach fake phones; all are detached at the end of the test."""
    phones: list[FakePhone] = []

    def make(state: str = "device", **kwargs: object) -> FakePhone:
        phone = FakePhone(mode={"device": "device"}.get(state, state), **kwargs)  # type: ignore[arg-type]
        phones.append(phone)
        adb_env.attach(phone, state=state)
        return phone

    yield make
    for phone in phones:
        adb_env.detach(phone)
