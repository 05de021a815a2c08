"""``capture --adb``: set a phone up for a session, and undo it all at the end.

:class:`AdbSetup` is a context manager with an explicit list of steps, each with its undo:

1. ``reverse``: ``adb reverse tcp:PORT tcp:PORT`` (the phone reaches the proxy on this computer
   over USB; the proxy listens on loopback only). Undo: ``adb reverse --remove tcp:PORT``.
2. ``system-ca`` where the phone allows root (emulator images, rooted phones): the mitmproxy CA
   in the system trust store (:mod:`analyzer.device.scripts`), then a check that the system
   store holds it. Else ``user-ca``: the CA is copied to the phone for the user to install, and
   the message says which apps will fail (and show as TLS failures, blind spots).
3. ``proxy``: ``settings put global http_proxy 127.0.0.1:PORT``, read back. Undo: the previous
   value, or ``:0`` and ``settings delete`` when there was none (``:0`` takes effect at once).

The proxy comes last so no traffic flows before the CA is in place, and its undo runs first.
Each step's undo is written to the state file (:mod:`analyzer.device.state`) *before* the step
runs. Cleanup runs on normal exit, errors, Ctrl-C and SIGTERM/SIGHUP (turned into exceptions
while setting up; mitmproxy handles them while capturing), with those signals ignored while it
undoes; after a kill -9, :func:`reset` undoes what the state file lists.
"""

from __future__ import annotations

import os
import shlex
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from analyzer.device import state as state_files
from analyzer.device.android_parse import setting_value
from analyzer.device.ca import subject_hash_old
from analyzer.device.scripts import (
    APEX_CACERTS,
    STAGING,
    SYSTEM_CACERTS,
    USER_CA_PATH,
    install_script,
    remove_script,
)
from analyzer.device.shell import find_root
from analyzer.device.state import Action, StateFile
from analyzer.errors import LeakmapError

Say = Callable[[str], None]

USER_CA_MESSAGE = (
    "CA: without root on this phone the mitmproxy CA can only be a *user* CA. It was copied "
    "to {path}; install it in Settings > Security > Encryption & credentials > Install a "
    "certificate > CA certificate. Apps that target Android 7+ ignore user CAs unless they opt "
    "in (network_security_config): their HTTPS connections will fail and show in the report as "
    "TLS failures (blind spots), not as 'nothing sent'. For full coverage use an emulator image "
    "without Google Play (adb root works there) or a rooted test phone."
)


class Interrupted(LeakmapError):
    """SIGTERM or SIGHUP arrived while the phone was being set up."""

    exit_code = 143


