"""Test-only mitmproxy script: connect to test host names on loopback addresses.

    leakmap capture ... -- -s tests/support/resolve_hosts.py --set test_hosts=a.test=127.0.0.2

The product has no test special case: this is an ordinary script passed after ``--``, like any
researcher's own. The address the proxy connects to is what leakmap records as the server IP.
"""

from __future__ import annotations

from mitmproxy import ctx, exceptions
from mitmproxy.addonmanager import Loader
from mitmproxy.proxy.server_hooks import ServerConnectionHookData


class ResolveHosts:
    def __init__(self) -> None:
        self.hosts: dict[str, str] = {}

    def load(self, loader: Loader) -> None:
        loader.add_option("test_hosts", str, "", "name=ip,name=ip: where test host names live.")

    def configure(self, updated: set[str]) -> None:
        if "test_hosts" in updated:
            try:
                pairs = [item.split("=", 1) for item in ctx.options.test_hosts.split(",") if item]
                self.hosts = {name: ip for name, ip in pairs}
            except ValueError as error:
                raise exceptions.OptionsError(f"test_hosts: {error}") from None

    def server_connect(self, data: ServerConnectionHookData) -> None:
        if data.server.address and data.server.address[0] in self.hosts:
            data.server.address = (self.hosts[data.server.address[0]], data.server.address[1])


addons = [ResolveHosts()]
