"""``leakmap report``: one session as an HTML report, JSON, CSV (findings) or HAR (flows)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

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

# The formats `leakmap report` writes (analyzer.report.FORMATS; repeated here so that --help does
# not import the renderers).
FORMATS = ("html", "json", "csv", "har")


@app.command("report")
def report_command(
    session: Annotated[str, typer.Argument(help="Name of the session (see `leakmap sessions`).")],
    db: DbOption = DB_DEFAULT,
    profile: ProfileOption = None,
    geoip_db: GeoipDbOption = None,
    asn_db: AsnDbOption = None,
    policy: PolicyOption = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="html: the researcher's report; json: leakmap.report/2; csv: one row per "
            "finding; har: HAR 1.2 of all flows (for TrackHAR and other tools).",
        ),
    ] = "html",
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write ('-' for standard output). Default: reports/<session>.html or "
            ".har; standard output for json and csv.",
        ),
    ] = None,
    show_values: Annotated[
        bool,
        typer.Option("--show-values", help="Show personal values in clear (masked by default)."),
    ] = False,
    workers: WorkersOption = None,
) -> None:
    """Report which personal data a session sent to which countries, with evidence.

    The report files every finding under the step (leakmap mark) in which its flow started and
    says what left before consent. Without --profile, the device profile stored with the session
    (capture --profile auto) is used, if there is one; the report's Methods say which.

    Example: leakmap report meitu-10.2 --profile lab-pixel.toml --policy eu-adequacy
    """
    from analyzer.report import default_path, write_report
    from analyzer.store import Store

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise LeakmapError(
            f"unknown --format {fmt!r} (choose from {', '.join(FORMATS)})", exit_code=2
        )
    if output is None:
        output = str(default_path(session, fmt)) if fmt in ("html", "har") else "-"
    with Store(db, create=False) as store, _quiet_broken_pipe():
        written = write_report(
            store,
            session,
            None if output == "-" else Path(output),
            fmt,
            **(
                {}
                if fmt == "har"
                else {
                    "profile": profile,
                    "geoip_db": geoip_db,
                    "asn_db": asn_db,
                    "policy": str(policy) if policy is not None else None,
                    "show_values": show_values,
                    "progress": _progress if sys.stderr.isatty() else None,
                    "workers": workers_or_default(workers),
                }
            ),
        )
    if sys.stderr.isatty():
        typer.echo("\r\033[K", err=True, nl=False)
    if written is not None:
        typer.echo(f"report: {written}", err=True)


@contextlib.contextmanager
def _quiet_broken_pipe() -> Iterator[None]:
    """``leakmap report S -f csv | head`` ends quietly, as other command-line tools do."""
    try:
        yield
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's own flush at exit would fail again
        raise typer.Exit(0) from None


def _progress(stage: str, count: int) -> None:
    # A long first analysis (detection is cached afterwards) should not look like a hang.
    label = "analysing" if stage == "detect" else "summarising"
    typer.echo(f"\r{label}: {count:,} flows", err=True, nl=False)
