"""Run a process on a pseudo-terminal (as a researcher's terminal), and read what it showed.

``screen_lines`` replays the output the way a terminal draws it: ``\\r`` returns to the start of
the line, ``ESC[K`` erases to its end, other escape sequences (colours) take no room. So a test
sees the lines a person would see, e.g. whether a log line ran into the live counter line.
"""

from __future__ import annotations

import os
import pty
import re
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

_CSI = re.compile(rb"\x1b\[[0-9;?]*([A-Za-z])")


@dataclass
class Terminal:
    process: subprocess.Popen[bytes]
    master: int
    chunks: list[bytes] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def start_reading(self) -> None:
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                return
            if not chunk:
                return
            self.chunks.append(chunk)

    @property
    def raw(self) -> bytes:
        return b"".join(list(self.chunks))

    def printed(self, text: str) -> bool:
        return text.encode() in self.raw

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, bytes]:
        self.process.send_signal(sig)
        self.process.wait(timeout=60)
        if self._reader is not None:
            self._reader.join(10)
        os.close(self.master)
        return self.process.returncode, self.raw


def run_in_terminal(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Terminal:
    """Start ``command`` with stdin, stdout and stderr on a new pseudo-terminal."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        command, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TERM": "xterm", **(env or {})},
        start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    terminal = Terminal(process, master)
    terminal.start_reading()
    return terminal


def screen_lines(raw: bytes) -> list[str]:
    """The lines a terminal shows for ``raw`` output (carriage returns and erasures applied)."""
    lines: list[str] = []
    line: list[str] = []
    cursor = 0
    position = 0
    text = raw.replace(b"\r\n", b"\n")
    while position < len(text):
        match = _CSI.match(text, position)
        if match:
            if match.group(1) == b"K":
                del line[cursor:]
            position = match.end()
            continue
        byte = text[position : position + 1]
        position += 1
        if byte == b"\n":
            lines.append("".join(line))
            line, cursor = [], 0
        elif byte == b"\r":
            cursor = 0
        else:
            char = byte.decode("latin-1")
            if cursor < len(line):
                line[cursor] = char
            else:
                line.append(char)
            cursor += 1
    if line:
        lines.append("".join(line))
    return lines
