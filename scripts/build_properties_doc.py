#!/usr/bin/env python3
"""Write docs/properties.md, the table of the property vocabulary, from its one source.

    .venv/bin/python scripts/build_properties_doc.py          # rewrites docs/properties.md
    .venv/bin/python scripts/build_properties_doc.py --check  # exit 1 if the file is stale

The vocabulary is ``analyzer/data/vocabulary.toml`` (name, label for people, one-line
description, and ``origin = "leakmap"`` for names leakmap added to TrackHAR's).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY = ROOT / "analyzer" / "data" / "vocabulary.toml"
OUT = ROOT / "docs" / "properties.md"

HEAD = """\
# Personal data properties

Every finding names one **property**: what kind of personal data left the phone. The names are
the contract between the device profile (`[known]` keys, [profile.md](profile.md)), the report
(JSON `findings[].property`, `by_country`), diff gates (`--fail-on property:imei`) and other
tools: where TrackHAR (tweasel) has a name for a kind of data, leakmap uses it, so results line
up with that ecosystem; the names marked *leakmap* were added for this tool's question. Names
are case-sensitive in files; JSON keeps these codes, the HTML report shows the label.

This page is generated from `analyzer/data/vocabulary.toml` by
`scripts/build_properties_doc.py`; edit the vocabulary, then run the script.

| property | shown as | what it is | from |
|---|---|---|---|
"""

TAIL = """
Coordinates are two properties (`latitude`, `longitude`) because apps send them apart; a
profile gives each as a number (`latitude = 48.1371`). A property may hold several values
(`email = ["a@example.org", "b@example.org"]`).
"""


def render(vocabulary: Path = VOCABULARY) -> str:
    """The Markdown page for the vocabulary file."""
    table = tomllib.loads(vocabulary.read_text("utf-8"))["properties"]
    rows = []
    for name, entry in table.items():
        origin = "leakmap" if entry.get("origin") == "leakmap" else "TrackHAR"
        description = str(entry.get("description", "")).replace("|", "\\|")
        rows.append(f"| `{name}` | {entry.get('label', name)} | {description} | {origin} |")
    return HEAD + "\n".join(rows) + "\n" + TAIL


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is current")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text("utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
