"""The property vocabulary: the names every finding, profile and report uses (docs/properties.md).

``PROPERTIES`` is the tuple of names in report order, loaded from ``analyzer/data/vocabulary.toml``
(which also holds each one's name for people and a one-line description). ``closest_property``
turns a typo into a suggestion for error messages.
"""

from __future__ import annotations

import difflib
import tomllib
from functools import cache
from importlib import resources


@cache
def _table() -> dict[str, dict[str, str]]:
    text = resources.files("analyzer").joinpath("data/vocabulary.toml").read_text("utf-8")
    return dict(tomllib.loads(text)["properties"])


PROPERTIES: tuple[str, ...] = tuple(_table())
_BY_FOLDED = {name.lower(): name for name in PROPERTIES}


def label(prop: str) -> str:
    """The property's name for people ("Advertising ID" for advertisingId); the code if unknown."""
    return _table().get(prop, {}).get("label", prop)


def description(prop: str) -> str:
    """One line saying what a property is ("" for an unknown name)."""
    return _table().get(prop, {}).get("description", "")


def canonical_property(name: str) -> str | None:
    """The vocabulary spelling of ``name`` compared case-insensitively, or None."""
    return _BY_FOLDED.get(name.strip().lower())


def closest_property(name: str) -> str | None:
    """The vocabulary name most like ``name`` (for "did you mean" messages), or None."""
    folded = name.strip().lower()
    match = difflib.get_close_matches(folded, list(_BY_FOLDED), n=1, cutoff=0.5)
    return _BY_FOLDED[match[0]] if match else None
