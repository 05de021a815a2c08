"""The live page's web server: loopback only, a secret token in every path, nothing else served.

Python's own ``http.server`` (a thread per request) on a listening socket handed over by the
capture. Every request must

- name the token as its first path segment (``/<token>/...``, compared in constant time);
- carry a ``Host`` of this server (``127.0.0.1:PORT`` or ``localhost:PORT``): a page on another
  site whose name was made to resolve to 127.0.0.1 (DNS rebinding) sends its own name;
- carry no ``Origin`` but this server's, and no ``Sec-Fetch-Site`` but ``same-origin`` or
  ``none`` (typed or pasted by the researcher);
- for a POST (setting a step): carry this server's ``Origin`` and a JSON body, which no form of
  another site can send without a CORS preflight that this server never answers (CSRF).

Anything else gets 403 and no data. Every answer carries the Content-Security-Policy of
:data:`CSP`: only this server's own script and styles, nothing from any network, no inline
script, no framing. The page's data comes as server-sent events (``events``) or one JSON
snapshot (``state``).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from analyzer.errors import LeakmapError
from analyzer.live.state import LiveState

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
MAX_STREAMS = 8  # event streams open at once (browser tabs)
MAX_POST_BYTES = 4096
REQUEST_TIMEOUT = 15.0  # seconds to send a request (and to take an event)
KEEPALIVE = 15.0  # seconds between comments on a quiet event stream
MIN_EVENT_GAP = 0.25  # seconds: a burst of flows is sent as one event, not hundreds
FETCH_SITES = frozenset({"same-origin", "none"})


class NotRecording(Exception):
    """A step was set before the capture created its session."""


MarkSetter = Callable[[str], dict[str, Any]]


class LiveServer:
    """Serves the live page from ``sock`` (listening, loopback) until :meth:`stop`.

    ``page``: the HTML; ``assets``: file name -> (bytes, content type); ``set_mark(label)``
    stores a step and returns it as a dict (raises :class:`NotRecording` or LeakmapError).
    """

    def __init__(
        self,
        sock: socket.socket,
        token: str,
        state: LiveState,
        page: bytes,
        assets: dict[str, tuple[bytes, str]],
        set_mark: MarkSetter,
    ) -> None:
        host, port = sock.getsockname()[:2]
        self.port = int(port)
        self.token = token
        self.state = state
        self.page = page
        self.assets = assets
        self.set_mark = set_mark
        self.stopping = threading.Event()
        self.streams = threading.BoundedSemaphore(MAX_STREAMS)
        names = {"127.0.0.1", "localhost"} | ({f"[{host}]"} if ":" in host else {host})
        self.hosts = frozenset(f"{name}:{self.port}" for name in names)
        self.origins = frozenset(f"http://{name}" for name in self.hosts)
        self._http = _HTTPServer(sock, self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.token}/"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket; open event streams end within a moment."""
        self.stopping.set()
        self.state.wake()
        if self._thread is not None:  # shutdown() waits for serve_forever, which must run
            self._http.shutdown()
        self._http.server_close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, sock: socket.socket, live: LiveServer) -> None:
        super().__init__(sock.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.live = live

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser tab closed mid-stream is ordinary; anything else is logged, never printed.
        log.debug("live page request failed", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "leakmap-live"
    timeout = REQUEST_TIMEOUT
    server: _HTTPServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal belongs to the capture; paths carry the token

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib's error page would echo parts of the request; this one says only the code,
        # with the same headers as every other answer.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send(code, f"{code}\n".encode(), "text/plain; charset=utf-8")

    def do_GET(self) -> None:
        route = self._route("GET")
        if route is None:
            return
        live = self.server.live
        if route == "":
            self._send(308, b"", extra={"Location": f"/{live.token}/"})
        elif route == "/":
            self._send(200, live.page, "text/html; charset=utf-8")
        elif route.startswith("/assets/") and route[8:] in live.assets:
            body, kind = live.assets[route[8:]]
            self._send(200, body, kind)
        elif route == "/state":
            payload, _ = live.state.payload()
            self._send_json(200, payload)
        elif route == "/events":
            self._events()
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        route = self._route("POST")
        if route is None:
            return
        if route != "/marks":
            self._send(404, b"not found\n", "text/plain; charset=utf-8")
            return
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            self._send_json(415, {"error": "send the step as JSON"})
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send_json(411, {"error": "a Content-Length is required"})
            return
        if not 0 < length <= MAX_POST_BYTES:
            self._send_json(413, {"error": f"a step is at most {MAX_POST_BYTES} bytes of JSON"})
            return
        try:
            data = json.loads(self.rfile.read(length))
        except ValueError:
            self._send_json(400, {"error": "the body is not JSON"})
            return
        label = data.get("label") if isinstance(data, dict) else None
        if not isinstance(label, str):
            self._send_json(400, {"error": 'expected {"label": "..."}'})
            return
        try:
            mark = self.server.live.set_mark(label)
        except NotRecording:
            self._send_json(409, {"error": "the capture has not started recording yet"})
        except LeakmapError as error:
            self._send_json(400, {"error": str(error)})
        else:
            self._send_json(201, mark)

    # --- checks ---------------------------------------------------------------------------------

    def _route(self, method: str) -> str | None:
        """The path after the token, or None when the request was refused (403 sent)."""
        live = self.server.live
        reason = self._refusal(method)
        route = None
        if reason is None:
            path = urlsplit(self.path).path if self.path.startswith("/") else ""
            token, _, rest = path[1:].partition("/")
            if hmac.compare_digest(token.encode(), live.token.encode()):
                route = "/" + rest if path[1:] != token else ""
            else:
                reason = "token"
        if route is None:
            self._send(403, b"forbidden\n", "text/plain; charset=utf-8")
            # Nothing of a refused request is read further; the connection ends.
            self.close_connection = True
            log.debug("live page refused a request (%s)", reason)
        return route

    def _refusal(self, method: str) -> str | None:
        live = self.server.live
        if self.headers.get("Host", "").lower() not in live.hosts:
            return "host"
        origin = self.headers.get("Origin")
        if origin is not None and origin.lower() not in live.origins:
            return "origin"
        if method == "POST" and origin is None:
            return "no origin"
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site.lower() not in FETCH_SITES:
            return "cross-site"
        return None

    # --- answers --------------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in {**SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, data: Any) -> None:
        self._send(status, _json(data), "application/json")

    def _events(self) -> None:
        """Server-sent events: a snapshot first, then an update whenever the state changes."""
        live = self.server.live
        if not live.streams.acquire(blocking=False):
            self._send_json(503, {"error": "too many live pages open"})
            return
        try:
            self.send_response(200)
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self._stream(live, _last_event_id(self.headers.get("Last-Event-ID")))
        except OSError:
            pass  # the tab was closed
        finally:
            live.streams.release()

    def _stream(self, live: LiveServer, since: int | None) -> None:
        version = -1
        while not live.stopping.is_set():
            newer = live.state.wait(version, KEEPALIVE)
            if live.stopping.is_set():
                return
            if newer == version:
                self.wfile.write(b": keepalive\n\n")
                continue
            payload, version = live.state.payload(since)
            since = payload["last"]
            event = f"event: {payload['kind']}\nid: {since}\ndata: ".encode()
            self.wfile.write(event + _json(payload) + b"\n\n")
            live.stopping.wait(MIN_EVENT_GAP)


def _json(data: Any) -> bytes:
    # ASCII only: lone surrogates from captured text cannot break the encoding; no raw newline
    # can end an event early.
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _last_event_id(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit() or len(value) > 18:
        return None
    return int(value)
