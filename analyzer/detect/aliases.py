"""The field-name rules of ``analyzer/data/aliases.toml``: which field names name which property.

:func:`rules_for_field` answers, for a field's key and parent key, which rule applies and whether
it applies alone (a strong name) or only in a device context (a context name). The table is data
with its reasoning per rule; this module only normalises names and looks them up.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from analyzer.detect.formats import CHECKS, Check
from analyzer.vocabulary import PROPERTIES

# Rules that are not properties themselves: one field carries two properties.
COMPOSITE_RULES = {
    "location": "latitude",
    "resolution": "screenWidth",
    "osBuild": "osVersion",
    "apiLevel": "osVersion",
}
# Aliases this long are distinctive enough to count at the end of a longer name; IP names are
# not (a "serveripaddress" is not the phone's).
SUFFIX_MIN = 8
NO_SUFFIX_MATCH = frozenset({"ipaddress", "ipv4address", "localipaddress", "publicipaddress"})
_NON_ALNUM = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str  # a property, or a composite rule ("location", "resolution")
    check: Check
    format: str
    why: str


@dataclass(frozen=True, slots=True)
class Table:
    strong: dict[str, Rule]
    context: dict[str, Rule]
    prefixes: tuple[str, ...]
    parent_suffixes: tuple[str, ...]
    context_words: tuple[str, ...]


def normalise(name: str) -> str:
    """``"X-Android-ID"`` -> ``"xandroidid"``: how field names are compared."""
    return _NON_ALNUM.sub("", name.lower())


@cache
def table() -> Table:
    """The alias table, validated (unknown property, unknown format or a name used twice fail)."""
    text = resources.files("analyzer").joinpath("data/aliases.toml").read_text("utf-8")
    data = tomllib.loads(text)
    strong: dict[str, Rule] = {}
    context: dict[str, Rule] = {}
    for name, spec in data["rules"].items():
        if name not in PROPERTIES and name not in COMPOSITE_RULES:
            raise ValueError(f"aliases.toml: rule {name!r} is not a property")
        if spec["format"] not in CHECKS:
            raise ValueError(f"aliases.toml: rule {name!r} has unknown format {spec['format']!r}")
        rule = Rule(name, CHECKS[spec["format"]], spec["format"], spec["why"])
        for target, key in ((strong, "names"), (context, "context_names")):
            for alias in spec.get(key, []):
                alias = normalise(alias)
                if alias in strong or alias in context:
                    raise ValueError(f"aliases.toml: name {alias!r} is used by two rules")
                target[alias] = rule
    qualifiers = data["qualifiers"]
    return Table(
        strong,
        context,
        tuple(sorted(qualifiers["prefixes"], key=len, reverse=True)),
        tuple(qualifiers["parent_suffixes"]),
        tuple(qualifiers["context_words"]),
    )


@lru_cache(maxsize=65536)
def rules_for_field(key: str, parent: str) -> tuple[Rule, bool] | None:
    """``(rule, strong)`` for a field named ``key`` inside ``parent`` (both raw names), or None.

    Tried in order: the name itself; the name without generic qualifiers ("device_model");
    the parent joined with the name ("device" + "name", "screen_info" + "width").
    """
    names = table()
    name = normalise(key)
    if not name or name.isdigit():
        return None
    candidates = [name, *_without_prefixes(name, names.prefixes)]
    parent_name = normalise(parent)
    if parent_name and not parent_name.isdigit() and len(name) <= 12:
        for suffix in names.parent_suffixes:
            if parent_name.endswith(suffix) and len(parent_name) > len(suffix):
                parent_name = parent_name[: -len(suffix)]
                break
        joined = parent_name + name
        candidates += [joined, *_without_prefixes(joined, names.prefixes)]
    for candidate in candidates:
        rule = names.strong.get(candidate)
        if rule is not None:
            return rule, True
    # A distinctive alias at the end of a longer name: "lastKnownLatitude", "simCarrierName".
    for candidate in candidates[:1]:
        for start in range(1, len(candidate) - SUFFIX_MIN + 1):
            rule = names.strong.get(candidate[start:])
            if rule is not None and candidate[start:] not in NO_SUFFIX_MATCH:
                return rule, True
    for candidate in candidates:
        rule = names.context.get(candidate)
        if rule is not None:
            return rule, False
    return None


def _without_prefixes(name: str, prefixes: tuple[str, ...]) -> list[str]:
    out = []
    for _ in range(2):
        for prefix in prefixes:
            if name.startswith(prefix) and len(name) > len(prefix) + 1:
                name = name[len(prefix) :]
                out.append(name)
                break
        else:
            break
    return out


@lru_cache(maxsize=4096)
def in_device_context(path: str) -> bool:
    """Whether an ancestor key of ``path`` is about the device (makes context names count)."""
    words = table().context_words
    parents = [normalise(part) for part in path.split(".")[:-1]]
    return any(word in part for part in parents if part for word in words)


def parent_key(path: str) -> str:
    """The nearest named ancestor of a key path (array indices skipped): ``a.b.0.c`` -> ``b``."""
    parts = path.split(".")
    for part in reversed(parts[:-1]):
        if part and not part.isdigit():
            return part
    return ""


def property_for_alias(name: str) -> str | None:
    """The property a field name stands for ("mac" -> macAddress), for "did you mean" hints."""
    rule = table().strong.get(normalise(name))
    if rule is None:
        return None
    return COMPOSITE_RULES.get(rule.name, rule.name)
