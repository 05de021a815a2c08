"""What a phone said about itself, and the device profile (TOML) written from it.

A :class:`DeviceReading` holds, per property of the vocabulary, the values read with the command
or lockdown key each came from, and what could not be read with the reason and how to add it by
hand. :meth:`DeviceReading.to_toml` writes the profile format of docs/profile.md (``[device] name``,
``[known] property = value(s)``) with a comment after every value naming its source; the text is
checked to load as a profile before it is returned.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field

from analyzer.profile import MAX_VALUE_CHARS, Profile, profile_from_dict
from analyzer.vocabulary import PROPERTIES


@dataclass(frozen=True, slots=True)
class ReadValue:
    """One value of ``property`` and the ``source`` it was read from (a command or a key)."""

    property: str
    value: str
    source: str


@dataclass(frozen=True, slots=True)
class Unread:
    """A property that could not be read: ``reason`` (version, privilege) and ``hint`` (by hand)."""

    property: str
    reason: str
    hint: str


@dataclass(slots=True)
class DeviceReading:
    """Values read from one phone (``platform`` "android" or "ios"), with sources and gaps."""

    platform: str
    name: str = ""
    serial: str = ""
    values: list[ReadValue] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, prop: str, value: object, source: str) -> bool:
        """Add one value (text or number) of a vocabulary property; False if empty or a repeat."""
        if prop not in PROPERTIES:
            raise ValueError(f"{prop!r} is not a property of the vocabulary")
        text = _clean(str(value))
        if not text or len(text) > MAX_VALUE_CHARS:
            return False
        if any(v.property == prop and v.value.lower() == text.lower() for v in self.values):
            return False
        self.values.append(ReadValue(prop, text, source))
        return True

    def miss(self, prop: str, reason: str, hint: str) -> None:
        """Record that ``prop`` could not be read (once per property; the first reason wins)."""
        if not self.has(prop) and all(u.property != prop for u in self.unread):
            self.unread.append(Unread(prop, _clean(reason), _clean(hint)))

    def has(self, prop: str) -> bool:
        return any(v.property == prop for v in self.values)

    def known(self) -> dict[str, list[str]]:
        """``{property: [values]}`` in vocabulary order."""
        out: dict[str, list[str]] = {}
        for prop in PROPERTIES:
            values = [v.value for v in self.values if v.property == prop]
            if values:
                out[prop] = values
        return out

    def profile(self) -> Profile:
        """The reading as a loaded :class:`~analyzer.profile.Profile`."""
        return profile_from_dict(tomllib.loads(self.to_toml()), source="device reading")

    def to_toml(self) -> str:
        """The device profile (TOML), each value with its source, gaps listed as comments."""
        lines = [
            f"# Device profile read from the phone ({self.platform}"
            + (f", serial {_clean(self.serial)}" if self.serial else "")
            + ") by leakmap device profile.",
            "# Every value is searched for in the captured traffic; remove what you do not want.",
        ]
        lines += [f"# {_clean(note)}" for note in self.notes]
        lines += [
            "",
            "[device]",
            f"name = {_toml_string(_clean(self.name or self.serial) or 'phone')}",
        ]
        lines += ["", "[known]"]
        for prop, values in self.known().items():
            sources = [v.source for v in self.values if v.property == prop]
            if len(values) == 1:
                lines.append(f"{prop} = {_toml_string(values[0])}  # {_clean(sources[0])}")
                continue
            lines.append(f"{prop} = [")
            for value, source in zip(values, sources, strict=True):
                lines.append(f"    {_toml_string(value)},  # {_clean(source)}")
            lines.append("]")
        if self.unread:
            lines += ["", "# Not read from the phone; add by hand under [known] if you know them:"]
            for gap in self.unread:
                lines.append(f"# - {gap.property}: {gap.reason}")
                lines.append(f"#   {gap.hint}")
        text = "\n".join(lines) + "\n"
        profile_from_dict(tomllib.loads(text), source="device reading")  # never write a bad file
        return text


def _clean(text: str) -> str:
    """One line of printable text: values and comments come from the device."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text).strip()


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string once DEL is escaped too (TOML 1.0, "String").
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
