"""``leakmap capture``: record a test phone's traffic into a new session."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analyzer.cli import app
from analyzer.cli.common import DB_DEFAULT, DbOption, ProfileOption


@app.command(context_settings={"allow_interspersed_args": False})
def capture(
    session: Annotated[str, typer.Option("--session", help="Name of the new session.")],
    mitmproxy_args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[-- MITMDUMP ARGS...]",
            help="Everything after -- goes to mitmproxy unchanged (-s scripts, --set options, "
            "upstream proxies).",
        ),
    ] = None,
    app_name: Annotated[str | None, typer.Option("--app", help="App under test.")] = None,
    app_version: Annotated[
        str | None, typer.Option("--app-version", help="Version of the app under test.")
    ] = None,
    device: Annotated[str | None, typer.Option("--device", help="Label of the test phone.")] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="android, ios, ... (for the report).")
    ] = None,
    db: DbOption = DB_DEFAULT,
    listen_host: Annotated[
        str, typer.Option("--listen-host", help="Address to listen on (default: all).")
    ] = "",
    listen_port: Annotated[
        int,
        typer.Option(
            "--listen-port",
            min=1,
            max=65535,
            help="TCP port of the proxy modes (regular, socks5, ...) that name no port of their "
            "own (mitmproxy's mode@port, e.g. --mode socks5@1080, sets one).",
        ),
    ] = 8080,
    wireguard_port: Annotated[
        int,
        typer.Option("--wireguard-port", min=1, max=65535, help="UDP port of --mode wireguard."),
    ] = 51820,
    mode: Annotated[
        list[str] | None,
        typer.Option(
            "--mode",
            help="mitmproxy mode: regular (HTTP proxy), wireguard (VPN: prints a QR code), "
            "socks5, transparent, ...; repeat for several at once.  [default: regular]",
        ),
    ] = None,
    advertise_host: Annotated[
        str,
        typer.Option(
            "--advertise-host",
            envvar="LEAKMAP_ADVERTISE_HOST",
            help="Address the phone uses to reach this machine: printed as the proxy address and "
            "written as the WireGuard endpoint (set it in a container: the host's LAN address).",
        ),
    ] = "",
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Show mitmproxy's per-connection lines (connect, disconnect); warnings and "
            "errors always show.",
        ),
    ] = False,
    proxyauth: Annotated[
        str | None,
        typer.Option(
            "--proxyauth",
            help="Require proxy credentials, as USER:PASS (or a mitmproxy proxyauth spec).",
        ),
    ] = None,
    profile: ProfileOption = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report", help="Write reports/<session>.html when the capture ends."
        ),
    ] = True,
    adb: Annotated[
        str | None,
        typer.Option(
            "--adb",
            metavar="[SERIAL]",
            help="Set the Android phone up over adb for this session (adb reverse, system CA "
            "where the phone allows it, global proxy) and undo it at the end; the proxy then "
            "listens on loopback only. --profile auto reads the device profile from it.",
        ),
    ] = None,
    live: Annotated[
        bool,
        typer.Option(
            "--live/--no-live",
            help="Serve a live page on 127.0.0.1 (its URL, with a secret token, is printed): "
            "findings as they leave, the map, blind spots, and buttons to mark steps.",
        ),
    ] = True,
) -> None:
    """Record every flow of a test phone into a new session, until Ctrl-C.

    Prints the addresses to set as the phone's proxy (with --mode wireguard: the UDP endpoint
    and, on a terminal, a QR code), then live counters on their own line. The HTTP proxy
    listens on TCP --listen-port (8080), WireGuard on UDP --wireguard-port (51820). Clients
    from public addresses are refused, so the proxy never becomes an open proxy.

    Example: leakmap capture --session meitu-9.1 --app Meitu --app-version 9.1
    --mode regular --mode wireguard -- --set stream_large_bodies=5m

    Example: leakmap capture --session meitu-9.1 --adb --profile auto
    """
    from analyzer.capture import CaptureOptions, run_capture

    auto_profile = profile is not None and str(profile) == "auto"
    if auto_profile and adb is None:
        from analyzer.cli.common import fail

        fail("--profile auto reads the profile from the phone: add --adb")
    if adb is not None:
        listen_host = listen_host or "127.0.0.1"  # the phone comes through adb reverse
        platform = platform or "android"
    options = CaptureOptions(
        session=session,
        db=db,
        app=app_name,
        app_version=app_version,
        device=device,
        platform=platform,
        modes=tuple(mode or ["regular"]),
        listen_host=listen_host,
        listen_port=listen_port,
        wireguard_port=wireguard_port,
        advertise_host=advertise_host,
        verbose=verbose,
        proxyauth=proxyauth,
        extra=mitmproxy_args or [],
        live=live,
        profile=None if auto_profile else profile,  # auto: read from the phone, below
    )
    if adb is None:
        result = run_capture(options)
    else:
        from analyzer.device.session import adb_capture

        def say(text: str) -> None:
            typer.echo(text, err=True)

        with adb_capture(
            adb, listen_port, mitmproxy_args or [], read_profile=auto_profile, say=say
        ) as phone:
            options.device = options.device or phone.model or phone.serial
            options.profile_text = phone.profile_text  # for the live page and the session
            result = run_capture(options)
        if auto_profile:
            profile = None  # the report uses the profile stored with the session
    from analyzer.summary.words import plural

    typer.echo(
        f"session {result.session!r}: {plural(result.flows, 'flow')}, "
        f"{plural(result.tls_failures, 'TLS failure')}"
        + (f", {result.lost} records LOST" if result.lost else ""),
        err=True,
    )
    if report:
        from analyzer.report import write_report

        path = Path("reports") / f"{session}.html"
        from analyzer.detect.parallel import default_workers

        write_report(db, session, path, "html", profile=profile, workers=default_workers())
        typer.echo(f"report: {path}", err=True)
    if result.lost:
        raise typer.Exit(1)
