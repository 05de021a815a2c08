"""Did a request reach its server? A request the proxy answered itself left the phone but did
not arrive.

A flow counts as *not delivered* when it has an error, no response from the server, and the error
says that the server was never reached: the connection was refused or timed out, the name did
not resolve, the upstream TLS handshake failed, the request was blocked or killed before it was
forwarded. Every other error (the server closed the connection after the request, a broken
response) counts as delivered: claiming "not delivered" without evidence would hide a leak.

Sources of the error texts: mitmproxy's HTTP layer (``mitmproxy/proxy/layers/http/__init__.py``,
``_http1.py``: "server closed connection", "Cannot parse HTTP response", "Connection killed.",
"... body exceeds mitmproxy's body_size_limit", and the OS's connect errors it passes on:
"Connection refused", "Name or service not known", "timed out"), and Chromium's net error names
that HAR exporters write in ``_error`` (``net/base/net_error_list.h``: ``ERR_NAME_NOT_RESOLVED``,
``ERR_CONNECTION_REFUSED``, ``ERR_CONNECTION_TIMED_OUT``, ``ERR_CERT_*``, ``ERR_SSL_*``,
``ERR_BLOCKED_BY_CLIENT``, ...).
"""

from __future__ import annotations

import re

# The server answered or saw the request: delivered, whatever else went wrong afterwards.
_REACHED = re.compile(
    r"server closed|server response|http response|response body|from server|"
    r"ERR_CONNECTION_(RESET|CLOSED|ABORTED)|ERR_EMPTY_RESPONSE|ERR_INVALID_RESPONSE",
    re.IGNORECASE,
)
# The server was never reached, or the request was never forwarded.
_NEVER_REACHED = re.compile(
    r"\bconnect(ion)? (call )?(failed|refused|timed out)|cannot connect|connection refused|"
    r"connect_failed|\bunreachable\b|no route to host|name or service not known|nodename|"
    r"getaddrinfo|name resolution|temporary failure in name|could not resolve|"
    r"NAME_NOT_RESOLVED|ERR_CONNECTION_(REFUSED|TIMED_OUT|FAILED)|ERR_ADDRESS_UNREACHABLE|"
    r"ERR_INTERNET_DISCONNECTED|ERR_TIMED_OUT|ERR_CERT_|ERR_SSL_|ERR_BLOCKED|"
    r"\btls\b|\bssl\b|handshake|certificate|connection killed|\bkilled\b|"
    r"request body exceeds|\btimed out\b",
    re.IGNORECASE,
)
MAX_ERROR_CHARS = 2000  # an error text longer than this is judged by its start


def delivered(error: str | None, status_code: int | None) -> bool:
    """False when the flow's ``error`` says its server was never reached and no response came
    (``status_code`` None or 0, as HAR writes a missing response); True otherwise."""
    if not error or status_code:
        return True
    text = str(error)[:MAX_ERROR_CHARS]
    if _REACHED.search(text):
        return True
    return not _NEVER_REACHED.search(text)
