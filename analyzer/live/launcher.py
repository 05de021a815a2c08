"""Start and stop the live view's process from ``leakmap capture``.

The capture binds the loopback socket itself (so the URL is known, and printed, before the
proxy starts; a browser that connects early waits in the socket's queue), then hands it to a
child process with a fresh token. Nothing here imports the analysis: the capture stays light.

The child can never outlive the capture: it stops when its standard input closes, which the
kernel does when the capture exits for any reason (Ctrl-C, SIGTERM, a crash, SIGKILL); it runs
in a session of its own, so Ctrl-C in the terminal reaches the capture, which stops it in order.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from analyzer.errors import LeakmapError

LOOPBACK = "127.0.0.1"
STOP_TIMEOUT = 10.0  # seconds the child gets to stop after its lifeline closes


@dataclass
class LiveView:
    """A running live view: its ``url`` (with the token) and its process."""

    url: str
    process: subprocess.Popen[bytes]
    _lifeline: IO[bytes] | None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """Stop the process and wait for it; returns its exit code. Safe to call twice."""
        if self._lifeline is not None:
            with contextlib.suppress(OSError):
                self._lifeline.close()
            self._lifeline = None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.terminate()
        try:
            return self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_live_view(
    db: str,
    session: str,
    *,
    profile: Path | None = None,
    profile_text: str | None = None,
    port: int = 0,
) -> LiveView:
    """Start the live view of ``session`` (which the capture is about to create) in ``db``.

    Listens on 127.0.0.1:``port`` (0: a free port). ``profile`` is a device profile file;
    ``profile_text`` the TOML of one read from the phone (used when ``profile`` is None). The
    database reaches the child in ``LEAKMAP_DB``, the token and ``profile_text`` on its standard
    input: never on its command line, which any user of the machine can read. Raises
    LeakmapError when the port cannot be had.
    """
    try:
        sock = socket.create_server((LOOPBACK, port))
    except OSError as error:
        reason = error.strerror or str(error)
        raise LeakmapError(
            f"cannot listen for the live page on {LOOPBACK}:{port}: {reason}"
        ) from None
    bound = int(sock.getsockname()[1])
    token = secrets.token_urlsafe(32)
    command = [sys.executable, "-m", "analyzer.live", "--session", session, "--fd"]
    command.append(str(sock.fileno()))
    if profile is not None:
        command += ["--profile", str(profile)]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            pass_fds=(sock.fileno(),),
            start_new_session=True,
            env={**os.environ, "LEAKMAP_DB": db},
        )
    except OSError as error:
        raise LeakmapError(f"cannot start the live view: {error}") from None
    finally:
        sock.close()  # the child has its own copy
    assert process.stdin is not None
    handed = json.dumps({"profile": profile_text}, ensure_ascii=True)
    try:
        process.stdin.write(f"{token}\n{handed}\n".encode("ascii"))
        process.stdin.flush()
    except OSError:  # it died at once (its message is on stderr)
        process.kill()
        process.wait()
        raise LeakmapError("the live view did not start") from None
    return LiveView(f"http://{LOOPBACK}:{bound}/{token}/", process, process.stdin)
