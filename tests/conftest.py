"""Fixtures shared by the whole suite. Feature-specific helpers live in tests/support/.

``db_url`` and ``store`` run each test that uses them twice: on a SQLite file and on the real
PostgreSQL server that .ci/run starts (``LEAKMAP_TEST_POSTGRES``), each test in a schema of its
own. A PostgreSQL that cannot be reached fails those tests; it never skips them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from analyzer.store import Store

pytest_plugins = [
    "tests.support.capture",
    "tests.support.browser",
    "tests.support.device",
    "tests.support.markers",
    "tests.support.report",
]

POSTGRES_URL = os.environ.get(
    "LEAKMAP_TEST_POSTGRES", "postgresql+psycopg://leakmap:leakmap@127.0.0.1:5432/leakmap_test"
)


@pytest.fixture(scope="session")
def postgres_engine():  # type: ignore[no-untyped-def]
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:
        pytest.fail(
            f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__}); "
            "run scripts/ci-postgres (as root) or set LEAKMAP_TEST_POSTGRES",
            pytrace=False,
        )
    yield engine
    engine.dispose()


def postgres_schema_url(engine, name: str) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    return f"{POSTGRES_URL}?options=-csearch_path%3D{name}"


def drop_postgres_schema(engine, name: str) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "leakmap.db")
        return
    engine = request.getfixturevalue("postgres_engine")
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = postgres_schema_url(engine, name)
    try:
        yield url
    finally:
        drop_postgres_schema(engine, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return str(tmp_path / "leakmap.db")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An empty store, on SQLite and on PostgreSQL."""
    with Store(db_url) as opened:
        yield opened
