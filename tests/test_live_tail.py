"""Following a session in the store while it is written: new rows only, in order, bounded."""

from __future__ import annotations

import time

import pytest

from analyzer.live.tail import StoreTail
from analyzer.store import Store
from analyzer.store import records as rec
from analyzer.store.marks import add_mark
from tests.support.live import append, request


def _flows(count: int, start: int = 0, body: bytes | None = None) -> list[rec.FlowRecord]:
    return [
        request(f"https://t{n}.probe.example/e?n={n}", body=body, at=1_800_000_000.0 + n)
        for n in range(start, start + count)
    ]


def test_each_look_returns_only_the_rows_added_since_the_last(store: Store) -> None:
    session = store.create_session("s")
    other = store.create_session("other")
    tail = StoreTail(store, session)
    assert tail.flows() == []
    append(store, session, _flows(3))
    append(store, other, _flows(2, 100))  # another session's rows are never seen
    first = tail.flows()
    assert [r.url.split("?")[1] for r in first] == ["n=0", "n=1", "n=2"]
    assert tail.flows() == []
    append(store, session, _flows(2, 3))
    again = tail.flows()
    assert [r.url.split("?")[1] for r in again] == ["n=3", "n=4"]
    assert again[0].id > first[-1].id
    assert (again[0].host, again[0].server_ip, again[0].scheme) == (
        "t3.probe.example",
        "127.0.0.2",
        "https",
    )


@pytest.mark.parametrize(
    ("rows", "body_size", "expected"), [(5, 0, [2, 2, 1]), (3, 600, [1, 1, 1])]
)
def test_a_look_is_bounded_in_rows_and_body_bytes(
    store: Store, rows: int, body_size: int, expected: list[int]
) -> None:
    session = store.create_session("s")
    append(store, session, _flows(rows, body=b"x" * body_size if body_size else None))
    tail = StoreTail(store, session, max_rows=2, max_bytes=1000)
    sizes = []
    while batch := tail.flows():
        sizes.append(len(batch))
    assert sizes == expected
    assert tail.flows_waiting() == 0


def test_backlog_counts_stored_flows_not_yet_read(store: Store) -> None:
    session = store.create_session("s")
    append(store, session, _flows(7))
    tail = StoreTail(store, session, max_rows=3)
    assert tail.flows_waiting() == 7
    tail.flows()
    assert tail.flows_waiting() == 4


def test_only_the_phones_websocket_messages_are_read(store: Store) -> None:
    session = store.create_session("s")
    opened = request("wss://push.probe.example/ws", method="GET", websocket=True, mitm_id="w1")
    sent = rec.WebSocketRecord("w1", True, True, time.time(), b'{"hello": 1}')
    echoed = rec.WebSocketRecord("w1", False, True, time.time(), b'{"hello": 1}')
    append(store, session, [opened, sent, echoed])
    tail = StoreTail(store, session)
    (flow,) = tail.flows()
    messages = tail.client_messages()
    assert [(m.flow_id, m.from_client, m.content) for m in messages] == [
        (flow.id, True, b'{"hello": 1}')
    ]
    assert tail.client_messages() == []
    assert tail.flow_places([flow.id])[flow.id].host == "push.probe.example"


def test_tls_failures_marks_and_the_end_of_the_session(store: Store) -> None:
    session = store.create_session("s")
    tail = StoreTail(store, session)
    failure = rec.TlsFailureRecord(
        side="client", timestamp=time.time(), client_ip="10.9.8.7", sni="pin.probe.example",
        server_ip="127.0.0.3", server_port=443, error="client does not trust the proxy CA",
    )  # fmt: skip
    append(store, session, [failure])
    assert [f.sni for f in tail.tls_failures()] == ["pin.probe.example"]
    assert tail.tls_failures() == []
    add_mark(store, session, "login", at=20.0, source="page")
    add_mark(store, session, "consent shown", at=10.0)
    assert [m.label for m in tail.marks()] == ["consent shown", "login"]
    assert not tail.session_ended()
    store.end_session(session)
    assert tail.session_ended()
