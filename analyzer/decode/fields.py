"""What the decoders produce: flat fields, and the limits that bound the work per flow."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import NamedTuple

LOCATIONS = ("query", "path", "header", "cookie", "body", "websocket")


class Field(NamedTuple):
    """One value the phone sent, and where.

    ``location`` is one of query, path, header, cookie, body, websocket. ``path`` is the key path
    inside it (``device.identity.gaid``, ``events.0.id``, a header or cookie name, ``/2`` for the
    third URL path segment, ``msg3.user.id`` for the fourth client WebSocket message). ``key`` is
    the innermost field name ("" where there is none). ``encoding`` is the chain of decoders that
    exposed the value (``gzip>json>base64``), ``plain`` where nothing was decoded.
    ``raw`` marks a whole undivided text (the URL, a body as text) kept so that known values are
    also found where no decoder applies; name and format rules skip raw fields. ``parent`` is the
    nearest named enclosing key (``device`` for ``device.model``), for name rules.
    (A NamedTuple, not a dataclass: a flow has hundreds of fields, and this is 3x cheaper.)
    """

    location: str
    path: str
    key: str
    value: str
    encoding: str
    raw: bool = False
    parent: str = ""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds per flow: captured traffic is hostile (decompression bombs, deep nesting)."""

    max_decoded_bytes: int = 8 * 1024 * 1024  # all decompressed/decoded bytes together
    max_depth: int = 10  # nested decodings (JSON in base64 in a form field ...)
    max_fields: int = 20_000
    max_seconds: float = 2.0
    max_value_chars: int = 1024 * 1024  # longer strings are kept but not decoded further
    max_messages: int = 2_000  # client WebSocket messages per flow


@dataclass(slots=True)
class Budget:
    """The running account of one flow's decoding against its :class:`Limits`."""

    limits: Limits
    notes: list[str] = field(default_factory=list)
    decoded_bytes: int = 0
    fields: int = 0
    deadline: float = 0.0
    exhausted: bool = False

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.limits.max_seconds

    def note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < 50:
            self.notes.append(text)

    def take_bytes(self, amount: int) -> bool:
        """Account for ``amount`` decoded bytes; False (with a note) once the cap is reached."""
        self.decoded_bytes += amount
        if self.decoded_bytes > self.limits.max_decoded_bytes:
            self.stop(f"decoded more than {self.limits.max_decoded_bytes} bytes: stopped")
            return False
        return True

    def take_field(self) -> bool:
        self.fields += 1
        if self.fields > self.limits.max_fields:
            self.stop(f"more than {self.limits.max_fields} fields: stopped")
            return False
        if self.fields % 256 == 0 and time.monotonic() > self.deadline:
            self.stop(f"decoding took longer than {self.limits.max_seconds} s: stopped")
            return False
        return True

    def stop(self, reason: str) -> None:
        self.exhausted = True
        self.note(reason)


def join(chain: str, step: str) -> str:
    """``chain`` with one more step: ``join("json", "base64")`` is ``json>base64``."""
    return step if chain in ("", "plain") else f"{chain}>{step}"
