"""Digests of a profile's values, looked up by token: the cost per flow does not grow with them.

A 100-value profile has some 150,000 digest renderings (see :mod:`analyzer.detect.digests`). They
do not go into the Aho-Corasick automaton: a digest is a token of its own in the text (a hex run,
a base64 word), so the text is cut into its ASCII-alphanumeric runs in C (``str.translate`` and
``str.split``) and the runs are looked up in a dict, in C too (``dict.keys() & tokens``). Only a
run that is a key costs Python time: its places are found and checked.

A rendering is keyed by its longest alphanumeric piece, lower-cased (a hex digest is one piece;
a base64 digest may hold "+", "/", "-" or "_"), and checked in full on a hit: the whole rendering
at that place, its case where it has one (base64, base58), and that it is a whole token (nothing
of its alphabet on either side; 32-bit checksums: the whole field).
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import NamedTuple

from analyzer.detect.digests import Rendered, digest_chains
from analyzer.detect.memo import SEPARATOR

_ALNUM = frozenset(string.ascii_letters + string.digits)
# ASCII characters that are not letters or digits become spaces; str.split then cuts the runs.
_CUT = str.maketrans({chr(code): " " for code in range(128) if chr(code) not in _ALNUM})
_BASE64_EDGE = frozenset(string.ascii_letters + string.digits + "+/-_")


class Entry(NamedTuple):
    """A rendering of a digest of one profile value, keyed by a piece at ``offset``."""

    prop: str
    value: str
    rendering: Rendered
    offset: int


class DigestHit(NamedTuple):
    """A rendering found at ``start:end`` of the text given to :meth:`DigestIndex.find`."""

    entry: Entry
    start: int
    end: int


class DigestIndex:
    """The digests of a profile's hashable spellings, by token; built once per profile.

    ``inputs`` are ``(prop, value, spelling text, normalisation label)`` (label "" where the
    spelling hides nothing; a label is a step of the chain); every case form of the spelling (as
    given, lower, upper) is hashed. ``len(index)`` is the number of renderings.
    """

    def __init__(self, inputs: Iterable[tuple[str, str, str, str]]) -> None:
        self._pieces: dict[str, list[Entry]] = {}
        self.size = 0
        seen: set[tuple[str, str, bytes]] = set()
        for prop, value, text, label in inputs:
            steps = 1 if label else 0
            for case in dict.fromkeys((text, text.lower(), text.upper())):
                data = case.encode("utf-8")
                if (prop, value, data) in seen:
                    continue
                seen.add((prop, value, data))
                rare_pairs = case != text.upper() or case == text
                for rendered in digest_chains(data, steps, rare_pairs):
                    if label:
                        rendered = rendered._replace(chain=f"{label}>{rendered.chain}")
                    self._add(prop, value, rendered)
        # Membership tests of a frozenset cost half those of dict keys: this filters the tokens.
        self._keys = frozenset(self._pieces)

    def __len__(self) -> int:
        return self.size

    def _add(self, prop: str, value: str, rendered: Rendered) -> None:
        lowered = rendered.text.lower()
        if lowered.isalnum() and lowered.isascii():
            piece, offset = lowered, 0
        else:
            pieces = lowered.translate(_CUT).split()
            if not pieces:
                return
            piece = max(pieces, key=len)
            offset = lowered.index(piece)
        self._pieces.setdefault(piece, []).append(Entry(prop, value, rendered, offset))
        self.size += 1

    def find(self, text: str, lowered: str) -> list[DigestHit]:
        """Renderings in ``text`` (``lowered`` is ``text.lower()``, of the same length).

        ``text`` is a NUL-framed join of field values (:func:`analyzer.detect.memo.joined`): a
        whole field is a span between two NULs.
        """
        pieces = self._pieces
        if not pieces:
            return []
        found = self._keys.intersection(lowered.translate(_CUT).split())
        if not found:
            return []
        out = []
        for piece in found:
            for start in _runs(lowered, piece):
                for entry in pieces[piece]:
                    hit = _check(text, lowered, entry, start - entry.offset)
                    if hit is not None:
                        out.append(hit)
        return out


def _runs(lowered: str, piece: str) -> list[int]:
    """Where ``piece`` stands as a whole alphanumeric run in ``lowered``."""
    out = []
    size = len(piece)
    start = lowered.find(piece)
    while start >= 0:
        before = lowered[start - 1] if start else " "
        after = lowered[start + size] if start + size < len(lowered) else " "
        if before not in _ALNUM and after not in _ALNUM:
            out.append(start)
        start = lowered.find(piece, start + 1)
    return out


def _check(text: str, lowered: str, entry: Entry, start: int) -> DigestHit | None:
    rendering = entry.rendering
    end = start + len(rendering.text)
    if start < 0 or end > len(text):
        return None
    if rendering.exact:
        if text[start:end] != rendering.text:
            return None
    elif lowered[start:end] != rendering.text.lower():
        return None
    before = text[start - 1] if start else SEPARATOR
    after = text[end] if end < len(text) else SEPARATOR
    if rendering.whole:
        if before != SEPARATOR or after != SEPARATOR:
            return None
    else:
        # A neighbour from the rendering's alphabet would make it part of a longer token.
        edge = _BASE64_EDGE if rendering.exact else _ALNUM
        if before in edge or after in edge:
            return None
    return DigestHit(entry, start, end)
