"""What the summary consumes (protocols the detector's, geo's and owners' objects fit), and the
small text helpers every part of it shares."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

SCHEMA = "leakmap.report/2"
OLD_SCHEMAS = ("leakmap.report/1",)  # documents a reader of saved reports still accepts
UNKNOWN = "unknown"  # place key: GeoIP has no country for the server (or no owner is known)
LOCAL = "local"  # place key: a loopback or private server address that no database places
PLAINTEXT_SCHEMES = frozenset({"http", "ws"})
MAX_TEXT = 400  # characters kept of a request line, context or explanation

Progress = Callable[[str, int], None]


class FindingLike(Protocol):
    @property
    def flow_id(self) -> int | None: ...
    @property
    def location(self) -> str: ...
    @property
    def path(self) -> str | None: ...
    @property
    def encoding(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def value(self) -> str | None: ...
    @property
    def context(self) -> str | None: ...
    @property
    def explanation(self) -> str | None: ...
    # Last, and through builtins: a member named "property" shadows the decorator below it.
    @builtins.property
    def property(self) -> str: ...


class GeoLike(Protocol):
    """A GeoIP answer; an optional ``lookup_ip`` names the address actually looked up when it
    differs from the one connected to (NAT64, IPv4-mapped, 6to4)."""

    @property
    def country(self) -> str | None: ...
    @property
    def asn(self) -> int | None: ...
    @property
    def org(self) -> str | None: ...
    @property
    def local(self) -> bool: ...


class GeoLookup(Protocol):
    def lookup(self, ip: str) -> GeoLike: ...


class OwnerLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def country(self) -> str | None: ...


class OwnerLookup(Protocol):
    def registrable_domain(self, host: str) -> str | None: ...

    def lookup(self, host: str) -> OwnerLike | None: ...


class PolicyLike(Protocol):
    """Allowed countries; ``condition(country)`` (optional) names a condition on one."""

    name: str

    def allows(self, country: str | None) -> bool: ...


def iso(timestamp: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC with milliseconds (``2025-12-29T09:20:01.000Z``)."""
    if timestamp is None:
        return None
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cap(text: str | None, size: int) -> str | None:
    """``text`` cut to ``size`` characters, the last one an ellipsis when cut."""
    if text is None or len(text) <= size:
        return text
    return text[: size - 1] + "…"


def fallback_mask(value: str) -> str:
    """Fallback mask (the detector's ``mask_value`` is used when available): keep 2 + 2."""
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * min(len(value) - 4, 12) + value[-2:]


def host_of(flow: Any) -> str:
    """The name a flow is filed under: Host, else SNI, else the server address."""
    return flow.host or flow.sni or flow.server_ip or "(unknown)"


def request_bytes(flow: Any) -> int:
    """Bytes the phone sent in this request: request line, headers and the full body size."""
    size = len(flow.method or "") + len(flow.url or "") + 12
    for pair in flow.request_headers or ():
        if len(pair) == 2:
            size += len(str(pair[0])) + len(str(pair[1])) + 4
    return size + (flow.request_body_size or 0)


def is_counted(finding: dict[str, Any]) -> bool:
    """Whether a finding row counts as the person's data reaching its server: delivered (the
    server was reached) and not a placeholder. Rows of ``leakmap.report/1`` lack both keys and
    count."""
    return finding.get("delivered", True) is not False and not finding.get("placeholder")


def place_key(finding: dict[str, Any], by: str = "server") -> str:
    """The place a finding row is filed under: ``by="server"`` the server's country (ISO code,
    ``local`` or ``unknown``), ``by="owner"`` the operator's home country (ISO code or
    ``unknown``)."""
    if by == "owner":
        return finding.get("owner_country") or UNKNOWN
    if finding.get("country"):
        return str(finding["country"])
    return LOCAL if finding.get("local") else UNKNOWN


def place_order(key: str, weight: int = 0) -> tuple[int, int, str]:
    """Sort key for places: ISO codes by ``weight`` (descending), then local, then unknown."""
    return ({LOCAL: 1, UNKNOWN: 2}.get(key, 0), -weight, key)
