"""The field-name rules of ``analyzer/data/aliases.toml``: which field names name which property.

:func:`rules_for_field` answers, for a field's key and parent key, which rule applies and whether
it applies alone (a strong name) or only in a device context (a context name). Names are compared
by their words (:mod:`analyzer.detect.tokens`): a rule's phrase must end the name, after words
that only say how the value is written ("name", "px", "seconds") are dropped, and no word before
it may say the name is about something else ("image", "server", "sdk"). The table is data with
its reasoning per rule; this module only reads it and matches.

For the leave-one-vendor-out evaluation, :func:`using_table` swaps in a table built without some
words (:func:`build_table` with ``without``) for the duration of a ``with`` block.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from analyzer.detect.checks import CHECKS, Check
from analyzer.detect.tokens import Lexicon, make_lexicon, tokenise
from analyzer.vocabulary import PROPERTIES

# Rules that are not properties themselves: one field carries two properties, or a part of one.
COMPOSITE_RULES = {
    "location": "latitude",
    "resolution": "screenWidth",
    "osBuild": "osVersion",
    "apiLevel": "osVersion",
    "mcc": "carrier",
    "networkType": "networkConnectionType",
}
# Rules whose words win a tie between derived short forms ("mdl" is model, not middle).
PREFERRED = frozenset(
    {
        "advertisingId",
        "developerScopedId",
        "model",
        "manufacturer",
        "osName",
        "osVersion",
        "carrier",
        "language",
        "timezone",
        "latitude",
        "longitude",
        "location",
        "macAddress",
        "localIp",
        "screenWidth",
        "screenHeight",
        "resolution",
        "pushNotificationToken",
        "networkConnectionType",
        "networkType",
        "isRooted",
        "isEmulator",
    }
)
MAX_PHRASE = 6
# Parent and key are joined only for short keys: "width" in "screen", not a sentence.
MAX_JOINED_KEY = 3


@dataclass(frozen=True, slots=True)
class Rule:
    name: str  # a property, or a composite rule ("location", "resolution")
    check: Check
    format: str
    why: str


@dataclass(frozen=True, eq=False)
class Table:
    """The rules as phrases of words, with the word lists that steer matching."""

    strong: dict[tuple[str, ...], Rule]
    context: dict[tuple[str, ...], Rule]
    lexicon: Lexicon
    trailers: frozenset[str]
    blockers: frozenset[str]
    parent_suffixes: frozenset[str]
    context_words: frozenset[str]
    abbreviations: dict[str, str]

    def words(self) -> set[str]:
        """Every word the rules match on: phrase words and the abbreviations written out."""
        out = {word for phrase in [*self.strong, *self.context] for word in phrase}
        return out | set(self.abbreviations)


def load_rules() -> dict[str, Any]:
    """``aliases.toml`` parsed (for the evaluation's provenance check)."""
    text = resources.files("analyzer").joinpath("data/aliases.toml").read_text("utf-8")
    return tomllib.loads(text)


def build_table(data: dict[str, Any] | None = None, without: Iterable[str] = ()) -> Table:
    """The table from ``aliases.toml`` (or ``data``), validated.

    ``without``: words to leave out; every phrase holding one of them and every abbreviation of
    or to one of them is dropped (how a fold of the evaluation forgets what only one vendor's
    keys justify). Raises ValueError for an unknown property or format, or a phrase used twice.
    """
    data = load_rules() if data is None else data
    dropped = set(without)
    words = data["words"]
    abbreviations = {
        short: long
        for short, long in data.get("abbreviations", {}).items()
        if short not in dropped and not dropped & set(long.split())
    }
    rules: list[tuple[str, Rule, list[str], list[str]]] = []
    for name, spec in data["rules"].items():
        if name not in PROPERTIES and name not in COMPOSITE_RULES:
            raise ValueError(f"aliases.toml: rule {name!r} is not a property")
        if spec["format"] not in CHECKS:
            raise ValueError(f"aliases.toml: rule {name!r} has unknown format {spec['format']!r}")
        rule = Rule(name, CHECKS[spec["format"]], spec["format"], spec["why"])
        rules.append((name, rule, spec.get("names", []), spec.get("context_names", [])))
    rule_words = {
        w for *_, strong, weak in rules for phrase in strong + weak for w in phrase.split()
    }
    lexicon = make_lexicon(
        rule_words
        | set(words["qualifiers"])
        | set(words["trailers"])
        | set(words["blockers"])
        | set(words["parent_suffixes"])
        | set(words["context_words"])
        | set(words["common"]),
        abbreviations,
        rule_words - dropped,
        {
            word
            for name, _, names, weak in rules
            if name in PREFERRED
            for phrase in names + weak
            for word in phrase.split()
        }
        - dropped,
    )
    strong: dict[tuple[str, ...], Rule] = {}
    context: dict[tuple[str, ...], Rule] = {}
    for _, rule, strong_names, context_names in rules:
        for target, names in ((strong, strong_names), (context, context_names)):
            for phrase in names:
                if dropped & set(phrase.split()):
                    continue
                key = tuple(phrase.split())
                if key in strong or key in context:
                    raise ValueError(f"aliases.toml: name {phrase!r} is used by two rules")
                target[key] = rule
    return Table(
        strong,
        context,
        lexicon,
        frozenset(words["trailers"]),
        frozenset(words["blockers"]),
        frozenset(words["parent_suffixes"]),
        frozenset(words["context_words"]),
        abbreviations,
    )


_ACTIVE: list[Table] = []


def table() -> Table:
    """The table in use (built from ``aliases.toml`` on first use)."""
    if not _ACTIVE:
        _ACTIVE.append(build_table())
    return _ACTIVE[-1]


@contextmanager
def using_table(rules: Table) -> Iterator[None]:
    """Match with ``rules`` inside the block (the evaluation's folds); caches are reset."""
    table()
    _ACTIVE.append(rules)
    _clear()
    try:
        yield
    finally:
        _ACTIVE.pop()
        _clear()


def _clear() -> None:
    rules_for_field.cache_clear()
    in_device_context.cache_clear()
    from analyzer.detect import names

    names.forget_names()


def words_of(name: str) -> tuple[str, ...]:
    """The words a field name is matched by (``"tzOffset"`` -> time zone offset)."""
    return tokenise(name, table().lexicon)


@lru_cache(maxsize=65536)
def rules_for_field(key: str, parent: str) -> tuple[Rule, bool] | None:
    """``(rule, strong)`` for a field named ``key`` inside ``parent`` (both raw names), or None.

    Tried in order: the key's words; the parent's words (less suffixes such as "info") joined
    with a short key's ("screen" + "width", "os" + "version"). A strong phrase wins over a
    context phrase; a context phrase after a device word ("device_make") is strong.
    """
    rules = table()
    # Digits number a field, they do not name it ("imei2", "wlan0mac", "line1Number").
    words = tuple(word for word in tokenise(key, rules.lexicon) if not word.isdigit())
    if not words:
        return None
    found = _match(words, rules)
    if found is None and (singular := _singular(words[-1])):
        # A list of them: "apnsTokens", "languages", "deviceIds".
        found = _match((*words[:-1], singular), rules)
    if found is not None and found[1]:
        return found
    if parent and len(words) <= MAX_JOINED_KEY:
        above = list(tokenise(parent, rules.lexicon))
        while above and above[-1] in rules.parent_suffixes:
            above.pop()
        if above and not all(word.isdigit() for word in above):
            inside = (w for w in tokenise(key, rules.lexicon, inside=True) if not w.isdigit())
            joined = _match((*above, *inside), rules)
            if joined is not None and (found is None or joined[1]):
                return joined
    return found


def _singular(word: str) -> str:
    """The English singular of a plural word ("tokens" -> "token", "addresses" -> "address",
    "ids" -> "id"), or "" where ``word`` is no regular plural ("os", "gps", "status")."""
    if len(word) < 3 or not word.endswith("s") or word.endswith(("ss", "us", "is", "os", "ps")):
        return ""
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    return word[:-1]


def _match(words: tuple[str, ...], rules: Table) -> tuple[Rule, bool] | None:
    """The rule whose phrase ends ``words`` (trailing trailers dropped one by one), or None."""
    sequence = words
    while sequence:
        for size in range(min(len(sequence), MAX_PHRASE), 0, -1):
            phrase, before = sequence[-size:], sequence[:-size]
            if any(word in rules.blockers for word in before):
                return None
            rule = rules.strong.get(phrase)
            if rule is not None:
                return rule, True
            rule = rules.context.get(phrase)
            if rule is not None:
                return rule, any(word in rules.context_words for word in before)
        if sequence[-1] not in rules.trailers and not sequence[-1].isdigit():
            return None
        sequence = sequence[:-1]
    return None


@lru_cache(maxsize=4096)
def in_device_context(path: str) -> bool:
    """Whether an ancestor key of ``path`` is about the device (makes context names count)."""
    rules = table()
    for part in path.split(".")[:-1]:
        if part and not part.isdigit() and rules.context_words & set(tokenise(part, rules.lexicon)):
            return True
    return False


def parent_key(path: str) -> str:
    """The nearest named ancestor of a key path (array indices skipped): ``a.b.0.c`` -> ``b``."""
    parts = path.split(".")
    for part in reversed(parts[:-1]):
        if part and not part.isdigit():
            return part
    return ""


def property_for_alias(name: str) -> str | None:
    """The property a field name stands for ("mac" -> macAddress), for "did you mean" hints."""
    found = rules_for_field(name, "")
    if found is None or not found[1]:
        return None
    return COMPOSITE_RULES.get(found[0].name, found[0].name)
