"""Plain-text bodies of ``key:value`` pairs, as SDK loggers write them (``name:王芳;city:成都``).

Analytics and crash-log SDKs (common in apps for the Chinese market) post ``text/plain`` bodies
of pairs joined by ``;``, ``|``, ``,`` or line breaks, with ``:`` or ``=`` between key and value
(their full-width forms too: ``；``, ``，``, ``：``, ``＝``). Read as one string, a short value
inside (a two-character name) cannot be told from its neighbours; read as pairs, each value is a
field of its own, under its key. Anything else (prose, a date, a URL) is not pairs: every piece
must be a pair, with a key of at most :data:`MAX_KEY_CHARS` word characters.
"""

from __future__ import annotations

import re

MAX_TEXT_CHARS = 64 * 1024  # longer texts are not split (a log file, not a record)
MAX_KEY_CHARS = 40
MIN_PAIRS = 2
# Tried in turn: records on lines with pairs joined by ";" or "|" split at all of them; a comma
# only where nothing else splits (values such as "Pixel 8, Android 14" hold commas).
_DELIMITERS = (re.compile(r"[\n;|；]"), re.compile(r"[,，]"))
# Greedy to the end, stripped after: a lazy value before trailing spaces is quadratic.
_PAIR = re.compile(r"\s*([\w.\-]+(?: [\w.\-]+){0,3})\s*[:=：＝](.*)", re.DOTALL)


def delimited_pairs(text: str) -> list[tuple[str, str]] | None:
    """``[(key, value), ...]`` when ``text`` is only ``key:value`` pairs joined by line breaks,
    ``;`` or ``|`` (mixed), or else by commas, else None. Keys are at
    most :data:`MAX_KEY_CHARS` characters; at least :data:`MIN_PAIRS` pairs; empty pieces (a
    trailing delimiter) are skipped."""
    if len(text) > MAX_TEXT_CHARS or text[:1] in "{[<":
        return None
    for delimiter in _DELIMITERS:
        pieces = [piece for piece in delimiter.split(text) if piece.strip()]
        if len(pieces) < MIN_PAIRS:
            continue
        pairs = []
        for piece in pieces:
            match = _PAIR.fullmatch(piece)
            if match is None or len(match.group(1)) > MAX_KEY_CHARS:
                break
            value = match.group(2).strip()
            if value.startswith("//"):  # a URL ("https://..."), not a pair
                break
            pairs.append((match.group(1), value))
        else:
            return pairs
    return None
