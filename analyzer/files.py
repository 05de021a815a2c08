"""Reading a file the user names (a policy, an owner map, a saved report): whole, but bounded."""

from __future__ import annotations

from importlib.resources.abc import Traversable
from pathlib import Path

from analyzer.errors import LeakmapError


def read_bounded(source: Path | Traversable, limit: int, name: str) -> bytes:
    """The file's bytes; a one-line :class:`LeakmapError` naming ``name`` when it cannot be
    read or holds more than ``limit`` bytes (only ``limit + 1`` are ever read)."""
    try:
        with source.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as error:
        raise LeakmapError(f"cannot read {name}: {error.strerror or error}") from None
    if len(raw) > limit:
        raise LeakmapError(f"{name} is larger than {_size(limit)}")
    return raw


def _size(limit: int) -> str:
    for unit, factor in (("MiB", 2**20), ("KiB", 2**10)):
        if limit % factor == 0:
            return f"{limit // factor} {unit}"
    return f"{limit} bytes"
