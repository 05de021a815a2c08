"""Entry times as HAR exporters really write them (``startedDateTime``), to UNIX seconds.

HAR 1.2 asks for ISO 8601 with a zone (``2025-02-14T08:00:00.000+01:00``); what arrives is wider:

- digits of the phone's UI locale: Android's ``SimpleDateFormat`` formats with the default
  locale's digits (Arabic-Indic U+0660.., extended Arabic-Indic U+06F0.. for Persian and Urdu,
  Devanagari, Bengali, Myanmar, ...), wrapped in bidi marks (U+200E/U+200F/U+061C), with the
  Arabic decimal separator U+066B or a Unicode minus U+2212 (PCAPdroid's
  ``Utils.formatMillisIso8601`` uses the primary locale; Android's ``java.util.Locale`` docs,
  "Be wary of the default locale"). Any Unicode decimal digit (category Nd) is read by its value;
- a space instead of ``T``, a comma before the fraction (ISO 8601 allows it), 7 fraction digits
  (.NET's ``"o"`` format: Fiddler), ``+0100`` or ``+01`` offsets, a space before the offset,
  ``UTC``/``GMT`` for ``Z`` or before an offset (``GMT+08:00``), slashes in the date, no zone
  at all (taken as UTC, noted);
- numbers: UNIX seconds, milliseconds or microseconds (as JSON numbers or digit strings, told
  apart by magnitude), and .NET JSON ``/Date(1739520000000+0100)/``;
- RFC 2822 / HTTP dates (``Fri, 14 Feb 2025 08:00:00 GMT``);
- a Buddhist-era year (Thai locales: Gregorian + 543), read back to the Gregorian year.

What none of these reads gives no time: the entry is kept and the caller notes it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

MAX_CHARS = 80  # longer "dates" are not read (nothing real is this long)
BUDDHIST_ERA = 543  # years the Thai solar calendar counts ahead of the Gregorian one
# Plausible capture times: 1995 (first HTTP proxies) to 2200; outside, a number is no time.
EARLIEST = 788_918_400.0
LATEST = 7_258_118_400.0

_MINUS = dict.fromkeys(map(ord, "\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"), "-")
_OTHERS = {ord("\u066b"): ".", ord("\u066c"): ",", ord("\uff0b"): "+", ord("\uff1a"): ":"}
_DOTNET = re.compile(r"/?Date\((-?\d+)([+-]\d{4})?\)/?")
_NUMBER = re.compile(r"\d{9,17}(?:\.\d+)?")
_ZONE_WORD = re.compile(r"\s*(?:UTC|GMT|Z)$", re.IGNORECASE)
_ZONE_PREFIX = re.compile(r"\s*(?:UTC|GMT)(?=[+-]\d)", re.IGNORECASE)  # "GMT+08:00" (Java)
# "2025-02-14 08:00:00.123 +0100" / "... +01:00": the space before the offset goes.
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}(?::?\d{2})?)$")
_SLASHED_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})")
_YEAR = re.compile(r"^(\d{4})")


class Moment(NamedTuple):
    """``seconds`` since the UNIX epoch (None when the value is no time) and what was assumed
    or changed to read it (``notes``: short phrases, empty for a plain ISO 8601 time)."""

    seconds: float | None
    notes: tuple[str, ...] = ()


def parse_timestamp(value: Any) -> Moment:
    """A HAR ``startedDateTime`` (or any exporter's entry time) as UNIX seconds.

    ``value`` is a string or a number; see the module doc for the forms read. Never raises:
    ``Moment(None)`` for a value that is no time (empty, too long, unparseable, before 1995 or
    after 2200). Notes: ``"no time zone: taken as UTC"``, ``"Buddhist-era year"``.
    """
    if isinstance(value, bool) or value is None:
        return Moment(None)
    if isinstance(value, int | float):
        return _epoch(float(value))
    if not isinstance(value, str) or len(value) > MAX_CHARS:
        return Moment(None)
    text = _ascii(value)
    if not text:
        return Moment(None)
    if _NUMBER.fullmatch(text):
        return _epoch(float(text))
    dotnet = _DOTNET.fullmatch(text)
    if dotnet:
        return _epoch(int(dotnet.group(1)) / 1000.0)
    moment = _iso(text)
    if moment is None:
        moment = _rfc2822(text)
    return moment if moment is not None else Moment(None)


def _ascii(value: str) -> str:
    """``value`` with every decimal digit as ASCII, bidi and other format marks removed."""
    out = []
    for ch in value.translate(_MINUS).translate(_OTHERS):
        if ch.isascii():
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category == "Nd":
            out.append(str(unicodedata.decimal(ch)))
        elif category == "Zs":
            out.append(" ")
        elif category != "Cf":  # LRM, RLM, ALM, ...: invisible; anything else is kept
            out.append(ch)
    return " ".join("".join(out).split())


def _iso(text: str) -> Moment | None:
    notes: list[str] = []
    text = _ZONE_WORD.sub("Z", text) if len(text) > 10 else text
    text = _ZONE_PREFIX.sub("", text)
    text = _SPACED_OFFSET.sub(r"\1", text)
    text = _SLASHED_DATE.sub(lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", text)
    year = _YEAR.match(text)
    if year and 2400 <= int(year.group(1)) <= 2800:
        text = f"{int(year.group(1)) - BUDDHIST_ERA:04d}{text[4:]}"
        notes.append("Buddhist-era year")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        notes.append("no time zone: taken as UTC")
        moment = moment.replace(tzinfo=UTC)
    return _checked(moment.timestamp(), tuple(notes))


def _rfc2822(text: str) -> Moment | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    notes: tuple[str, ...] = ()
    if moment.tzinfo is None:  # "-0000": RFC 2822 for "zone unknown"
        notes = ("no time zone: taken as UTC",)
        moment = moment.replace(tzinfo=UTC)
    return _checked(moment.timestamp(), notes)


def _epoch(number: float) -> Moment:
    """Seconds, milliseconds or microseconds since the epoch, told apart by magnitude."""
    if not math.isfinite(number):
        return Moment(None)
    for scale in (1.0, 1e3, 1e6):
        seconds = number / scale
        if EARLIEST <= seconds <= LATEST:
            return Moment(seconds)
    return Moment(None)


def _checked(seconds: float, notes: tuple[str, ...]) -> Moment | None:
    if not EARLIEST <= seconds <= LATEST:
        return None
    return Moment(seconds, notes)
