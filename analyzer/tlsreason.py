"""Turn mitmproxy's TLS handshake errors into a short reason a researcher can act on.

A failed client handshake means the phone refused to talk through the proxy: the traffic of that
connection was NOT inspected, so a report must show it as a blind spot, not as "nothing sent".
"""

from __future__ import annotations

# (substring of the lower-cased error, reason); first match wins.
_CLIENT_REASONS: tuple[tuple[str, str], ...] = (
    ("unknown ca", "client does not trust the proxy CA"),
    ("bad certificate", "client does not trust the proxy CA"),
    ("certificate unknown", "client does not trust the proxy CA"),
    ("does not trust the proxy", "client does not trust the proxy CA"),
    ("may not trust the proxy", "client closed the handshake (proxy CA not trusted, or pinning)"),
    (
        "disconnected during the handshake",
        "client closed the handshake (proxy CA not trusted, or pinning)",
    ),
    ("agree on a tls version", "no TLS version in common"),
    ("unsupported protocol", "no TLS version in common"),
    ("no shared cipher", "no cipher in common"),
    ("cannot parse clienthello", "not TLS, or an unparseable ClientHello"),
)

_SERVER_REASONS: tuple[tuple[str, str], ...] = (
    ("certificate verify failed", "server certificate not trusted by the proxy"),
    ("does not speak tls", "server does not speak TLS"),
    ("unsupported protocol", "no TLS version in common with the server"),
    ("connection refused", "server refused the connection"),
)


def tls_failure_reason(side: str, error: str | None) -> str:
    """A short, stable reason for a failed handshake on ``side`` ("client" or "server")."""
    text = (error or "").lower()
    table = _CLIENT_REASONS if side == "client" else _SERVER_REASONS
    for needle, reason in table:
        if needle in text:
            return reason
    return "TLS handshake failed" if side == "client" else "TLS handshake with the server failed"
