"""Schema versions (Alembic): create a new database at the newest revision, upgrade old ones.

A command that meets a database written by an older leakmap stops with a clear message instead
of failing half-way; ``leakmap db upgrade`` brings it up to date. Several processes (one capture
per phone) may open a new PostgreSQL database at once: an advisory lock lets one create it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from analyzer.errors import LeakmapError
from analyzer.store.revisions import head_revision

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic narrates every step at INFO; inside mitmproxy (which logs INFO) that is noise.
logging.getLogger("alembic").setLevel(logging.WARNING)

SQLITE_BEGIN = "leakmap_sqlite_begin"  # connection.info key: the BEGIN variant to use once
_LOCK_ID = 0x1EA4_3A9  # PostgreSQL advisory lock held while creating or upgrading the schema


def _config(conn: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("analyzer") / "migrations"))
    config.attributes["connection"] = conn
    return config


def current_revision(conn: Connection) -> str | None:
    """The revision stamped in the database (Alembic's ``alembic_version`` table), or None."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    stamped = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(stamped) > 1:
        raise LeakmapError(f"the database has several schema revisions: {', '.join(stamped)}")
    return stamped[0] if stamped else None


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the database's schema lock (one creator or upgrader at a time)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.info[SQLITE_BEGIN] = "BEGIN IMMEDIATE"
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            yield conn


def ensure_schema(engine: Engine, display_url: str) -> None:
    """Create an empty database; refuse one whose schema is older or newer than this leakmap's."""
    head = head_revision()
    with engine.connect() as conn:  # the common case, without taking the lock
        if current_revision(conn) == head:
            return
    with _locked(engine) as conn:
        current = current_revision(conn)
        if current == head:
            return
        if current is None:
            if "sessions" in inspect(conn).get_table_names():
                raise LeakmapError(
                    f"{display_url} has leakmap tables but no schema revision; "
                    "it was not written by leakmap"
                )
            from alembic import command

            command.upgrade(_config(conn), "head")
            return
    from alembic.script import ScriptDirectory

    known = {
        rev.revision
        for rev in ScriptDirectory(str(files("analyzer") / "migrations")).walk_revisions()
    }
    if current not in known:
        raise LeakmapError(
            f"{display_url} has schema revision {current}, newer than this leakmap knows "
            f"({head}); upgrade leakmap"
        )
    raise LeakmapError(
        f"{display_url} has schema revision {current}, this leakmap needs {head}: "
        f"run `leakmap db upgrade --db {display_url}` (back the database up first)"
    )


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade to ``revision``; returns (before, after)."""
    from alembic import command

    with _locked(engine) as conn:
        before = current_revision(conn)
        command.upgrade(_config(conn), revision)
        after = current_revision(conn)
    return before, after
