"""Words for people: country names in a sentence, property names, counted nouns, lists.

Country names come from the report's world map data (``analyzer/data/world/countries.json``,
world-atlas / Natural Earth names with ISO 3166-1 codes); the article rule ("the United States",
"the Netherlands") and the few names reordered for prose are leakmap's own.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from analyzer.summary.common import LOCAL, UNKNOWN

WORLD = Path(__file__).resolve().parent.parent / "data" / "world" / "countries.json"

# Names the map data writes inverted ("Congo, The Democratic Republic of the"), as prose says them.
_PROSE_NAMES = {
    "CD": "the Democratic Republic of the Congo",
    "FM": "the Federated States of Micronesia",
    "PS": "Palestine",
    "SH": "Saint Helena, Ascension and Tristan da Cunha",
    "VA": "Vatican City",
    "VG": "the British Virgin Islands",
    "VI": "the U.S. Virgin Islands",
    "RU": "Russia",
}
_WITH_ARTICLE = frozenset(
    {"Bahamas", "Comoros", "Gambia", "Maldives", "Netherlands", "Philippines", "Seychelles"}
)
_ARTICLE_ENDINGS = ("Islands", "Republic", "Territories", "Emirates", "Kingdom", "States")


@functools.cache
def _names() -> dict[str, str]:
    data = json.loads(WORLD.read_text(encoding="utf-8"))
    return {c["id"]: c["name"] for c in data["countries"]}


def country_name(code: str | None) -> str:
    """The country's short name ("China", "United States"); ``local`` and ``unknown`` spelt out;
    an unknown code is returned as it is."""
    if not code or code == UNKNOWN:
        return "unknown"
    if code == LOCAL:
        return "local network"
    return _names().get(code, code)


def country_in_prose(code: str) -> str:
    """The name as a sentence says it: "the United States", "China", "the Netherlands"."""
    if code in _PROSE_NAMES:
        return _PROSE_NAMES[code]
    name = _names().get(code, code)
    if name in _WITH_ARTICLE or name.endswith(_ARTICLE_ENDINGS) or name.startswith("United "):
        return "the " + name
    return name


def places_in_prose(keys: Iterable[str], *, limit: int = 4) -> str:
    """ "servers in China and the United States", "servers on the local network", ...: the
    places of ``keys`` (ISO codes, ``local``, ``unknown``) after "servers"/"companies"."""
    keys = list(keys)
    codes = [k for k in keys if k not in (LOCAL, UNKNOWN)]
    parts = [country_in_prose(c) for c in codes[:limit]]
    if len(codes) > limit:
        parts.append(plural(len(codes) - limit, "other country", "other countries"))
    phrases = []
    if parts:
        phrases.append("in " + join_words(parts))
    if LOCAL in keys:
        phrases.append("on the local network")
    if UNKNOWN in keys:
        phrases.append("in a country GeoIP does not know")
    return join_words(phrases)


def property_label(prop: str) -> str:
    """The property's name for people (``advertisingId`` -> "Advertising ID")."""
    from analyzer.vocabulary import label

    return label(prop)


def property_description(prop: str) -> str:
    """The property's one-line description ("" for an unknown name)."""
    from analyzer.vocabulary import description

    return description(prop)


def property_in_prose(prop: str) -> str:
    """The name inside a sentence: "advertising ID", "IMEI", "Wi-Fi network name"."""
    text = property_label(prop)
    first, space, rest = text.partition(" ")
    # Lower-case an ordinary first word; keep acronyms and brand spellings (IMEI, Wi-Fi, OS).
    if first[1:] == first[1:].lower() and not first[:1].isdigit():
        first = first[:1].lower() + first[1:]
    return first + space + rest


def plural(count: int, one: str, many: str | None = None) -> str:
    """``"1 TLS failure"``, ``"3 TLS failures"``; ``many`` defaults to ``one + "s"``."""
    word = one if count == 1 else (many if many is not None else one + "s")
    return f"{count:,} {word}"


def join_words(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = [w for w in words if w]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def capitalise(sentence: str) -> str:
    """The sentence with its first letter upper case (the rest untouched: "IMEI", "iOS")."""
    return sentence[:1].upper() + sentence[1:]
