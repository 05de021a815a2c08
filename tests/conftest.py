"""Fixtures shared by the whole suite. Feature-specific helpers live in tests/support/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty SQLite store in a temporary folder."""
    with Store(str(tmp_path / "leakmap.db")) as opened:
        yield opened