class AdbSetup:
    """Set phone ``device`` up for a proxy on ``port`` with CA ``ca_pem``; undo on exit."""

    def __init__(self, device: Any, port: int, ca_pem: bytes, *, say: Say = print) -> None:
        self.device = device
        self.port = port
        self.ca_pem = ca_pem
        self.say = say
        self.state = StateFile(device.serial)
        self.applied: list[tuple[str, list[Action]]] = []
        self.ca = "none"  # "system", "user" or "none" once applied

    def plan(self) -> list[str]:
        """The steps, as a person reads them (``leakmap device doctor``)."""
        value = f"127.0.0.1:{self.port}"
        cert_hash = subject_hash_old(self.ca_pem)
        return [
            f"adb -s {self.device.serial} reverse tcp:{self.port} tcp:{self.port}",
            f"root found: push the CA to {STAGING.format(hash=cert_hash)}, mount a tmpfs over "
            f"{SYSTEM_CACERTS} with {cert_hash}.0 added (Android 14+: bind it over "
            f"{APEX_CACERTS} in every zygote and app namespace), check it is there",
            f"no root: push the CA to {USER_CA_PATH} for the user to install (user CA only)",
            f"settings put global http_proxy {value} (the previous value is restored at the end)",
            "at the end, in reverse order: restore the proxy setting, remove the CA mounts, "
            f"adb reverse --remove tcp:{self.port}",
        ]

    def __enter__(self) -> AdbSetup:
        self.apply()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    # --- set-up ----------------------------------------------------------------------------

    def apply(self) -> None:
        """Run the steps; on any error or interruption undo what was done and re-raise."""
        with _signals_raise():
            try:
                self._repair_leftovers()
                self.state.begin()
                self._reverse()
                self._ca()
                self._proxy()
            except BaseException:
                self.cleanup()
                raise

    def _repair_leftovers(self) -> None:
        left = state_files.load(self.device.serial)
        if left is None:
            return
        if left.alive and left.pid != os.getpid():
            raise LeakmapError(
                f"phone {self.device.serial} is set up by a capture that is still running "
                f"(pid {left.pid}); stop it first"
            )
        self.say(
            f"phone {self.device.serial} was left set up by a capture that did not end "
            f"(pid {left.pid}); undoing that first"
        )
        problems = undo_state(self.device, left, say=self.say)
        if problems:
            raise LeakmapError(
                f"could not repair phone {self.device.serial}: {problems[0]} "
                "(run `leakmap device reset` after fixing it)"
            )

    def _step(self, name: str, undo: list[Action], run: Callable[[], None]) -> None:
        self.state.record(name, undo)  # first: a kill during `run` still leaves the undo
        self.applied.append((name, undo))
        run()

    def _reverse(self) -> None:
        spec = f"tcp:{self.port}"
        self._step(
            "reverse",
            [Action("reverse-remove", spec)],
            lambda: self.device.reverse(spec, spec),
        )
        self.say(f"adb reverse {spec} {spec}: the phone reaches the proxy over USB")

    def _ca(self) -> None:
        cert_hash = subject_hash_old(self.ca_pem)
        root = find_root(self.device)
        if root is not None:
            try:
                self._system_ca(root, cert_hash)
                self.ca = "system"
                self.say(f"CA: installed as a system CA ({root.how}) and present in the store")
                return
            except LeakmapError as error:
                self._undo_step("system-ca")
                self.say(f"CA: the system CA could not be installed ({error})")
        undo = [Action("shell", f"rm -f {USER_CA_PATH}")]
        try:
            self._step("user-ca", undo, lambda: self.device.push(self.ca_pem, USER_CA_PATH))
            self.ca = "user"
            self.say(USER_CA_MESSAGE.format(path=USER_CA_PATH))
        except LeakmapError as error:
            self._undo_step("user-ca")
            self.say(
                f"CA: not on the phone ({error}); install {USER_CA_PATH.rsplit('/', 1)[1]} by "
                "hand (http://mitm.it through the proxy). HTTPS will fail until then."
            )

    def _system_ca(self, root: Any, cert_hash: str) -> None:
        undo = [Action("shell", root.wrap(remove_script()))]

        def install() -> None:
            self.device.push(self.ca_pem, STAGING.format(hash=cert_hash))
            result = self.device.shell(root.wrap(install_script(cert_hash)))
            if not result.ok:
                raise LeakmapError(f"install script failed: {_short(result.output)}")
            for folder in (SYSTEM_CACERTS, APEX_CACERTS):
                if folder == APEX_CACERTS and not self.device.shell(f"ls -d {folder}").ok:
                    continue
                shown = self.device.shell(root.wrap(f"cat {folder}/{cert_hash}.0"))
                if not shown.ok or shown.output.strip() != self.ca_pem.decode().strip():
                    raise LeakmapError(f"{folder}/{cert_hash}.0 does not hold the CA after install")

        self._step("system-ca", undo, install)

    def _proxy(self) -> None:
        value = f"127.0.0.1:{self.port}"
        before = setting_value(self.device.shell("settings get global http_proxy").output)
        undo = proxy_undo(before)
        if before and _is_loopback_proxy(before):
            self.say(f"proxy: the phone still had a loopback proxy ({before}); it will be cleared")

        def put() -> None:
            result = self.device.shell(f"settings put global http_proxy {value}")
            now = setting_value(self.device.shell("settings get global http_proxy").output)
            if not result.ok or now != value:
                raise LeakmapError(
                    f"the phone did not take the proxy setting ({_short(result.output) or now})"
                )

        self._step("proxy", undo, put)
        self.say(f"proxy: global HTTP proxy {value} (apps that ignore it are not recorded)")

    # --- cleanup ---------------------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Undo every applied step, last first; returns the problems (also said)."""
        problems: list[str] = []
        with _signals_ignored():
            for name, actions in reversed(self.applied):
                step_problems = run_undo(self.device, actions)
                problems += [f"{name}: {p}" for p in step_problems]
                if not step_problems:
                    self.state.forget(name)
            self.applied = []
            if problems:
                for problem in problems:
                    self.say(f"cleanup: {problem}")
                self.say("the phone is not fully restored: run `leakmap device reset`")
            else:
                self.state.clear()
        return problems

    def _undo_step(self, name: str) -> None:
        for index, (step, actions) in enumerate(self.applied):
            if step == name:
                run_undo(self.device, actions)
                del self.applied[index]
                self.state.forget(name)
                return


