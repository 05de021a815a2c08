"""Field names as words: ``"dev_mdl"``, ``"tzOffset"``, ``"X-OSV"`` -> tokens a rule can match.

SDKs spell one idea many ways (``osVersion``, ``os_version``, ``OSVER``, ``x-osv``, ``$os_version``,
``systemVersion``). A name is split into words at every separator (anything but a letter or a
digit), at camelCase and acronym boundaries (``IDFAValue`` -> idfa value) and between letters and
digits; a lower-case run that is no known word is segmented into known words where it can be
whole (``carriername`` -> carrier name, ``wlan0mac`` -> wlan 0 mac). The :class:`Lexicon` holds
the known words and their abbreviations (``tz`` -> time zone, ``mdl`` -> model); it is built from
the rule table (``aliases.py``), so every word it knows is one a rule or a qualifier uses.

Pure functions over strings; names of any length are accepted, and the work is bounded (names
longer than :data:`MAX_NAME` characters are cut, segmentation is quadratic in a run of at most
:data:`MAX_RUN` letters).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

MAX_NAME = 120
MAX_RUN = 40
# Platform spellings with a lower-case head that camelCase splitting would break ("iOSVersion").
_MIXED = re.compile(r"iPadOS|iOS|iPhone|iPad|iPod|macOS|tvOS|watchOS|visionOS|eSIM|iCloud|IPv[46]")
# Words: an acronym before a capitalised word, a capitalised or lower-case word, an acronym,
# a digit run ("IDFAValue" -> IDFA, Value; "wlan0Mac" -> wlan, 0, Mac).
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_LOWER_WORDS = re.compile(r"[^\W\d_]+|\d+")
_VOWELS = frozenset("aeiou")


def skeleton(word: str) -> str:
    """First letter and later consonants, doubled ones once: model -> mdl, screen -> scrn."""
    out = word[:1]
    for char in word[1:]:
        if char not in _VOWELS and char != out[-1]:
            out += char
    return out


@dataclass(frozen=True, eq=False)  # hashed by identity: it keys the token cache
class Lexicon:
    """Known words, explicit abbreviations and the words that abbreviations may stand for.

    ``words``: every word a rule, qualifier or other list uses (segmentation may only produce
    these, digit runs, and abbreviations). ``abbreviations``: short forms written out
    (``tz`` -> ``("time", "zone")``). ``expandable``: the words a *derived* abbreviation may
    stand for: a short token that is a prefix of four or more letters of exactly one of them
    (``manuf``, ``carr``), or three or more letters of its consonant skeleton (``mdl``, ``scrn``,
    ``lng``) is read as that word. Ambiguous short forms (``res``: resolution or response) are
    not expanded; a short form that is itself a known word is never read as another.
    """

    words: frozenset[str]
    abbreviations: Mapping[str, tuple[str, ...]]
    expandable: frozenset[str]
    preferred: frozenset[str] = frozenset()
    _prefixes: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Derived abbreviations, computed once: prefix / skeleton -> the rule word it stands for.
        forms: dict[str, set[str]] = {}
        for word in self.expandable:
            shape = skeleton(word)
            found = {word[:n] for n in range(4, len(word))}
            found |= {shape[:n] for n in range(3, len(shape) + 1)}
            for form in found - {word}:
                if form not in self.words and form not in self.abbreviations:
                    forms.setdefault(form, set()).add(word)
        for form, words in forms.items():
            choice = _choose(words, self.preferred)
            if choice is not None:
                self._prefixes[form] = choice

    def derived(self, token: str) -> str | None:
        """The word a short form stands for by prefix or skeleton, or None."""
        return self._prefixes.get(token)


def _stem(one: str, other: str) -> int:
    """Length of the common beginning of two words."""
    size = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        size += 1
    return size


def _choose(words: set[str], preferred: frozenset[str]) -> str | None:
    """The one word a short form stands for, or None when it is ambiguous.

    Words of one family (language, languages; advertiser, advertising) share a stem of five or
    more letters: the shortest stands for all. Otherwise a single word of the preferred rules
    (the device properties) wins ("mdl": model, not middle); else the form is ambiguous.
    """
    if len(words) == 1:
        return next(iter(words))
    shortest = min(words, key=lambda w: (len(w), w))
    if all(_stem(shortest, w) >= 5 for w in words):
        return shortest
    liked = words & preferred
    if len(liked) == 1:
        return next(iter(liked))
    if liked and all(_stem(min(liked), w) >= 5 for w in liked):
        return min(liked, key=lambda w: (len(w), w))
    return None


def make_lexicon(
    words: Iterable[str],
    abbreviations: Mapping[str, str],
    expandable: Iterable[str],
    preferred: Iterable[str] = (),
) -> Lexicon:
    """A :class:`Lexicon` from word lists and ``{"tz": "time zone"}`` abbreviations.

    ``expandable``: the words derived short forms may stand for; ``preferred``: among them,
    those that win a tie (see :func:`_choose`).
    """
    expanded = {short: tuple(long.split()) for short, long in abbreviations.items()}
    every = set(words) | {w for long in expanded.values() for w in long}
    return Lexicon(frozenset(every), expanded, frozenset(expandable), frozenset(preferred))


def split_words(name: str) -> list[str]:
    """Lower-case words of a raw name, before segmentation: ``"X-OSVersion"`` -> x, os, version."""
    name = name[:MAX_NAME]
    if name.islower() or not any(c.isupper() for c in name):  # no case to split on
        return _LOWER_WORDS.findall(name.lower())
    name = _MIXED.sub(lambda m: m.group(0).capitalize(), name)
    return [word.lower() for word in _WORDS.findall(name)]


def segment(run: str, lexicon: Lexicon) -> list[str]:
    """A lower-case letter/digit run cut into known words.

    Fewest pieces win (``carriername`` -> carrier name, not car rier name); digit runs are
    pieces of their own; a single letter only at the end (``osv`` -> os v). Where the whole run
    cannot be cut, an unknown head before at least five letters of known words is kept as one
    piece (``lastknownlatitude`` -> lastknown latitude); otherwise the run stays whole.
    """
    if (
        len(run) < 3
        or run.isdigit()
        or run in lexicon.words
        or run in lexicon.abbreviations
        or len(run) > MAX_RUN
        or lexicon.derived(run) is not None
    ):
        return [run]
    size = len(run)
    # tails[i]: the fewest known pieces that make up run[i:], or None.
    tails: list[list[str] | None] = [None] * (size + 1)
    tails[size] = []
    for start in range(size - 1, -1, -1):
        for end in range(start + 1, size + 1):
            rest = tails[end]
            if rest is None:
                continue
            piece = run[start:end]
            if len(piece) == 1:
                known = piece.isdigit() or (end == size and piece in lexicon.abbreviations)
            else:
                known = piece.isdigit() or piece in lexicon.words or piece in lexicon.abbreviations
            if known and (tails[start] is None or len(rest) + 1 < len(tails[start] or ())):
                tails[start] = [piece, *rest]
    if tails[0] is not None:
        return tails[0]
    for start in range(2, size - 4):
        tail = tails[start]
        if tail is not None:
            return [run[:start], *tail]
    return [run]


def tokenise(name: str, lexicon: Lexicon, inside: bool = False) -> tuple[str, ...]:
    """The words of a field name with abbreviations written out.

    ``"dev_mdl"`` -> device model (with ``dev`` and ``mdl`` known as abbreviations or derived),
    ``"tzOffset"`` -> time zone offset, ``"x-osv"`` -> x os version, ``"$screen_width"`` -> screen
    width. Abbreviations of one letter (``w``) are written out only inside a longer name
    (``scr_w``), never alone: a bare ``w`` stays ``w`` for rules that want it in context;
    ``inside=True`` reads the name as the end of a longer one (a key joined to its parent).
    """
    return _tokenise(name, lexicon, inside)


@lru_cache(maxsize=65536)
def _tokenise(name: str, lexicon: Lexicon, inside: bool) -> tuple[str, ...]:
    pieces: list[str] = []
    for word in split_words(name):
        pieces.extend(segment(word, lexicon))
    out: list[str] = []
    compound = inside or len(pieces) > 1
    for piece in pieces:
        long = lexicon.abbreviations.get(piece)
        if long is not None and (compound or len(piece) > 1):
            out.extend(long)
            continue
        if piece not in lexicon.words and not piece.isdigit():
            word = lexicon.derived(piece)
            if word is not None:
                out.append(word)
                continue
        out.append(piece)
    return tuple(out)
