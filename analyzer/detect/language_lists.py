"""Language priority lists: where a locale is one item among several.

The ``Accept-Language`` header (RFC 9110, section 12.5.4: language ranges of RFC 4647, each with
an optional ``;q=`` weight, joined by commas) and the lists SDKs send from
``navigator.languages`` or ``LocaleList.toLanguageTags()`` (``zh-TW,zh,en-US``) hold the phone's
locale as their first item, among others. A short locale such as ``zh-TW`` is only believed as a
whole field (:mod:`analyzer.detect.variants`); :func:`list_items` says where the items of such a
list are, so that each can be taken as a whole field of its own.
"""

from __future__ import annotations

import re

MAX_LIST_CHARS = 512  # longer values are no language list a phone sends
_RANGE = r"(?:[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*|\*)"  # ISO 639 primary subtag
_WEIGHT = r"(?:\s*;\s*q\s*=\s*[01](?:\.\d{0,3})?)?"
LANGUAGE_LIST = re.compile(rf"\s*{_RANGE}{_WEIGHT}(?:\s*,\s*{_RANGE}{_WEIGHT})+\s*")
_ITEM = re.compile(_RANGE)


def list_items(value: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each language range in ``value`` when the whole value is a list of
    two or more ranges (with optional weights); ``[]`` otherwise (one tag alone, other text)."""
    if "," not in value or len(value) > MAX_LIST_CHARS or not LANGUAGE_LIST.fullmatch(value):
        return []
    out = []
    for part in re.finditer(r"[^,]+", value):
        item = _ITEM.search(part.group())
        if item is not None:
            out.append((part.start() + item.start(), part.start() + item.end()))
    return out
