"""Commands start fast because they import only what they use (what is imported is checked,
never how long it takes: benchmarks/startup.py measures that)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from analyzer.cli.common import DB_DEFAULT
from analyzer.store import DEFAULT_DB, Store
from analyzer.store.schema import head_revision

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {
    "mitmproxy", "sqlalchemy", "alembic", "jinja2", "rich", "maxminddb", "msgspec",
    "analyzer.detect", "analyzer.decode", "analyzer.report", "analyzer.store",
}  # fmt: skip
_PROBE = """
import json, sys
from analyzer.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _modules_after(*argv: str, cwd: Path = ROOT) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, result.stderr
    return {name.partition(".")[0] if not name.startswith("analyzer.") else
            ".".join(name.split(".")[:2]) for name in report["modules"]}  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [("--help",), ("--version",), ("capture", "--help"), ("report", "--help"),
     ("diff", "--help"), ("geoip", "--help"), ("db", "--help"), ("eval", "--help"),
     ("device", "--help"), ("device", "profile", "--help")],
)  # fmt: skip
def test_help_imports_no_heavy_library(argv: tuple[str, ...]) -> None:
    loaded = _modules_after(*argv)
    assert loaded.isdisjoint(HEAVY), sorted(loaded & HEAVY)


def test_sessions_lists_a_sqlite_store_without_sqlalchemy(tmp_path: Path) -> None:
    db = tmp_path / "lab.db"
    with Store(str(db)) as store:
        store.create_session("quick")
    loaded = _modules_after("sessions", "--db", str(db))
    assert "analyzer.store" in loaded
    assert loaded.isdisjoint({"sqlalchemy", "mitmproxy", "alembic", "jinja2", "analyzer.detect",
                              "analyzer.decode", "analyzer.report"})  # fmt: skip


def test_sessions_of_an_older_store_goes_through_the_full_store(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with Store(str(db)) as store:
        store.create_session("quick")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("leakmap")), "sessions", "--db", str(db)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "leakmap db upgrade" in result.stderr


def test_geoip_lookup_needs_no_database_library() -> None:
    loaded = _modules_after("geoip", "lookup", "8.8.8.8")
    assert "analyzer.geo" in loaded
    assert loaded.isdisjoint({"mitmproxy", "sqlalchemy", "jinja2", "analyzer.store"})


def test_version_is_the_installed_distribution_version() -> None:
    from importlib.metadata import version

    result = subprocess.run(
        [str(Path(sys.executable).with_name("leakmap")), "--version"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.strip() == f"leakmap {version('leakmap')}"


def test_cli_default_database_is_the_stores() -> None:
    assert DB_DEFAULT == DEFAULT_DB


def test_head_revision_read_from_the_files_is_alembics() -> None:
    script = ScriptDirectory(str(ROOT / "analyzer" / "migrations"))
    assert head_revision() == script.get_current_head()
