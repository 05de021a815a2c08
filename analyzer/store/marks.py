"""Steps of a session: marks that say "from here on, the researcher is doing X".

A mark is a label and a time (UNIX epoch seconds, like flow timestamps). A step runs from its
mark to the next mark of the session; the flows that started before the first mark belong to no
named step (the report calls that part "before any mark"). Marks are set from the live page,
``leakmap mark`` (now, or ``--at`` a time from notes) or a file given to ``leakmap import``.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select

from analyzer.errors import LeakmapError
from analyzer.store.models import Mark

SOURCES = ("page", "cli", "import")
MAX_LABEL_CHARS = 200


@dataclass(frozen=True, slots=True)
class MarkInfo:
    """A stored mark; ``at``/``created_at`` in epoch seconds; ``source``: page, cli or import."""

    id: int
    label: str
    at: float
    created_at: float
    source: str


def add_mark(
    store: object, session_id: int, label: str, at: float | None = None, source: str = "cli"
) -> MarkInfo:
    """Store a mark for ``session_id`` (``at`` defaults to now); returns it.

    ``store`` is an :class:`analyzer.store.Store`. Raises LeakmapError for an empty or overlong
    label, a time that is not a finite number, an unknown ``source``, or a mark with the same
    label and time that exists already.
    """
    label = " ".join(label.split())
    if not label or len(label) > MAX_LABEL_CHARS:
        raise LeakmapError(f"a step label must have 1 to {MAX_LABEL_CHARS} characters")
    now = time.time()
    at = now if at is None else float(at)
    if not math.isfinite(at):
        raise LeakmapError("a step time must be a finite number of seconds")
    if source not in SOURCES:
        raise LeakmapError(f"unknown mark source {source!r} (one of {', '.join(SOURCES)})")
    with store.engine.begin() as conn:  # type: ignore[attr-defined]
        same = select(Mark.id).where(
            Mark.session_id == session_id, Mark.label == label, Mark.at == at
        )
        if conn.execute(same).first() is not None:  # a command run twice: one step, not two
            raise LeakmapError(f"step {label!r} at that time is marked already")
        mark_id = conn.execute(
            insert(Mark)
            .values(session_id=session_id, label=label, at=at, created_at=now, source=source)
            .returning(Mark.id)
        ).scalar_one()
    return MarkInfo(int(mark_id), label, at, now, source)


def marks(store: object, session_id: int) -> list[MarkInfo]:
    """The session's marks in time order (ties in the order they were set)."""
    statement = (
        select(Mark.id, Mark.label, Mark.at, Mark.created_at, Mark.source)
        .where(Mark.session_id == session_id)
        .order_by(Mark.at, Mark.id)
    )
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        return [MarkInfo(*row) for row in conn.execute(statement)]


def step_of(times: Sequence[float], labels: Sequence[str], at: float | None) -> str | None:
    """The label of the step in which something that started at ``at`` happened.

    ``times``/``labels`` are the marks in time order (as :func:`marks` returns them). None
    before the first mark or when ``at`` is unknown. A flow that starts exactly at a mark
    belongs to that mark's step.
    """
    if at is None or not times:
        return None
    index = bisect.bisect_right(times, at) - 1
    return labels[index] if index >= 0 else None
