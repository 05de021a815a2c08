"""The recorder addon, driven by mitmproxy's own test harness (taddons, tflow)."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import threading

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons, tflow

from addons.recorder import Recorder
from analyzer.store import Store


def _run_recorder(db: str, flows_fn, **options) -> tuple[Store, int]:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    with taddons.context(recorder) as tctx:
        tctx.configure(recorder, leakmap_db=db, leakmap_session="s1", **options)
        recorder.running()
        flows_fn(recorder)
        recorder.done()
    store = Store(db)
    return store, store.session("s1").id


def test_records_request_and_response_with_body_digest(db_url: str) -> None:
    body = gzip.compress(b'{"imei": "356938035643809"}')

    def send(recorder: Recorder) -> None:
        flow = tflow.tflow(resp=True)
        flow.request.headers["content-encoding"] = "gzip"
        flow.request.headers["content-type"] = "application/json"
        flow.request.raw_content = body
        flow.server_conn.peername = ("127.0.0.7", 443)
        recorder.response(flow)

    store, session_id = _run_recorder(db_url, send)
    (row,) = list(store.iter_flows(session_id))
    assert row.request_body == body
    assert row.request_body_size == len(body)
    assert row.request_body_sha256 == hashlib.sha256(body).hexdigest()
    assert row.request_body_truncated is False
    assert row.request_content_encoding == "gzip"
    assert row.server_ip == "127.0.0.7"
    assert row.host == "address"
    assert row.method == "GET"
    assert row.status_code == 200
    assert ["content-encoding", "gzip"] in row.request_headers
    assert store.session("s1").ended_at is not None


def test_body_over_the_limit_is_capped_with_full_size_and_digest(db_url: str) -> None:
    body = bytes(range(256)) * 100

    def send(recorder: Recorder) -> None:
        flow = tflow.tflow(resp=True)
        flow.request.raw_content = body
        recorder.response(flow)

    store, session_id = _run_recorder(db_url, send, leakmap_body_limit=1000)
    (row,) = list(store.iter_flows(session_id))
    assert row.request_body == body[:1000]
    assert row.request_body_size == len(body)
    assert row.request_body_truncated is True
    assert row.request_body_sha256 == hashlib.sha256(body).hexdigest()


def test_flow_with_error_and_no_response_is_recorded_once(db_url: str) -> None:
    def send(recorder: Recorder) -> None:
        flow = tflow.tflow(err=True)
        recorder.error(flow)
        recorder.error(flow)

    store, session_id = _run_recorder(db_url, send)
    (row,) = list(store.iter_flows(session_id))
    assert row.status_code is None
    assert row.error == "error"


def test_websocket_messages_are_linked_to_their_flow(db_url: str) -> None:
    def send(recorder: Recorder) -> None:
        flow = tflow.twebsocketflow()
        recorder.response(flow)
        assert flow.websocket is not None
        messages = list(flow.websocket.messages)
        flow.websocket.messages.clear()
        for message in messages:
            flow.websocket.messages.append(message)
            recorder.websocket_message(flow)

    store, session_id = _run_recorder(db_url, send)
    (flow_row,) = list(store.iter_flows(session_id))
    messages = list(store.websocket_messages(session_id))
    assert flow_row.websocket is True
    assert len(messages) == 3
    assert {m.flow_id for m in messages} == {flow_row.id}
    assert messages[0].content == b"hello binary"


def test_tcp_connection_without_http_is_recorded(db_url: str) -> None:
    def send(recorder: Recorder) -> None:
        flow = tflow.ttcpflow()
        recorder.tcp_end(flow)

    store, session_id = _run_recorder(db_url, send)
    (conn,) = store.connections(session_id)
    assert conn.protocol == "tcp"
    assert conn.bytes_sent == len(b"hello") * 1
    assert conn.messages == 2


def test_negative_body_limit_is_refused() -> None:
    recorder = Recorder()
    with taddons.context(recorder) as tctx, pytest.raises(exceptions.OptionsError):
        tctx.configure(recorder, leakmap_body_limit=-1)


def test_existing_session_is_refused_unless_appending(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = db_url
    Store(db).create_session("taken")
    recorder = Recorder()
    with taddons.context(recorder) as tctx:
        tctx.configure(recorder, leakmap_db=db, leakmap_session="taken")
        recorder.running()
        assert recorder.writer is None
        assert "exists already" in caplog.text
    recorder = Recorder()
    with taddons.context(recorder) as tctx:
        tctx.configure(recorder, leakmap_db=db, leakmap_session="taken", leakmap_append=True)
        recorder.running()
        assert recorder.writer is not None
        recorder.response(tflow.tflow(resp=True))
        recorder.done()
    assert Store(db).session("taken").flows == 1


def test_full_queue_holds_flows_back_instead_of_dropping(db_url: str) -> None:
    """With a tiny queue and a stalled writer, hooks return awaitables that complete once there
    is room: every flow is stored, none dropped."""
    db = db_url
    recorder = Recorder()
    release = threading.Event()  # the writer stalls (a slow disk) until a hook has had to wait

    async def flood() -> int:
        waited = 0
        for _ in range(300):
            pending = recorder.response(tflow.tflow(resp=True))
            if pending is not None:
                waited += 1
                release.set()
                await pending
        return waited

    with taddons.context(recorder) as tctx:
        tctx.configure(recorder, leakmap_db=db, leakmap_session="s")
        recorder.running()
        writer = recorder.writer
        assert writer is not None
        write = writer._write

        def stalled_write(batch: list) -> None:  # type: ignore[type-arg]
            release.wait(60)
            write(batch)

        writer._write = stalled_write  # type: ignore[method-assign]
        writer._queue.maxsize = 2  # force back-pressure
        waited = asyncio.run(flood())
        recorder.done()
    assert waited > 0
    assert Store(db).session("s").flows == 300
