"""The ``leakmap`` command: a thin layer over the library; each command lives in its own module."""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import SQLAlchemyError

from analyzer.errors import LeakmapError
from analyzer.store.db import short_error

app = typer.Typer(
    name="leakmap",
    help="Which personal data does an app send to which countries? "
    "Capture a test phone's traffic, then report and compare.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _register() -> None:
    # Each module adds its commands to ``app``; imported here so that ``app`` exists first.
    from analyzer.cli import (  # noqa: F401
        capture,
        db,
        device,
        diff,
        eval,
        geoip,
        mark,
        report,
        sessions,
    )


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: library errors become one line on stderr and an exit code."""
    _register()
    argv = _optional_values(list(sys.argv[1:] if argv is None else argv))
    try:
        app(args=argv, standalone_mode=True)
    except LeakmapError as error:
        typer.echo(f"leakmap: error: {error}", err=True)
        return error.exit_code
    except SQLAlchemyError as error:
        typer.echo(f"leakmap: error: database: {short_error(error)}", err=True)
        return 1
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except KeyboardInterrupt:
        typer.echo("leakmap: interrupted", err=True)
        return 130
    return 0


def _optional_values(argv: list[str]) -> list[str]:
    # `capture --adb [SERIAL]`: a bare --adb (last, or before another option) means "the one
    # attached phone"; click options need a value, so the sentinel "-" stands for it.
    if argv[:1] != ["capture"] or "--adb" not in argv:
        return argv
    end = argv.index("--") if "--" in argv else len(argv)
    out = list(argv)
    for index in reversed([i for i, arg in enumerate(argv[:end]) if arg == "--adb"]):
        following = argv[index + 1] if index + 1 < end else None
        if following is None or following.startswith("-"):
            out.insert(index + 1, "-")
    return out


if __name__ == "__main__":
    sys.exit(main())
