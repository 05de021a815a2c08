"""Alembic environment: leakmap runs migrations on a connection it opened (see store/schema.py)."""

from __future__ import annotations

from alembic import context

from analyzer.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
