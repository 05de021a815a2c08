"""Where the words of the name rules come from, and which of them a fold may use.

The name rules (``aliases.toml``) are written by hand; to measure them honestly on vendors left
out, each word they match on must be justified by something other than the left-out vendor:

- an independent vocabulary (``analyzer/data/name_sources.toml``: platform API names, standards,
  MaxMind's and TrackHAR's names), or
- the keys of the vendors a fold trains on (the other vendors of the tracker examples).

:func:`fold_words` gives, for one left-out vendor, the words to drop (justified by nothing the
fold may use) and among them the *leaks*: words that only the left-out vendor's keys justify.
A table built without the dropped words (``aliases.build_table(without=...)``) is what a rule
writer could have written without ever seeing that vendor.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from analyzer.detect.aliases import Table
from analyzer.detect.tokens import Lexicon, segment, split_words, tokenise


def words_of_name(name: str, lexicon: Lexicon) -> set[str]:
    """Every word a name holds, as written and with abbreviations written out.

    ``"device.osv"`` -> {device, osv, os, v, version}: a source that spells ``osv`` justifies the
    abbreviation as well as the words it stands for.
    """
    out: set[str] = set()
    for part in name.replace("/", ".").split("."):
        for word in split_words(part):
            out.update(segment(word, lexicon))
            out.add(word)
        out.update(tokenise(part, lexicon, inside=True))
    return {word for word in out if not word.isdigit()}


def load_sources() -> dict[str, Any]:
    """``name_sources.toml`` parsed: ``{"sources": {id: {"title", "url", "names"}}}``."""
    text = resources.files("analyzer").joinpath("data/name_sources.toml").read_text("utf-8")
    return tomllib.loads(text)


def independent_words(rules: Table, sources: dict[str, Any] | None = None) -> dict[str, list[str]]:
    """``{word: [source ids]}`` for every word of the independent vocabularies."""
    sources = load_sources() if sources is None else sources
    out: dict[str, list[str]] = {}
    for source_id, source in sources["sources"].items():
        for name in source["names"]:
            for word in words_of_name(name, rules.lexicon):
                out.setdefault(word, []).append(source_id)
    return out


def rule_words(rules: Table) -> set[str]:
    """The words the rules match on: phrase words and abbreviations (both forms)."""
    out = rules.words()
    for long in rules.abbreviations.values():
        out.update(long.split())
    return out


def key_words(paths: Iterable[str], rules: Table) -> set[str]:
    """Every word of the keys in ``paths`` (dotted key paths; array indices and ``*`` skipped)."""
    out: set[str] = set()
    for path in paths:
        for part in path.split("."):
            if part and part != "*" and not part.isdigit() and not part.startswith("$["):
                out |= words_of_name(part, rules.lexicon)
    return out


@dataclass(frozen=True, slots=True)
class Fold:
    vendor: str
    dropped: frozenset[str]  # rule words this fold may not use
    leaks: frozenset[str]  # dropped words that the left-out vendor's keys use


def fold_words(
    rules: Table, independent: set[str], keys_by_vendor: dict[str, set[str]], vendor: str
) -> Fold:
    """The words a fold leaving out ``vendor`` must drop, and the leaks among them."""
    allowed = set(independent)
    for other, words in keys_by_vendor.items():
        if other != vendor:
            allowed |= words
    dropped = rule_words(rules) - allowed
    return Fold(vendor, frozenset(dropped), frozenset(dropped & keys_by_vendor.get(vendor, set())))


def unjustified(
    rules: Table, independent: set[str], keys_by_vendor: dict[str, set[str]]
) -> set[str]:
    """Rule words that no source and no vendor justifies (dropped in every fold)."""
    everything = set(independent).union(*keys_by_vendor.values()) if keys_by_vendor else independent
    return rule_words(rules) - everything
