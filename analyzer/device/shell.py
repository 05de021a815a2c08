"""A device shell as a plain function, and running commands as root where the device allows it.

The adb layer hands the readers and the set-up a ``Shell``: ``shell(command) -> ShellResult``.
Tests hand them the same thing backed by transcripts, so everything above the adb layer runs
without a phone.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShellResult:
    """What a command printed (stdout and stderr together, as ``adb shell``) and its exit code."""

    output: str
    exit_code: int

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


Shell = Callable[[str], ShellResult]

# How to run a command as root, probed in this order: adbd already runs as root (emulator
# images after `adb root`), AOSP's su (`su UID COMMAND...`, userdebug/eng and emulator images),
# Magisk/SuperSU's su (`su -c COMMAND`).
ROOT_PROBES = (
    ("adbd", "id -u", ""),
    ("su 0", "su 0 id -u", "su 0 sh -c {command}"),
    ("su -c", "su -c 'id -u'", "su -c {command}"),
)


@dataclass(frozen=True, slots=True)
class Root:
    """How this device runs a command as root: ``how`` names it, ``template`` wraps a command."""

    how: str
    template: str

    def wrap(self, command: str) -> str:
        """``command`` as the root shell runs it (unchanged when adbd is root already)."""
        if not self.template:
            return command
        return self.template.format(command=shlex.quote(command))


def find_root(shell: Shell) -> Root | None:
    """The first way to run as root that answers uid 0, or None (a production build, no su)."""
    for how, probe, template in ROOT_PROBES:
        try:
            result = shell(probe)
        except OSError:
            continue
        if result.ok and result.output.strip().splitlines()[-1:] == ["0"]:
            return Root(how, template)
    return None
