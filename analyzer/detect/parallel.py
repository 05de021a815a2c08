"""Detection on several cores: a big session's flows go to worker processes in chunks.

Detection is CPU-bound Python (one core analyses about a thousand 4 KB tracker requests a
second), so a session of 100,000 flows takes minutes on one core. :func:`detect_requests` hands
chunks of requests to a pool of worker processes, each holding one :class:`Detector` built once
from the profile. Chunks are bounded in flows and bytes, and at most two per worker are in
flight, so memory stays bounded however big the session is; results come back in flow order
and every flow is analysed on its own, so the findings are the same as on one core.

Workers start from a fork server (a clean interpreter that imports leakmap once), not by forking
the caller: the caller may hold database connections and threads that must not be copied.
Small sessions are analysed in-process: starting workers costs about a second.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain
from typing import Any, NamedTuple

from analyzer.decode.fields import Limits
from analyzer.detect.detector import Detector
from analyzer.detect.finding import Finding
from analyzer.errors import LeakmapError
from analyzer.profile import Profile

PARALLEL_MIN_FLOWS = 2_000  # below this, one process is faster than starting workers
MAX_WORKERS = 8
CHUNK_FLOWS = 200
CHUNK_BYTES = 4 * 1024 * 1024  # request bodies and messages per chunk
IN_FLIGHT_PER_WORKER = 2


class Request(NamedTuple):
    """What detection reads of a stored flow (the request side only), picklable and small."""

    id: int
    host: str | None
    url: str | None
    request_headers: Any
    request_body: bytes | None
    request_body_truncated: bool
    request_content_encoding: str | None
    request_content_type: str | None


class Message(NamedTuple):
    """A client-to-server WebSocket message, as detection reads it."""

    flow_id: int
    from_client: bool
    is_text: bool
    content: bytes | str | None


Item = tuple[Request, list[Message]]
Result = tuple[list[Finding], list[str]]  # findings and decoder notes of one flow


def default_workers() -> int:
    """Worker processes to use: ``LEAKMAP_WORKERS`` if set, else the usable cores (max 8)."""
    configured = os.environ.get("LEAKMAP_WORKERS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            message = f"LEAKMAP_WORKERS must be a whole number, not {configured!r}"
            raise LeakmapError(message) from None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def detect_requests(
    items: Iterable[Item],
    profile: Profile | None,
    workers: int,
    limits: Limits | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Iterator[tuple[Request, Result]]:
    """Each request with its findings and notes, in the order given, on ``workers`` processes.

    ``workers`` <= 1 analyses in this process. ``on_start(workers)`` is called once the pool
    runs. If a worker dies (killed, out of memory), nothing is lost: the chunks it left
    unfinished and the rest of the session are analysed in this process, with a note.
    """
    if workers <= 1:
        yield from _in_process(iter(items), Detector(profile, limits))
        return
    items = iter(items)
    pending: deque[tuple[list[Item], Future[list[Result]] | None]] = deque()
    try:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start_worker,
            initargs=(profile, limits),
        )
    except (OSError, ValueError, NotImplementedError):
        # No process pool here (no fork server, no semaphores in some sandboxes): one process.
        yield from _in_process(items, Detector(profile, limits))
        return
    try:
        with pool:
            if on_start is not None:
                on_start(workers)
            for chunk in _chunks(items):
                future = None
                try:
                    future = pool.submit(_detect_chunk, chunk)
                except OSError as error:  # the first submit starts the processes
                    raise BrokenProcessPool(f"workers could not start: {error}") from error
                finally:
                    pending.append((chunk, future))
                while len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                    yield from _collect(pending[0])
                    pending.popleft()
            while pending:
                yield from _collect(pending[0])
                pending.popleft()
    except BrokenProcessPool as error:
        note = f"a detection worker stopped ({error}); the rest was analysed in one process"
        detector = Detector(profile, limits)
        rest = (item for chunk, _ in pending for item in chunk)
        first = True
        for request, (found, notes) in _in_process(chain(rest, items), detector):
            yield request, (found, [note, *notes] if first else notes)
            first = False


def _in_process(items: Iterator[Item], detector: Detector) -> Iterator[tuple[Request, Result]]:
    for request, messages in items:
        yield request, (detector.detect(request, messages), detector.last_notes)


def _collect(
    done: tuple[list[Item], Future[list[Result]] | None],
) -> Iterator[tuple[Request, Result]]:
    chunk, future = done
    if future is None:
        raise BrokenProcessPool("the pool refused work")
    results = future.result()  # raises before anything of the chunk is given out
    yield from zip((request for request, _ in chunk), results, strict=True)


def _chunks(items: Iterable[Item]) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    size = 0
    for request, messages in items:
        chunk.append((request, messages))
        size += len(request.request_body or b"") + sum(len(m.content or b"") for m in messages)
        if len(chunk) >= CHUNK_FLOWS or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


_detector: Detector | None = None  # one per worker process, built by _start_worker


def _start_worker(profile: Profile | None, limits: Limits | None) -> None:
    global _detector
    # Ctrl-C is the caller's to handle (it stops the pool); a worker that died of it would
    # look like a crash and be replaced by analysis in the caller.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _detector = Detector(profile, limits)


def _detect_chunk(chunk: list[Item]) -> list[Result]:
    detector = _detector
    if detector is None:  # pragma: no cover - the pool always runs the initializer first
        raise RuntimeError("worker started without a detector")
    return [
        (detector.detect(request, messages), detector.last_notes) for request, messages in chunk
    ]
