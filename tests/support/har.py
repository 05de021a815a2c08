"""HAR 1.2 entries for import tests: one builder for the parts every entry has."""

from __future__ import annotations

from typing import Any


def har_entry(
    started: str,
    url: str,
    server_ip: str,
    *,
    method: str = "GET",
    headers: list[dict[str, str]] | None = None,
    post: dict[str, Any] | None = None,
    body_size: int = -1,
    status: int = 200,
    response_headers: list[dict[str, str]] | None = None,
    response_type: str = "text/plain",
    response_text: str = "",
    time: int = 10,
    timings: tuple[int, int, int] = (1, 5, 4),
) -> dict[str, Any]:
    """One entry: the request (``post`` is its postData) and a small text response.

    ``timings`` are send, wait and receive in ms; ``time`` is their total as HAR writes it.
    """
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "headers": headers or [],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": body_size,
    }
    if post is not None:
        request["postData"] = post
    send, wait, receive = timings
    size = len(response_text.encode())
    return {
        "startedDateTime": started,
        "time": time,
        "request": request,
        "response": {
            "status": status,
            "statusText": "OK",
            "httpVersion": "HTTP/1.1",
            "headers": response_headers or [],
            "cookies": [],
            "content": {"size": size, "mimeType": response_type, "text": response_text},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": size,
        },
        "cache": {},
        "timings": {"send": send, "wait": wait, "receive": receive},
        "serverIPAddress": server_ip,
    }
