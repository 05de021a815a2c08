"""``--format json``: the ``leakmap.report/1`` document of docs/report.md (schema in
``analyzer/data/report.schema.json``).

The HTML-only parts of the report dict (evidence excerpts, matrix, map) are left out: the JSON
carries every finding and destination, which is what other scripts consume.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "report.schema.json"
CONTRACT_KEYS = (
    "schema",
    "session",
    "geoip",
    "findings",
    "destinations",
    "by_country",
    "tls_failures",
)
EXTRA_KEYS = (
    "generated_at",
    "tool_version",
    "show_values",
    "policy",
    "connections",
    "notes",
    "headline",
    "first_left",
)


def report_document(report: dict[str, Any]) -> dict[str, Any]:
    """The JSON document: the contract's keys first, then useful extras."""
    return {key: report[key] for key in (*CONTRACT_KEYS, *EXTRA_KEYS) if key in report}


def write_json(report: dict[str, Any], out: IO[str]) -> None:
    json.dump(report_document(report), out, ensure_ascii=False, indent=1)
    out.write("\n")


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
