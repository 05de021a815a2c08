"""``leakmap capture``: mitmproxy with the recorder and the status display, in this process.

mitmproxy's own command line parses the options (so everything after ``--`` means exactly what it
means to mitmdump), handles Ctrl-C and SIGTERM, and runs the ``done`` hooks that drain the writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mitmproxy.proxy.mode_specs import ProxyMode
from mitmproxy.tools import cmdline
from mitmproxy.tools import main as mitmproxy_main
from mitmproxy.tools.dump import DumpMaster

from addons.recorder import Recorder
from addons.status import Status
from analyzer.errors import LeakmapError
from analyzer.store import Store
from analyzer.store.db import check_session_name

if TYPE_CHECKING:
    from analyzer.live import LiveView

DEFAULT_LISTEN_PORT = 8080
DEFAULT_WIREGUARD_PORT = 51820  # WireGuard's registered port, mitmproxy's default for the mode


@dataclass(slots=True)
class CaptureOptions:
    """What ``leakmap capture`` was asked for.

    ``listen_port`` is the port of every proxy mode that listens on TCP (regular, socks5,
    upstream, reverse, transparent, ...) and gives no port of its own; WireGuard listens on UDP
    ``wireguard_port``. A mode written with mitmproxy's ``mode@port`` syntax keeps its port.
    ``advertise_host`` is the address the phone uses to reach this machine (e.g. the host's LAN
    address when leakmap runs in a container); empty: the addresses found on this machine.
    ``verbose`` shows mitmproxy's per-connection log lines.
    """

    session: str
    db: str
    app: str | None = None
    app_version: str | None = None
    device: str | None = None
    platform: str | None = None
    modes: Sequence[str] = ("regular",)
    listen_host: str = ""
    listen_port: int = DEFAULT_LISTEN_PORT
    wireguard_port: int = DEFAULT_WIREGUARD_PORT
    advertise_host: str = ""
    verbose: bool = False
    proxyauth: str | None = None
    extra: Sequence[str] = ()
    # The live page (analyzer.live): served from a child process while recording.
    live: bool = False
    profile: Path | None = None  # the device profile the live page searches for
    profile_text: str | None = None  # or its TOML, read from the phone


@dataclass(slots=True)
class CaptureResult:
    session: str
    flows: int
    tls_failures: int
    lost: int


def mode_specs(options: CaptureOptions) -> list[str]:
    """Each ``--mode`` as a mitmproxy mode spec with its own port (``regular@8080``).

    mitmproxy applies ``--listen-port`` to every mode, which put WireGuard on TCP's port (UDP
    8080) while the lab publishes 51820; so leakmap never passes ``--listen-port`` and writes the
    port into each spec instead. Modes that bind no port (local, tun, osproxy) stay as given.

    Raises LeakmapError for a spec mitmproxy cannot parse, or when two modes would listen on the
    same port and transport.
    """
    specs: list[str] = []
    taken: dict[tuple[str, int, str], str] = {}
    for given in options.modes:
        try:
            mode = ProxyMode.parse(given)
        except ValueError as error:
            raise LeakmapError(f"--mode {given!r}: {error}") from None
        spec = given
        if mode.custom_listen_port is None and mode.default_port is not None:
            port = options.wireguard_port if mode.type_name == "wireguard" else options.listen_port
            spec = f"{given}@{port}"
            mode = ProxyMode.parse(spec)
        specs.append(spec)
        port = mode.listen_port()
        if port is None:
            continue
        host = mode.listen_host(options.listen_host)
        transports = (
            ("tcp", "udp") if mode.transport_protocol == "both" else (mode.transport_protocol,)
        )
        for transport in transports:
            if (other := taken.get((host, port, transport))) is not None:
                raise LeakmapError(
                    f"--mode {other} and --mode {given} would both listen on {transport.upper()} "
                    f"port {port}; give one its own port, e.g. --mode {mode.type_name}@{port + 1}"
                )
            taken[(host, port, transport)] = given
    return specs


def mitmdump_arguments(options: CaptureOptions) -> list[str]:
    """The mitmdump command line for a capture; the researcher's extra arguments come last.

    Raises LeakmapError for modes that cannot run together (see ``mode_specs``).
    """
    settings = {
        "leakmap_db": options.db,
        "leakmap_session": options.session,
        "leakmap_app": options.app or "",
        "leakmap_app_version": options.app_version or "",
        "leakmap_device": options.device or "",
        "leakmap_platform": options.platform or "",
        # Flow lines would print URLs full of personal data; the counters replace them.
        "flow_detail": "0",
        # Never an open proxy: clients from public addresses are refused (mitmproxy's default,
        # made explicit here; a researcher may still override it after --).
        "block_global": "true",
        "leakmap_verbose": "true" if options.verbose else "false",
        "leakmap_advertise_host": options.advertise_host,
    }
    args: list[str] = []
    for spec in mode_specs(options):
        args += ["--mode", spec]
    if options.listen_host:
        args += ["--listen-host", options.listen_host]
    if options.proxyauth:
        args += ["--proxyauth", options.proxyauth]
    for key, value in settings.items():
        args += ["--set", f"{key}={value}"]
    return args + list(options.extra)


def check_ports_free(options: CaptureOptions) -> None:
    """Raise LeakmapError naming the port when a mode's TCP or UDP port is already taken, so the
    researcher reads one line from leakmap rather than mitmproxy's start-up error."""
    import socket

    for given, spec in zip(options.modes, mode_specs(options), strict=True):
        mode = ProxyMode.parse(spec)
        port = mode.listen_port()
        if not port:
            continue
        host = mode.listen_host(options.listen_host)
        kinds = ("tcp", "udp") if mode.transport_protocol == "both" else (mode.transport_protocol,)
        for kind in kinds:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
                sock.bind((host or ("::" if family == socket.AF_INET6 else "0.0.0.0"), port))
            except OSError as error:
                where = f"{host}:{port}" if host else f"port {port}"
                if "@" in given:
                    other = f"another port in --mode {mode.type_name}@PORT"
                elif mode.type_name == "wireguard":
                    other = "another with --wireguard-port"
                else:
                    other = "another with --listen-port"
                raise LeakmapError(
                    f"cannot listen on {kind.upper()} {where} for --mode {mode.type_name}: "
                    f"{error.strerror or error} (another proxy or capture running? choose "
                    f"{other})"
                ) from None
            finally:
                sock.close()


