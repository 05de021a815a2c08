"""Fast parsing of address text and the "not a place on the map" test.

``ipaddress``'s own ``is_global`` walks a dozen networks per call (~15 us); a resolver that
meets a million new addresses does this test once each, so the ranges are kept here as sorted
integer intervals and searched with ``bisect``.
"""

from __future__ import annotations

import ipaddress
import socket
from bisect import bisect_right

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_ADDRESS_CHARS = 64

# IANA special-purpose registries: blocks that are not globally reachable, plus multicast.
# (A few single global addresses inside them, such as 192.0.0.9, are not worth the lines.)
_NON_GLOBAL_V4 = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)  # fmt: skip
_NON_GLOBAL_V6 = (
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
    "2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "ff00::/8",
)  # fmt: skip


def _intervals(networks: tuple[str, ...]) -> tuple[list[int], list[int]]:
    collapsed = ipaddress.collapse_addresses(ipaddress.ip_network(n) for n in networks)
    pairs = sorted((int(n.network_address), int(n.broadcast_address)) for n in collapsed)
    return [start for start, _ in pairs], [end for _, end in pairs]


_TABLES = {4: _intervals(_NON_GLOBAL_V4), 6: _intervals(_NON_GLOBAL_V6)}


def is_local(address: IPAddress) -> bool:
    """Loopback, private, link-local, shared, documentation, reserved or multicast."""
    starts, ends = _TABLES[address.version]
    value = int(address)
    index = bisect_right(starts, value) - 1
    return index >= 0 and value <= ends[index]


def parse_address(value: object) -> IPAddress | None:
    """An address from text as captures write it (``[::1]``, ``fe80::1%wlan0``, surrounding
    blanks), or None when it is not an IP address. IPv6 stays IPv6, also where it carries an
    IPv4 address (``::ffff:a.b.c.d``): ``analyzer.geo.translated`` finds that one."""
    if not isinstance(value, str) or not value or len(value) > MAX_ADDRESS_CHARS:
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, value))
    except (OSError, ValueError):  # ValueError: NUL bytes, unencodable text
        pass
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.split("%", 1)[0]
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):
        try:
            return ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, text))
        except (OSError, ValueError):
            return None
    return ipaddress.IPv6Address(packed)
