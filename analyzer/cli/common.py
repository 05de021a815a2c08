"""Options shared by several commands, and the one way the CLI reports an error."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="LEAKMAP_DB",
        help="SQLite file or database URL (postgresql+psycopg://user@host/db).",
        show_default=True,
    ),
]
DB_DEFAULT = "leakmap.db"  # analyzer.store.DEFAULT_DB, without importing the store (SQLAlchemy)

ProfileOption = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        help="Device profile (TOML) with the test phone's own values to search for.",
        exists=False,
    ),
]
GeoipDbOption = Annotated[
    Path | None,
    typer.Option(
        "--geoip-db",
        envvar="LEAKMAP_GEOIP_DB",
        help="MaxMind-format country or city database (GeoLite2/GeoIP2); "
        "default: the embedded database.",
    ),
]
AsnDbOption = Annotated[
    Path | None,
    typer.Option(
        "--asn-db",
        envvar="LEAKMAP_ASN_DB",
        help="MaxMind-format ASN database (GeoLite2-ASN); default: the embedded database.",
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error and exit; never a traceback."""
    typer.echo(f"leakmap: error: {message}", err=True)
    raise typer.Exit(code)


WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Processes for the first analysis of a big session (2,000+ flows). Default: "
        "LEAKMAP_WORKERS, else the number of cores (at most 8); 1 analyses in one process.",
    ),
]


def workers_or_default(workers: int | None) -> int:
    """``--workers`` as given, else LEAKMAP_WORKERS or the cores."""
    from analyzer.detect.parallel import default_workers

    return workers if workers is not None else default_workers()


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        envvar="LEAKMAP_POLICY",
        help="Allowed destination countries (TOML); findings elsewhere are marked and can "
        "fail a gate. 'eu-adequacy' names the shipped EU/EEA + adequacy policy.",
    ),
]