def run_capture(options: CaptureOptions) -> CaptureResult:
    """Record until Ctrl-C or SIGTERM; returns what was stored.

    Raises LeakmapError, before the proxy starts and with the store untouched, for a bad device
    profile, a session name that exists, bad modes or a port already in use; and for a proxy
    that stopped before recording started.
    """
    from analyzer.profile import load_profile

    arguments = mitmdump_arguments(options)  # bad modes fail here, before anything starts
    profile_text = options.profile_text
    if options.profile is not None:
        load_profile(options.profile)
        profile_text = Path(options.profile).read_text(encoding="utf-8")
    check_session_name(options.session)
    with Store(options.db) as store:  # fail here, before the proxy starts, on a bad --db
        if store.session_id(options.session) is not None:
            raise LeakmapError(f"session {options.session!r} exists already; choose another name")
    check_ports_free(options)

    recorder, status = Recorder(), Status()

    class CaptureMaster(DumpMaster):
        def __init__(self, opts, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(opts, **kwargs)
            self.addons.add(recorder, status)

    live = _start_live_view(options) if options.live else None
    if live is not None:
        arguments += ["--set", f"leakmap_live_url={live.url}"]  # the status addon prints it
    try:
        mitmproxy_main.run(CaptureMaster, cmdline.mitmdump, arguments)
    finally:
        if live is not None:
            live.stop()
    if recorder.session_id is None:
        raise LeakmapError("the proxy stopped before recording started (see the messages above)")
    with Store(options.db) as store:
        session = store.session(options.session)
        counts = store.counts(session.id)
        if profile_text:  # a later report without --profile finds what this one found
            from analyzer.device.stored import save_session_profile

            save_session_profile(store, options.session, profile_text)
    lost = recorder.lost
    return CaptureResult(options.session, counts["flows"], counts["tls_failures"], lost)


def _start_live_view(options: CaptureOptions) -> LiveView:
    """The live page's process (outside this one: the proxy's loop is never its)."""
    from analyzer.live import start_live_view

    return start_live_view(
        options.db, options.session, profile=options.profile, profile_text=options.profile_text
    )
