"""The ``postgres`` marker selects exactly the tests that use the PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A file with db_url-parametrised tests, one asking for postgres_engine, one with neither.
FILES = ["tests/test_marks.py", "tests/test_lab.py", "tests/test_cli.py"]


def _collected(expression: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", expression, *FILES],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line]


def _on_postgres(test: str) -> bool:
    return "[postgres" in test or "test_lab.py" in test


def test_marker_postgres_selects_only_the_postgresql_tests() -> None:
    selected = _collected("postgres")
    assert all(_on_postgres(test) for test in selected), selected
    assert any("test_marks.py" in test for test in selected)  # via db_url / store
    assert any("test_lab.py" in test for test in selected)  # via postgres_engine


def test_not_postgres_selects_everything_else() -> None:
    selected = _collected("not postgres")
    assert not any(_on_postgres(test) for test in selected), selected
    assert any("test_marks.py" in test and "[sqlite" in test for test in selected)
    assert any("test_cli.py" in test for test in selected)
