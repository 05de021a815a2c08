"""The list of sessions: the one query ``leakmap sessions`` runs, readable without SQLAlchemy.

``leakmap sessions`` is the command a user types most, and importing SQLAlchemy and the ORM
models costs it more than the query does. For a SQLite store, :func:`read_sessions_sqlite` runs
the same SQL (:data:`SESSIONS_SQL`, also what :meth:`analyzer.store.Store.sessions` executes)
through the standard library's ``sqlite3``, read-only; it declines (returns None) whenever the
full store must decide: a missing file, a schema revision other than this leakmap's, any
SQLite error. The caller then opens :class:`analyzer.store.Store`, which explains or upgrades.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import quote

from analyzer.store.revisions import head_revision


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One session as listed: the ``sessions`` row's columns (times in Unix seconds) and the
    number of flows recorded for it."""

    id: int
    name: str
    app: str | None
    app_version: str | None
    device: str | None
    platform: str | None
    mode: str | None
    started_at: float | None
    ended_at: float | None
    tool_version: str | None
    notes: str | None
    flows: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


SESSION_COLUMNS = tuple(f.name for f in fields(SessionInfo) if f.name != "flows")
# Plain SQL that SQLite and PostgreSQL both run: sessions in start order with their flow counts.
SESSIONS_SQL = (
    "SELECT "
    + ", ".join(f"s.{name}" for name in SESSION_COLUMNS)
    + ", COALESCE(c.flows, 0) AS flows FROM sessions AS s"
    " LEFT OUTER JOIN (SELECT session_id, COUNT(id) AS flows FROM flows GROUP BY session_id)"
    " AS c ON c.session_id = s.id ORDER BY s.started_at, s.id"
)


def session_info(row: Mapping[str, Any], flows: int | None = None) -> SessionInfo:
    """A :class:`SessionInfo` from a row mapping with the :data:`SESSION_COLUMNS` keys (and
    ``flows`` unless given)."""
    values = {name: row[name] for name in SESSION_COLUMNS}
    return SessionInfo(**values, flows=int(row["flows"] if flows is None else flows))


def read_sessions_sqlite(path: Path) -> list[SessionInfo] | None:
    """The sessions of the SQLite store at ``path``, read-only through ``sqlite3``; None where
    the full store must answer instead (no file, another schema revision, a SQLite error)."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    try:
        conn.row_factory = sqlite3.Row
        stamped = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
        if stamped != [head_revision()]:
            return None
        return [session_info(row) for row in conn.execute(SESSIONS_SQL)]
    except sqlite3.Error:
        return None
    finally:
        conn.close()
