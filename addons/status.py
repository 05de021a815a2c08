"""Tell the researcher how to connect the phone, then show live counters while recording.

Works next to the recorder (``mitmdump -s addons/recorder.py -s addons/status.py``) and inside
``leakmap capture``. Printing happens from a timer on the event loop and reads counters only.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from mitmproxy import ctx
from mitmproxy.addonmanager import Loader

from analyzer.connect import proxy_instructions, wireguard_instructions

TTY_INTERVAL = 1.0
LOG_INTERVAL = 30.0


class Status:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self._task: asyncio.Task[None] | None = None
        self._last_line = ""

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

    def running(self) -> None:
        if not ctx.options.leakmap_status:
            return
        self._print_instructions()
        self._task = asyncio.get_running_loop().create_task(self._ticker())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.out.isatty() and self._last_line:
            self.out.write("\n")
            self.out.flush()

    # --- helpers -------------------------------------------------------------------------------

    def _print_instructions(self) -> None:
        proxyserver = ctx.master.addons.get("proxyserver")
        listen: list[tuple[str, int]] = []
        wireguard: list[str] = []
        for instance in getattr(proxyserver, "servers", []):
            listen += [(str(a[0]), int(a[1])) for a in instance.listen_addrs]
            client_conf = getattr(instance, "client_conf", None)
            if callable(client_conf) and (conf := client_conf()):
                wireguard.append(conf)
        modes = ",".join(ctx.options.mode) or "regular"
        text = proxy_instructions(listen, modes)
        for conf in wireguard:
            text = wireguard_instructions(conf) + "\n" + text
        if ctx.options.leakmap_live_url:
            text += f"\nLive page (this computer only):\n{ctx.options.leakmap_live_url}\n"
        self.out.write(text + "\nCtrl-C ends the session.\n")
        self.out.flush()

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
                self.out.write("\r\x1b[K" + line)
            elif line != self._last_line:
                self.out.write(line + "\n")
            self.out.flush()
            self._last_line = line


addons = [Status()]
