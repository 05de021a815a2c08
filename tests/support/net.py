"""Small waiting helpers for tests that start real servers and processes."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

TIMEOUT = 60.0  # generous: CI machines are shared and slow; never a measurement


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], object], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(0.05)


def wait_for_port(
    host: str, port: int, timeout: float = TIMEOUT, process: subprocess.Popen[bytes] | None = None
) -> None:
    def accepting() -> bool:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            return False

    wait_for(accepting, timeout)
