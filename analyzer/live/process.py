"""The live view's own process: ``python -m analyzer.live``.

``leakmap capture`` starts it (:func:`analyzer.live.launcher.start_live_view`) with a listening
loopback socket (``--fd``), the token and any device profile read from the phone on standard
input, and the database in ``LEAKMAP_DB`` (never on the command line, which other users of the
machine can read). Standard
input then stays open as a lifeline: when the capture ends, or dies, it closes and this process
stops. It can also run on its own next to a ``mitmdump -s addons/recorder.py`` capture
(``--port``: it listens, makes a token and prints the URL; Ctrl-C ends it).

It runs at a lower priority (nice +10) than the proxy: when the machine is busy, the capture
goes first and the page falls behind (it says by how many flows), never the other way round.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

from analyzer.errors import LeakmapError

POLL = 0.5  # seconds between looks at the store when nothing is new
PROFILE_RECHECK = 5.0  # seconds between looks for a device profile stored with the session
ERROR_PAUSE = 2.0  # seconds to wait after a database error before trying again
NICENESS = 10
# Values the detector's memos remember (the report's default is 200,000): traffic keeps bringing
# new ones (nonces, times), and this process runs for hours; memory stays flat at this bound.
MEMO_VALUES = 20_000


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 stopped as asked, 1 an error, told in one line)."""
    options = _parser().parse_args(argv)
    try:
        _lower_priority()
        return _run(options)
    except LeakmapError as error:
        print(f"leakmap: live view stopped: {error}", file=sys.stderr, flush=True)
        return error.exit_code
    except KeyboardInterrupt:
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analyzer.live",
        description="Serve leakmap's live page for a session being recorded.",
    )
    parser.add_argument("--session", required=True, help="Name of the session to follow.")
    parser.add_argument(
        "--db",
        default=os.environ.get("LEAKMAP_DB", "leakmap.db"),
        help="SQLite file or database URL (default: LEAKMAP_DB, else leakmap.db).",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--fd", type=int, help="A listening socket handed over (the token comes on stdin)."
    )
    where.add_argument(
        "--port", type=int, default=0, help="Listen on 127.0.0.1:PORT (default: a free port)."
    )
    parser.add_argument("--profile", type=Path, help="Device profile (TOML).")
    parser.add_argument(
        "--geoip-db", type=Path, default=_env_path("LEAKMAP_GEOIP_DB"), help="MaxMind file."
    )
    parser.add_argument(
        "--asn-db", type=Path, default=_env_path("LEAKMAP_ASN_DB"), help="MaxMind ASN file."
    )
    return parser


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


def _lower_priority() -> None:
    # Not POSIX, or not allowed: run at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.nice(NICENESS)


def _run(options: argparse.Namespace) -> int:
    from analyzer.detect.memo import limit_memos
    from analyzer.geo import GeoResolver
    from analyzer.live.page import live_assets, render_live_page
    from analyzer.live.server import LiveServer
    from analyzer.live.state import LiveState
    from analyzer.owners import OwnerMap
    from analyzer.profile import load_profile
    from analyzer.store import Store

    limit_memos(MEMO_VALUES)
    stop = threading.Event()
    profile_text = None
    if options.fd is not None:
        sock = socket.socket(fileno=options.fd)
        token, profile_text = _handed_over()
        _lifeline(stop)
    else:
        try:
            sock = socket.create_server(("127.0.0.1", options.port))
        except OSError as error:
            raise LeakmapError(f"cannot listen on 127.0.0.1:{options.port}: {error}") from None
        token = secrets.token_urlsafe(32)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())

    profile = load_profile(options.profile) if options.profile else None
    if profile is None and profile_text:
        profile = _profile_from_text(profile_text)
    with (
        Store(options.db, create=False) as store,
        GeoResolver(options.geoip_db, options.asn_db) as geo,
    ):
        state = LiveState(options.session)
        follower = Follower(store, state, options.session, geo, OwnerMap.load(), profile, stop)
        server = LiveServer(
            sock,
            token,
            state,
            render_live_page(options.session),
            live_assets(),
            follower.set_mark,
        )
        server.start()
        if options.fd is None:
            print(f"leakmap live page: {server.url}", flush=True)
        try:
            follower.run()
        finally:
            server.stop()
    return 0


def _handed_over() -> tuple[str, str | None]:
    """The token (first line of standard input) and the options the capture hands over
    (second line, JSON: ``{"profile": TOML text or null}``), kept off the command line."""
    token = sys.stdin.readline().strip()
    if len(token) < 16:
        raise LeakmapError("no token on standard input")
    try:
        handed = json.loads(sys.stdin.readline() or "{}")
    except ValueError:
        raise LeakmapError("the options on standard input are not JSON") from None
    profile = handed.get("profile") if isinstance(handed, dict) else None
    return token, profile if isinstance(profile, str) else None


