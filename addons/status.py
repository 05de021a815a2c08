"""Tell the researcher how to connect the phone, then show live counters while recording.

Works next to the recorder (``mitmdump -s addons/recorder.py -s addons/status.py``) and inside
``leakmap capture``. Printing happens from a timer on the event loop and reads counters only.

The terminal stays readable: mitmproxy's per-connection lines (client connect, server connect,
disconnects: 4-6 per connection) are hidden unless ``leakmap_verbose`` is set; warnings and
errors always show. A log line first clears the counter line, so the two never run together.
The WireGuard client configuration holds the phone's private key: it is shown once, on a
terminal only, written to a file readable by its owner, and kept out of every log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from mitmproxy import ctx
from mitmproxy.addonmanager import Loader

from analyzer.connect import lan_addresses, proxy_instructions, wireguard_instructions

TTY_INTERVAL = 1.0
LOG_INTERVAL = 30.0
CONNECTION_LOGGER = "mitmproxy.proxy.server"  # client/server connect and disconnect lines
SERVERS_LOGGER = "mitmproxy.proxy.mode_servers"  # logs the WireGuard client configuration
_ENDPOINT = re.compile(r"^Endpoint\s*=\s*(.+)$", re.M)
_WILDCARDS = {"", "0.0.0.0", "::"}


class _HideConnectionLines(logging.Filter):
    """Per-connection records are below WARNING; warnings and errors pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


