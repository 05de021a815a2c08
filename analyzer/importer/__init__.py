"""``leakmap import``: mitmproxy dumps (.mitm/.flows, every version mitmproxy 12 reads) and HAR
files as real exporters write them (docs/import.md), with the session's steps from a file.

Every file is read once to check it before anything is written, then once more to write it.
A file that cannot be read raises a one-line :class:`LeakmapError` naming the file (and, in a
HAR, the entry) and leaves no partial session behind; a file that is neither a HAR nor a dump
is called what it is. What a readable file holds that cannot reach detection as it is becomes
an import note, stored with the session and shown among the report's analysis notes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from analyzer.errors import LeakmapError
from analyzer.importer import sniff
from analyzer.importer.marks import MarkLine, read_marks
from analyzer.importer.notes import ImportNotes
from analyzer.store import Store, write_records
from analyzer.store import records as rec
from analyzer.store.db import short_error

# A HAR is one JSON document and has to be parsed whole; beyond this it is refused rather than
# exhausting memory (split it, or export a .mitm dump which streams).
MAX_HAR_BYTES = 1024 * 1024 * 1024
BATCH = 500


@dataclass(slots=True)
class ImportResult:
    session_id: int
    flows: int
    records: int
    skipped: int  # flows of kinds leakmap does not store (DNS), entries that are not traffic
    notes: list[str] = field(default_factory=list)
    marks: int = 0


def import_files(
    store: Store,
    paths: Sequence[Path],
    *,
    session: str,
    app: str | None = None,
    app_version: str | None = None,
    device: str | None = None,
    platform: str | None = None,
    marks: Path | None = None,
) -> ImportResult:
    """Import ``paths`` into a new session named ``session``, with the steps of ``marks``
    (see :mod:`analyzer.importer.marks`) stored as marks of source ``import``.

    Raises LeakmapError (one line) for a file or marks line that cannot be read, an existing
    session name or a database error; nothing is left written then.
    """
    if not paths:
        raise LeakmapError("no files to import")
    if store.session_id(session) is not None:
        raise LeakmapError(f"session {session!r} exists already; choose another --session name")
    steps = read_marks(marks) if marks is not None else []
    started: list[float] = []
    ended: list[float] = []
    notes: list[str] = []
    carried: list[MarkLine] = []
    described: dict[str, str] = {}  # app, app_version, device: as leakmap's own export says
    empty: list[str] = []
    for path in paths:  # check every file before writing anything
        file_notes = ImportNotes(path.name)
        count = 0
        for record in read_records(path, file_notes):
            count += 1
            if isinstance(record, rec.FlowRecord) and record.timestamp_start is not None:
                started.append(record.timestamp_start)
                ended.append(record.timestamp_end or record.timestamp_start)
        if not count:
            empty.append(path.name)
            file_notes.add("holds no request, connection or TLS failure: nothing imported")
        notes.extend(file_notes.lines())
        carried.extend(MarkLine(0, at, label) for at, label in file_notes.steps)
        for key, value in file_notes.session_fields.items():
            described.setdefault(key, value)
    if len(empty) == len(paths):
        raise LeakmapError(
            f"nothing to import: {', '.join(empty)} "
            f"{'holds' if len(empty) == 1 else 'hold'} no request, connection or TLS failure"
        )
    app = app if app is not None else described.get("app")
    app_version = app_version if app_version is not None else described.get("app_version")
    device = device if device is not None else described.get("device")
    if marks is None:  # steps a leakmap HAR export carries, unless a marks file says others
        steps = sorted(set(carried), key=lambda s: (s.at, s.label))
    notes.extend(_marks_notes(steps, started, ended, marks))

    session_id: int | None = None
    flows = records = skipped = 0
    limits = rec.Limits()
    try:
        for path in paths:
            with store.engine.begin() as conn:
                if session_id is None:
                    session_id = store.create_session(
                        session,
                        app=app,
                        app_version=app_version,
                        device=device,
                        platform=platform,
                        mode="import",
                        notes="\n".join(notes) or None,
                        started_at=min(started) if started else None,
                        connection=conn,
                    )
                websocket_ids: dict[str, int] = {}
                batch: list[rec.Record] = []
                for record in read_records(path, ImportNotes(path.name)):
                    if record is None:
                        skipped += 1
                        continue
                    batch.append(record)
                    flows += isinstance(record, rec.FlowRecord)
                    if len(batch) >= BATCH:
                        records += write_records(conn, session_id, batch, limits, websocket_ids)
                        batch = []
                records += write_records(conn, session_id, batch, limits, websocket_ids)
        assert session_id is not None
        from analyzer.store.marks import add_mark

        for step in steps:
            add_mark(store, session_id, step.label, step.at, source="import")
    except BaseException as error:
        if session_id is not None:
            store.delete_session(session_id)
        if isinstance(error, SQLAlchemyError):
            raise LeakmapError(
                f"cannot write to {store.display_url}: {short_error(error)}"
            ) from None
        raise
    store.end_session(session_id, store.last_activity(session_id))
    return ImportResult(session_id, flows, records, skipped, notes, len(steps))


def read_records(path: Path, notes: ImportNotes | None = None) -> Iterator[rec.Record | None]:
    """Records of one file (None for a flow or entry of a kind that is not stored).

    Notes on what the file holds that cannot reach detection go to ``notes``. Raises
    LeakmapError when the file cannot be read, naming what it is when it is neither a HAR nor
    a mitmproxy dump.
    """
    notes = notes if notes is not None else ImportNotes(path.name)
    try:
        with open(path, "rb") as handle:
            head = handle.read(sniff.HEAD_BYTES)
    except OSError as error:
        raise LeakmapError(f"{path}: {error.strerror or error}") from None
    if not head:
        raise LeakmapError(f"{path}: empty file")
    if sniff.is_mitm_dump(head):
        from analyzer.importer.mitm import mitm_records

        yield from mitm_records(path, notes)
        return
    if _is_har(head):
        from analyzer.importer.har import har_records

        yield from har_records(path, MAX_HAR_BYTES, notes)
        return
    raise LeakmapError(f"{path}: neither a HAR file nor a mitmproxy dump: {sniff.describe(head)}")


def _is_har(head: bytes) -> bool:
    """JSON text (UTF-8/16/32), gzip, or zlib (mitmproxy's .zhar) whose start inflates."""
    compressed = sniff.compression_of(head)
    if compressed == "gzip":
        return True  # the reader decompresses it and says what it holds
    if compressed == "zlib":
        try:
            return bool(zlib.decompressobj().decompress(head, 64))
        except zlib.error:
            return False
    found = sniff.text_encoding(head[:4])
    codec, skip = found if found else ("utf-8", 0)
    return sniff.looks_like_json(head[skip : skip + 64].decode(codec, "replace"))


def _marks_notes(
    steps: list[MarkLine], started: list[float], ended: list[float], path: Path | None
) -> list[str]:
    """A note when steps fall outside the traffic: a time zone or clock mistake, most likely."""
    if not steps or not started or path is None:
        return []
    first, last = min(started), max(ended)
    outside = [s for s in steps if s.at < first - 3600 or s.at > last + 3600]
    if not outside:
        return []
    lines = ", ".join(str(s.line) for s in outside[:5])
    return [
        f"{path.name}: {len(outside)} step(s) more than an hour outside the "
        f"imported traffic (line {lines}): check the time zone of the times"
    ]
