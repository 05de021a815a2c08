"""Rendering a session: HTML (the researcher's report), JSON, CSV (findings) and HAR (flows).

``write_report`` is the one entry point the CLI and ``leakmap capture`` call: it builds the report
and writes it atomically, so an error never leaves half a file behind.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from analyzer.errors import LeakmapError
from analyzer.report.atomic import OWN_FOLDER, atomic_output, check_folder
from analyzer.report.csvout import write_csv
from analyzer.report.har import write_har
from analyzer.report.html import render_html
from analyzer.report.jsonout import write_json

FORMATS = ("html", "json", "csv", "har")
REPORTS_DIR = OWN_FOLDER


def default_path(session_name: str, fmt: str, folder: Path = REPORTS_DIR) -> Path:
    """``reports/<session>.<ext>``, with the session name made safe as a file name."""
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in session_name)
    return folder / f"{safe.strip('.') or 'session'}.{fmt}"


def write_report(
    store: Any,
    session_name: str,
    path: str | Path | None,
    fmt: str = "html",
    **options: Any,
) -> Path | None:
    """Build and write one report; ``path`` None or ``"-"`` writes to standard output.

    ``store`` is an open :class:`~analyzer.store.Store` or a database file/URL to open.

    ``options`` are those of :func:`analyzer.summary.build_report` (profile, geoip_db, asn_db,
    policy, show_values, progress, workers). Returns the path written, or None for standard output.
    """
    if fmt not in FORMATS:
        raise LeakmapError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
    if isinstance(store, str | Path):
        from analyzer.store import Store

        with Store(str(store), create=False) as opened:
            return write_report(opened, session_name, path, fmt, **options)
    target = None if path is None or str(path) == "-" else Path(path)
    if target is not None:
        check_folder(target)  # before the analysis, which can take minutes
    if fmt == "har":
        session = store.session(session_name)
        if target is None:
            write_har(store, session, sys.stdout)
        else:
            with atomic_output(target, private=True) as out:
                write_har(store, session, out)
        return target

    from analyzer.summary import build_report

    report = build_report(store, session_name, **options)
    if fmt == "html":
        text = render_html(report)
        if target is None:
            sys.stdout.write(text)
        else:
            with atomic_output(target, private=bool(report["show_values"])) as out:
                out.write(text)
        return target
    writer = write_json if fmt == "json" else write_csv
    if target is None:
        writer(report, sys.stdout)
    else:
        with atomic_output(target, private=bool(report["show_values"])) as out:
            writer(report, out)
    return target


__all__ = [
    "FORMATS",
    "default_path",
    "render_html",
    "write_csv",
    "write_har",
    "write_json",
    "write_report",
]
