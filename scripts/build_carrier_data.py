#!/usr/bin/env python3
"""Rebuild ``analyzer/data/carriers/carriers.tsv``: mobile operators by MCC+MNC, with their names.

    .venv/bin/python scripts/build_carrier_data.py CARRIER_LIST_TEXTPB

Source: Android's carrier identification database, ``assets/latest_carrier_id/carrier_list.textpb``
of AOSP's TelephonyProvider (platform/packages/providers/TelephonyProvider; Apache License 2.0,
see ``analyzer/data/carriers/LICENSE-AOSP.txt``). It is the table Android itself uses to name the
carrier of a SIM (TelephonyManager.getSimCarrierIdName): per carrier a canonical name, its
MCC+MNC tuples and the service-provider names (SPN) SIMs report.

Output: one line per MCC+MNC, ``mccmnc<TAB>name|spn|spn...`` (names deduplicated, case kept),
sorted; a header comment names the source and its commit. Read by ``analyzer/detect/carriers.py``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "analyzer" / "data" / "carriers" / "carriers.tsv"
_ENTRY = re.compile(r"carrier_id \{(.*?)\n\}", re.S)
_NAME = re.compile(r'^\s*carrier_name: "((?:[^"\\]|\\.)*)"', re.M)
_TUPLE = re.compile(r'mccmnc_tuple: "(\d{5,6})"')
_SPN = re.compile(r'spn: "((?:[^"\\]|\\.)*)"')


def parse(text: str) -> dict[str, list[str]]:
    """``{mccmnc: [names...]}`` from the textproto (canonical names first, then SPNs)."""
    names: dict[str, list[str]] = defaultdict(list)
    for entry in _ENTRY.findall(text):
        found = _NAME.search(entry)
        labels = [found.group(1)] if found else []
        labels += _SPN.findall(entry)
        for mccmnc in _TUPLE.findall(entry):
            for label in labels:
                label = label.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
                label = label.strip()
                if label and "\t" not in label and "|" not in label and label not in names[mccmnc]:
                    names[mccmnc].append(label)
            names.setdefault(mccmnc, [])
    return dict(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("textpb", type=Path, help="carrier_list.textpb from AOSP TelephonyProvider")
    parser.add_argument("--commit", default="", help="source commit, written into the header")
    args = parser.parse_args()
    table = parse(args.textpb.read_text("utf-8"))
    if len(table) < 500:
        sys.exit(f"only {len(table)} MCC+MNC tuples: not a carrier_list.textpb?")
    lines = [
        "# MCC+MNC -> carrier names and SPNs. Source: AOSP TelephonyProvider",
        "# assets/latest_carrier_id/carrier_list.textpb (Apache-2.0, LICENSE-AOSP.txt)"
        + (f", commit {args.commit}" if args.commit else "")
        + ". Rebuilt by scripts/build_carrier_data.py.",
    ]
    lines += [f"{key}\t{'|'.join(table[key])}" for key in sorted(table)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"{len(table)} MCC+MNC tuples -> {OUT}")


if __name__ == "__main__":
    main()
