"""The dedicated write thread: records in through a bounded queue, batched transactions out.

The proxy's event loop only ever calls :meth:`Writer.offer`, which never touches the database.
When the queue is full the caller is told so (``offer`` returns False) and waits on
:meth:`Writer.wait_for_room` - back-pressure that slows the phone down instead of dropping a flow.
A batch that cannot be written (disk full, read-only file, database gone) is retried once, then
counted as lost and reported loudly; the proxy keeps running.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from analyzer.store import records as rec
from analyzer.store.db import Store, write_records

log = logging.getLogger(__name__)

BATCH_SIZE = 500
BATCH_WAIT = 0.2  # seconds a partial batch may wait for more records
QUEUE_SIZE = 10_000
QUEUE_BYTES = 256 * 1024 * 1024  # bodies held by queued records, at most

_STOP = object()


@dataclass(slots=True)
class WriterStats:
    queued: int = 0
    stored: int = 0
    lost: int = 0
    batches: int = 0
    last_error: str | None = None
    flows_stored: int = 0
    tls_failures: int = 0
    hosts: set[str] = field(default_factory=set)


class Writer(threading.Thread):
    """Owns the write connection; started with :meth:`start`, ended with :meth:`close`."""

    def __init__(
        self,
        store: Store,
        session_id: int,
        limits: rec.Limits | None = None,
        *,
        queue_size: int = QUEUE_SIZE,
        queue_bytes: int = QUEUE_BYTES,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(name="leakmap-writer", daemon=True)
        self.store = store
        self.session_id = session_id
        self.limits = limits or rec.Limits()
        self.stats = WriterStats()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._queue_bytes = queue_bytes
        self._bytes_in_queue = 0
        self._bytes_lock = threading.Lock()
        self._room = threading.Event()
        self._room.set()
        self._websocket_flow_ids: dict[str, int] = {}
        self._on_error = on_error or (lambda message: log.error(message))

    # --- producer side (any thread; never blocks) ----------------------------------------------

    def offer(self, record: rec.Record) -> bool:
        """Queue a record; False when the queue is full (call :meth:`wait_for_room`, retry)."""
        size = _record_bytes(record)
        with self._bytes_lock:
            if self._bytes_in_queue and self._bytes_in_queue + size > self._queue_bytes:
                self._room.clear()
                return False
            try:
                self._queue.put_nowait((record, size))
            except queue.Full:
                self._room.clear()
                return False
            self._bytes_in_queue += size
        self.stats.queued += 1
        return True

    def put(self, record: rec.Record, timeout: float | None = None) -> bool:
        """Queue a record, waiting for room (for threads that may block: importers, tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.offer(record):
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            self.wait_for_room(remaining if remaining is not None else 1.0)
        return True

    def wait_for_room(self, timeout: float) -> bool:
        return self._room.wait(timeout)

    def close(self, timeout: float | None = None) -> WriterStats:
        """Write everything queued, then stop. Blocks until done (or ``timeout``)."""
        if self.is_alive():
            self._queue.put((_STOP, 0))
            self.join(timeout)
        return self.stats

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    # --- consumer side (this thread) -----------------------------------------------------------

    def run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._next_batch()
            if batch:
                self._write(batch)

    def _next_batch(self) -> tuple[list[rec.Record], bool]:
        batch: list[rec.Record] = []
        item, size = self._queue.get()
        if item is _STOP:
            return batch, True
        batch.append(item)  # type: ignore[arg-type]
        freed = size
        deadline = time.monotonic() + BATCH_WAIT
        stopping = False
        while len(batch) < BATCH_SIZE:
            try:
                item, size = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is _STOP:
                stopping = True
                break
            batch.append(item)  # type: ignore[arg-type]
            freed += size
        with self._bytes_lock:
            self._bytes_in_queue -= freed
        self._room.set()
        return batch, stopping

    def _write(self, batch: list[rec.Record]) -> None:
        for attempt in (1, 2):
            # A rolled-back batch must not leave ids of rows that do not exist behind.
            flow_ids = dict(self._websocket_flow_ids)
            try:
                with self.store.engine.begin() as conn:
                    write_records(conn, self.session_id, batch, self.limits, flow_ids)
            except Exception as error:  # a recorder that stops recording must say so, not die
                message = _first_line(error)
                self.stats.last_error = message
                if attempt == 1:
                    time.sleep(0.5)
                    continue
                self.stats.lost += len(batch)
                self._on_error(
                    f"could not store {len(batch)} records ({message}); "
                    f"{self.stats.lost} lost so far - the proxy keeps running"
                )
                return
            self._websocket_flow_ids = flow_ids
            break
        self.stats.stored += len(batch)
        self.stats.batches += 1
        for record in batch:
            if isinstance(record, rec.FlowRecord):
                self.stats.flows_stored += 1
                if record.host:
                    self.stats.hosts.add(record.host)
            elif isinstance(record, rec.TlsFailureRecord):
                self.stats.tls_failures += 1


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _record_bytes(record: rec.Record) -> int:
    if isinstance(record, rec.FlowRecord):
        return len(record.request_body or b"") + len(record.response_body or b"")
    if isinstance(record, rec.WebSocketRecord):
        return len(record.content)
    return 0
