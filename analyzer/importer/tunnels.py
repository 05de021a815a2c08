"""HAR entries for connections rather than requests: CONNECT tunnels and failed TLS handshakes.

A proxy that did not (or could not) decrypt a connection writes an entry for the tunnel only:
``CONNECT host:443`` with a URL that has no scheme (Charles, Chrome's failed CONNECTs), or
``https://host:443/`` with method CONNECT (mitmproxy's ``savehar``). Such an entry carries no
request of the app; it tells that the app talked to that host and that leakmap cannot see what
it said: a blind spot of that host. It becomes a TLS failure when its error is a TLS one (the
app refused the proxy's certificate: pinning), else a connection; never a flow of "(unknown)".

HTTP Toolkit writes failed handshakes in a list of its own, ``log._tlsErrors``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from analyzer.importer import timestamps
from analyzer.importer.notes import ImportNotes
from analyzer.store import records as rec

_TLS_ERROR = re.compile(
    r"tls|ssl|certificate|cert_|cert-|handshake|pinn|unknown ca|bad_certificate|alert", re.I
)
# host:port, [IPv6]:port (RFC 9110 authority-form, as CONNECT requests carry it)
_AUTHORITY = re.compile(
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]+\]):\d{1,5}"
)
_SERVER_SIDE = re.compile(r"server|upstream|remote", re.I)
# HTTP Toolkit's failureCause values, as error texts tlsreason understands.
_HTTP_TOOLKIT_CAUSES = {
    "cert-rejected": "the client does not trust the proxy certificate (cert-rejected)",
    "closed": "the client disconnected during the handshake (closed)",
    "reset": "the client disconnected during the handshake (reset)",
    "no-shared-cipher": "no shared cipher",
    "handshake-timeout": "the TLS handshake timed out",
}


def is_tunnel(method: str, url: str) -> bool:
    """A CONNECT entry, or one whose URL is an authority (``host:443``) without a scheme."""
    return method.upper() == "CONNECT" or bool(_AUTHORITY.fullmatch(url.strip()))


def target(url: str) -> tuple[str | None, int | None]:
    """(host, port) of a tunnel entry's URL: ``host:443``, ``[2001:db8::1]:443`` or a URL."""
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else f"//{text}")
        return parts.hostname, parts.port
    except ValueError:
        return None, None


def decrypted_targets(entries: list[Any]) -> set[tuple[str, int]]:
    """(host, port) of the entries that are requests: a successful CONNECT to one of them was
    decrypted, and its traffic is in those entries."""
    seen: set[tuple[str, int]] = set()
    for entry in entries:
        request = entry.get("request") if isinstance(entry, dict) else None
        url = request.get("url") if isinstance(request, dict) else None
        method = request.get("method") if isinstance(request, dict) else None
        if not isinstance(url, str) or not isinstance(method, str) or is_tunnel(method, url):
            continue
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
        except ValueError:
            continue
        if parts.hostname:
            seen.add((parts.hostname, port))
    return seen


def tunnel_record(
    entry: dict[str, Any],
    url: str,
    started: float | None,
    decrypted: set[tuple[str, int]],
    notes: ImportNotes,
    ref: str,
) -> rec.Record | None:
    """The connection or TLS failure of a tunnel entry; None for a successful CONNECT whose
    traffic other entries hold (decrypted)."""
    host, port = target(url)
    if host is None:
        notes.add("CONNECT entry without a host: recorded without one", ref)
    response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
    status = response.get("status")
    error = _error_text(entry, response)
    failed = bool(error) or not isinstance(status, int) or status <= 0 or status >= 400
    if not failed and host and (host, port or 443) in decrypted:
        return None
    server_ip = server_address(entry.get("serverIPAddress"), notes, ref)
    duration = entry.get("time")
    ended = (
        started + duration / 1000.0
        if started is not None and isinstance(duration, int | float) and duration >= 0
        else None
    )
    if failed and error and _TLS_ERROR.search(error):
        return rec.TlsFailureRecord(
            side="server" if _SERVER_SIDE.search(error) else "client",
            timestamp=started,
            client_ip=None,
            sni=host,
            server_ip=server_ip,
            server_port=port,
            error=error,
        )
    if failed and not error:
        error = f"CONNECT answered {status}" if isinstance(status, int) else "CONNECT failed"
    return rec.ConnectionRecord(
        protocol="tcp",
        client_ip=None,
        server_ip=server_ip,
        server_port=port,
        host=host,
        sni=host if port == 443 else None,
        tls=False,
        timestamp_start=started,
        timestamp_end=ended,
        error=error[:500] if error else None,
    )


def _error_text(entry: dict[str, Any], response: dict[str, Any]) -> str | None:
    for value in (entry.get("_error"), response.get("_error"), entry.get("comment")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    status, reason = response.get("status"), response.get("statusText")
    failed = isinstance(status, int) and (status <= 0 or status >= 400)
    if failed and isinstance(reason, str) and reason.strip():
        return reason.strip()
    return None


def tls_error_records(errors: Any, notes: ImportNotes) -> Iterator[rec.TlsFailureRecord]:
    """TLS failures of HTTP Toolkit's ``log._tlsErrors`` list (hostname, cause, time)."""
    if not isinstance(errors, list):
        return
    for number, error in enumerate(errors, start=1):
        if not isinstance(error, dict):
            notes.add("log._tlsErrors item that is not an object: skipped")
            continue
        cause = error.get("cause") if isinstance(error.get("cause"), str) else "unknown"
        host = error.get("hostname") if isinstance(error.get("hostname"), str) else None
        moment = error.get("startedDateTime")
        started = timestamps.parse_timestamp(moment).seconds
        if started is None and moment is not None:
            notes.add(f"log._tlsErrors item {number}: startedDateTime is not a date")
        client = error.get("clientIPAddress")
        yield rec.TlsFailureRecord(
            side="client",
            timestamp=started,
            client_ip=client if isinstance(client, str) else None,
            sni=host,
            server_ip=None,
            server_port=None,
            error=_HTTP_TOOLKIT_CAUSES.get(cause, f"TLS handshake failed ({cause[:40]})"),
        )


def server_address(value: Any, notes: ImportNotes | None = None, ref: str = "") -> str | None:
    """An entry's ``serverIPAddress``: brackets and a port (some exporters add one) removed;
    None (noted) where it is not an IP address, since GeoIP needs one."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    candidates = [text.strip("[]")]
    if text.startswith("["):
        candidates.append(text[1:].split("]", 1)[0])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        if is_ip(candidate):
            return candidate
    if notes is not None:
        notes.add("serverIPAddress is not an IP address: server not geolocated", ref)
    return None


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True
