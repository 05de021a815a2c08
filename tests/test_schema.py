"""Schema versions: old databases upgrade, models and migrations agree, many openers at once."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from analyzer.errors import LeakmapError
from analyzer.store import Store
from analyzer.store.models import Base
from analyzer.store.schema import _config, head_revision

LEAKMAP = str(Path(sys.executable).with_name("leakmap"))


def _create_at_first_revision(url: str) -> None:
    engine = create_engine(Store.__init__.__globals__["database_url"](url))
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0001")
        conn.execute(text("INSERT INTO sessions (name, app) VALUES ('old', 'OldApp')"))
        conn.execute(
            text(
                "INSERT INTO flows (session_id, host, url, request_body_truncated, "
                "response_body_truncated, websocket) VALUES (1, 'a.example', "
                "'https://a.example/', false, false, false)"
            )
        )
    engine.dispose()


def test_old_database_is_refused_then_upgraded_and_read(db_url: str) -> None:
    _create_at_first_revision(db_url)
    with pytest.raises(
        LeakmapError, match=r"revision 0001, this leakmap needs .*leakmap db upgrade"
    ):
        Store(db_url)
    status = subprocess.run(
        [LEAKMAP, "db", "status", "--db", db_url], capture_output=True, text=True
    )
    assert "schema revision: 0001" in status.stdout, status.stderr
    result = subprocess.run(
        [LEAKMAP, "db", "upgrade", "--db", db_url], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert f"from revision 0001 to {head_revision()}" in result.stdout
    with Store(db_url) as store:
        (session,) = store.sessions()
        assert (session.name, session.app, session.flows) == ("old", "OldApp", 1)
        assert [row.host for row in store.iter_flows(session.id)] == ["a.example"]
        with store.engine.connect() as conn:  # the upgrade added the analysis cache
            assert conn.execute(text("SELECT count(*) FROM findings")).scalar_one() == 0
    again = subprocess.run(
        [LEAKMAP, "db", "upgrade", "--db", db_url], capture_output=True, text=True
    )
    assert "up to date" in again.stdout


def test_a_command_meeting_an_old_schema_says_what_to_do(sqlite_url: str) -> None:
    _create_at_first_revision(sqlite_url)
    result = subprocess.run(
        [LEAKMAP, "sessions", "--db", sqlite_url], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "leakmap db upgrade" in result.stderr and "Traceback" not in result.stderr


def test_models_and_migrations_agree(store: Store) -> None:
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_many_processes_may_create_a_new_database_at_once(db_url: str) -> None:
    def open_store(_: int) -> int:
        with Store(db_url) as store:
            return len(store.sessions())

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(open_store, range(6))) == [0] * 6


def test_upgrade_of_a_mistyped_path_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "lab-typo.db"
    result = subprocess.run(
        [LEAKMAP, "db", "upgrade", "--db", str(missing)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "no database at" in result.stderr and result.stderr.count("\n") == 1
    assert not missing.exists()
