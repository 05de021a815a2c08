"""Blind spots: traffic that passed without leakmap seeing its content (TLS handshakes that
failed, connections that carried no HTTP), tallied per host, address and reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from analyzer.summary.common import cap, iso
from analyzer.summary.places import Place


class BlindSpots:
    """Feed TLS failures and undecoded connections (store rows); read ``tls_failures`` and
    ``connections`` (busiest first). ``place(ip)`` places a server address."""

    def __init__(self, place: Callable[[str | None], Place]) -> None:
        self._place = place
        self._tls: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
        self._connections: dict[tuple[str, str | None, str | None, int | None], dict[str, Any]] = {}

    def add_tls_failure(self, failure: Any) -> str:
        """Count one failed handshake; returns the host it is filed under."""
        host = failure.sni or failure.server_ip or "(unknown)"
        key = (host, failure.server_ip, failure.reason)
        entry = self._tls.get(key)
        if entry is None:
            place = self._place(failure.server_ip)
            entry = self._tls[key] = {
                "host": host,
                "server_ip": failure.server_ip,
                "lookup_ip": place.lookup_ip,
                "count": 0,
                "reason": failure.reason,
                "side": failure.side,
                "country": place.country,
                "local": place.local,
                "first_seen": iso(failure.timestamp),
                "error": cap(failure.error, 200),
            }
        entry["count"] += 1
        return host

    def add_connection(self, connection: Any) -> None:
        """A non-HTTP connection: traffic passed through but not decoded."""
        host = connection.sni or connection.host or connection.server_ip or "(unknown)"
        key = (connection.protocol, host, connection.server_ip, connection.server_port)
        entry = self._connections.get(key)
        if entry is None:
            place = self._place(connection.server_ip)
            entry = self._connections[key] = {
                "protocol": connection.protocol,
                "host": host,
                "server_ip": connection.server_ip,
                "lookup_ip": place.lookup_ip,
                "server_port": connection.server_port,
                "tls": bool(connection.tls),
                "country": place.country,
                "local": place.local,
                "count": 0,
                "bytes_sent": 0,
            }
        entry["count"] += 1
        entry["bytes_sent"] += connection.bytes_sent or 0

    @property
    def tls_failures(self) -> list[dict[str, Any]]:
        """The report's ``tls_failures``: per (host, address, reason), busiest first."""
        return sorted(self._tls.values(), key=lambda t: (-t["count"], t["host"]))

    @property
    def connections(self) -> list[dict[str, Any]]:
        """The report's ``connections``: per (protocol, host, address, port), busiest first."""
        return sorted(self._connections.values(), key=lambda c: (-c["count"], c["host"]))
