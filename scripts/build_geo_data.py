#!/usr/bin/env python3
"""Rebuild leakmap's embedded GeoIP default in ``analyzer/data/geo/`` from two npm packages.

    .venv/bin/python scripts/build_geo_data.py            # latest versions
    .venv/bin/python scripts/build_geo_data.py --country-version 2.3.2026061719 \\
        --asn-version 2.3.2026061719

Sources (fetched with ``npm pack``, i.e. through the ordinary npm client and registry):

* ``@ip-location-db/geo-whois-asn-country-mmdb``: IP -> country, already an mmdb (CC0; built
  from RIR WHOIS data that the NRO publishes under CC BY 4.0). Copied as ``country.mmdb``.
* ``@ip-location-db/asn``: IP range -> ASN and AS organisation as CSV (CC BY 4.0: RouteViews,
  DB-IP, NRO). Converted here into ``asn.mmdb`` in GeoLite2-ASN shape
  (``autonomous_system_number``, ``autonomous_system_organization``) with ``mmdb-writer``
  (a test extra of leakmap), so the resolver reads both files the same way as MaxMind's.

Also written: the packages' licence files and ``metadata.json`` (package versions, build date,
record counts, attribution text that reports print). Needs: npm, and mmdb-writer + netaddr.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import maxminddb
from mmdb_writer import MMDBWriter
from netaddr import IPNetwork, IPSet

COUNTRY_PACKAGE = "@ip-location-db/geo-whois-asn-country-mmdb"
ASN_PACKAGE = "@ip-location-db/asn"
COUNTRY_MEMBER = "package/geo-whois-asn-country.mmdb"
ASN_CSV_MEMBERS = ("package/asn-ipv4-num.csv", "package/asn-ipv6-num.csv")
# Licence files shipped next to the data, renamed so that their origin is obvious.
LICENCE_MEMBERS = {
    COUNTRY_PACKAGE: {"package/NRO_LICENSE": "LICENSE-country-NRO.txt"},
    ASN_PACKAGE: {
        "package/ROUTEVIEWS-LICENSE": "LICENSE-asn-RouteViews.txt",
        "package/DBIP-LICENSE": "LICENSE-asn-DB-IP.txt",
        "package/NRO_LICENSE": "LICENSE-asn-NRO.txt",
        "package/MODIFICATIONS": "MODIFICATIONS-asn.txt",
    },
}
ATTRIBUTION = (
    "Country: ip-location-db geo-whois-asn-country (CC0), from RIR WHOIS data by the NRO "
    "(nro.net, CC BY 4.0). ASN: ip-location-db asn (CC BY 4.0), from RouteViews "
    "(routeviews.org) and IP to ASN Lite by DB-IP (db-ip.com), with NRO data."
)
IPV4_BITS = 32
# CSV text from a package is still outside input: refuse absurd field sizes.
MAX_ORG_CHARS = 256


def npm_pack(spec: str, dest: Path) -> tuple[Path, str]:
    """Download one package tarball with ``npm pack``; returns its path and version."""
    completed = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(dest)],
        check=True,
        capture_output=True,
        text=True,
    )
    packed = json.loads(completed.stdout)[0]
    return dest / packed["filename"], packed["version"]


def extract(tarball: Path, members: dict[str, Path]) -> None:
    """Copy the named members of a package tarball to the given paths (nothing else)."""
    with tarfile.open(tarball, "r:gz") as archive:
        for name, target in members.items():
            source = archive.extractfile(name)
            if source is None:
                raise SystemExit(f"{tarball.name}: {name} is not a regular file")
            with source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)


def range_to_cidrs(first: int, last: int, bits: int) -> list[tuple[int, int]]:
    """Split an inclusive integer range into (network, prefix length) blocks."""
    blocks: list[tuple[int, int]] = []
    while first <= last:
        # Largest aligned block that starts at ``first`` and does not pass ``last``.
        size = (first & -first).bit_length() - 1 if first else bits
        while size > 0 and first + (1 << size) - 1 > last:
            size -= 1
        blocks.append((first, bits - size))
        first += 1 << size
    return blocks


def read_asn_csv(paths: list[tuple[Path, int]]) -> dict[tuple[int, str], list[IPNetwork]]:
    """Group the CSV ranges by (ASN, organisation), as CIDR blocks."""
    groups: dict[tuple[int, str], list[IPNetwork]] = defaultdict(list)
    for path, version in paths:
        bits = IPV4_BITS if version == 4 else 128
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                first, last, asn, org = int(row[0]), int(row[1]), int(row[2]), row[3]
                if asn <= 0:
                    continue
                key = (asn, org.strip()[:MAX_ORG_CHARS])
                for network, prefix in range_to_cidrs(first, last, bits):
                    groups[key].append(IPNetwork((network, prefix), version=version))
    return groups


def data_epoch(version: str) -> int:
    """The data's date from an ip-location-db version ("2.3.2026061719" = 2026-06-17 19h)."""
    stamp = version.rsplit(".", 1)[-1]
    try:
        when = dt.datetime.strptime(stamp, "%Y%m%d%H").replace(tzinfo=dt.UTC)
    except ValueError:
        when = dt.datetime.now(dt.UTC)
    return int(when.timestamp())


