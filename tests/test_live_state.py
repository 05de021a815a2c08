"""The live view's state: bounded parts, snapshots and updates, findings filed by step."""

from __future__ import annotations

from typing import Any

import pytest

from analyzer.live.state import MAX_STEPS, MAX_TLS, RECENT, LiveState
from analyzer.store.marks import MarkInfo


def _finding(
    prop: str = "imei",
    country: str | None = "CN",
    started: float = 150.0,
    placeholder: bool = False,
    host: str = "a.probe.example",
) -> dict[str, Any]:
    return {"property": prop, "country": country, "started": started, "host": host,
            "placeholder": placeholder, "value": "4901*******7518"}  # fmt: skip


def _add(state: LiveState, *findings: dict[str, Any]) -> None:
    with state.changing():
        for finding in findings:
            state.add_finding(finding)


def test_a_reader_gets_a_snapshot_then_only_what_is_new() -> None:
    state = LiveState("s")
    _add(state, _finding("imei"), _finding("email"), _finding("advertisingId", "US"))
    first, version = state.payload()
    assert first["kind"] == "snapshot"
    assert [f["property"] for f in first["findings"]] == ["advertisingId", "email", "imei"]
    _add(state, _finding("model", "DE"), _finding("osName", None))
    assert state.wait(version, 0) > version
    update, _ = state.payload(first["last"])
    assert update["kind"] == "update"
    assert [f["property"] for f in update["findings"]] == ["osName", "model"]
    assert update["counters"]["findings"] == 5
    assert update["counters"]["countries"] == 3  # CN, US, DE: the unplaced server is no country
    assert update["countries"]["unknown"]["properties"] == 1
    assert update["matrix"]["cells"]["imei"] == {"CN": 1}
    assert update["matrix"]["countries"][-1] == "unknown"  # the unplaced come last


def test_recent_findings_are_bounded_and_a_reader_left_behind_gets_a_snapshot() -> None:
    state = LiveState("s")
    _add(state, *(_finding(host=f"h{n}.probe.example") for n in range(RECENT + 50)))
    snapshot, _ = state.payload()
    assert len(snapshot["findings"]) == RECENT
    assert snapshot["findings"][0]["host"] == f"h{RECENT + 49}.probe.example"
    assert snapshot["counters"]["findings"] == RECENT + 50  # counted, though not all listed
    behind, _ = state.payload(since=3)
    assert behind["kind"] == "snapshot"


def test_placeholders_are_shown_but_never_counted_as_data() -> None:
    state = LiveState("s")
    _add(state, _finding("advertisingId", placeholder=True))
    payload, _ = state.payload()
    assert payload["findings"][0]["placeholder"] is True
    assert payload["counters"]["findings"] == 0
    assert payload["counters"]["placeholders"] == 1
    assert payload["matrix"]["cells"] == {}


def _mark(mark_id: int, label: str, at: float) -> MarkInfo:
    return MarkInfo(mark_id, label, at, at, "page")


def test_findings_are_filed_under_the_step_in_which_their_flow_started() -> None:
    state = LiveState("s", clock=lambda: 400.0)
    with state.changing():
        state.set_marks([_mark(1, "consent shown", 100.0), _mark(2, "login", 200.0)], None)
    _add(state, _finding("imei", started=50.0), _finding("email", "US", started=100.0),
         _finding("advertisingId", "DE", started=250.0))  # fmt: skip
    payload, _ = state.payload()
    assert [(f["property"], f["step"]) for f in payload["findings"]] == [
        ("advertisingId", "login"), ("email", "consent shown"), ("imei", None)
    ]  # fmt: skip
    steps = {s["label"]: s for s in payload["steps"]}
    assert steps[None]["properties"] == ["imei"]
    assert steps["consent shown"]["countries"] == ["US"]
    assert steps["login"]["current"] and not steps["consent shown"]["current"]
    assert payload["refiled"] is False


def test_a_mark_set_for_a_time_already_analysed_refiles_the_recent_findings() -> None:
    state = LiveState("s")
    _add(state, _finding("imei", started=150.0))
    marks = [_mark(1, "consent refused", 120.0)]
    assert state.marks_differ(marks)
    with state.changing():
        assert state.set_marks(marks, analysed_until=150.0)
    payload, _ = state.payload()
    assert payload["findings"][0]["step"] == "consent refused"
    assert payload["refiled"] is True
    # The tallies keep the finding where it was filed; the page says so.
    assert payload["steps"][0]["findings"] == 1 and payload["steps"][1]["findings"] == 0
    assert not state.marks_differ(marks)


@pytest.mark.parametrize("extra", [1, 5])
def test_tls_failures_are_counted_and_the_list_is_bounded(extra: int) -> None:
    state = LiveState("s")
    with state.changing():
        for n in range(MAX_TLS + extra):
            entry = {"host": f"pin{n}.probe.example", "server_ip": "127.0.0.3",
                     "reason": "client does not trust the proxy CA", "side": "client",
                     "country": "US", "time": float(n)}  # fmt: skip
            state.add_tls_failure(entry)
        state.add_tls_failure({**entry, "time": 9999.0})  # the newest again
    payload, _ = state.payload()
    failures = payload["tls_failures"]
    assert len(failures) == MAX_TLS
    assert failures[0]["host"] == entry["host"] and failures[0]["count"] == 2
    assert payload["counters"]["tls_failures"] == MAX_TLS + extra + 1
    assert payload["counters"]["tls_hosts_dropped"] == extra


def test_a_waiting_reader_is_woken_by_a_change_only() -> None:
    state = LiveState("s")
    _, version = state.payload()
    assert state.wait(version, 0.01) == version
    with state.changing():
        state.add_flow("a.probe.example", "CN")
    assert state.wait(version, 0.01) == version + 1
    payload, _ = state.payload()
    assert payload["countries"]["CN"] == {"flows": 1, "properties": 0}
    assert payload["counters"]["hosts"] == 1


def test_only_the_newest_steps_are_listed() -> None:
    state = LiveState("s", clock=lambda: 1e6)
    many = [_mark(n, f"step {n}", float(n)) for n in range(1, MAX_STEPS + 11)]
    with state.changing():
        state.set_marks(many, None)
    payload, _ = state.payload()
    labels = [s["label"] for s in payload["steps"]]
    assert labels[0] is None and labels[1] == "step 11" and labels[-1] == f"step {MAX_STEPS + 10}"
    assert len(labels) == MAX_STEPS + 1 and payload["steps_hidden"] == 10
