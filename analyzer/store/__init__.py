"""The store: sessions, flows, WebSocket messages, TLS failures and non-HTTP connections."""

from analyzer.store.db import DEFAULT_DB, SessionInfo, Store, database_url, write_records
from analyzer.store.records import Limits

__all__ = ["DEFAULT_DB", "Limits", "SessionInfo", "Store", "database_url", "write_records"]
