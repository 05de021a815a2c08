"""``leakmap geoip``: which GeoIP data is in use, look addresses up, fetch newer files."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from analyzer.cli import app
from analyzer.cli.common import AsnDbOption, GeoipDbOption, fail

geoip_app = typer.Typer(
    name="geoip",
    help="GeoIP data: what is in use (status), look addresses up (lookup), refresh (update)."
    "\n\nExample: leakmap geoip lookup 64:ff9b::cb77:812f",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(geoip_app, name="geoip")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


class Kind(StrEnum):
    country = "country"
    asn = "asn"


@geoip_app.command("status")
def status_command(
    geoip_db: GeoipDbOption = None,
    asn_db: AsnDbOption = None,
    count: Annotated[
        bool,
        typer.Option("--count", help="Count the networks of given files (a full scan)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show the databases in use, in the order they are asked: type, build date, record counts.

    Example: leakmap geoip status --geoip-db GeoLite2-City.mmdb
    """
    from analyzer.geo import GeoResolver
    from analyzer.owners import OwnerMap

    with GeoResolver(geoip_db, asn_db) as geo:
        rows = []
        for database in geo.databases:
            info = database.info
            networks = info.networks
            if networks is None and count:
                networks = database.count_networks()
            rows.append(
                {
                    "role": str(info.role),
                    "file": str(info.path),
                    "embedded": info.embedded,
                    "source": info.source,
                    "type": info.database_type,
                    "build_date": info.build_date.isoformat(),
                    "ip_version": info.ip_version,
                    "networks": networks,
                    "nodes": info.node_count,
                }
            )
        described = geo.describe()
    owners = OwnerMap.load()
    if as_json:
        payload = {"databases": rows, "geoip": described, "owner_domains": len(owners)}
        typer.echo(json.dumps(payload, indent=2))
        return
    for row in rows:
        origin = f"embedded {row['source']}" if row["embedded"] else "given file"
        networks = f"{row['networks']} networks" if row["networks"] is not None else "networks: ?"
        typer.echo(
            f"{row['role']:<8} {row['type']} ({origin}), built {row['build_date']}, "
            f"IPv{row['ip_version']}, {networks}, {row['nodes']} nodes\n"
            f"         {row['file']}"
        )
    typer.echo(f"owners   {len(owners)} domains in the embedded owner map")
    typer.echo(f"attribution: {described['attribution']}")


@geoip_app.command("lookup")
def lookup_command(
    ips: Annotated[list[str], typer.Argument(help="IPv4 or IPv6 addresses.")],
    host: Annotated[
        str | None,
        typer.Option("--host", help="Host name the app connected to: adds its owner."),
    ] = None,
    geoip_db: GeoipDbOption = None,
    asn_db: AsnDbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Look addresses up: country, city, ASN and organisation (and the host's owner).

    An IPv6 address that carries an IPv4 address (NAT64 64:ff9b::/96 and 64:ff9b:1::/48,
    IPv4-mapped, 6to4, Teredo) is looked up by that IPv4 address; both are printed.

    Example: leakmap geoip lookup 157.240.1.35 64:ff9b::9df0:123 --host graph.facebook.com
    """
    from analyzer.geo import TRANSLATIONS, GeoResolver, parse_address
    from analyzer.owners import OwnerMap

    for ip in ips:  # all checked before anything is printed
        if parse_address(ip) is None:
            shown = ip if len(ip) <= 64 else ip[:64] + "..."
            fail(f"{shown!r} is not an IPv4 or IPv6 address")  # repr: no terminal escapes
    owner = OwnerMap.load().lookup(host) if host else None
    domain = OwnerMap.registrable_domain(host) if host else None
    with GeoResolver(geoip_db, asn_db) as geo:
        infos = [geo.lookup(ip) for ip in ips]
    if as_json:
        results = [
            {
                "ip": info.ip,
                "lookup_ip": info.lookup_ip,
                "translation": info.translation,
                "country": info.country,
                "city": info.city,
                "latitude": info.latitude,
                "longitude": info.longitude,
                "asn": info.asn,
                "org": info.org,
                "local": info.local,
                "host": host,
                "domain": domain,
                "owner": owner.name if owner else None,
                "owner_country": owner.country if owner else None,
            }
            for info in infos
        ]
        typer.echo(json.dumps(results, indent=2))
        return
    for info in infos:
        where = "local" if info.local else (info.country or "-")
        if info.city:
            where += f" {info.city}"
        if info.latitude is not None and info.longitude is not None:
            where += f" ({info.latitude:.4f}, {info.longitude:.4f})"
        network = f"AS{info.asn}" if info.asn is not None else "AS-"
        line = f"{info.ip}\t{where}\t{network}\t{info.org or '-'}"
        if info.lookup_ip:
            kind = TRANSLATIONS.get(info.translation or "", info.translation)
            line += f"\tlooked up as {info.lookup_ip} ({kind})"
        if host:
            run_by = f"{owner.name} ({owner.country})" if owner else "owner unknown"
            line += f"\t{host} -> {domain or '-'}: {run_by}"
        typer.echo(line)


@geoip_app.command("update")
def update_command(
    url: Annotated[str, typer.Argument(help="http(s) URL of an .mmdb, .mmdb.gz or .tar.gz/.tgz.")],
    kind: Annotated[
        Kind, typer.Option("--kind", help="Which database the file is: country (or city), asn.")
    ] = Kind.country,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to put the file (default: ~/.local/share/leakmap/geo/KIND.mmdb).",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Give up after seconds.")] = 120.0,
) -> None:
    """Download a newer database, check it, and install it; the old file stays on failure.

    Example: leakmap geoip update https://example.org/GeoLite2-City.tar.gz --kind country
    """
    from analyzer.geo import Role
    from analyzer.geo.update import default_update_dir, update_database

    role = Role.COUNTRY if kind is Kind.country else Role.ASN
    if output is not None and not Path(output).parent.is_dir():  # a typo makes no folders
        fail(f"cannot write {output}: {Path(output).parent} is not a folder")
    target = output or default_update_dir() / f"{kind.value}.mmdb"
    info = update_database(url, target, role, timeout=timeout)
    env = "LEAKMAP_GEOIP_DB" if role is Role.COUNTRY else "LEAKMAP_ASN_DB"
    typer.echo(
        f"installed {info.database_type}, built {info.build_date.isoformat()}, at {target}\n"
        f"use it with {role.option} {target} (or {env}={target})"
    )
