"""Unnamed device records: positional arrays and numbered fields that describe the device.

Some SDKs send the device's description as a list without names (Facebook's app events send
``extinfo``, an array of app version, OS version, model, locale, time-zone abbreviation,
carrier, screen size, ...) or as a message of numbered protobuf fields. A member of such a record
has no name to say what it holds. The forms that are telling alone (a model identifier, an OS
name, a locale, an IANA zone, an OS build: :mod:`analyzer.detect.patterns`) show that a record
describes the device when two members of different kinds hold them; its other members are then
read for forms that are not telling alone:

- a time-zone abbreviation of the tz database or CLDR (``AEDT``, ``CET``; upper case, 3-5
  letters),
- an operator's name from Android's carrier database (``Telstra``; not all lower case, not a
  device maker's name such as Vivo),
- an ISO 639-1 language code or a language name (``en``, ``English``).

Versions and bare numbers stay unread: such records hold app versions, storage sizes and CPU
counts beside the OS version and the screen size, in forms nobody can tell apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.decode.fields import Field
from analyzer.detect import lookups
from analyzer.detect.formats_device import MANUFACTURERS
from analyzer.detect.names import Candidate

# Properties whose pattern findings show that a record describes the device.
FACTS = frozenset({"model", "osName", "osVersion", "language", "timezone"})
CONFIDENCE = 0.5


def _member(path: str) -> tuple[str, bool]:
    """(the record's path, whether ``path`` is a member without a name: its last part a number)."""
    record, _, last = path.rpartition(".")
    return record, last.isdigit()


def record_candidates(fields: Sequence[Field], found: Sequence[Candidate]) -> list[Candidate]:
    """Candidates for the members of unnamed device records (see module doc).

    ``found``: the pattern candidates of the flow; a record counts as the device's where they
    sit in two of its members with two different properties.
    """
    kinds: dict[tuple[str, str], set[str]] = {}
    members: dict[tuple[str, str], set[str]] = {}
    for candidate in found:
        path = candidate.field.path
        if not path[-1:].isdigit() or candidate.prop not in FACTS:
            continue  # (all of ``found`` are pattern candidates)
        record, unnamed = _member(path)
        if unnamed:
            place = (candidate.field.location, record)
            kinds.setdefault(place, set()).add(candidate.prop)
            members.setdefault(place, set()).add(path)
    records = {
        place: props
        for place, props in kinds.items()
        if len(props) >= 2 and len(members[place]) >= 2
    }
    if not records:
        return []
    taken = {candidate.field.path for candidate in found}
    out: list[Candidate] = []
    for field in fields:
        if field.raw or field.path in taken:
            continue
        record, unnamed = _member(field.path)
        facts = records.get((field.location, record)) if unnamed else None
        if facts is None:
            continue
        read = _weak_form(field.value.strip())
        if read is not None:
            prop, what = read
            why = (
                f"{what}, in a record without names whose other members name the device's"
                f" {', '.join(sorted(facts))}"
            )
            out.append(
                Candidate(prop, field, field.value, "pattern", CONFIDENCE, 0, len(field.value), why)
            )
    return out


def _weak_form(value: str) -> tuple[str, str] | None:
    """(property, description) of a form that is telling only in a device record, or None."""
    if not 2 <= len(value) <= 40 or value.isdigit():
        return None
    upper_word = 3 <= len(value) <= 5 and value.isascii() and value.isalpha() and value.isupper()
    if upper_word and value in lookups.zone_abbreviations():
        return "timezone", "a time-zone abbreviation (tz database, CLDR)"
    lowered = value.lower()
    if len(value) == 2 and value.islower() and value.isalpha():
        if lowered in lookups.language_codes():
            return "language", "an ISO 639-1 language code"
        return None
    if value[:1].isupper() and lowered in lookups.language_names():
        return "language", "a language name (CLDR)"
    if (
        len(value) >= 3
        and not value.islower()
        and lowered not in MANUFACTURERS
        and lowered in lookups.carrier_names()
    ):
        return "carrier", "a mobile operator's name (Android's carrier database)"
    return None