def proxy_undo(before: str | None) -> list[Action]:
    """How to restore ``http_proxy``: its previous value, or cleared when none (or a stale one)."""
    if before and before != ":0" and not _is_loopback_proxy(before):
        return [Action("shell", f"settings put global http_proxy {shlex.quote(before)}")]
    return [
        Action("shell", "settings put global http_proxy :0"),
        Action("shell", "settings delete global http_proxy"),
    ]


def _is_loopback_proxy(value: str) -> bool:
    # Only a tunnel (adb reverse) makes a loopback proxy work; without it, it is a dead setting.
    host = value.rsplit(":", 1)[0]
    return host in ("localhost", "::1", "[::1]") or host.startswith("127.")


def run_undo(device: Any, actions: list[Action]) -> list[str]:
    """Run undo actions; every one is tried, problems are returned (already-undone is fine)."""
    problems = []
    for action in actions:
        try:
            if action.kind == "reverse-remove":
                try:
                    device.reverse_remove(action.arg)
                except LeakmapError as error:
                    if "not found" not in str(error):
                        raise
            elif action.kind == "shell":
                result = device.shell(action.arg)
                if not result.ok:
                    problems.append(f"{_short(action.arg)}: {_short(result.output)}")
            else:
                problems.append(f"unknown undo action {action.kind!r}")
        except LeakmapError as error:
            problems.append(str(error))
    return problems


def undo_state(device: Any, left: state_files.PhoneState, *, say: Say = print) -> list[str]:
    """Undo what a state file lists on ``device``; the file is removed when all went well."""
    problems: list[str] = []
    file = StateFile(left.serial)
    file.state = left
    for name, actions in left.undo_plan():
        step_problems = run_undo(device, actions)
        if step_problems:
            problems += [f"{name}: {p}" for p in step_problems]
        else:
            say(f"undone: {name}")
            file.forget(name)
    if not problems:
        file.clear()
    return problems


def reset(serial: str | None = None, *, select: Callable[[str], Any], say: Say = print) -> int:
    """``leakmap device reset``: undo what killed captures left on phones; the problem count.

    ``select(serial)`` returns the device (the adb layer's ``select``); a phone that is not
    attached keeps its state file for the next try.
    """
    left = [s for s in state_files.pending() if serial is None or s.serial == serial]
    if not left:
        say("nothing to reset: no phone was left set up by leakmap")
        return 0
    problems = 0
    for phone in left:
        if phone.alive and phone.pid != os.getpid():
            say(f"{phone.serial}: a capture (pid {phone.pid}) is still running; stop it instead")
            problems += 1
            continue
        try:
            device = select(phone.serial)
        except LeakmapError as error:
            say(f"{phone.serial}: {error}; connect it and run `leakmap device reset` again")
            problems += 1
            continue
        found = undo_state(device, phone, say=say)
        for problem in found:
            say(f"{phone.serial}: {problem}")
        if not found:
            say(f"{phone.serial}: restored")
        problems += len(found)
    return problems


def _short(text: str) -> str:
    return " ".join(text.split())[:200]


@contextmanager
def _signals_raise() -> Iterator[None]:
    """While setting up: SIGTERM and SIGHUP raise Interrupted (so cleanup runs)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Interrupted(f"{signal.Signals(signum).name} while setting the phone up")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def _signals_ignored() -> Iterator[None]:
    """While cleaning up: Ctrl-C, SIGTERM and SIGHUP wait (a half-undone phone is worse)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in sigs}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
