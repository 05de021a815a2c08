"""Values whose name is data: name-value pair objects and value wrappers.

Some formats do not put a value under its own name but beside it, in an object of two members:
OpenTelemetry's OTLP/JSON attributes (``{"key": "os.version", "value": {"stringValue": "17.5"}}``,
https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding), Firebase/GA4 user properties
and Google's ``{"name": ..., "value": ...}`` parameter lists. Others wrap a value in an object
under its name (RevenueCat's subscriber attributes ``{"$displayName": {"value": ...}}``). Name
rules read a field's ``key`` and ``parent``; :func:`named_fields` gives such fields the name the
data gives them, so the same rules apply. Paths stay as they are: a finding still points where
the value was sent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import compress
from operator import itemgetter

from analyzer.decode.fields import Field

# Members that hold the value of a pair or wrapper, and OTLP's typed value members.
VALUE_KEYS = frozenset(
    {
        "value",
        "val",
        "v",
        "stringValue",
        "intValue",
        "doubleValue",
        "boolValue",
        "string_value",
        "int_value",
        "double_value",
        "bool_value",
    }
)
NAME_KEYS = ("key", "name", "k")
_NAME_KEYS = frozenset(NAME_KEYS)
_NAME = re.compile(r"[$@]?[A-Za-z_][\w.\-:/$]{0,63}")
_SEPARATORS = re.compile(r"[.\-:/]+")
_KEY = itemgetter(2)  # Field.key, read in C


def named_fields(fields: Sequence[Field]) -> list[Field]:
    """``fields`` with each pair's or wrapper's value renamed by the data: ``key`` is the last
    word of the pair's name (``identifier`` for ``device.model.identifier``), ``parent`` the word
    before it (``model``), or the wrapper's own name (``$displayName`` -> ``displayName``). Other
    fields are returned as they are, in order."""
    keys = list(map(_KEY, fields))
    if VALUE_KEYS.isdisjoint(keys):  # most flows: one set operation, in C
        return fields if isinstance(fields, list) else list(fields)
    # Index only the value members and the name members (picked out in C).
    values = list(compress(range(len(keys)), map(VALUE_KEYS.__contains__, keys)))
    by_path = {field.path: field for field in compress(fields, map(_NAME_KEYS.__contains__, keys))}
    out = list(fields)
    for index in values:
        field = fields[index]
        if not field.raw and (renamed := _renamed(field, by_path)) is not None:
            out[index] = renamed
    return out


def _renamed(field: Field, by_path: dict[str, Field]) -> Field | None:
    parts = field.path.split(".")
    # The pair object: the value member, or the value member of a typed OTLP value.
    depth = 2 if len(parts) >= 3 and parts[-2] in VALUE_KEYS else 1
    obj = parts[:-depth]
    if not obj:
        return None
    prefix = ".".join(obj)
    for name_key in NAME_KEYS:
        sibling = by_path.get(f"{prefix}.{name_key}")
        if sibling is not None and sibling.location == field.location:
            return _with_name(field, sibling.value.strip())
    if depth == 1 and field.key == "value" and not obj[-1].isdigit() and obj[-1] not in VALUE_KEYS:
        # A wrapper: {"$displayName": {"value": ...}} names its value by its own key.
        parent = obj[-2] if len(obj) >= 2 and not obj[-2].isdigit() else ""
        return field._replace(key=obj[-1].lstrip("$@"), parent=parent)
    return None


def _with_name(field: Field, name: str) -> Field | None:
    if not _NAME.fullmatch(name):
        return None
    words = [word for word in _SEPARATORS.split(name.lstrip("$@")) if word]
    if not words:
        return None
    return field._replace(key=words[-1], parent=words[-2] if len(words) >= 2 else "")
