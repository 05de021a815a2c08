"""The store: sessions, flows, WebSocket messages, TLS failures and non-HTTP connections.

Names are imported on first use (PEP 562): ``analyzer.store.catalog`` and ``revisions`` stay
free of SQLAlchemy, so ``leakmap sessions`` can list a SQLite store without importing it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyzer.store.catalog import SessionInfo
    from analyzer.store.db import DEFAULT_DB, Store, database_url, write_records
    from analyzer.store.records import Limits

_HOMES = {
    "DEFAULT_DB": "analyzer.store.db",
    "Limits": "analyzer.store.records",
    "SessionInfo": "analyzer.store.catalog",
    "Store": "analyzer.store.db",
    "database_url": "analyzer.store.db",
    "write_records": "analyzer.store.db",
}
__all__ = ["DEFAULT_DB", "Limits", "SessionInfo", "Store", "database_url", "write_records"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'analyzer.store' has no attribute {name!r}")
