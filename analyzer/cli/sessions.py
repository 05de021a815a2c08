"""``leakmap sessions`` and ``leakmap import``: what is in the store, and bringing files in."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from analyzer.cli import app
from analyzer.cli.common import DB_DEFAULT, DbOption
from analyzer.errors import LeakmapError

if TYPE_CHECKING:
    from analyzer.store.catalog import SessionInfo


@app.command("sessions")
def sessions_command(
    db: DbOption = DB_DEFAULT,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the sessions in the store with their flow counts.

    Example: leakmap sessions --db lab.db --json
    """
    found = _quick_sessions(db)
    if found is None:
        from analyzer.store import Store

        with Store(db, create=False) as store:
            found = store.sessions()
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in found], indent=2))
        return
    if not found:
        typer.echo("no sessions yet")
        return
    header = (
        f"{'session':<28} {'app':<18} {'version':<10} {'device':<16} {'started':<16} {'flows':>7}"
    )
    typer.echo(header)
    for s in found:
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.started_at or 0))
        name, app, version, device = (
            _printable(v) for v in (s.name, s.app or "-", s.app_version or "-", s.device or "-")
        )
        typer.echo(f"{name:<28} {app:<18} {version:<10} {device:<16} {started:<16} {s.flows:>7}")


def _quick_sessions(db: str) -> list[SessionInfo] | None:
    """The SQLite store's sessions without SQLAlchemy (see :mod:`analyzer.store.catalog`), or
    None where the full store must open the database (URLs, missing files, old schemas)."""
    if "://" in db:
        return None
    from analyzer.store.catalog import read_sessions_sqlite

    return read_sessions_sqlite(Path(db).expanduser().resolve())


def _printable(text: str) -> str:
    """No terminal escape sequences or other control characters reach the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@app.command("import")
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help=".mitm/.flows dumps (any version mitmproxy 12 reads) or HAR files of any "
            "exporter (Chrome, Firefox, Safari, Charles, Fiddler, Proxyman, HTTP Toolkit, "
            "Reqable, PCAPdroid, mitmproxy, leakmap; plain, gzip or .zhar)."
        ),
    ],
    session: Annotated[str, typer.Option("--session", help="Name of the new session.")],
    app_name: Annotated[str | None, typer.Option("--app", help="App under test.")] = None,
    app_version: Annotated[
        str | None, typer.Option("--app-version", help="Version of the app under test.")
    ] = None,
    device: Annotated[str | None, typer.Option("--device", help="Label of the test phone.")] = None,
    marks: Annotated[
        Path | None,
        typer.Option(
            "--marks",
            help="Steps of the session from a CSV/TSV file of time,label lines (time: ISO 8601 "
            "with an offset, or UNIX seconds), e.g. from a screen recording's notes.",
        ),
    ] = None,
    db: DbOption = DB_DEFAULT,
) -> None:
    """Import recorded traffic into a new session: mitmproxy dumps and HAR files.

    Every file (and the marks file) is checked before anything is written, and a file that
    cannot be read leaves no partial session. What a file holds that cannot be analysed (a body
    the exporter left out or mangled) is printed as a note and listed in the report.

    Example: leakmap import capture.mitm chrome-export.har --session wechat-8.0 --app WeChat
    --marks steps.csv
    """
    from analyzer.importer import import_files
    from analyzer.store import Store

    seen: dict[Path, Path] = {}
    for path in files:  # the same flows twice would count every finding twice
        key = path.resolve()
        if key in seen:
            raise LeakmapError(f"{seen[key]} and {path} are the same file; import each file once")
        seen[key] = path
    with Store(db) as store:
        result = import_files(
            store,
            files,
            session=session,
            app=app_name,
            app_version=app_version,
            device=device,
            marks=marks,
        )
    for note in result.notes:
        typer.echo(f"note: {_printable(note)}", err=True)
    from analyzer.summary.words import plural

    steps = f", {plural(result.marks, 'step')}" if result.marks or marks is not None else ""
    typer.echo(
        f"session {session!r}: {plural(result.flows, 'flow')} imported from "
        f"{plural(len(files), 'file')}{steps}"
    )
