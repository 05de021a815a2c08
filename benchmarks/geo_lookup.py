"""Lookups per second of GeoResolver on random addresses, cold (no cache) and cached.

    .venv/bin/python benchmarks/geo_lookup.py [--count 1000000] [--ipv6-share 0.1]

Cold: a fresh resolver, every address new (each lookup asks both embedded databases).
Cached: the same addresses again. Session-like: COUNT lookups drawn from 2,000 addresses.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import time

from analyzer.geo import GeoResolver


def random_addresses(count: int, ipv6_share: float, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    addresses = []
    for _ in range(count):
        if rng.random() < ipv6_share:
            # Global unicast space (2000::/3), where the databases have records.
            value = (0x2 << 124) | rng.getrandbits(125) & ((1 << 125) - 1)
            addresses.append(str(ipaddress.IPv6Address(value)))
        else:
            addresses.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
    return addresses


def rate(geo: GeoResolver, addresses: list[str]) -> float:
    lookup = geo.lookup
    start = time.perf_counter()
    for address in addresses:
        lookup(address)
    return len(addresses) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--ipv6-share", type=float, default=0.1)
    args = parser.parse_args()
    addresses = random_addresses(args.count, args.ipv6_share)
    with GeoResolver() as geo:
        cold = rate(geo, addresses)
        cached = rate(geo, addresses)
        known = sum(1 for a in addresses[:100_000] if geo.lookup(a).country)
    session = random.Random(3).choices(addresses[:2000], k=args.count)
    with GeoResolver() as geo:
        session_rate = rate(geo, session)
    print(f"addresses: {args.count:,} random ({args.ipv6_share:.0%} IPv6), embedded databases")
    print(f"cold:    {cold:>12,.0f} lookups/s")
    print(f"cached:  {cached:>12,.0f} lookups/s  (goal >= 200,000)")
    print(f"session: {session_rate:>12,.0f} lookups/s  ({args.count:,} lookups of 2,000 addresses)")
    print(f"with a country: {known / 1000:.1f}% of the first 100,000")


if __name__ == "__main__":
    main()
