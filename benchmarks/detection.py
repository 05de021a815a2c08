"""Measure detection quality: precision and recall per encoding and per property.

    .venv/bin/python benchmarks/detection.py [--problems N]

Prints (a) known values hidden in every encoding (synthetic corpus with decoys), (b) names and
formats on tweasel's labelled tracker examples (benchmarks/data/tracker-examples, CC0), and
(c) names and formats on synthetic spellings among decoys; see analyzer/detect/evaluate.py.
The same runs as ``leakmap eval --examples benchmarks/data/tracker-examples/...``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analyzer.detect.evaluate import evaluate

DATA = Path(__file__).parent / "data" / "tracker-examples" / "adapterExamples-dev.trimmed.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=0, help="print N misses/false positives")
    args = parser.parse_args()
    met = evaluate(DATA, args.problems)
    print(f"\nall marked goals met: {'yes' if met else 'no'}")


if __name__ == "__main__":
    main()
