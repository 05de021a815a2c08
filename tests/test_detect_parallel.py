"""Detection in worker processes: same findings as one process, bounded, and nothing lost."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psutil
import pytest

from analyzer.detect import parallel
from analyzer.detect.parallel import (
    MAX_WORKERS,
    Message,
    Request,
    default_workers,
    detect_requests,
)
from analyzer.errors import LeakmapError
from analyzer.profile import profile_from_dict

PROFILE = profile_from_dict({"known": {"imei": "356938035643809", "email": "a@example.org"}})


def _items(count: int) -> Iterator[tuple[Request, list[Message]]]:
    for index in range(count):
        body = {"imei": "356938035643809", "n": index} if index % 3 else {"os": "android"}
        request = Request(
            id=index + 1,
            host="t.example.com",
            url=f"https://t.example.com/e?i={index}",
            request_headers=[["Content-Type", "application/json"]],
            request_body=json.dumps(body).encode(),
            request_body_truncated=False,
            request_content_encoding=None,
            request_content_type="application/json",
        )
        messages = [Message(index + 1, True, True, b'{"mail": "a@example.org"}')] * (index % 2)
        yield request, messages


def _results(stream: Iterator[tuple[Request, tuple[list, list[str]]]]) -> list[tuple]:
    return [(request.id, found, notes) for request, (found, notes) in stream]


def test_workers_give_the_results_of_one_process_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CHUNK_FLOWS", 5)
    started: list[int] = []
    in_workers = _results(detect_requests(_items(80), PROFILE, 2, on_start=started.append))
    here = _results(detect_requests(_items(80), PROFILE, 1))
    assert started == [2]
    assert in_workers == here
    assert [flow_id for flow_id, _, _ in in_workers] == list(range(1, 81))
    assert sum(len(found) for _, found, _ in here) > 80


def test_chunks_are_bounded_in_flows_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 200)
    chunks = list(parallel._chunks(_items(30)))
    assert sum(len(chunk) for chunk in chunks) == 30
    assert max(len(chunk) for chunk in chunks) < 10  # cut by bytes, long before 200 flows
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 1 << 30)
    monkeypatch.setattr(parallel, "CHUNK_FLOWS", 7)
    assert [len(chunk) for chunk in parallel._chunks(_items(30))] == [7, 7, 7, 7, 2]


def test_a_killed_worker_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CHUNK_FLOWS", 4)

    def killing(items: Iterator) -> Iterator:
        for index, item in enumerate(items):
            if index == 20:  # chunks are in flight: kill -9 a worker (a child of the fork server)
                me = psutil.Process()
                workers = [p for p in me.children(recursive=True) if p.ppid() != me.pid]
                assert workers
                workers[0].kill()
                workers[0].wait(10)
            yield item

    got = _results(detect_requests(killing(_items(60)), PROFILE, 2))
    want = _results(detect_requests(_items(60), PROFILE, 1))
    assert [flow_id for flow_id, _, _ in got] == list(range(1, 61))
    assert [found for _, found, _ in got] == [found for _, found, _ in want]
    notes = [note for _, _, flow_notes in got for note in flow_notes]
    assert len(notes) == 1 and "detection worker stopped" in notes[0]


def test_without_a_process_pool_one_process_does_the_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    want = _results(detect_requests(_items(12), PROFILE, 1))

    def no_pool(*args: object, **kwargs: object) -> None:
        raise OSError(38, "Function not implemented")  # no semaphores in this sandbox

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_pool)
    assert _results(detect_requests(_items(12), PROFILE, 2)) == want

    class Refusing:  # a pool whose processes cannot start
        def __enter__(self) -> Refusing:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def submit(self, *args: object) -> None:
            raise OSError(24, "Too many open files")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", lambda **kwargs: Refusing())
    got = _results(detect_requests(_items(12), PROFILE, 2))
    assert [(i, found) for i, found, _ in got] == [(i, found) for i, found, _ in want]
    assert "workers could not start" in got[0][2][0]


def test_worker_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKMAP_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("LEAKMAP_WORKERS", "0")
    assert default_workers() == 1
    monkeypatch.setenv("LEAKMAP_WORKERS", "many")
    with pytest.raises(LeakmapError, match="whole number"):
        default_workers()
    monkeypatch.delenv("LEAKMAP_WORKERS")
    assert 1 <= default_workers() <= MAX_WORKERS
