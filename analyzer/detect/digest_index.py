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
import sys
from collections.abc import Iterable
from typing import NamedTuple

from analyzer.detect.digests import MAX_STEPS, Rendered, digest_chains
from analyzer.detect.memo import SEPARATOR

# About 150 MB of renderings: the whole grammar for some 1,300 spellings (hundreds of values),
# single hashes for some 7,000.
MAX_RENDERINGS = 400_000
_CHAINS_SHARE = 0.6  # of the budget for the whole grammar; the rest for single hashes

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
    given, lower, upper; the upper-case form nested in CHAINED hashes only) is hashed.
    ``len(index)`` is the number of renderings.

    Bounded by ``budget`` renderings (about 360 bytes each): in a profile too big for the whole
    grammar (hundreds of contacts), the values after the first 60 % of the budget get single
    hashes only, and past the budget the last values are not hashed at all; ``notes`` then says
    from which value on (profile order: the vocabulary's, identifiers first).
    """

    def __init__(
        self, inputs: Iterable[tuple[str, str, str, str]], budget: int = MAX_RENDERINGS
    ) -> None:
        self._pieces: dict[str, Entry | list[Entry]] = {}
        self.size = 0
        self.notes: list[str] = []
        todo = _case_forms(inputs)
        values = list(dict.fromkeys(item[:2] for item in todo))
        max_hashes = MAX_STEPS
        for prop, value, data, label, rare_pairs in todo:
            if max_hashes > 1 and self.size >= budget * _CHAINS_SHARE:
                max_hashes = 1
                self.notes.append(
                    f"known values from {prop} {values.index((prop, value)) + 1} of "
                    f"{len(values)} on: digests of single hashes only (hash chains for at most "
                    f"{int(budget * _CHAINS_SHARE):,} digest renderings)"
                )
            if self.size >= budget:
                self.notes.append(
                    f"known values from {prop} {values.index((prop, value)) + 1} of "
                    f"{len(values)} on: digests not searched (more than {budget:,} renderings)"
                )
                break
            steps = 1 if label else 0
            for rendered in digest_chains(data, steps, rare_pairs, max_hashes):
                chain = f"{label}>{rendered.chain}" if label else rendered.chain
                self._add(prop, value, rendered._replace(chain=sys.intern(chain)))
        # Membership tests of a frozenset cost half those of dict keys: this filters the tokens.
        self._keys = frozenset(self._pieces)

    def __len__(self) -> int:
        return self.size

    def _add(self, prop: str, value: str, rendered: Rendered) -> None:
        text = rendered.text
        lowered = text.lower()
        if lowered == text:
            lowered = text  # one string, not two
        if lowered.isalnum() and lowered.isascii():
            piece, offset = lowered, 0
        else:
            pieces = lowered.translate(_CUT).split()
            if not pieces:
                return
            piece = max(pieces, key=len)
            offset = lowered.index(piece)
        entry = Entry(prop, value, rendered, offset)
        held = self._pieces.get(piece)
        # Most pieces are one rendering's: a list only where several share one.
        if held is None:
            self._pieces[piece] = entry
        elif isinstance(held, list):
            held.append(entry)
        else:
            self._pieces[piece] = [held, entry]
        self.size += 1

    def entries(self, piece: str) -> list[Entry]:
        """The renderings keyed by ``piece``."""
        held = self._pieces.get(piece)
        if held is None:
            return []
        return held if isinstance(held, list) else [held]

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
                for entry in self.entries(piece):
                    hit = _check(text, lowered, entry, start - entry.offset)
                    if hit is not None:
                        out.append(hit)
        return out


def _case_forms(
    inputs: Iterable[tuple[str, str, str, str]],
) -> list[tuple[str, str, bytes, str, bool]]:
    """``(prop, value, UTF-8 bytes, label, rare pairs)`` per distinct case form of each input."""
    out = []
    seen: set[tuple[str, str, bytes]] = set()
    for prop, value, text, label in inputs:
        upper = text.upper()
        for case in dict.fromkeys((text, text.lower(), upper)):
            data = case.encode("utf-8")
            if (prop, value, data) not in seen:
                seen.add((prop, value, data))
                out.append((prop, value, data, label, case != upper or case == text))
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
