"""The device profile: the test phone's own values, searched for in every encoding.

The file is TOML (format in docs/profile.md)::

    [device]
    name = "lab-pixel-7"
    [known]                 # keys are property names; a value or a list of values
    advertisingId = "6a1c1487-a0af-4223-b142-a0f4621d0311"
    email = ["tester@example.org"]
    latitude = 52.235

``load_profile(path)`` returns a :class:`Profile`; a missing or broken file, an unknown property
(with the closest name suggested) or a value that is not text or a number raises
:class:`~analyzer.errors.LeakmapError` with a one-line message.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.errors import LeakmapError
from analyzer.vocabulary import PROPERTIES, canonical_property, closest_property

MAX_PROFILE_BYTES = 1024 * 1024
MAX_VALUES = 10_000
MAX_VALUE_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Profile:
    """A device name and, per property, the known values as text (normalised, deduplicated).

    ``known`` maps a property name from the vocabulary to a tuple of values in file order.
    Numbers are kept as the file wrote them (``52.235`` stays ``"52.235"``).
    """

    name: str = ""
    known: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """Stable SHA-256 hex of the known values: the cache key of an analysis.

        The device name is left out (renaming the phone does not change what is searched for);
        the order of properties and of values does not matter.
        """
        canonical = {prop: sorted(set(values)) for prop, values in sorted(self.known.items())}
        text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def values(self) -> list[tuple[str, str]]:
        """All ``(property, value)`` pairs in vocabulary order."""
        return [(prop, value) for prop in PROPERTIES for value in self.known.get(prop, ())]

    def __len__(self) -> int:
        return sum(len(values) for values in self.known.values())


def load_profile(path: Path) -> Profile:
    """Read and validate a device profile; LeakmapError (one line) on any problem."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PROFILE_BYTES:
            raise LeakmapError(f"profile {path} is too big ({size} bytes; at most 1 MiB)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LeakmapError(f"no profile at {path}") from None
    except IsADirectoryError:
        raise LeakmapError(f"profile {path} is a folder, not a TOML file") from None
    except OSError as error:
        raise LeakmapError(f"cannot read profile {path}: {error.strerror or error}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LeakmapError(f"profile {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise LeakmapError(f"profile {path} is not valid TOML: {error}") from None
    return profile_from_dict(data, source=str(path))


def profile_from_dict(data: dict[str, object], source: str = "profile") -> Profile:
    """Validate parsed TOML (also used by tests and the evaluation to build profiles in code)."""
    unknown = sorted(set(data) - {"device", "known"})
    if unknown and not isinstance(data[unknown[0]], dict):  # a key above the first table
        raise LeakmapError(
            f"{source}: {unknown[0]!r} is outside any table; put it under [known] "
            "(a property) or [device] (name)"
        )
    if unknown:
        raise LeakmapError(
            f"{source}: unknown table [{unknown[0]}] (expected [device] and [known])"
        )
    device = data.get("device", {})
    if not isinstance(device, dict):
        raise LeakmapError(f'{source}: [device] must be a table with name = "..."')
    name = device.get("name", "")
    if not isinstance(name, str):
        raise LeakmapError(f"{source}: [device] name must be text")
    known_table = data.get("known", {})
    if not isinstance(known_table, dict):
        raise LeakmapError(f"{source}: [known] must be a table of property = value(s)")
    known: dict[str, tuple[str, ...]] = {}
    total = 0
    for key, raw_values in known_table.items():
        prop = _property_name(key, source)
        items = raw_values if isinstance(raw_values, list) else [raw_values]
        values: list[str] = []
        for item in items:
            text = _value_text(item, prop, source)
            if text and text not in values:
                values.append(text)
        total += len(values)
        if total > MAX_VALUES:
            raise LeakmapError(f"{source}: more than {MAX_VALUES} known values")
        if values:
            known[prop] = tuple(values)
    return Profile(name=name, known=known)


def _property_name(key: str, source: str) -> str:
    prop = canonical_property(key)
    if prop is not None:
        if prop != key:
            raise LeakmapError(f"{source}: unknown property {key!r}; did you mean {prop!r}?")
        return prop
    suggestion = _suggest(key)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    raise LeakmapError(f"{source}: unknown property {key!r} in [known]{hint}")


def _suggest(key: str) -> str | None:
    # A field-name alias ("mac", "idfa", "lat") names its property better than spelling does.
    from analyzer.detect.aliases import property_for_alias

    return property_for_alias(key) or closest_property(key)


def _value_text(item: object, prop: str, source: str) -> str:
    if isinstance(item, bool) or not isinstance(item, str | int | float):
        raise LeakmapError(
            f"{source}: {prop} must be text or a number (or a list of them), "
            f"not {type(item).__name__}"
        )
    if isinstance(item, float) and not math.isfinite(item):
        raise LeakmapError(f"{source}: {prop} must be a finite number")
    text = (repr(item) if isinstance(item, float) else str(item)).strip()
    if len(text) > MAX_VALUE_CHARS:
        raise LeakmapError(f"{source}: a value of {prop} is longer than {MAX_VALUE_CHARS} chars")
    return text
