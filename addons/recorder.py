"""Record every flow into leakmap's store.

    mitmdump -s addons/recorder.py --set leakmap_db=leakmap.db --set leakmap_session=NAME

Hooks only copy plain values into records and offer them to the writer thread's bounded queue;
the database is never touched on the event loop. When the queue is full a hook returns an
awaitable that waits for room: the flow is held back (back-pressure) instead of being dropped.
On shutdown (``done``: Ctrl-C, SIGTERM, end of a ``-r`` file) everything queued is written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable

from mitmproxy import ctx, exceptions, http, tcp, tls, udp
from mitmproxy.addonmanager import Loader

from analyzer.errors import LeakmapError
from analyzer.store import Store
from analyzer.store import records as rec
from analyzer.store.writer import Writer

log = logging.getLogger(__name__)

_RECORDED = "leakmap_recorded"  # flow.metadata marker: one row per flow, whichever hook came first
_ROOM_POLL = 0.005


class Recorder:
    def __init__(self) -> None:
        self.store: Store | None = None
        self.writer: Writer | None = None
        self.session_id: int | None = None
        self.session_name: str | None = None
        self.seen = 0
        self.held_back = 0  # records that had to wait for room in the queue
        self.lost = 0  # records the writer could not store (kept after it is closed)
        self.proxy_answered = 0

    def load(self, loader: Loader) -> None:
        loader.add_option(
            "leakmap_db", str, "leakmap.db",
            "Where leakmap stores flows: a SQLite file (created 0600) or a database URL "
            "such as postgresql+psycopg://user@host/leakmap.",
        )  # fmt: skip
        loader.add_option(
            "leakmap_session", str, "",
            "Name of the session to record into; created when it does not exist. "
            "Default: capture-<date>-<time>.",
        )  # fmt: skip
        loader.add_option(
            "leakmap_append", bool, False,
            "Append to an existing session of that name instead of refusing it.",
        )  # fmt: skip
        loader.add_option("leakmap_app", str, "", "Name of the app under test.")
        loader.add_option("leakmap_app_version", str, "", "Version of the app under test.")
        loader.add_option("leakmap_device", str, "", "Label of the test phone.")
        loader.add_option(
            "leakmap_platform", str, "", "Platform of the test phone (android, ios, ...)."
        )
        loader.add_option(
            "leakmap_body_limit", int, rec.DEFAULT_REQUEST_BODY_LIMIT,
            "Bytes of each request body and WebSocket message kept (as sent, still "
            "content-encoded); the full size and SHA-256 are always kept.",
        )  # fmt: skip
        loader.add_option(
            "leakmap_response_body_limit", int, rec.DEFAULT_RESPONSE_BODY_LIMIT,
            "Bytes of each response body kept.",
        )  # fmt: skip

    def configure(self, updated: set[str]) -> None:
        for name in ("leakmap_body_limit", "leakmap_response_body_limit"):
            if name in updated and getattr(ctx.options, name) < 0:
                raise exceptions.OptionsError(f"{name} must be 0 or more")
        frozen = {"leakmap_db", "leakmap_session"} & updated
        if self.writer is not None and frozen:
            raise exceptions.OptionsError(
                f"{', '.join(sorted(frozen))} cannot change while recording"
            )

    def running(self) -> None:
        # The store is opened here, not in configure(): options given with --set are only
        # final once the proxy runs, and a stray session must never be created.
        if self.writer is not None:
            return
        try:
            self._open()
        except LeakmapError as error:
            log.error(f"leakmap: {error}; stopping, nothing recorded")
            ctx.master.shutdown()

    # --- hooks: copy, offer, return ------------------------------------------------------------

    def response(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        return self._record_http(flow)

    def error(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        # A flow that never got a response (server unreachable, client gone) is still a
        # request that left the phone.
        return self._record_http(flow)

    def websocket_message(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        record = rec.from_websocket_flow(flow)
        return self._submit(record) if record else None

    def tls_failed_client(self, data: tls.TlsData) -> Awaitable[None] | None:
        return self._submit(rec.from_tls_failure(data, "client"))

    def tls_failed_server(self, data: tls.TlsData) -> Awaitable[None] | None:
        return self._submit(rec.from_tls_failure(data, "server"))

    def tcp_end(self, flow: tcp.TCPFlow) -> Awaitable[None] | None:
        return self._record_stream(flow)

    def tcp_error(self, flow: tcp.TCPFlow) -> Awaitable[None] | None:
        return self._record_stream(flow)

    def udp_end(self, flow: udp.UDPFlow) -> Awaitable[None] | None:
        return self._record_stream(flow)

    def udp_error(self, flow: udp.UDPFlow) -> Awaitable[None] | None:
        return self._record_stream(flow)

    def done(self) -> None:
        writer, store = self.writer, self.store
        if writer is None or store is None or self.session_id is None:
            return
        stats = writer.close()
        self.lost = stats.lost
        store.end_session(self.session_id)
        message = (
            f"leakmap: session {self.session_name!r}: {_count(stats.flows_stored, 'flow')} "
            f"stored, {_count(stats.tls_failures, 'TLS failure')}, "
            f"{_count(stats.lost, 'record')} lost"
        )
        (log.error if stats.lost else log.info)(message)
        self.writer = None

    # --- helpers -------------------------------------------------------------------------------

    def _open(self) -> None:
        options = ctx.options
        name = options.leakmap_session or time.strftime("capture-%Y%m%d-%H%M%S")
        store = Store(options.leakmap_db)
        try:
            session_id = self._session_id(store, name)
        except LeakmapError:
            store.close()
            raise
        self.store, self.session_id, self.session_name = store, session_id, name
        limits = rec.Limits(
            request_body=options.leakmap_body_limit,
            response_body=options.leakmap_response_body_limit,
            message=options.leakmap_body_limit,
        )
        self.writer = Writer(store, session_id, limits)
        self.writer.start()
        log.info(f"leakmap: recording session {name!r} into {store.display_url}")

    @staticmethod
    def _session_id(store: Store, name: str) -> int:
        existing = store.session_id(name)
        if existing is not None:
            if not ctx.options.leakmap_append:
                raise LeakmapError(
                    f"session {name!r} exists already; choose another leakmap_session "
                    "or set leakmap_append=true"
                )
            return existing
        modes = ctx.options.mode if hasattr(ctx.options, "mode") else []
        return store.create_session(
            name,
            app=ctx.options.leakmap_app or None,
            app_version=ctx.options.leakmap_app_version or None,
            device=ctx.options.leakmap_device or None,
            platform=ctx.options.leakmap_platform or None,
            mode=",".join(modes) or "regular",
        )

    def _record_http(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        if flow.metadata.get(_RECORDED):
            return None
        flow.metadata[_RECORDED] = True
        if flow.response is not None and flow.server_conn.timestamp_start is None:
            # Answered by the proxy itself (407 proxy auth, mitm.it, a blocking script): the
            # request never reached a server, so it is not a flow to any destination.
            self.proxy_answered += 1
            return None
        return self._submit(rec.from_http_flow(flow))

    def _record_stream(self, flow: tcp.TCPFlow | udp.UDPFlow) -> Awaitable[None] | None:
        if flow.metadata.get(_RECORDED):
            return None
        flow.metadata[_RECORDED] = True
        return self._submit(rec.from_stream_flow(flow))

    def _submit(self, record: rec.Record) -> Awaitable[None] | None:
        writer = self.writer
        if writer is None:
            # Crash visibly rather than lose data quietly: this only happens when the
            # store could not be opened, which configure() already reported.
            raise RuntimeError("leakmap recorder has no open store")
        self.seen += 1
        if writer.offer(record):
            return None
        self.held_back += 1
        return self._wait_for_room(writer, record)

    @staticmethod
    async def _wait_for_room(writer: Writer, record: rec.Record) -> None:
        while not writer.offer(record):
            await asyncio.sleep(_ROOM_POLL)


addons = [Recorder()]


def _count(number: int, word: str) -> str:
    """``1 flow``, ``2 flows``: the recorder's log lines (the proxy process imports no report
    code for one word)."""
    return f"{number} {word}{'' if number == 1 else 's'}"
