"""``leakmap eval``: measure the detector (precision and recall per encoding and property)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analyzer.cli import app
from analyzer.errors import LeakmapError


@app.command("eval")
def eval_command(
    examples: Annotated[
        Path | None,
        typer.Option(
            "--examples",
            help="tweasel adapterExamples JSON (labelled tracker values) for the name/format "
            "evaluation; the repository has one in benchmarks/data/tracker-examples/.",
        ),
    ] = None,
    problems: Annotated[
        int, typer.Option("--problems", help="Also print this many misses and false positives.")
    ] = 0,
) -> None:
    """Print precision and recall of the detector on labelled corpora.

    (a) a device profile's values hidden in every encoding among decoys (known values);
    (b) with --examples, real tracker values at their key paths (names and formats);
    (c) synthetic field names among decoys (names and formats).

    Example: leakmap eval --examples adapterExamples-dev.json --problems 20
    """
    from analyzer.detect.evaluate import evaluate

    if examples is not None and not examples.is_file():
        raise LeakmapError(f"no examples file at {examples}")
    try:
        met = evaluate(examples, problems, echo=typer.echo)
    except ValueError as error:
        raise LeakmapError(f"cannot read {examples}: {error}") from None
    typer.echo(f"\nall marked goals met: {'yes' if met else 'no'}")