class DatedWriter(MMDBWriter):
    """MMDBWriter that stamps the file with the data's date rather than the time of the build."""

    def __init__(self, build_epoch: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.build_epoch = build_epoch

    def _build_meta(self) -> dict[str, Any]:
        return {**super()._build_meta(), "build_epoch": self.build_epoch}


def write_asn_mmdb(
    groups: dict[tuple[int, str], list[IPNetwork]], target: Path, build_epoch: int
) -> None:
    writer = DatedWriter(
        build_epoch,
        ip_version=6,
        ipv4_compatible=True,
        database_type="ip-location-db-ASN",
        languages=["en"],
        description="IP to ASN from ip-location-db asn (RouteViews, DB-IP, NRO; CC BY 4.0)",
        int_type="u32",
    )
    for (asn, org), networks in groups.items():
        content: dict[str, object] = {"autonomous_system_number": asn}
        if org:
            content["autonomous_system_organization"] = org
        writer.insert_network(IPSet(networks), content)
    writer.to_db_file(str(target))


def count_networks(path: Path) -> int:
    with maxminddb.open_database(str(path)) as reader:
        return sum(1 for _ in reader)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("analyzer/data/geo"))
    parser.add_argument("--country-version", default="latest")
    parser.add_argument("--asn-version", default="latest")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="leakmap-geo-") as tmp:
        work = Path(tmp)
        country_tgz, country_version = npm_pack(f"{COUNTRY_PACKAGE}@{args.country_version}", work)
        asn_tgz, asn_version = npm_pack(f"{ASN_PACKAGE}@{args.asn_version}", work)
        print(f"{COUNTRY_PACKAGE}@{country_version}, {ASN_PACKAGE}@{asn_version}")

        # Write next to the target first, then rename: a failed run leaves the old data intact.
        country_tmp = out / "country.mmdb.tmp"
        asn_tmp = out / "asn.mmdb.tmp"
        extract(country_tgz, {COUNTRY_MEMBER: country_tmp})
        for package, tarball in ((COUNTRY_PACKAGE, country_tgz), (ASN_PACKAGE, asn_tgz)):
            extract(tarball, {m: out / name for m, name in LICENCE_MEMBERS[package].items()})
        csvs = {member: work / Path(member).name for member in ASN_CSV_MEMBERS}
        extract(asn_tgz, csvs)
        groups = read_asn_csv([(csvs[ASN_CSV_MEMBERS[0]], 4), (csvs[ASN_CSV_MEMBERS[1]], 6)])
        print(f"ASN: {len(groups)} (ASN, organisation) groups; writing mmdb")
        write_asn_mmdb(groups, asn_tmp, data_epoch(asn_version))
        country_tmp.replace(out / "country.mmdb")
        asn_tmp.replace(out / "asn.mmdb")

    metadata = {
        "built": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "builder": "scripts/build_geo_data.py",
        "attribution": ATTRIBUTION,
        "country": {
            "file": "country.mmdb",
            "package": COUNTRY_PACKAGE,
            "version": country_version,
            "license": "CC0-1.0 (underlying NRO data: CC BY 4.0)",
            "networks": count_networks(out / "country.mmdb"),
        },
        "asn": {
            "file": "asn.mmdb",
            "package": ASN_PACKAGE,
            "version": asn_version,
            "license": "CC-BY-4.0 (RouteViews, DB-IP, NRO)",
            "networks": count_networks(out / "asn.mmdb"),
        },
    }
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    print(json.dumps({"metadata": metadata, "sizes": sizes}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
