"""IPv4 addresses carried inside IPv6 addresses: where a translated address really goes.

A proxy on an IPv6-only network with DNS64/NAT64 reaches IPv4 servers as ``64:ff9b::a.b.c.d``;
a dual-stack socket reports IPv4 peers as ``::ffff:a.b.c.d``; 6to4 and Teredo tunnel IPv4 hosts.
No GeoIP database places those IPv6 prefixes on a map, but the IPv4 address inside them is the
server's own: it is the one to look up.

``embedded_ipv4(address) -> (IPv4Address, kind) | None``; ``kind`` is one of ``TRANSLATIONS``.

Sources: RFC 6052 (IPv4-embedded IPv6 addresses: the well-known prefix 64:ff9b::/96 and the
embedding at each prefix length, with the "u" octet, bits 64-71, always zero), RFC 8215 (the
local-use prefix 64:ff9b:1::/48), RFC 4291 section 2.5.5 (IPv4-compatible and IPv4-mapped
addresses), RFC 3056 (6to4: 2002:V4ADDR::/48), RFC 4380 section 4 (Teredo: 2001::/32, the
client's public IPv4 address in the last 32 bits, each bit inverted).
"""

from __future__ import annotations

import ipaddress

TRANSLATIONS = {  # kind -> how a report or the CLI names it
    "nat64": "NAT64 64:ff9b::/96, RFC 6052",
    "nat64-local": "local-use NAT64 64:ff9b:1::/48, RFC 8215",
    "ipv4-mapped": "IPv4-mapped ::ffff:0:0/96, RFC 4291",
    "ipv4-compatible": "IPv4-compatible ::/96, RFC 4291",
    "6to4": "6to4 2002::/16, RFC 3056",
    "teredo": "Teredo 2001::/32 client, RFC 4380",
}

_NAT64 = bytes.fromhex("0064ff9b") + bytes(8)  # 64:ff9b::/96
_NAT64_LOCAL = bytes.fromhex("0064ff9b0001")  # 64:ff9b:1::/48
_MAPPED = bytes(10) + b"\xff\xff"  # ::ffff:0:0/96
_COMPATIBLE = bytes(12)  # ::/96
_6TO4 = b"\x20\x02"  # 2002::/16
_TEREDO = b"\x20\x01\x00\x00"  # 2001::/32


def _ipv4(packed: bytes) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(packed)


def _local_use_nat64(packed: bytes) -> ipaddress.IPv4Address | None:
    """64:ff9b:1::/48 with the IPv4 address at /96 (bits 96-127, bits 48-95 zero) or, per
    RFC 6052 at /48, in bits 48-63 and 72-87 with the u octet and the suffix zero."""
    if packed[6:12] == bytes(6):
        return _ipv4(packed[12:])
    if packed[8] == 0 and packed[11:] == bytes(5):
        return _ipv4(packed[6:8] + packed[9:11])
    return None  # another prefix length inside the /48: the operator's choice, not knowable


def embedded_ipv4(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address inside a translated or tunnelled IPv6 address, with its kind.

    None for IPv4 addresses and for IPv6 addresses that carry no IPv4 address. ``::`` and
    ``::1`` are not IPv4-compatible addresses (RFC 4291 keeps them apart).
    """
    if address.version != 6:
        return None
    packed = address.packed
    if packed.startswith(_NAT64):
        return _ipv4(packed[12:]), "nat64"
    if packed.startswith(_NAT64_LOCAL):
        found = _local_use_nat64(packed)
        return (found, "nat64-local") if found is not None else None
    if packed.startswith(_MAPPED):
        return _ipv4(packed[12:]), "ipv4-mapped"
    if packed.startswith(_COMPATIBLE):
        if int.from_bytes(packed[12:]) <= 1:  # :: and ::1
            return None
        return _ipv4(packed[12:]), "ipv4-compatible"
    if packed.startswith(_6TO4):
        return _ipv4(packed[2:6]), "6to4"
    if packed.startswith(_TEREDO):
        return _ipv4(bytes(b ^ 0xFF for b in packed[12:])), "teredo"
    return None
