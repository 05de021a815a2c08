"""What each distinct value holds, found once: the value scans of the detectors, remembered.

Where a known value or a format sits in a value depends on the value alone, and a session repeats
its device's model, app version and event names in thousands of flows. A :class:`ValueMemo`
scans only the values a flow brings that it has not seen, all of them in one pass over their
NUL-joined text (:func:`joined`, :func:`by_value`), and remembers the answer for every value up
to ``max_chars``: those that hold nothing (most) in a set, in C.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate

SEPARATOR = "\x00"  # frames every value in the joined text; no variant or format contains it
_LIMIT: int | None = None  # set by limit_memos: a bound for every memo of this process
_MEMOS: weakref.WeakSet[ValueMemo[object]] = weakref.WeakSet()

# A scan: values -> what each holds (by index), as (what, start, end) within the value.
type Scan[T] = Callable[[list[str]], dict[int, list[tuple[T, int, int]]]]


def joined(values: Sequence[str]) -> str:
    """``"\\0v1\\0v2\\0"``: a value between two NULs is a whole value."""
    return f"{SEPARATOR}{SEPARATOR.join(values)}{SEPARATOR}"


def by_value[T](
    values: Sequence[str], spans: list[tuple[T, int, int]]
) -> dict[int, list[tuple[T, int, int]]]:
    """Spans found in ``joined(values)`` (start:end of that text), per value index, relative to
    the value."""
    per_value: dict[int, list[tuple[T, int, int]]] = {}
    if spans:
        starts = list(accumulate([len(value) + 1 for value in values], initial=1))
        for found, start, end in spans:
            index = bisect_right(starts, start) - 1
            offset = starts[index]
            per_value.setdefault(index, []).append((found, start - offset, end - offset))
    return per_value


class ValueMemo[T]:
    """Remembers ``scan``'s answer per value; bounded to ``max_values`` remembered values."""

    def __init__(self, scan: Scan[T], max_values: int = 200_000, max_chars: int = 256) -> None:
        self.scan = scan
        self.max_values = max_values if _LIMIT is None else min(max_values, _LIMIT)
        self.max_chars = max_chars
        self._clean: set[str] = set()
        self._held: dict[str, tuple[tuple[T, int, int], ...]] = {}
        _MEMOS.add(self)  # type: ignore[arg-type]

    def lookup(self, values: set[str]) -> dict[str, Sequence[tuple[T, int, int]]]:
        """The values that hold something, with what and where; the others are left out."""
        held = self._held
        new = values - self._clean
        if new:
            new -= held.keys()
        out: dict[str, Sequence[tuple[T, int, int]]] = {
            value: held[value] for value in values & held.keys()
        }
        if new:
            out.update(self._scan_new(new))
        return out

    def clear(self) -> None:
        self._clean.clear()
        self._held.clear()

    def _scan_new(self, values: set[str]) -> dict[str, list[tuple[T, int, int]]]:
        ordered = list(values)
        if len(self._clean) + len(self._held) + len(ordered) > self.max_values:
            self.clear()
        fresh = {ordered[index]: spans for index, spans in self.scan(ordered).items()}
        if max(map(len, ordered)) > self.max_chars:
            ordered = [value for value in ordered if len(value) <= self.max_chars]
        self._clean.update(ordered)
        if fresh:
            self._clean.difference_update(fresh)
            for value, spans in fresh.items():
                if len(value) <= self.max_chars:
                    self._held[value] = tuple(spans)
        return fresh


def limit_memos(max_values: int) -> None:
    """Bound every value memo of this process, now and later, to ``max_values`` values.

    For a process that runs for hours on traffic that keeps bringing new values (nonces, times):
    the live view trades a little speed for memory that stays flat. Memos over the bound start
    afresh.
    """
    global _LIMIT
    _LIMIT = max_values
    for memo in list(_MEMOS):
        memo.max_values = min(memo.max_values, max_values)
        if len(memo._clean) + len(memo._held) > memo.max_values:
            memo.clear()
