"""Opening the store (SQLite file or PostgreSQL URL) and the queries everything else uses."""

from __future__ import annotations

import json
import os
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Connection as DbConnection
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from analyzer import __version__
from analyzer.errors import LeakmapError
from analyzer.store import records as rec
from analyzer.store.catalog import SESSIONS_SQL, SessionInfo, session_info
from analyzer.store.models import Connection, Flow, Mark, Session, TlsFailure, WebSocketMessage
from analyzer.store.schema import SQLITE_BEGIN, ensure_schema

DEFAULT_DB = "leakmap.db"
STREAM_BATCH = 500


def database_url(db: str) -> str:
    """``leakmap.db`` -> ``sqlite:////abs/leakmap.db``; URLs (``postgresql+psycopg://``) as is."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def _create_private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only: it will hold personal data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (_sqlite_begin), so that DDL is transactional too and a
    # schema creation can take the write lock up front (BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: DbConnection) -> None:
    conn.exec_driver_sql(conn.info.pop(SQLITE_BEGIN, "BEGIN"))


class Store:
    """A leakmap database. Readers call its methods; the recorder writes through ``Writer``."""

    def __init__(
        self, db: str = DEFAULT_DB, *, create: bool = True, check_schema: bool = True
    ) -> None:
        self.url = database_url(db)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            path = Path(self.url.removeprefix("sqlite:///"))
            if not path.exists():
                if not create:
                    raise LeakmapError(f"no database at {path} (capture or import a session first)")
                _create_private_file(path)
            self.engine: Engine = create_engine(self.url)
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            try:
                self.engine = create_engine(self.url, pool_pre_ping=True)
            except (SQLAlchemyError, ImportError, ValueError) as error:
                raise LeakmapError(f"cannot use database {self.display_url}: {error}") from None
        if check_schema:
            try:
                ensure_schema(self.engine, self.display_url)
            except SQLAlchemyError as error:
                raise LeakmapError(
                    f"cannot open database {self.display_url}: {short_error(error)}"
                ) from None

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- sessions ------------------------------------------------------------------------------

    def create_session(
        self,
        name: str,
        *,
        app: str | None = None,
        app_version: str | None = None,
        device: str | None = None,
        platform: str | None = None,
        mode: str | None = None,
        notes: str | None = None,
        started_at: float | None = None,
        connection: DbConnection | None = None,
    ) -> int:
        """Insert a session; a name that exists already is an error (sessions are never merged)."""
        check_session_name(name)
        values = {
            "name": name,
            "app": app,
            "app_version": app_version,
            "device": device,
            "platform": platform,
            "mode": mode,
            "notes": notes,
            "started_at": started_at if started_at is not None else time.time(),
            "tool_version": __version__,
        }
        statement = insert(Session).values(**values).returning(Session.id)
        try:
            if connection is not None:
                with connection.begin_nested():
                    return int(connection.execute(statement).scalar_one())
            with self.engine.begin() as conn:
                return int(conn.execute(statement).scalar_one())
        except IntegrityError:
            raise LeakmapError(
                f"session {name!r} exists already; choose another --session name"
            ) from None

    def end_session(self, session_id: int, ended_at: float | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(Session)
                .where(Session.id == session_id)
                .values(ended_at=ended_at if ended_at is not None else time.time())
            )

    def delete_session(self, session_id: int) -> None:
        with self.engine.begin() as conn:
            for table in (WebSocketMessage, TlsFailure, Connection, Mark, Flow):
                conn.execute(delete(table).where(table.session_id == session_id))
            conn.execute(delete(Session).where(Session.id == session_id))

    def sessions(self) -> list[SessionInfo]:
        """Every session in start order, with its flow count (:data:`catalog.SESSIONS_SQL`)."""
        with self.engine.connect() as conn:
            return [session_info(row._mapping) for row in conn.exec_driver_sql(SESSIONS_SQL)]

    def session_id(self, name: str) -> int | None:
        """The id of the session called ``name``, or None: one indexed lookup, no counting."""
        with self.engine.connect() as conn:
            return conn.execute(select(Session.id).where(Session.name == name)).scalar()

    def session(self, name: str) -> SessionInfo:
        statement = select(Session.__table__).where(Session.name == name)
        with self.engine.connect() as conn:
            row = conn.execute(statement).first()
            if row is None:
                known = ", ".join(s.name for s in self.sessions()[:10]) or "none yet"
                raise LeakmapError(f"no session named {name!r} (sessions: {known})")
            flows = conn.execute(
                select(func.count(Flow.id)).where(Flow.session_id == row.id)
            ).scalar_one()
        return session_info(row._mapping, flows)

    # --- reading flows (streamed: memory does not grow with the session) ----------------------

    def iter_flows(
        self,
        session_id: int,
        columns: Sequence[str] | None = None,
        batch: int = STREAM_BATCH,
    ) -> Iterator[Row[Any]]:
        """The session's flows in id order, streamed. ``columns`` selects what a pass reads
        (detection reads the request side only): bodies are the bulk of a row, up to 1.25 MiB."""
        table = Flow.__table__
        selected = [table.c[name] for name in columns] if columns else [table]
        statement = select(*selected).where(Flow.session_id == session_id).order_by(Flow.id)
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(statement)
            yield from result

    def client_messages(self, session_id: int) -> Iterator[Row[Any]]:
        """The phone's WebSocket messages (flow_id, from_client, is_text, content), by flow."""
        table = WebSocketMessage.__table__
        statement = (
            select(table.c.flow_id, table.c.from_client, table.c.is_text, table.c.content)
            .where(WebSocketMessage.session_id == session_id, WebSocketMessage.from_client)
            .order_by(WebSocketMessage.flow_id, WebSocketMessage.id)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(
                statement
            )
            yield from result

    def websocket_messages(self, session_id: int) -> Iterator[Row[Any]]:
        statement = (
            select(WebSocketMessage.__table__)
            .where(WebSocketMessage.session_id == session_id)
            .order_by(WebSocketMessage.flow_id, WebSocketMessage.id)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(
                statement
            )
            yield from result

    def tls_failures(self, session_id: int) -> list[Row[Any]]:
        statement = (
            select(TlsFailure.__table__)
            .where(TlsFailure.session_id == session_id)
            .order_by(TlsFailure.id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(statement))

    def connections(self, session_id: int) -> list[Row[Any]]:
        statement = (
            select(Connection.__table__)
            .where(Connection.session_id == session_id)
            .order_by(Connection.id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(statement))

    def last_activity(self, session_id: int) -> float | None:
        """When the session's last flow ended (imports use it as the session's end)."""
        statement = select(func.max(func.coalesce(Flow.timestamp_end, Flow.timestamp_start))).where(
            Flow.session_id == session_id
        )
        with self.engine.connect() as conn:
            return conn.execute(statement).scalar_one()

    def counts(self, session_id: int) -> dict[str, int]:
        """Rows per table for one session (the live counters and tests use it)."""
        out: dict[str, int] = {}
        with self.engine.connect() as conn:
            for key, table in (
                ("flows", Flow),
                ("websocket_messages", WebSocketMessage),
                ("tls_failures", TlsFailure),
                ("connections", Connection),
            ):
                out[key] = conn.execute(
                    select(func.count()).select_from(table).where(table.session_id == session_id)
                ).scalar_one()
        return out


def write_records(
    conn: DbConnection,
    session_id: int,
    records: Iterable[rec.Record],
    limits: rec.Limits,
    websocket_flow_ids: dict[str, int],
) -> int:
    """Insert a batch of records in the caller's transaction; returns how many were inserted.

    ``websocket_flow_ids`` maps mitmproxy flow ids of WebSocket flows to their row ids, so that
    messages recorded in later batches find their flow; it is updated here.
    """
    flows: list[dict[str, Any]] = []
    messages: list[rec.WebSocketRecord] = []
    tls_failures: list[dict[str, Any]] = []
    connections: list[dict[str, Any]] = []
    count = 0
    for record in records:
        count += 1
        if isinstance(record, rec.FlowRecord):
            row = rec.flow_row(record, session_id, limits)
            if record.websocket and record.mitm_id:
                flow_id = conn.execute(insert(Flow).values(**row).returning(Flow.id)).scalar_one()
                websocket_flow_ids[record.mitm_id] = flow_id
            else:
                flows.append(row)
        elif isinstance(record, rec.WebSocketRecord):
            messages.append(record)
        elif isinstance(record, rec.TlsFailureRecord):
            tls_failures.append(rec.tls_failure_row(record, session_id))
        else:
            connections.append(rec.connection_row(record, session_id))
    if flows:
        _insert_flows(conn, flows)
    if messages:
        rows = [
            rec.websocket_row(
                m, session_id, _websocket_flow_id(conn, m.flow_mitm_id, websocket_flow_ids), limits
            )
            for m in messages
        ]
        conn.execute(insert(WebSocketMessage), rows)
    if tls_failures:
        conn.execute(insert(TlsFailure), tls_failures)
    if connections:
        conn.execute(insert(Connection), connections)
    return count


_FLOW_COLUMNS = tuple(column.name for column in Flow.__table__.columns if column.name != "id")
_JSON_COLUMNS = frozenset({"request_headers", "response_headers"})


def _insert_flows(conn: DbConnection, rows: list[dict[str, Any]]) -> None:
    """One executemany straight to the driver.

    The writer shares the proxy's GIL, so its CPU is taken from the event loop; SQLAlchemy's
    per-row parameter processing was most of that CPU (profiled under load). JSON columns are
    serialised here exactly as SQLAlchemy's JSON type would (json.dumps), so reads are unchanged.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO flows ({', '.join(_FLOW_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_FLOW_COLUMNS))})"
    )
    params = [
        tuple(
            json.dumps(row[name]) if name in _JSON_COLUMNS and row.get(name) is not None
            else row.get(name)
            for name in _FLOW_COLUMNS
        )
        for row in rows
    ]  # fmt: skip
    conn.exec_driver_sql(sql, params)


def _websocket_flow_id(conn: DbConnection, mitm_id: str, known: dict[str, int]) -> int | None:
    if mitm_id not in known:
        found = conn.execute(
            select(Flow.id).where(Flow.mitm_id == mitm_id).order_by(Flow.id.desc())
        ).first()
        if found is None:
            return None
        known[mitm_id] = found[0]
    return known[mitm_id]


def check_session_name(name: str) -> None:
    """Raise LeakmapError unless ``name`` can name a session: 1 to 200 characters, not only
    spaces, none at either end (a name typed again would miss it), no control characters (it is
    printed in tables and used in report file names)."""
    if not name or len(name) > 200:
        raise LeakmapError("a session name must have 1 to 200 characters")
    if not name.strip():
        raise LeakmapError("a session name must have a character other than spaces")
    if name != name.strip():
        raise LeakmapError(f"session name {name!r} starts or ends with a space")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise LeakmapError(f"session name {name!r} has a control character")


def short_error(error: Exception) -> str:
    """The first line of a database error, without SQLAlchemy's background link."""
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


__all__ = [
    "DEFAULT_DB",
    "OperationalError",
    "SessionInfo",
    "Store",
    "database_url",
    "write_records",
]
