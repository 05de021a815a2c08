"""The ``leakmap`` command: a thin layer over the library; each command lives in its own module.

Command modules stay light to import (``leakmap --help`` starts in well under a second): heavy
libraries (mitmproxy, SQLAlchemy, Jinja2, the detector) are imported inside the command
functions that need them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from analyzer.errors import LeakmapError

app = typer.Typer(
    name="leakmap",
    help="Which personal data does an app send to which countries? "
    "Capture a test phone's traffic, then report and compare.\n\n"
    "Example: leakmap capture --session meitu-9.1 --profile examples/device.toml\n\n"
    "Example: leakmap report meitu-9.1",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing rich's formatting costs more than the command
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"leakmap {version('leakmap')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print leakmap's version and exit."
        ),
    ] = False,
) -> None:
    """The group's own options (--version); the help text is the Typer's."""


def _register() -> None:
    """Import the command modules (each adds its commands to ``app``), in the order a
    researcher meets the commands; ``--help`` lists them so."""
    from importlib import import_module

    for name in ("capture", "sessions", "report", "diff", "mark", "device", "geoip", "db", "eval"):
        import_module(f"analyzer.cli.{name}")


def _database_error(error: BaseException) -> str | None:
    """A one-line message for a SQLAlchemy error; None for anything else.

    SQLAlchemy is only imported by commands that open a store, so when it is not loaded the
    error cannot be one of its own.
    """
    exc = sys.modules.get("sqlalchemy.exc")
    if exc is None or not isinstance(error, exc.SQLAlchemyError):
        return None
    from analyzer.store.db import short_error

    return short_error(error)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: every error becomes one line on stderr and an exit code
    (1: a problem with the input or the store; 2: the command line itself; 130: Ctrl-C)."""
    _register()
    argv = _optional_values(list(sys.argv[1:] if argv is None else argv))
    try:
        result = app(args=argv, prog_name="leakmap", standalone_mode=False)
    except LeakmapError as error:
        typer.echo(f"leakmap: error: {error}", err=True)
        return error.exit_code
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except KeyboardInterrupt:
        typer.echo("leakmap: interrupted", err=True)
        return 130
    except Exception as error:
        if (code := _command_line_error(error)) is not None:
            return code
        if (message := _database_error(error)) is None:
            raise
        typer.echo(f"leakmap: error: database: {message}", err=True)
        return 1
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def _command_line_error(error: Exception) -> int | None:
    """Click's usage errors (missing option, bad value, unknown command) as one line naming the
    command's --help, instead of Click's usage block; ``leakmap`` alone prints the help. Returns
    the exit code, or None for an error that is not Click's. Matched by class name: Typer
    vendors Click in newer versions and depends on it in older ones."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if "NoArgsIsHelpError" in names:
        typer.echo(error.format_message())  # type: ignore[attr-defined]
        return 0
    if "Abort" in names:
        typer.echo("leakmap: aborted", err=True)
        return 1
    if "ClickException" not in names:
        return None
    message = " ".join(error.format_message().split()).removesuffix(".")  # type: ignore[attr-defined]
    message = message.replace("Value error, ", "")  # Typer's Pydantic wording
    message = message[:1].lower() + message[1:] if message[1:2].islower() else message
    ctx = getattr(error, "ctx", None)
    hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
    typer.echo(f"leakmap: error: {message}{hint}", err=True)
    return int(getattr(error, "exit_code", 2))


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
