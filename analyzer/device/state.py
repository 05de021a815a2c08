"""What ``capture --adb`` changed on a phone, kept on disk until it is undone.

One JSON file per phone in the state folder (``LEAKMAP_STATE_DIR``, else
``$XDG_STATE_HOME/leakmap``, else ``~/.local/state/leakmap``): the serial, the pid and start time
of the capture, and the undo actions of every step, written *before* the step runs. A capture
that ends normally removes its file; one killed with SIGKILL leaves it, and
``leakmap device reset`` (also offered when the next capture starts) runs the undo actions.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from analyzer.errors import LeakmapError


@dataclass(frozen=True, slots=True)
class Action:
    """An undo action: ``kind`` "shell" (``arg`` a command) or "reverse-remove" (``arg`` a spec)."""

    kind: str
    arg: str


@dataclass(slots=True)
class PhoneState:
    """The steps applied to phone ``serial`` by the capture ``pid``, in order, with their undo."""

    serial: str
    pid: int
    started_at: float
    steps: list[dict[str, object]] = field(default_factory=list)

    def undo_plan(self) -> list[tuple[str, list[Action]]]:
        """(step name, undo actions) in the order they must run: last step first."""
        plan = []
        for step in reversed(self.steps):
            actions = [Action(str(a["kind"]), str(a["arg"])) for a in step.get("undo", [])]  # type: ignore[union-attr]
            plan.append((str(step["name"]), actions))
        return plan

    @property
    def alive(self) -> bool:
        """Whether the capture that wrote this is still running (on this machine)."""
        if self.pid == os.getpid():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def state_dir() -> Path:
    """The folder of the state files (see the module docstring)."""
    explicit = os.environ.get("LEAKMAP_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "leakmap"


def _path(serial: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", serial)
    return state_dir() / f"adb-{safe}.json"


class StateFile:
    """The state file of one phone: ``begin``, ``record`` each step, ``clear`` when undone."""

    def __init__(self, serial: str) -> None:
        self.serial = serial
        self.path = _path(serial)
        self.state = PhoneState(serial, os.getpid(), time.time())

    def begin(self) -> None:
        self._write()

    def record(self, name: str, undo: list[Action]) -> None:
        """Add a step and its undo (before the step runs: a kill mid-step still undoes it)."""
        self.state.steps.append({"name": name, "undo": [asdict(a) for a in undo]})
        self._write()

    def forget(self, name: str) -> None:
        """Drop a step that was undone (or never applied)."""
        self.state.steps = [s for s in self.state.steps if s["name"] != name]
        self._write()

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self.state), indent=1), encoding="utf-8")
        os.replace(tmp, self.path)


def load(serial: str) -> PhoneState | None:
    """The state left for ``serial``, or None."""
    return _load(_path(serial))


def pending() -> list[PhoneState]:
    """Every phone that still has changes to undo, oldest first."""
    folder = state_dir()
    if not folder.is_dir():
        return []
    states = [s for p in sorted(folder.glob("adb-*.json")) if (s := _load(p)) is not None]
    return sorted(states, key=lambda s: s.started_at)


def _load(path: Path) -> PhoneState | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return PhoneState(
            str(data["serial"]), int(data["pid"]), float(data["started_at"]), list(data["steps"])
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LeakmapError(
            f"state file {path} is unreadable ({error}); delete it by hand"
        ) from None
