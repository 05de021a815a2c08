"""Measure detection quality: precision and recall per encoding and per property.

    .venv/bin/python benchmarks/detection.py [--examples adapterExamples-dev.json] [--problems N]

Prints (a) known values hidden in every encoding (synthetic corpus with decoys), (b) names and
formats on tweasel's labelled tracker examples leaving one vendor out at a time (unseen next to
seen, leaked rule words; the trimmed copy in analyzer/data/eval/tracker-examples by default, CC0,
or the full file with --examples), (c) the extra held-out set of SDKs outside the examples
(analyzer/data/eval/sdk_docs.json), (c2) the fresh held-out set of 16 more SDKs
(analyzer/data/eval/sdk_docs_fresh.json) and (d) synthetic spellings and kinds among decoys; see
analyzer/detect/evaluate.py. The same runs as ``leakmap eval``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analyzer.detect.evaluate import evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, default=None, help="adapterExamples JSON")
    parser.add_argument("--problems", type=int, default=0, help="print N misses/false positives")
    args = parser.parse_args()
    met = evaluate(args.examples, args.problems)
    print(f"\nall marked goals met: {'yes' if met else 'no'}")


if __name__ == "__main__":
    main()
