"""A finding: one piece of personal data in one flow, how it was found and how it was hidden."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

CONTEXT_CHARS = 30


@dataclass(frozen=True, slots=True)
class Finding:
    """One property found in one flow.

    ``location``: query, path, header, cookie, body or websocket; ``path``: the key path inside it;
    ``encoding``: the chain that hid the value (``gzip>json>base64``, ``sha256``, ``plain``);
    ``method``: ``known-value`` (a profile value; confidence 1.0), ``key-name`` (a field name
    and a value format) or ``pattern`` (a value format in free text); ``value``: the value as
    sent, unmasked (mask it with :func:`mask_value` for display); ``context``: a short excerpt
    around it, with the value itself masked; ``explanation``: the reasoning, in a sentence.
    ``placeholder``: the value stands for "none" (an all-zero advertising ID, the MAC
    ``02:00:00:00:00:00`` that Android returns to apps, "unknown"): it is reported as such and
    never counted as the person's data.
    """

    flow_id: int | None
    property: str
    location: str
    path: str
    encoding: str
    method: str
    confidence: float
    value: str
    context: str
    explanation: str
    placeholder: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mask_value(value: str) -> str:
    """Hide the middle of a value: ``356938035643809`` -> ``3569*******3809``.

    Long values keep 4 characters at each end, medium ones 2, short ones 1 at the start; the
    length is kept so that a reader can still tell an ID from a flag.
    """
    value = str(value)
    size = len(value)
    if size >= 12:
        keep = 4
    elif size >= 6:
        keep = 2
    elif size >= 2:
        return value[0] + "*" * (size - 1)
    else:
        return "*" * size
    return value[:keep] + "*" * (size - 2 * keep) + value[-keep:]


def excerpt(text: str, start: int, end: int) -> str:
    """A one-line excerpt around ``text[start:end]`` with that span masked."""
    left = max(0, start - CONTEXT_CHARS)
    right = min(len(text), end + CONTEXT_CHARS)
    piece = (
        ("…" if left else "")
        + text[left:start]
        + mask_value(text[start:end])
        + text[end:right]
        + ("…" if right < len(text) else "")
    )
    return " ".join(piece.split())[: 2 * CONTEXT_CHARS + 200]
