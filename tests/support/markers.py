"""Marks every test that needs the PostgreSQL server with ``postgres``, so that
``pytest -m postgres`` runs exactly those and ``pytest -m "not postgres"`` the rest.

A test needs it when it runs on the ``postgres`` parameter of ``db_url`` (or of ``store``, which
takes ``db_url``) or asks for ``postgres_engine`` itself. Registered in tests/conftest.py.
"""

from __future__ import annotations

import pytest


def needs_postgres(item: pytest.Item) -> bool:
    """True for a collected test that connects to the PostgreSQL server."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("db_url") == "postgres":
        return True
    return "postgres_engine" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if needs_postgres(item):
            item.add_marker(pytest.mark.postgres)
