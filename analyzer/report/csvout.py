"""``--format csv``: one row per finding, the same columns as the JSON findings (those of
``leakmap.report/1`` first, in their order; then those /2 added).

Captured values may start with ``=``, ``+``, ``-`` or ``@``; a spreadsheet would run them as
formulas, so such cells get a leading apostrophe (the usual CSV-injection guard).
"""

from __future__ import annotations

import csv
from typing import IO, Any

COLUMNS = (
    "flow_id",
    "time",
    "host",
    "server_ip",
    "country",
    "asn",
    "org",
    "owner",
    "owner_country",
    "property",
    "location",
    "path",
    "encoding",
    "method",
    "value",
    "confidence",
    "scheme",
    "plaintext",
    "allowed",
    # leakmap.report/2
    "step",
    "delivered",
    "placeholder",
    "local",
    "lookup_ip",
    "condition",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_csv(report: dict[str, Any], out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for finding in report["findings"]:
        writer.writerow([_cell(finding.get(column)) for column in COLUMNS])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
