"""Findings per session, cached in the store per (session, profile digest, detector version).

A report calls :func:`findings_for_session`; the first call analyses the session flow by flow
(streamed: memory holds one flow and its WebSocket messages at a time, plus the findings) and
writes the run and its findings in one transaction; later calls with the same profile and
detector read them back. A new profile or a new detector version analyses again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from analyzer.decode.fields import Limits
from analyzer.detect.detector import DETECTOR_VERSION
from analyzer.detect.finding import Finding
from analyzer.detect.parallel import (
    PARALLEL_MIN_FLOWS,
    Message,
    Request,
    detect_requests,
)
from analyzer.profile import Profile
from analyzer.store.models import AnalysisRun
from analyzer.store.models import Finding as FindingRow
from analyzer.store.records import storable

NO_PROFILE_DIGEST = "no-profile"
MAX_NOTES = 500

Progress = Callable[[int], None]


def findings_for_session(
    store: Any,
    session_info: Any,
    profile: Profile | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> tuple[list[Finding], list[str]]:
    """All findings of a session and the decoders' notes, from the cache or by analysing it.

    ``store`` is an :class:`analyzer.store.Store`, ``session_info`` a
    :class:`analyzer.store.SessionInfo` (its ``id`` is used). ``progress``, if given, is called
    with the number of flows analysed so far (every flow, only when not cached). ``workers``:
    processes for sessions of :data:`PARALLEL_MIN_FLOWS` flows or more (1: this process; see
    :mod:`analyzer.detect.parallel`).
    """
    digest = profile.digest if profile is not None and len(profile) else NO_PROFILE_DIGEST
    cached = _load(store, session_info.id, digest)
    if cached is not None:
        return cached
    if session_info.flows < PARALLEL_MIN_FLOWS:
        workers = 1  # starting workers costs more than a small session's analysis
    findings, notes, flows = _analyse(store, session_info.id, profile, progress, workers)
    try:
        _save(store, session_info.id, digest, findings, notes, flows)
    except IntegrityError:
        # Another process finished the same analysis first: its result is as good as ours.
        again = _load(store, session_info.id, digest)
        if again is not None:
            return again
    return findings, notes


def _analyse(
    store: Any,
    session_id: int,
    profile: Profile | None,
    progress: Progress | None,
    workers: int,
) -> tuple[list[Finding], list[str], int]:
    messages = _MessageCursor(store.client_messages(session_id), Limits().max_messages)
    rows = store.iter_flows(session_id, Request._fields)  # the columns Request holds, in order
    requests = ((Request(*row), messages.take(row.id)) for row in rows)
    findings: list[Finding] = []
    notes: list[str] = []
    skipped_notes = 0
    count = 0
    for flow, (found, flow_notes) in detect_requests(requests, profile, workers):
        count += 1
        findings.extend(found)
        for note in flow_notes:
            if len(notes) < MAX_NOTES:
                notes.append(f"flow {flow.id} ({flow.host or '?'}): {note}")
            else:
                skipped_notes += 1
        if progress is not None:
            progress(count)
    if skipped_notes:
        notes.append(f"... and {skipped_notes} more notes")
    return findings, notes, count


class _MessageCursor:
    """Walks the session's WebSocket messages (ordered by flow id) alongside the flows."""

    def __init__(self, rows: Iterator[Any], limit: int) -> None:
        self.rows = iter(rows)
        self.limit = limit
        self.current: Any = next(self.rows, None)

    def take(self, flow_id: int) -> list[Message]:
        out: list[Message] = []
        while self.current is not None:
            row = self.current
            owner = row.flow_id
            if owner is not None and owner > flow_id:
                break
            # Only client-to-server messages matter, and no more than the decoder would read.
            if owner == flow_id and row.from_client and len(out) < self.limit:
                out.append(Message(owner, True, bool(row.is_text), row.content))
            self.current = next(self.rows, None)
        return out


def _load(store: Any, session_id: int, digest: str) -> tuple[list[Finding], list[str]] | None:
    with store.engine.connect() as conn:
        run = conn.execute(
            select(AnalysisRun.id, AnalysisRun.notes).where(
                AnalysisRun.session_id == session_id,
                AnalysisRun.profile_digest == digest,
                AnalysisRun.detector_version == DETECTOR_VERSION,
            )
        ).first()
        if run is None:
            return None
        rows = conn.execute(
            select(FindingRow.__table__).where(FindingRow.run_id == run.id).order_by(FindingRow.id)
        )
        findings = [
            Finding(
                flow_id=row.flow_id,
                property=row.property,
                location=row.location,
                path=row.path or "",
                encoding=row.encoding,
                method=row.method,
                confidence=row.confidence,
                value=row.value or "",
                context=row.context or "",
                explanation=row.explanation or "",
                placeholder=bool(row.placeholder),
            )
            for row in rows
        ]
    return findings, list(run.notes or [])


def _save(
    store: Any,
    session_id: int,
    digest: str,
    findings: list[Finding],
    notes: list[str],
    flows: int,
) -> None:
    with store.engine.begin() as conn:
        run_id = conn.execute(
            insert(AnalysisRun)
            .values(
                session_id=session_id,
                profile_digest=digest,
                detector_version=DETECTOR_VERSION,
                created_at=time.time(),
                flows=flows,
                notes=[storable(note) for note in notes],
            )
            .returning(AnalysisRun.id)
        ).scalar_one()
        if findings:
            conn.execute(
                insert(FindingRow),
                [
                    {
                        "run_id": run_id,
                        "flow_id": f.flow_id,
                        "property": f.property,
                        "location": f.location,
                        "path": storable(f.path),
                        "encoding": f.encoding[:200],
                        "method": f.method,
                        "confidence": f.confidence,
                        "value": storable(f.value),
                        "context": storable(f.context),
                        "explanation": storable(f.explanation),
                        "placeholder": f.placeholder,
                    }
                    for f in findings
                ],
            )
