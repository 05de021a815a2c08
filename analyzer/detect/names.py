"""Detection without a profile: field names with value formats, and formats in free text.

Key-name findings need both a name from the alias table and a value that passes the rule's
format check (confidence 0.8; 0.6 for context-only names such as "w" or "z", which need a device
context: an ancestor key about the device, or two other device properties in the same object).
Pattern findings look for e-mail addresses, Luhn-valid IMEIs and MAC addresses anywhere in a
value (confidence 0.7 / 0.6 / 0.6).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.decode.fields import Field
from analyzer.detect.aliases import COMPOSITE_RULES, in_device_context, parent_key, rules_for_field
from analyzer.detect.formats import (
    EMAIL,
    FILE_SUFFIXES,
    MAC,
    is_imei,
    mac_bare,
    manufacturer_in,
    mark,
    model_in,
)

STRONG_CONFIDENCE = 0.8
CONTEXT_CONFIDENCE = 0.6
# The User-Agent and Accept-Language headers are on every request by design: reporting them as
# leaks would drown the findings; known values are still matched in them.
IGNORED_HEADERS = frozenset({"user-agent", "accept-language"})

_IMEI_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
_MAC_TEXT = re.compile(
    r"(?<![0-9A-Za-z:-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![0-9A-Za-z:-])"
)
_IMEI_WHY = "15 digits with a valid Luhn check digit and an IMEI reporting-body prefix"
_EMAIL_TEXT = re.compile(r"(?<![A-Za-z0-9._%+\-])" + EMAIL.pattern)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A finding before the flow-level checks (context, pairing, deduplication)."""

    prop: str
    field: Field
    value: str
    method: str
    confidence: float
    start: int
    end: int
    explanation: str
    needs_context: bool = False


def key_name_candidates(fields: Sequence[Field]) -> list[Candidate]:
    out: list[Candidate] = []
    for field in fields:
        if (
            field.raw
            or not field.key
            or (field.location == "header" and field.key in IGNORED_HEADERS)
        ):
            continue
        found = rules_for_field(field.key, parent_key(field.path))
        if found is None:
            continue
        rule, strong = found
        prop_for_check = COMPOSITE_RULES.get(rule.name, rule.name)
        for prop, value in rule.check(prop_for_check, field.value):
            remark = mark(prop, value)
            explanation = (
                f"field name {field.key!r} names {prop} ({'alias' if strong else 'context alias'}"
                f" of rule {rule.name}) and the value has the {rule.format} format. {rule.why}"
            )
            if remark:
                explanation += f" Note: {remark}."
            out.append(
                Candidate(
                    prop,
                    field,
                    value,
                    "key-name",
                    STRONG_CONFIDENCE if strong else CONTEXT_CONFIDENCE,
                    0,
                    len(field.value),
                    explanation,
                    needs_context=not strong,
                )
            )
    return out


def pattern_candidates(fields: Sequence[Field]) -> list[Candidate]:
    out: list[Candidate] = []
    for field in fields:
        if field.raw:
            continue
        value = field.value
        if "@" in value:
            for match in _EMAIL_TEXT.finditer(value):
                address = match.group(0)
                if address.rsplit(".", 1)[-1].lower() in FILE_SUFFIXES:
                    continue
                out.append(
                    Candidate(
                        "email",
                        field,
                        address,
                        "pattern",
                        0.7,
                        match.start(),
                        match.end(),
                        "an e-mail address in the text",
                    )
                )
        if len(value) >= 15:
            for match in _IMEI_TEXT.finditer(value):
                if is_imei(match.group(0)):
                    out.append(
                        Candidate(
                            "imei",
                            field,
                            match.group(0),
                            "pattern",
                            0.6,
                            match.start(),
                            match.end(),
                            _IMEI_WHY,
                        )
                    )
        if len(value) <= 80:
            maker = manufacturer_in(value)
            if maker is not None:
                out.append(
                    Candidate(
                        "manufacturer",
                        field,
                        value,
                        "pattern",
                        0.5,
                        0,
                        len(value),
                        f"the value names the device maker {maker!r}",
                    )
                )
                if maker != value.strip():  # "Google sdk_gphone_x86": the rest is the model
                    out.append(
                        Candidate(
                            "model",
                            field,
                            value,
                            "pattern",
                            0.5,
                            0,
                            len(value),
                            f"the value names the maker {maker!r} and a model",
                        )
                    )
            if model_in(value):
                out.append(
                    Candidate(
                        "model",
                        field,
                        value,
                        "pattern",
                        0.6,
                        0,
                        len(value),
                        "the value has the form of a device model identifier",
                    )
                )
        if len(value) >= 17 and (":" in value or "-" in value):
            for match in _MAC_TEXT.finditer(value):
                address = match.group(0)
                if MAC.fullmatch(address) and mac_bare(address) not in {
                    "000000000000",
                    "ffffffffffff",
                }:
                    explanation = "six hex pairs with separators: a MAC address"
                    remark = mark("macAddress", address)
                    if remark:
                        explanation += f". Note: {remark}"
                    out.append(
                        Candidate(
                            "macAddress",
                            field,
                            address,
                            "pattern",
                            0.6,
                            match.start(),
                            match.end(),
                            explanation,
                        )
                    )
    return out


def resolve_context(candidates: list[Candidate]) -> list[Candidate]:
    """Keep context-only name matches that sit in a device context (see module doc)."""
    if not any(c.needs_context for c in candidates):
        return candidates
    strong_per_object: dict[tuple[str, str], set[str]] = {}
    for candidate in candidates:
        if not candidate.needs_context and candidate.method == "key-name":
            key = (candidate.field.location, _object_path(candidate.field.path))
            strong_per_object.setdefault(key, set()).add(candidate.prop)
    kept = []
    for candidate in candidates:
        if candidate.needs_context:
            key = (candidate.field.location, _object_path(candidate.field.path))
            siblings = strong_per_object.get(key, set()) - {candidate.prop}
            if not (in_device_context(candidate.field.path) or len(siblings) >= 2):
                continue
        kept.append(candidate)
    return kept


def _object_path(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else ""
