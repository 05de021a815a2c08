"""Marks (steps of a session): stored per session, in time order, each flow filed under one."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import LeakmapError
from analyzer.store import Store
from analyzer.store.marks import add_mark, marks, step_of


def test_marks_are_kept_in_time_order_per_session(store: Store) -> None:
    first = store.create_session("a")
    other = store.create_session("b")
    add_mark(store, first, "login", at=200.0, source="page")
    add_mark(store, first, "  consent   refused ", at=100.0)
    add_mark(store, other, "elsewhere", at=150.0, source="import")
    got = marks(store, first)
    assert [(m.label, m.at, m.source) for m in got] == [
        ("consent refused", 100.0, "cli"),
        ("login", 200.0, "page"),
    ]
    assert [m.label for m in marks(store, other)] == ["elsewhere"]


def test_deleting_a_session_deletes_its_marks(store: Store) -> None:
    session = store.create_session("a")
    add_mark(store, session, "login", at=1.0)
    store.delete_session(session)
    assert marks(store, session) == []


@pytest.mark.parametrize(
    ("label", "at", "source"),
    [("", 1.0, "cli"), ("x" * 201, 1.0, "cli"), ("ok", float("nan"), "cli"), ("ok", 1.0, "web")],
)
def test_bad_marks_are_refused(store: Store, label: str, at: float, source: str) -> None:
    session = store.create_session("a")
    with pytest.raises(LeakmapError):
        add_mark(store, session, label, at=at, source=source)
    assert marks(store, session) == []


def test_a_flow_belongs_to_the_step_in_which_it_started() -> None:
    times, labels = [100.0, 200.0], ["consent refused", "login"]
    assert step_of(times, labels, 99.9) is None
    assert step_of(times, labels, 100.0) == "consent refused"
    assert step_of(times, labels, 199.0) == "consent refused"
    assert step_of(times, labels, 250.0) == "login"
    assert step_of(times, labels, None) is None
    assert step_of([], [], 5.0) is None


def test_the_same_step_at_the_same_time_is_stored_once(tmp_path: Path) -> None:
    with Store(str(tmp_path / "lab.db")) as store:
        session_id = store.create_session("s", started_at=1_800_000_000.0)
        add_mark(store, session_id, "login", at=1_800_000_030.0)
        with pytest.raises(LeakmapError, match="marked already"):
            add_mark(store, session_id, " login ", at=1_800_000_030.0)
        add_mark(store, session_id, "login", at=1_800_000_031.0)  # another time: another step
        assert [m.at for m in marks(store, session_id)] == [1_800_000_030.0, 1_800_000_031.0]
