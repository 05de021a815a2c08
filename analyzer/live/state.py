"""What the live page shows, kept small and shared between the analysis and the page's readers.

One thread (the analysis loop) changes the state; the web server's threads read it. Every part
is bounded whatever the length of the session: the newest findings (:data:`RECENT`), the TLS
failures (:data:`MAX_TLS`, the oldest give way), the decoder notes, the hosts counted one by one
(:data:`MAX_HOSTS`, then only counted); the matrix and the map grow with properties x countries,
which the vocabulary and ISO 3166 bound.

Readers get JSON-ready dicts: :meth:`LiveState.payload` returns either a *snapshot* (every
part, all recent findings) or an *update* (every part, the findings newer than the reader's last
one); :meth:`LiveState.wait` blocks a reader until something changed.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from analyzer.store.marks import MarkInfo, step_of
from analyzer.vocabulary import PROPERTIES, label

RECENT = 200  # newest findings kept for the page
MAX_TLS = 200  # distinct (host, server, reason) TLS failures listed
MAX_NOTES = 50  # newest decoder notes listed (all are counted)
MAX_HOSTS = 50_000  # distinct hosts remembered for the counter
MAX_STEPS = 100  # the newest steps listed (with "before any mark")
UNKNOWN = "unknown"  # the country key of servers GeoIP does not place
BEFORE = ""  # the step key of what happened before the first mark
_ORDER = {prop: index for index, prop in enumerate(PROPERTIES)}


@dataclass(slots=True)
class _Step:
    findings: int = 0
    properties: dict[str, None] = field(default_factory=dict)
    countries: dict[str, None] = field(default_factory=dict)


@dataclass(slots=True)
class _Country:
    flows: int = 0
    properties: dict[str, None] = field(default_factory=dict)


class LiveState:
    """The live view's state. Change it inside ``with state.changing():`` (one writer); read it
    with :meth:`payload` from any thread."""

    def __init__(self, session_name: str, *, clock: Any = time.time) -> None:
        self._cond = threading.Condition()
        self._clock = clock
        self.version = 0
        self.status = "waiting"  # waiting (for the capture to start) | recording | ended
        self.session: dict[str, Any] = {"name": session_name}
        self.flows = 0
        self.messages = 0
        self.findings = 0
        self.placeholders = 0
        self.behind = 0
        self.tls_total = 0
        self.notes_total = 0
        self.errors = 0
        self._hosts: set[str] = set()
        self._hosts_more = 0
        self._matrix: dict[str, dict[str, int]] = {}
        self._countries: dict[str, _Country] = {}
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self._last_n = 0
        self._tls: OrderedDict[tuple[str, str | None, str | None], dict[str, Any]] = OrderedDict()
        self._tls_dropped = 0
        self._notes: deque[str] = deque(maxlen=MAX_NOTES)
        self._marks: list[MarkInfo] = []
        self._times: list[float] = []
        self._keys: list[str] = []
        self._steps: dict[str, _Step] = {BEFORE: _Step()}
        self.refiled = False  # a mark was set for a time already analysed

    # --- writing (the analysis thread) ----------------------------------------------------------

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the lock while changing; readers are woken when the block ends."""
        with self._cond:
            yield
            self.version += 1
            self._cond.notify_all()

    def step_key(self, started: float | None) -> str:
        """The key of the step in which something that started at ``started`` happened."""
        return step_of(self._times, self._keys, started) or BEFORE

    def step_label(self, key: str) -> str | None:
        for mark in self._marks:
            if str(mark.id) == key:
                return mark.label
        return None

    def marks_differ(self, marks: Sequence[MarkInfo]) -> bool:
        """True when ``marks`` are not the ones the state has (the writer's own check)."""
        return [m.id for m in marks] != [m.id for m in self._marks]

    def set_marks(self, marks: Sequence[MarkInfo], analysed_until: float | None) -> bool:
        """Take the session's marks (time order); True when they changed. Findings already
        filed stay in their step's tallies; the recent ones are filed again by the new marks.
        ``analysed_until``: the latest start time of an analysed flow."""
        if not self.marks_differ(marks):
            return False
        known = {m.id for m in self._marks}
        late = [m for m in marks if m.id not in known]
        if analysed_until is not None and any(m.at <= analysed_until for m in late):
            self.refiled = True
        self._marks = list(marks)
        self._times = [m.at for m in marks]
        self._keys = [str(m.id) for m in marks]
        for key in self._keys:
            self._steps.setdefault(key, _Step())
        for finding in self._recent:
            key = self.step_key(finding["started"])
            finding["step"] = self.step_label(key)
        return True

    def add_flow(self, host: str, country: str | None) -> None:
        self.flows += 1
        if host not in self._hosts:
            if len(self._hosts) < MAX_HOSTS:
                self._hosts.add(host)
            else:
                self._hosts_more += 1
        self._country(country).flows += 1

    def add_finding(self, finding: dict[str, Any]) -> None:
        """A finding as the page shows it (see :mod:`analyzer.live.analysis`): ``property``,
        ``country``, ``started`` (its flow's start, epoch seconds), ``placeholder``, ..."""
        self._last_n += 1
        key = self.step_key(finding["started"])
        finding = {**finding, "n": self._last_n, "step": self.step_label(key)}
        self._recent.append(finding)
        if finding["placeholder"]:
            self.placeholders += 1  # shown, never counted as the person's data
            return
        self.findings += 1
        prop, code = finding["property"], finding["country"] or UNKNOWN
        row = self._matrix.setdefault(prop, {})
        row[code] = row.get(code, 0) + 1
        self._country(finding["country"]).properties[prop] = None
        step = self._steps.setdefault(key, _Step())
        step.findings += 1
        step.properties[prop] = None
        step.countries[code] = None

    def add_tls_failure(self, entry: dict[str, Any]) -> None:
        """A TLS failure: ``host``, ``server_ip``, ``reason``, ``side``, ``country``, ``time``."""
        self.tls_total += 1
        key = (entry["host"], entry["server_ip"], entry["reason"])
        known = self._tls.get(key)
        if known is None:
            known = self._tls[key] = {**entry, "count": 0, "first": entry["time"]}
            if len(self._tls) > MAX_TLS:
                self._tls.popitem(last=False)
                self._tls_dropped += 1
        known["count"] += 1
        known["last"] = entry["time"]
        self._tls.move_to_end(key)

    def add_note(self, note: str) -> None:
        self.notes_total += 1
        self._notes.append(note)

    # --- reading (any thread) -------------------------------------------------------------------

    def wake(self) -> None:
        """Wake every waiting reader (when the server stops)."""
        with self._cond:
            self._cond.notify_all()

    def wait(self, version: int, timeout: float) -> int:
        """Block until the state is newer than ``version`` or ``timeout`` seconds pass; returns
        the version now."""
        with self._cond:
            if self.version <= version:
                self._cond.wait(timeout)
            return self.version

    def payload(self, since: int | None = None) -> tuple[dict[str, Any], int]:
        """``(payload, version)``. ``since`` is the ``n`` of the newest finding the reader has;
        None, or one that has left the recent list, gives a snapshot."""
        with self._cond:
            oldest = self._recent[0]["n"] if self._recent else self._last_n + 1
            snapshot = since is None or since < oldest - 1 or since > self._last_n
            if snapshot:
                findings = list(self._recent)
            else:
                findings = [f for f in self._recent if f["n"] > since]
            findings.reverse()  # newest first
            body = {
                "kind": "snapshot" if snapshot else "update",
                "version": self.version,
                "last": self._last_n,
                "status": self.status,
                "session": dict(self.session),
                "counters": self._counters(),
                "findings": [_public(f) for f in findings],
                "matrix": self._matrix_dict(),
                "countries": {
                    code: {"flows": c.flows, "properties": len(c.properties)}
                    for code, c in sorted(self._countries.items())
                },
                "tls_failures": [dict(t) for t in reversed(self._tls.values())],
                "steps": self._steps_list(),
                "steps_hidden": max(0, len(self._marks) - MAX_STEPS),
                "refiled": self.refiled,
                "notes": list(self._notes),
            }
            return body, self.version

    # --- internals ------------------------------------------------------------------------------

    def _country(self, code: str | None) -> _Country:
        key = code or UNKNOWN
        country = self._countries.get(key)
        if country is None:
            country = self._countries[key] = _Country()
        return country

    def _counters(self) -> dict[str, int]:
        return {
            "flows": self.flows,
            "websocket_messages": self.messages,
            "findings": self.findings,
            "placeholders": self.placeholders,
            "properties": len(self._matrix),
            # countries only: servers GeoIP does not place (local ones among them) are no country
            "countries": sum(
                1 for key, c in self._countries.items() if c.properties and key != UNKNOWN
            ),
            "hosts": len(self._hosts) + self._hosts_more,
            "tls_failures": self.tls_total,
            "tls_hosts_dropped": self._tls_dropped,
            "notes": self.notes_total,
            "errors": self.errors,
            "behind": self.behind,
        }

    def _matrix_dict(self) -> dict[str, Any]:
        totals: dict[str, int] = {}
        for row in self._matrix.values():
            for code in row:
                totals[code] = totals.get(code, 0) + 1
        countries = sorted(totals, key=lambda c: (c == UNKNOWN, -totals[c], c))
        properties = sorted(self._matrix, key=lambda p: (-len(self._matrix[p]), _rank(p), p))
        return {
            "properties": [{"property": p, "label": label(p)} for p in properties],
            "countries": countries,
            "cells": {p: dict(row) for p, row in self._matrix.items()},
        }

    def _steps_list(self) -> list[dict[str, Any]]:
        now = self._clock()
        current = self.step_key(now)
        out = []
        shown = self._marks[-MAX_STEPS:]
        for key, mark in [(BEFORE, None), *((str(m.id), m) for m in shown)]:
            step = self._steps.get(key) or _Step()
            out.append(
                {
                    "key": key,
                    "label": mark.label if mark else None,
                    "at": mark.at if mark else None,
                    "source": mark.source if mark else None,
                    "current": key == current,
                    "findings": step.findings,
                    "properties": sorted(step.properties, key=lambda p: (_rank(p), p)),
                    "countries": sorted(step.countries, key=lambda c: (c == UNKNOWN, c)),
                }
            )
        return out


def _rank(prop: str) -> int:
    return _ORDER.get(prop, len(_ORDER))


def _public(finding: dict[str, Any]) -> dict[str, Any]:
    # A copy taken under the lock: set_marks files recent findings again in place.
    return dict(finding)
