"""Follow a session in the store while the recorder writes it: what is new since the last look.

The recorder's writer commits flows in batches, in id order, from one thread per session, so a
session's rows become visible in id order: "rows with id > the last one seen" never skips one.
Each look is a short read transaction (SQLite in WAL mode lets the writer go on meanwhile) and
is bounded: at most ``max_rows`` rows and about ``max_bytes`` of request bodies, so a burst of
big uploads is read over several looks rather than all at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from analyzer.detect.parallel import Request
from analyzer.store.marks import MarkInfo, marks
from analyzer.store.models import Flow, Session, TlsFailure, WebSocketMessage

MAX_ROWS = 200
MAX_BYTES = 8 * 1024 * 1024

# What the live analysis reads of a flow: the request side for detection (the columns of
# detection's Request, in its order) and what places the flow (server, time, scheme).
FLOW_COLUMNS: tuple[str, ...] = (
    *Request._fields,
    "sni",
    "server_ip",
    "scheme",
    "method",
    "timestamp_start",
    "websocket",
)


class StoreTail:
    """New rows of one session, in id order, remembered between calls.

    ``StoreTail(store, session_id)``; each of :meth:`flows`, :meth:`client_messages` and
    :meth:`tls_failures` returns the rows added since its previous call (at most ``max_rows``;
    call again while a call returns a full batch). Rows are SQLAlchemy rows with the columns as
    attributes. Database errors propagate (the caller decides whether to retry).
    """

    def __init__(
        self,
        store: Any,
        session_id: int,
        *,
        max_rows: int = MAX_ROWS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.last_flow = 0
        self.last_message = 0
        self.last_failure = 0

    def flows(self) -> list[Any]:
        """New flows (columns :data:`FLOW_COLUMNS`), bounded in rows and body bytes."""
        table = Flow.__table__
        rows = self._bounded(
            table,
            (table.c.session_id == self.session_id, table.c.id > self.last_flow),
            table.c.request_body,
            [table.c[name] for name in FLOW_COLUMNS],
        )
        if rows:
            self.last_flow = rows[-1].id
        return rows

    def client_messages(self) -> list[Any]:
        """New WebSocket messages the phone sent (id, flow_id, from_client, is_text, content,
        timestamp), bounded in rows and bytes like :meth:`flows`."""
        table = WebSocketMessage.__table__
        columns = ("id", "flow_id", "from_client", "is_text", "content", "timestamp")
        rows = self._bounded(
            table,
            (
                table.c.session_id == self.session_id,
                table.c.id > self.last_message,
                table.c.from_client,
            ),
            table.c.content,
            [table.c[name] for name in columns],
        )
        if rows:
            self.last_message = rows[-1].id
        return rows

    def _bounded(
        self, table: Any, where: tuple[Any, ...], payload: Any, columns: list[Any]
    ) -> list[Any]:
        """Rows of ``table`` matching ``where`` in id order: at most :attr:`max_rows`, and as
        many as fit in :attr:`max_bytes` of ``payload`` (at least one). The sizes are read
        first, so a burst of large bodies never comes into memory at once."""
        sizes = (
            select(table.c.id, func.coalesce(func.length(payload), 0))
            .where(*where)
            .order_by(table.c.id)
            .limit(self.max_rows)
        )
        with self.store.engine.connect() as conn:
            pending = conn.execute(sizes).all()
            if not pending:
                return []
            last = _prefix_end(pending, self.max_bytes)
            statement = select(*columns).where(*where, table.c.id <= last).order_by(table.c.id)
            return list(conn.execute(statement).all())

    def tls_failures(self) -> list[Any]:
        """New TLS handshake failures (all columns of ``tls_failures``)."""
        table = TlsFailure.__table__
        statement = (
            select(table)
            .where(table.c.session_id == self.session_id, table.c.id > self.last_failure)
            .order_by(table.c.id)
            .limit(self.max_rows)
        )
        with self.store.engine.connect() as conn:
            rows = conn.execute(statement).all()
        if rows:
            self.last_failure = rows[-1].id
        return rows

    def flows_waiting(self) -> int:
        """Flows stored but not yet returned by :meth:`flows` (the live view's backlog)."""
        statement = select(func.count(Flow.id)).where(
            Flow.session_id == self.session_id, Flow.id > self.last_flow
        )
        with self.store.engine.connect() as conn:
            return int(conn.execute(statement).scalar_one())

    def flow_places(self, flow_ids: Sequence[int]) -> dict[int, Any]:
        """Host, server and start time of the given flows (for WebSocket messages whose flow
        was read long ago)."""
        if not flow_ids:
            return {}
        table = Flow.__table__
        statement = select(
            *(table.c[name] for name in ("id", "host", "sni", "server_ip", "scheme")),
            table.c.timestamp_start,
        ).where(table.c.session_id == self.session_id, table.c.id.in_(list(flow_ids)))
        with self.store.engine.connect() as conn:
            return {row.id: row for row in conn.execute(statement)}

    def marks(self) -> list[MarkInfo]:
        """All marks of the session, in time order (few: read whole every time)."""
        return marks(self.store, self.session_id)

    def session_ended(self) -> bool:
        """True once the capture has ended the session."""
        statement = select(Session.ended_at).where(Session.id == self.session_id)
        with self.store.engine.connect() as conn:
            return conn.execute(statement).scalar() is not None


def _prefix_end(pending: Sequence[Any], max_bytes: int) -> int:
    """The id of the last row of the longest prefix within ``max_bytes`` (at least one row)."""
    total = 0
    last = pending[0][0]
    for row_id, size in pending:
        total += int(size or 0)
        if total > max_bytes and row_id != pending[0][0]:
            break
        last = row_id
    return int(last)
