"""The thin adb layer: the standard adb server through adbutils, errors as one-line messages.

Everything device-specific above this module takes a :class:`~analyzer.device.shell.Shell`, so
this is the only code that needs a phone; ``leakmap device doctor`` exercises each call here.
The server is the one ``adb`` uses: ``ANDROID_ADB_SERVER_PORT`` (default 5037) on
``ANDROID_ADB_SERVER_HOST`` (default 127.0.0.1); adbutils starts it (``adb start-server``) when
none answers, as ``adb devices`` does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from analyzer.device.shell import ShellResult
from analyzer.errors import LeakmapError

MAX_OUTPUT_CHARS = 8 * 1024 * 1024  # dumpsys of a busy phone stays far below this
SHELL_TIMEOUT = 30.0

STATE_HELP = {
    "unauthorized": "unlock the phone and accept the 'Allow USB debugging?' prompt "
    "(no prompt: Developer options > Revoke USB debugging authorizations, then re-plug)",
    "offline": "reconnect the cable (or run `adb reconnect`); an emulator may still be booting",
    "authorizing": "the phone is being asked to authorize this computer; look at its screen",
    "connecting": "adb is still connecting; try again in a few seconds",
    "no": "adb has no permission for the USB device: install the Android udev rules "
    "(Debian: apt install android-sdk-platform-tools-common) and re-plug",
}


class AdbUnavailable(LeakmapError):
    """The adb server cannot be reached or started."""


@dataclass(frozen=True, slots=True)
class AdbDeviceInfo:
    """One line of ``adb devices -l``: ``serial``, ``state`` and the server's tags."""

    serial: str
    state: str
    tags: dict[str, str]

    @property
    def transport(self) -> str:
        if self.serial.startswith("emulator-"):
            return "emulator"
        if ":" in self.serial:
            return "tcp"
        return "usb"


def server_address() -> tuple[str, int]:
    """(host, port) of the adb server, as the adb command line reads them from the environment."""
    host = os.environ.get("ANDROID_ADB_SERVER_HOST") or "127.0.0.1"
    try:
        port = int(os.environ.get("ANDROID_ADB_SERVER_PORT") or 5037)
    except ValueError:
        raise LeakmapError("ANDROID_ADB_SERVER_PORT is not a port number") from None
    return host, port


def client() -> Any:
    """An adbutils client of the standard adb server (started when none answers)."""
    import adbutils

    host, port = server_address()
    return adbutils.AdbClient(host=host, port=port, socket_timeout=SHELL_TIMEOUT)


def server_version() -> int:
    """The adb server's protocol version (41 for adb 1.0.41); AdbUnavailable if unreachable."""
    with _errors("the adb server"):
        return int(client().server_version())


def list_devices() -> list[AdbDeviceInfo]:
    """Every device the adb server knows, whatever its state (``adb devices -l``)."""
    with _errors("the adb server"):
        infos = client().list(extended=True)
    return [AdbDeviceInfo(i.serial, i.state, dict(i.tags)) for i in infos]


def state_problem(info: AdbDeviceInfo) -> str | None:
    """Why a device cannot be used (a one-line message), or None when its state is 'device'."""
    if info.state == "device":
        return None
    help_text = STATE_HELP.get(info.state, f"adb reports the state {info.state!r}")
    return f"phone {info.serial} is {info.state}: {help_text}"


def select(serial: str | None = None) -> AndroidDevice:
    """The one usable device (or ``serial``); one-line errors for none, several, bad states."""
    infos = list_devices()
    if serial:
        match = next((i for i in infos if i.serial == serial), None)
        if match is None:
            attached = ", ".join(i.serial for i in infos) or "none"
            raise LeakmapError(f"no device {serial!r} (attached: {attached})")
        problem = state_problem(match)
        if problem:
            raise LeakmapError(problem)
        return AndroidDevice(match.serial)
    ready = [i for i in infos if i.state == "device"]
    if len(ready) == 1:
        return AndroidDevice(ready[0].serial)
    if len(ready) > 1:
        serials = ", ".join(i.serial for i in ready)
        raise LeakmapError(f"several phones attached ({serials}): choose one with --serial")
    if infos:
        raise LeakmapError(state_problem(infos[0]) or "no usable phone")
    raise LeakmapError(
        "no Android phone attached (adb devices is empty): connect it by USB with USB "
        "debugging on (Settings > Developer options), or `adb connect HOST:PORT`"
    )


class AndroidDevice:
    """One device on the adb server: shell, reverse, push. Errors are LeakmapError."""

    def __init__(self, serial: str) -> None:
        self.serial = serial
        with _errors(f"phone {serial}"):
            self._device = client().device(serial=serial)

    def shell(self, command: str, timeout: float = SHELL_TIMEOUT) -> ShellResult:
        """Run ``command`` in the device shell; output (capped) and exit code."""
        with _errors(f"phone {self.serial}", command):
            result = self._device.shell2(command, timeout=timeout, rstrip=False)
        output = result.output
        if len(output) > MAX_OUTPUT_CHARS:
            output = output[:MAX_OUTPUT_CHARS]
        return ShellResult(output, int(result.returncode))

    def __call__(self, command: str) -> ShellResult:
        return self.shell(command)

    def getprop(self, name: str) -> str:
        return self.shell(f"getprop {name}").output.strip()

    def reverse(self, remote: str, local: str) -> None:
        """``adb reverse REMOTE LOCAL``: the phone's REMOTE reaches this computer's LOCAL."""
        with _errors(f"phone {self.serial}", f"adb reverse {remote} {local}"):
            self._device.reverse(remote, local)

    def reverse_remove(self, remote: str) -> None:
        """``adb reverse --remove REMOTE``."""
        with _errors(f"phone {self.serial}", f"adb reverse --remove {remote}"):
            self._device.reverse_remove(remote)

    def reverse_list(self) -> list[tuple[str, str]]:
        """``adb reverse --list`` as (remote, local) pairs."""
        with _errors(f"phone {self.serial}", "adb reverse --list"):
            return [(item.remote, item.local) for item in self._device.reverse_list()]

    def push(self, data: bytes, path: str, mode: int = 0o644) -> None:
        """Write ``data`` to ``path`` on the device (``adb push``, the sync protocol)."""
        with _errors(f"phone {self.serial}", f"adb push {path}"):
            self._device.sync.push(data, path, mode=mode)


class _errors:
    """Turn adbutils' and socket errors into a one-line LeakmapError naming what failed."""

    def __init__(self, what: str, command: str = "") -> None:
        self.what = what
        self.command = command

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: Any
    ) -> bool:
        if error is None or isinstance(error, LeakmapError):
            return False
        from adbutils.errors import AdbConnectionError, AdbError, AdbTimeout

        doing = f" ({self.command})" if self.command else ""
        if isinstance(error, AdbTimeout):
            raise LeakmapError(f"{self.what} did not answer in time{doing}") from None
        if isinstance(error, AdbConnectionError) or (
            isinstance(error, OSError) and self.what == "the adb server"
        ):
            host, port = server_address()
            raise AdbUnavailable(
                f"cannot reach the adb server at {host}:{port} ({_one_line(error)}); "
                "is adb installed (Debian: apt install adb)?"
            ) from None
        if isinstance(error, AdbError | OSError | EOFError):
            raise LeakmapError(f"{self.what}{doing}: {_one_line(error)}") from None
        return False


def _one_line(error: BaseException) -> str:
    text = " ".join(str(arg) for arg in getattr(error, "args", ()) if arg) or type(error).__name__
    return " ".join(text.split())[:300]
