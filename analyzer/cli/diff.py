"""``leakmap diff OLD NEW``: what changed between two sessions, as a report and as a CI gate."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from analyzer.cli import app
from analyzer.cli.common import (
    DB_DEFAULT,
    AsnDbOption,
    DbOption,
    GeoipDbOption,
    PolicyOption,
    ProfileOption,
    WorkersOption,
    workers_or_default,
)
from analyzer.errors import LeakmapError
from analyzer.files import read_bounded
from analyzer.gates import EXIT_USAGE, GATE_HELP

MAX_REPORT_BYTES = 1024 * 2**20  # a saved report read whole, as JSON must be


class DiffFormat(StrEnum):
    html = "html"
    json = "json"


_EPILOG = (
    "\b\n"
    + GATE_HELP.replace("\n\n", "\n")
    + (
        "\n\nExamples:\n"
        "  leakmap diff app-6.2 app-6.3\n"
        "  leakmap diff app-6.2 app-6.3 --format json -o diff.json\n"
        "  leakmap diff app-6.2 app-6.3 --policy eu-adequacy \\\n"
        "      --fail-on new-country --fail-on property:imei --fail-on outside-policy\n"
        "  leakmap diff app-6.2 app-6.3 --fail-on before-consent:advertisingId"
    )
)


@app.command("diff", epilog=_EPILOG)
def diff_command(
    old_session: Annotated[
        str,
        typer.Argument(metavar="OLD_SESSION", help="The baseline (a session or a .json report)."),
    ],
    new_session: Annotated[
        str,
        typer.Argument(metavar="NEW_SESSION", help="The new version (session or .json report)."),
    ],
    db: DbOption = DB_DEFAULT,
    profile: ProfileOption = None,
    geoip_db: GeoipDbOption = None,
    asn_db: AsnDbOption = None,
    policy: PolicyOption = None,
    fmt: Annotated[
        DiffFormat,
        typer.Option("--format", help="html: a page in reports/ (or -o); json: leakmap.diff/2."),
    ] = DiffFormat.html,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write here ('-': standard output). Default: standard output for json, "
            "reports/OLD-vs-NEW.html for html.",
        ),
    ] = None,
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            metavar="EXPR",
            help="Exit 1 when this gate fires (repeatable; see the list below).",
        ),
    ] = None,
    workers: WorkersOption = None,
) -> None:
    """Compare two sessions: new and gone countries, owners, domains, hosts and properties.

    Both sessions are analysed with the same options. Destinations are matched by host, then by
    registrable domain, then by owner, so renamed CDN hosts do not show up as new leaks. The same
    steps of both (leakmap mark, by label) are compared, and what left before consent. Prints a
    short summary and writes an HTML page (same style as the session report) or JSON.

    OLD_SESSION or NEW_SESSION may also be a saved report (a file ending in .json, written by
    leakmap report --format json), e.g. a baseline kept next to the code for CI; it is compared
    as it was analysed.

    Example: leakmap diff app-6.2 app-6.3 --policy eu-adequacy --fail-on new-country
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        code = _run(
            old_session,
            new_session,
            db,
            profile,
            geoip_db,
            asn_db,
            policy,
            fmt,
            output,
            fail_on,
            workers_or_default(workers),
        )
    except LeakmapError as error:
        # Exit code 1 means "a gate fired": every error of this command is 2, so CI can tell.
        raise LeakmapError(str(error), exit_code=EXIT_USAGE) from None
    except SQLAlchemyError as error:
        from analyzer.store.db import short_error

        raise LeakmapError(f"database: {short_error(error)}", exit_code=EXIT_USAGE) from None
    if code:
        raise typer.Exit(code)


