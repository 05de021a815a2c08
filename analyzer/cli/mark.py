"""``leakmap mark``: a step of a session starts (consent refused, login, ...), now or at a time."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from analyzer.cli import app
from analyzer.cli.common import DB_DEFAULT, DbOption, fail
from analyzer.errors import LeakmapError

if TYPE_CHECKING:
    from analyzer.store.marks import MarkInfo

FUTURE_SLACK = 60.0  # seconds: clocks of two terminals may differ a little
EARLIEST = 946_684_800.0  # 2000-01-01 UTC: smaller numbers are not times of a capture
_UNIX = re.compile(r"\d{1,12}(\.\d{1,9})?")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?")


def parse_mark_time(
    text: str, now: float | None = None, session_start: float | None = None
) -> float:
    """A step's start as UNIX epoch seconds, from what a researcher types.

    Accepted: UNIX seconds (``1732871000`` or ``1732871000.25``); a clock time, local time
    (``14:03``, ``14:03:12``, ``14:03:12.5``) on the day the session started (``session_start``,
    epoch seconds; the next day when it falls more than 12 hours before the start: a capture
    that ran past midnight), or today for a session without a start; ISO 8601
    (``2024-11-29T14:03:12``, with ``Z`` or an offset; without one, local time). Raises
    LeakmapError (one line) for anything else, for a time before 2000 and for one more than a
    minute after ``now`` (default: the current time).
    """
    now = time.time() if now is None else now
    raw = text.strip()
    if _UNIX.fullmatch(raw):
        at = float(raw)
    elif match := _CLOCK.fullmatch(raw):
        hour, minute = int(match[1]), int(match[2])
        second = int(match[3] or 0)
        fraction = float(match[4] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise LeakmapError(f"--at {raw!r}: not a time of day (HH:MM or HH:MM:SS)")
        day = date.fromtimestamp(now if session_start is None else session_start)
        moment = datetime(day.year, day.month, day.day, hour, minute, second)
        at = moment.timestamp() + fraction
        if session_start is not None and session_start - at > 12 * 3600:
            at = (moment + timedelta(days=1)).timestamp() + fraction
    else:
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise LeakmapError(
                f"--at {raw!r}: give ISO 8601 (2024-11-29T14:03:12), "
                "HH:MM[:SS] on the session's day, or UNIX seconds"
            ) from None
        at = moment.timestamp()  # a naive time is local time
    if at < EARLIEST:
        raise LeakmapError(f"--at {raw!r}: that is before the year 2000")
    if at > now + FUTURE_SLACK:
        raise LeakmapError(f"--at {raw!r}: that is in the future ({_local(at)})")
    return at


@app.command("mark")
def mark_command(
    session: Annotated[
        str, typer.Argument(metavar="SESSION", help="The session: being captured, or recorded.")
    ],
    label: Annotated[
        str | None,
        typer.Argument(
            metavar="LABEL", help='The step that starts: "consent refused", "login", ...'
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="When the step started, for a mark set afterwards (from notes or a screen "
            "recording): ISO 8601, HH:MM[:SS] (local time, on the day the session started), "
            "or UNIX seconds. Default: now.",
        ),
    ] = None,
    list_marks: Annotated[
        bool, typer.Option("--list", help="Print the session's steps instead of adding one.")
    ] = False,
    db: DbOption = DB_DEFAULT,
) -> None:
    """Mark the start of a step of a session; every flow that starts from then on (until the
    next mark) belongs to it, in the live page and in the reports.

    Example: leakmap mark meitu-9.1 "consent refused"

    Example: leakmap mark meitu-9.1 login --at 14:03:12
    """
    from analyzer.store import Store
    from analyzer.store.marks import add_mark, marks

    if list_marks and (label is not None or at is not None):
        fail("--list takes no LABEL and no --at", 2)
    if not list_marks and label is None:
        fail('give the step that starts (leakmap mark SESSION "consent refused"), or --list', 2)
    with Store(db, create=False) as store:
        info = store.session(session)
        when = parse_mark_time(at, session_start=info.started_at) if at is not None else None
        if list_marks:
            _print_marks(marks(store, info.id))
            return
        assert label is not None
        mark = add_mark(store, info.id, label, at=when, source="cli")
    typer.echo(f'step "{_printable(mark.label)}" from {_local(mark.at)} in session {session!r}')
    if info.started_at is not None and mark.at < info.started_at:
        note = f"note: that is before the session started ({_local(info.started_at)})"
        typer.echo(note, err=True)
    elif info.ended_at is not None and mark.at > info.ended_at:
        typer.echo(f"note: that is after the session ended ({_local(info.ended_at)})", err=True)


def _print_marks(found: list[MarkInfo]) -> None:
    if not found:
        typer.echo("no steps marked yet")
        return
    typer.echo(f"{'from (local time)':<24} {'source':<7} step")
    for mark in found:
        typer.echo(f"{_local(mark.at):<24} {mark.source:<7} {_printable(mark.label)}")


def _local(at: float) -> str:
    moment = datetime.fromtimestamp(at)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + f".{moment.microsecond // 1000:03d}"


def _printable(text: str) -> str:
    """No terminal escape or other control character reaches the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
