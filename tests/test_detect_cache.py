"""Findings per session: analysed flow by flow from the store, cached per profile and version."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from analyzer.detect.cache import NO_PROFILE_DIGEST, findings_for_session
from analyzer.profile import profile_from_dict
from analyzer.store import Store
from analyzer.store.models import AnalysisRun, Flow, WebSocketMessage
from analyzer.store.models import Finding as FindingRow

PROFILE = profile_from_dict({"known": {"imei": "356938035643809", "email": "a@example.org"}})


def _flow(session_id: int, body: dict[str, Any], websocket: bool = False) -> dict[str, Any]:
    data = json.dumps(body).encode()
    return {
        "session_id": session_id,
        "host": "t.example.com",
        "method": "POST",
        "url": "https://t.example.com/v1/e?lat=52.52&lon=13.40",
        "request_headers": [],
        "request_body": data,
        "request_body_size": len(data),
        "request_body_truncated": False,
        "request_content_type": "application/json",
        "websocket": websocket,
    }


def _session(store: Store) -> Any:
    session_id = store.create_session("s1")
    with store.engine.begin() as conn:
        conn.execute(
            insert(Flow),
            [
                _flow(session_id, {"imei": "356938035643809"}),
                _flow(session_id, {"nothing": "here"}),
                _flow(session_id, {}, websocket=True),
                _flow(session_id, {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"}),
            ],
        )
        ids = [row[0] for row in conn.execute(select(Flow.id).order_by(Flow.id))]
        conn.execute(
            insert(WebSocketMessage),
            [
                {
                    "session_id": session_id,
                    "flow_id": ids[2],
                    "from_client": True,
                    "is_text": True,
                    "content": b'{"mail": "a@example.org"}',
                    "size": 25,
                },
                {
                    "session_id": session_id,
                    "flow_id": ids[2],
                    "from_client": False,
                    "is_text": True,
                    "content": b'{"imei": "356938035643809"}',
                    "size": 27,
                },
                {
                    "session_id": session_id,
                    "flow_id": None,
                    "from_client": True,
                    "is_text": True,
                    "content": b'{"email": "orphan@example.org"}',
                    "size": 30,
                },
            ],
        )
    return store.session("s1")


def test_session_is_analysed_then_served_from_the_cache(store: Store) -> None:
    session = _session(store)
    seen: list[int] = []
    findings, notes = findings_for_session(store, session, PROFILE, progress=seen.append)
    assert seen == [1, 2, 3, 4]
    places = {(f.property, f.location, f.method) for f in findings}
    assert ("imei", "body", "known-value") in places
    assert ("email", "websocket", "known-value") in places  # client message of its flow
    assert ("advertisingId", "body", "key-name") in places
    assert ("latitude", "query", "key-name") in places and ("longitude", "query", "key-name") in (
        places
    )
    # The server's message and the orphan message are not the phone's sending of this flow.
    websocket = [f for f in findings if f.location == "websocket"]
    assert [f.property for f in websocket] == ["email"]
    assert all("orphan" not in f.value for f in findings)

    # Change a stored flow: a cached result must not notice, proving it was not re-analysed.
    with store.engine.begin() as conn:
        conn.execute(update(Flow).values(request_body=b"{}"))
    again, _ = findings_for_session(store, session, PROFILE, progress=seen.append)
    assert seen == [1, 2, 3, 4]
    assert sorted(again, key=repr) == sorted(findings, key=repr)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AnalysisRun)).scalar_one() == 1
        stored = conn.execute(select(func.count()).select_from(FindingRow)).scalar_one()
    assert stored == len(findings)
    assert isinstance(notes, list)


def test_a_new_profile_or_no_profile_analyses_again(store: Store) -> None:
    session = _session(store)
    with_profile, _ = findings_for_session(store, session, PROFILE)
    without, _ = findings_for_session(store, session, None)
    assert not any(f.method == "known-value" for f in without)
    assert any(f.method == "known-value" for f in with_profile)
    with store.engine.connect() as conn:
        digests = set(conn.execute(select(AnalysisRun.profile_digest)).scalars())
    assert digests == {PROFILE.digest, NO_PROFILE_DIGEST}


def test_empty_session(store: Store) -> None:
    store.create_session("empty")
    findings, notes = findings_for_session(store, store.session("empty"), PROFILE)
    assert findings == [] and notes == []
    with store.engine.connect() as conn:
        assert conn.execute(select(AnalysisRun.flows)).scalar_one() == 0


def _busy_session(store: Store) -> Any:
    """A session of 60 flows of several kinds (findings, notes, WebSocket messages)."""
    session_id = store.create_session("busy")
    bodies: list[dict[str, Any]] = []
    for index in range(60):
        kind = index % 4
        if kind == 0:
            bodies.append({"imei": "356938035643809", "n": index})
        elif kind == 1:
            bodies.append({"device": {"model": "Pixel 7", "os": "android"}, "n": index})
        elif kind == 2:
            bodies.append({"deep": "[" * 30 + "]" * 30, "n": index})  # a decoder note
        else:
            bodies.append({"nothing": index})
    with store.engine.begin() as conn:
        conn.execute(insert(Flow), [_flow(session_id, body, websocket=True) for body in bodies])
        ids = [row[0] for row in conn.execute(select(Flow.id).order_by(Flow.id))]
        conn.execute(
            insert(WebSocketMessage),
            [
                {
                    "session_id": session_id,
                    "flow_id": flow_id,
                    "from_client": True,
                    "is_text": True,
                    "content": json.dumps({"mail": "a@example.org", "i": flow_id}).encode(),
                    "size": 40,
                }
                for flow_id in ids[::5]
            ],
        )
    return store.session("busy")


def test_worker_processes_find_what_one_process_finds(store: Store, monkeypatch: Any) -> None:
    # Small chunks, so that several are in flight and their order is tested.
    monkeypatch.setattr("analyzer.detect.cache.PARALLEL_MIN_FLOWS", 1)
    monkeypatch.setattr("analyzer.detect.parallel.CHUNK_FLOWS", 7)
    session = _busy_session(store)
    seen: list[int] = []

    def not_here(*args: Any) -> None:
        raise AssertionError("the parallel run analysed a flow in the calling process")

    # Workers start from a fresh interpreter: this patch reaches the calling process only.
    with monkeypatch.context() as patch:
        patch.setattr("analyzer.detect.parallel.Detector", not_here)
        parallel, parallel_notes = findings_for_session(
            store, session, PROFILE, progress=seen.append, workers=2
        )
    assert seen == list(range(1, 61))
    with store.engine.begin() as conn:  # forget the run, analyse again in this process
        conn.execute(delete(FindingRow))
        conn.execute(delete(AnalysisRun))
    serial, serial_notes = findings_for_session(store, session, PROFILE, workers=1)
    assert parallel == serial
    assert parallel_notes == serial_notes
    assert {f.property for f in serial} >= {"imei", "email", "model", "osName", "latitude"}
    assert sum(f.location == "websocket" for f in serial) == 12
    # Findings come in flow order, as on one core.
    flow_ids = [f.flow_id for f in parallel]
    assert flow_ids == sorted(flow_ids)

