"""Steps from a file: ``leakmap import ... --marks steps.csv``.

The file has one step a line, ``time,label`` (CSV) or ``time<TAB>label`` (TSV), as a researcher
writes them from a screen recording's notes::

    time,label
    2026-03-02T10:15:04+01:00,consent shown
    2026-03-02T10:15:09+01:00,"consent refused, then closed"
    1772442930.5,login

``time`` is ISO 8601 with a UTC offset (``Z`` or ``+01:00``; a time without one is refused,
since the phone's and the laptop's clocks may be in different zones) or UNIX seconds. A first
line ``time,label`` is a header; empty lines and lines starting with ``#`` are skipped. Labels
follow :func:`analyzer.store.marks.add_mark` (1 to 200 characters; inner white space collapsed).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from analyzer.errors import LeakmapError
from analyzer.files import read_bounded
from analyzer.store.marks import MAX_LABEL_CHARS

MAX_MARKS_BYTES = 1024 * 1024
MAX_MARKS = 10_000


@dataclass(frozen=True, slots=True)
class MarkLine:
    """One step of a marks file: its line number, time (epoch seconds) and label."""

    line: int
    at: float
    label: str


def read_marks(path: Path) -> list[MarkLine]:
    """The steps of a marks file, in file order.

    Raises LeakmapError with one line naming the file and the line that is wrong (a time that
    is neither ISO 8601 with an offset nor UNIX seconds, an empty or overlong label, a missing
    separator), or when the file is not UTF-8 text, over 1 MiB or over 10,000 steps.
    """
    raw = read_bounded(path, MAX_MARKS_BYTES, f"marks file {path}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LeakmapError(f"marks file {path}: not UTF-8 text (byte {error.start})") from None
    lines = text.splitlines()
    delimiter = "\t" if any("\t" in line for line in lines[:20]) else ","
    marks: list[MarkLine] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        when, separator, label = line.partition(delimiter)
        if not separator:
            raise LeakmapError(
                f"marks file {path}, line {number}: expected time{_name(delimiter)}label"
            )
        when, label = when.strip().strip('"'), label.strip()
        if label.startswith('"'):  # a quoted CSV field: "consent refused, then closed"
            label = next(csv.reader([label], delimiter=delimiter))[0]
        if not marks and when.lower() == "time" and label.lower() == "label":
            continue  # the header
        at = parse_time(when)
        if at is None:
            raise LeakmapError(
                f"marks file {path}, line {number}: {when[:40]!r} is not a time (ISO 8601 with "
                "an offset, e.g. 2026-03-02T10:15:04+01:00, or UNIX seconds)"
            )
        label = " ".join(label.split())
        if not label or len(label) > MAX_LABEL_CHARS:
            raise LeakmapError(
                f"marks file {path}, line {number}: a step label must have 1 to "
                f"{MAX_LABEL_CHARS} characters"
            )
        marks.append(MarkLine(number, at, label))
        if len(marks) > MAX_MARKS:
            raise LeakmapError(f"marks file {path}: more than {MAX_MARKS} steps")
    if not marks:
        raise LeakmapError(
            f"marks file {path}: no steps in it (lines of time{_name(delimiter)}label)"
        )
    return marks


def parse_time(text: str) -> float | None:
    """Epoch seconds of ISO 8601 with a UTC offset, or of UNIX seconds; None otherwise."""
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        return value if math.isfinite(value) and value >= 0 else None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


def _name(delimiter: str) -> str:
    return "<TAB>" if delimiter == "\t" else ","
