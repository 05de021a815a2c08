"""The SQLAlchemy-free session list gives what the full store gives, or declines."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from analyzer.store import SessionInfo, Store
from analyzer.store.catalog import read_sessions_sqlite
from tests.support.report import flow, make_session


def _store_with_two_sessions(path: Path) -> list[SessionInfo]:
    with Store(str(path)) as store:
        make_session(store, "first", [flow("https://a.example/"), flow("http://b.example/x")])
        store.create_session("empty", started_at=2_000_000_000.0)
        return store.sessions()


def test_quick_list_equals_the_stores(tmp_path: Path) -> None:
    db = tmp_path / "lab.db"
    expected = _store_with_two_sessions(db)
    assert [s.flows for s in expected] == [2, 0]
    assert read_sessions_sqlite(db) == expected


def test_quick_list_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "lab.db"
    _store_with_two_sessions(db)
    before = db.read_bytes()
    read_sessions_sqlite(db)
    assert db.read_bytes() == before


def test_declines_a_missing_file_or_another_revision(tmp_path: Path) -> None:
    assert read_sessions_sqlite(tmp_path / "none.db") is None
    db = tmp_path / "lab.db"
    _store_with_two_sessions(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    assert read_sessions_sqlite(db) is None


def test_declines_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    assert read_sessions_sqlite(text) is None