class _HideSecrets(logging.Filter):
    """Drops any record carrying a WireGuard private key (mitmproxy logs the client config)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "PrivateKey" not in record.getMessage()


class _ClearCounterLine(logging.Filter):
    """Before a log line is printed, erase the counter line it would otherwise run into; the
    event loop draws it again below the log line."""

    def __init__(self, status: Status) -> None:
        super().__init__()
        self.status = status

    def filter(self, record: logging.LogRecord) -> bool:
        self.status.clear_line()
        return True


class Status:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self._task: asyncio.Task[None] | None = None
        self._last_line = ""
        self._line_shown = False  # a counter line without newline is on the terminal
        self._redraw_pending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hide_connections = _HideConnectionLines()
        self._hide_secrets = _HideSecrets()
        self._clear = _ClearCounterLine(self)
        self._handlers: list[logging.Handler] = []
        logging.getLogger(SERVERS_LOGGER).addFilter(self._hide_secrets)

    def load(self, loader: Loader) -> None:
        loader.add_option(
            "leakmap_status", bool, True,
            "Print how to connect a phone at start, then live counters (flows, hosts, "
            "TLS failures) while recording.",
        )  # fmt: skip
        loader.add_option(
            "leakmap_live_url", str, "",
            "URL of the live page (set by leakmap capture), printed with the instructions.",
        )  # fmt: skip
        loader.add_option(
            "leakmap_verbose", bool, False,
            "Show mitmproxy's per-connection log lines (client and server connect, "
            "disconnect); warnings and errors always show.",
        )  # fmt: skip
        loader.add_option(
            "leakmap_advertise_host", str, "",
            "Address the phone uses to reach this machine, printed as the proxy address and "
            "written as the WireGuard endpoint (e.g. the host's LAN address when running in a "
            "container). Default: the addresses found on this machine.",
        )  # fmt: skip

    def configure(self, updated: set[str]) -> None:
        if "leakmap_verbose" in updated:
            connections = logging.getLogger(CONNECTION_LOGGER)
            if ctx.options.leakmap_verbose:
                connections.removeFilter(self._hide_connections)
            else:
                connections.addFilter(self._hide_connections)

    def running(self) -> None:
        if not ctx.options.leakmap_status:
            return
        self._print_instructions()
        if self.out.isatty():
            # Log handlers print to the same terminal: each clears the counter line first.
            self._handlers = list(logging.getLogger().handlers)
            for handler in self._handlers:
                handler.addFilter(self._clear)
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._ticker())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        for handler in self._handlers:
            handler.removeFilter(self._clear)
        self._handlers = []
        logging.getLogger(CONNECTION_LOGGER).removeFilter(self._hide_connections)
        if self._line_shown:
            self.out.write("\n")
            self.out.flush()
            self._line_shown = False

    # --- helpers -------------------------------------------------------------------------------

    def clear_line(self) -> None:
        """Erase the counter line on a terminal, and have the event loop draw it again."""
        if not self._line_shown:
            return
        self._line_shown = False
        self.out.write("\r\x1b[K")
        self.out.flush()
        if self._loop is not None and not self._redraw_pending:
            self._redraw_pending = True
            try:
                self._loop.call_soon_threadsafe(self._redraw)
            except RuntimeError:  # the loop has closed: the line stays erased
                self._redraw_pending = False

    def _redraw(self) -> None:
        self._redraw_pending = False
        if self._task is not None and not self._line_shown:
            self._draw(self.counters())

    def _draw(self, line: str) -> None:
        self.out.write("\r\x1b[K" + line)
        self.out.flush()
        self._line_shown = True
        self._last_line = line

    def _print_instructions(self) -> None:
        proxyserver = ctx.master.addons.get("proxyserver")
        advertise = ctx.options.leakmap_advertise_host
        lan = [("advertised", advertise)] if advertise else None
        proxies: list[Any] = []
        parts: list[str] = []
        for instance in getattr(proxyserver, "servers", []):
            client_conf = getattr(instance, "client_conf", None)
            if callable(client_conf):
                if conf := client_conf():
                    parts.append(self._wireguard_text(conf, advertise, instance))
            elif instance.listen_addrs:
                proxies.append(instance)
        if proxies:
            first = proxies[0]
            listen = [(str(a[0]), int(a[1])) for a in first.listen_addrs]
            if advertise:
                listen = [("", port) for _, port in listen]
            text = proxy_instructions(listen, first.mode.type_name, lan)
            for other in proxies[1:]:
                addresses = ", ".join(f"{a[0] or '*'}:{a[1]}" for a in other.listen_addrs)
                text = f"Also {other.mode.description} at {addresses}\n" + text
        else:
            text = proxy_instructions([], "wireguard", lan)  # platform notes only
        if ctx.options.leakmap_live_url:
            text += f"\nLive page (this computer only):\n{ctx.options.leakmap_live_url}\n"
        parts.append(text)
        self.out.write("\n".join(parts) + "\nCtrl-C ends the session.\n")
        self.out.flush()

    def _wireguard_text(self, conf: str, advertise: str, instance: Any) -> str:
        """The endpoint, and the configuration: on a terminal only, else the file that has it."""
        port = int(instance.listen_addrs[0][1])
        host = _endpoint_host(conf, advertise, str(instance.listen_addrs[0][0]))
        if host:
            shown = f"[{host}]" if ":" in host else host
            conf = _ENDPOINT.sub(f"Endpoint = {shown}:{port}", conf)
            lines = [f"WireGuard endpoint the phone connects to: {shown}:{port} (UDP)"]
        else:
            lines = [
                f"WireGuard listens on UDP port {port}, but no address of this machine was "
                "found for the phone: give it with --advertise-host"
            ]
        if host and not advertise:
            lines.append(
                "  (an address of this machine; if the phone cannot reach it, e.g. from a "
                "container, give the host's LAN address with --advertise-host)"
            )
        path = _write_private(Path(ctx.options.confdir).expanduser(), instance, conf)
        if self.out.isatty():
            lines.insert(0, wireguard_instructions(conf))
            lines.append(f"The configuration is also in {path} (readable by you only).")
        else:
            lines.append(
                "The WireGuard client configuration holds the phone's private key, so it is not "
                f"written to this log (output is not a terminal): it is in {path} (readable by "
                f"its owner only); as a QR code: qrencode -t ansiutf8 < {path}"
            )
        return "\n".join(lines)

    def counters(self) -> str:
        recorder = ctx.master.addons.get("recorder")
        writer = getattr(recorder, "writer", None)
        if writer is None:
            return "leakmap: not recording"
        stats = writer.stats
        line = (
            f"flows {stats.flows_stored} stored, {writer.backlog} queued | "
            f"hosts {len(stats.hosts)} | TLS failures {stats.tls_failures}"
        )
        if stats.lost:
            line += f" | LOST {stats.lost} ({stats.last_error})"
        return line

    async def _ticker(self) -> None:
        tty = self.out.isatty()
        while True:
            await asyncio.sleep(TTY_INTERVAL if tty else LOG_INTERVAL)
            line = self.counters()
            if tty:
                self._draw(line)
            elif line != self._last_line:
                self.out.write(line + "\n")
                self.out.flush()
                self._last_line = line


def _endpoint_host(conf: str, advertise: str, listen_host: str) -> str:
    """Where the phone sends WireGuard packets: the advertised address, else the address listened
    on, else mitmproxy's pick (the address of the default route), else a LAN address; "" if none.
    """
    if advertise:
        return advertise
    if listen_host not in _WILDCARDS:
        return listen_host
    match = _ENDPOINT.search(conf)
    picked = match.group(1).strip().rpartition(":")[0].strip("[]") if match else ""
    if picked and picked != "None" and picked not in _WILDCARDS:
        return picked
    return next((address for _, address in lan_addresses()), "")


def _write_private(confdir: Path, instance: Any, conf: str) -> Path:
    """Write the client configuration to ``confdir/wireguard-client-<port>.conf``, mode 0600.

    mitmproxy creates its key file (``confdir/wireguard.conf``, or the mode's own path) readable
    by everyone; it holds both private keys, so it is made readable by its owner only too.
    """
    keys = (
        Path(instance.mode.data).expanduser() if instance.mode.data else confdir / "wireguard.conf"
    )
    with contextlib.suppress(OSError):  # not ours to change (another owner): leave it
        keys.chmod(0o600)
    port = int(instance.listen_addrs[0][1]) if instance.listen_addrs else 0
    confdir.mkdir(parents=True, exist_ok=True)
    path = confdir / f"wireguard-client-{port}.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(conf + "\n")
    return path


addons = [Status()]