def _profile_from_text(text: str) -> Any:
    from analyzer.profile import profile_from_dict

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LeakmapError(f"the device profile handed over is not valid TOML: {error}") from None
    return profile_from_dict(data, source="the device profile read from the phone")


def _lifeline(stop: threading.Event) -> None:
    """Stop when standard input closes: the capture that started this process has ended."""

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            sys.stdin.buffer.read()
        stop.set()

    threading.Thread(target=watch, name="leakmap-live-lifeline", daemon=True).start()


class Follower:
    """The analysis loop: waits for the session, then feeds every new row to the analysis."""

    def __init__(
        self,
        store: Any,
        state: Any,
        session_name: str,
        geo: Any,
        owners: Any,
        profile: Any,
        stop: threading.Event,
    ) -> None:
        self.store = store
        self.state = state
        self.session_name = session_name
        self.geo = geo
        self.owners = owners
        self.profile = profile
        self.stop = stop
        self.wake = threading.Event()
        self.session_id: int | None = None
        self.tail: Any = None
        self.analysis: Any = None
        self._profile_checked = 0.0
        self._last_error = ""

    def run(self) -> None:
        """Follow until ``stop`` is set."""
        from sqlalchemy.exc import SQLAlchemyError

        while not self.stop.is_set():
            try:
                busy = self.step()
            except SQLAlchemyError as error:
                self._database_error(error)
                self.stop.wait(ERROR_PAUSE)
                continue
            if not busy:
                self.wake.wait(POLL)
                self.wake.clear()

    def step(self) -> bool:
        """One look at the store; True when there is more to read at once."""
        if self.session_id is None:
            return self._find_session()
        tail, analysis = self.tail, self.analysis
        self._check_profile()
        analysis.set_marks(tail.marks())
        flows = tail.flows()
        analysis.add_flows(flows)
        messages = tail.client_messages()
        if messages:
            places = tail.flow_places(analysis.unknown_websocket_flows(messages))
            analysis.add_messages(messages, places)
        failures = tail.tls_failures()
        if failures:
            analysis.add_tls_failures(failures)
        more = max(len(flows), len(messages), len(failures)) >= tail.max_rows
        behind = tail.flows_waiting() if more else 0
        ended = not more and self.state.status != "ended" and tail.session_ended()
        if behind != self.state.behind or ended:
            with self.state.changing():
                self.state.behind = behind
                if ended:
                    self.state.status = "ended"
        return more

    def set_mark(self, label: str) -> dict[str, Any]:
        """Store a step set on the page (called from the server's threads)."""
        from analyzer.live.server import NotRecording
        from analyzer.store.marks import add_mark

        if self.session_id is None:
            raise NotRecording
        mark = add_mark(self.store, self.session_id, label, source="page")
        self.wake.set()
        return {"id": mark.id, "label": mark.label, "at": mark.at, "source": mark.source}

    # --- internals ------------------------------------------------------------------------------

    def _find_session(self) -> bool:
        from analyzer.live.analysis import LiveAnalysis
        from analyzer.live.tail import StoreTail

        session_id = self.store.session_id(self.session_name)
        if session_id is None:
            return False
        info = self.store.session(self.session_name)
        self.tail = StoreTail(self.store, session_id)
        self.analysis = LiveAnalysis(self.state, self._detector(), self.geo, self.owners)
        with self.state.changing():
            self.state.status = "recording"
            self.state.session.update(
                app=info.app,
                app_version=info.app_version,
                device=info.device,
                started_at=info.started_at,
            )
        self.session_id = session_id  # last: a step can be set from now on
        return True

    def _detector(self) -> Any:
        from analyzer.detect import Detector

        return Detector(self.profile or None)

    def _check_profile(self) -> None:
        """Without ``--profile``, use the device profile the capture stores with the session
        (read from the phone), once it is there."""
        if self.profile is not None or time.monotonic() - self._profile_checked < PROFILE_RECHECK:
            return
        self._profile_checked = time.monotonic()
        from sqlalchemy import select

        from analyzer.profile import profile_from_dict
        from analyzer.store.models import Session

        with self.store.engine.connect() as conn:
            text = conn.execute(
                select(Session.profile).where(Session.id == self.session_id)
            ).scalar()
        if not text:
            return
        try:
            self.profile = profile_from_dict(tomllib.loads(text), source="the session's profile")
        except (tomllib.TOMLDecodeError, LeakmapError) as error:
            self.profile = False  # looked at, unusable: do not read it again
            with self.state.changing():
                self.state.add_note(f"the session's device profile is not used: {error}")
            return
        self.analysis.detector = self._detector()

    def _database_error(self, error: Exception) -> None:
        from analyzer.store.db import short_error

        message = short_error(error)
        with self.state.changing():
            self.state.errors += 1
        if message != self._last_error:  # once per kind of error, not every two seconds
            print(f"leakmap: live view: database: {message}", file=sys.stderr, flush=True)
            self._last_error = message