def _run(
    old_session: str,
    new_session: str,
    db: str,
    profile: Path | None,
    geoip_db: Path | None,
    asn_db: Path | None,
    policy_arg: Path | None,
    fmt: DiffFormat,
    output: Path | None,
    fail_on: list[str] | None,
    workers: int,
) -> int:
    from analyzer.diff import diff_reports
    from analyzer.diff_report import render_html, render_json, terminal_summary
    from analyzer.gates import evaluate, exit_code, parse_gates, require_policy
    from analyzer.policy import load_policy
    from analyzer.store import Store
    from analyzer.summary import build_report

    # Everything the user typed is checked before the (slow) analysis runs.
    gates = parse_gates(fail_on or [])
    policy = load_policy(policy_arg) if policy_arg is not None else None
    require_policy(gates, policy is not None)
    if old_session == new_session:
        raise LeakmapError("OLD_SESSION and NEW_SESSION are the same session")
    if output is not None and str(output) != "-":
        from analyzer.report.atomic import check_folder

        check_folder(Path(output))

    options: dict[str, Any] = {
        "profile": profile,
        "geoip_db": geoip_db,
        "asn_db": asn_db,
        "policy": policy,
        "workers": workers,
    }
    sides = (old_session, new_session)
    reports: dict[str, dict[str, Any]] = {
        name: _read_report(Path(name)) for name in sides if _is_report_file(name)
    }
    sessions = [name for name in sides if name not in reports]
    if sessions:
        with Store(db, create=False) as store:
            for name in sessions:  # fail on a misspelt name before analysing the other one
                store.session(name)
            for name in sessions:
                reports[name] = build_report(store, name, **options, progress=_progress(name))
    old, new = reports[old_session], reports[new_session]
    if sys.stderr.isatty():
        typer.echo("\r\033[K", err=True, nl=False)
    diff = diff_reports(old, new, policy=policy)
    hits = evaluate(gates, diff)

    to_stdout = str(output) == "-" or (fmt is DiffFormat.json and output is None)
    if to_stdout:
        render = render_json if fmt is DiffFormat.json else render_html
        sys.stdout.write(render(diff, hits))
        sys.stdout.flush()
        typer.echo(terminal_summary(diff, hits), err=True)
        return exit_code(hits)

    stem = f"{_safe(_label(old_session))}-vs-{_safe(_label(new_session))}"
    from analyzer.report.atomic import OWN_FOLDER

    target = output or OWN_FOLDER / f"{stem}.html"
    text = render_json(diff, hits) if fmt is DiffFormat.json else render_html(diff, hits)
    _write(target, text)
    typer.echo(terminal_summary(diff, hits, output=str(target)))
    return exit_code(hits)


def _progress(session: str) -> Callable[[str, int], None] | None:
    """A first analysis can take minutes (then it is cached): show it is not hanging."""
    if not sys.stderr.isatty():
        return None
    name = session if len(session) <= 40 else session[:39] + "…"

    def show(stage: str, count: int) -> None:
        label = "analysing" if stage == "detect" else "summarising"
        typer.echo(f"\r\033[K{label} {name}: {count:,} flows", err=True, nl=False)

    return show


def _is_report_file(name: str) -> bool:
    return name.lower().endswith(".json")


def _label(name: str) -> str:
    return Path(name).stem if _is_report_file(name) else name


def _read_report(path: Path) -> dict[str, Any]:
    """A saved ``leakmap report --format json`` document (a baseline kept for CI)."""
    raw = read_bounded(path, MAX_REPORT_BYTES, f"report {path}")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise LeakmapError(f"report {path} is not JSON: {error}") from None
    from analyzer.diff import REPORT_SCHEMAS

    if not isinstance(document, dict) or document.get("schema") not in REPORT_SCHEMAS:
        raise LeakmapError(
            f"{path} is not a leakmap.report/1 or /2 document (write one with "
            "leakmap report SESSION --format json -o FILE)"
        )
    return document


def _write(path: Path, text: str) -> None:
    from analyzer.report.atomic import atomic_output

    with atomic_output(path) as out:
        out.write(text)


def _safe(name: str) -> str:
    """A session name as a file-name part: no separators, no dot files, bounded."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "session"
    return cleaned[:80]
