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
            help="tweasel adapterExamples JSON (labelled tracker values) for the "
            "leave-one-vendor-out evaluation; default: the trimmed copy leakmap ships "
            "(analyzer/data/eval/tracker-examples, CC0).",
        ),
    ] = None,
    sdk_docs: Annotated[
        Path | None,
        typer.Option(
            "--sdk-docs",
            help="Another held-out set of documented SDK requests, in the format of "
            "analyzer/data/eval/sdk_docs.json (default: that file).",
        ),
    ] = None,
    sdk_docs_fresh: Annotated[
        Path | None,
        typer.Option(
            "--sdk-docs-fresh",
            help="The fresh held-out set, printed as its own table (c2) (default: "
            "analyzer/data/eval/sdk_docs_fresh.json, 16 SDKs built for issue 13's red team).",
        ),
    ] = None,
    names_only: Annotated[
        bool,
        typer.Option("--names-only", help="Skip the known-value evaluations (a) and (a2)."),
    ] = False,
    problems: Annotated[
        int, typer.Option("--problems", help="Also print this many misses and false positives.")
    ] = 0,
) -> None:
    """Print precision and recall of the detector on labelled corpora.

    (a) a device profile's values hidden in every encoding among decoys (known values);
    (a2) the profile's values under random transform chains of depth 1-3 (hashes, checksums,
    encodings; seeded), with near-miss decoys that must not be found;
    (b) real tracker values at their key paths, leaving one vendor out at a time: recall and
    precision per property for unseen vendors next to seen ones, and the rule words that only
    the left-out vendor's keys would justify;
    (c) an extra held-out set of SDKs outside the examples, from their public documentation;
    (c2) a fresh held-out set of 16 further SDKs, kept apart from the rules' tuning;
    (d) synthetic field names and value kinds among decoys.

    Example: leakmap eval --examples adapterExamples-dev.json --problems 20
    """
    from analyzer.detect.evaluate import evaluate

    for option, path in (
        ("--examples", examples),
        ("--sdk-docs", sdk_docs),
        ("--sdk-docs-fresh", sdk_docs_fresh),
    ):
        if path is not None and not path.is_file():
            raise LeakmapError(f"{option}: no file at {path}")
    try:
        met = evaluate(
            examples,
            problems,
            echo=typer.echo,
            sdk_docs=sdk_docs,
            known_values=not names_only,
            fresh=sdk_docs_fresh,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise LeakmapError(f"cannot read the evaluation input: {error}") from None
    typer.echo(f"\nall marked goals met: {'yes' if met else 'no'}")
