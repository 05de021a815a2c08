"""How to point a test phone at the proxy: addresses, CA page, WireGuard QR, platform notes."""

from __future__ import annotations

import io
import ipaddress
import socket

import psutil
import segno

CA_PAGE = "http://mitm.it"

PLATFORM_NOTES = """\
Android: since Android 7 apps trust user-installed CAs only when they opt in. Install the CA
  from {ca_page} (Settings > Security > Encryption > Install a certificate > CA certificate);
  for most apps it must be a *system* CA: use an emulator image without Google Play or a rooted
  test phone (e.g. a Magisk module that copies user CAs to the system store).
iOS: install the profile from {ca_page} in Safari, then Settings > General > VPN & Device
  Management > install it, and Settings > General > About > Certificate Trust Settings > enable
  full trust for mitmproxy.
Certificate pinning: apps that pin their certificates refuse the proxy; those connections are
  recorded as TLS failures and shown in the report as blind spots (not inspected), never as
  "nothing sent"."""


def lan_addresses() -> list[tuple[str, str]]:
    """(interface, address) of this machine that a phone on the same network can reach."""
    found: list[tuple[str, str]] = []
    for interface, addresses in sorted(psutil.net_if_addrs().items()):
        for address in addresses:
            if address.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            text = address.address.split("%", 1)[0]
            try:
                ip = ipaddress.ip_address(text)
            except ValueError:
                continue
            if ip.is_loopback or ip.is_link_local or ip.is_multicast:
                continue
            found.append((interface, text))
    # IPv4 first: phones' proxy settings expect it.
    return sorted(found, key=lambda item: (":" in item[1], item[0]))


def proxy_instructions(
    listen: list[tuple[str, int]], mode: str, lan: list[tuple[str, str]] | None = None
) -> str:
    """The text printed when a capture starts."""
    lan = lan_addresses() if lan is None else lan
    lines: list[str] = []
    ports = sorted({port for _, port in listen}) or [8080]
    hosts = {host for host, _ in listen}
    wildcard = not hosts or hosts & {"", "0.0.0.0", "::"}
    if mode.startswith("regular") or mode.startswith("socks5"):
        kind = (
            "SOCKS5 proxy" if mode.startswith("socks5") else "HTTP proxy (Wi-Fi > proxy > manual)"
        )
        lines.append(f"Set the phone's {kind} to one of:")
        if wildcard:
            targets = [(name, ip) for name, ip in lan] or [("", "this machine's LAN address")]
        else:
            targets = [("", host) for host in sorted(hosts)]
        for name, ip in targets:
            for port in ports:
                shown = f"[{ip}]" if ":" in ip else ip
                lines.append(f"    {shown}:{port}" + (f"    ({name})" if name else ""))
        lines.append(f"Then open {CA_PAGE} on the phone and install the CA certificate.")
    elif not mode.startswith("wireguard"):
        lines.append(
            f"Proxy mode {mode}, listening on " + ", ".join(f"{h or '*'}:{p}" for h, p in listen)
        )
        lines.append(f"Install the CA certificate from {CA_PAGE} on the device.")
    lines.append(PLATFORM_NOTES.format(ca_page=CA_PAGE))
    return "\n".join(lines)


def wireguard_instructions(client_conf: str) -> str:
    """The WireGuard client configuration, as text and as a QR code for the WireGuard app."""
    drawing = io.StringIO()
    segno.make(client_conf, error="l").terminal(out=drawing, compact=True)
    return (
        "Scan this QR code with the WireGuard app (or import the configuration below), "
        f"then open {CA_PAGE} on the phone to install the CA certificate.\n"
        + drawing.getvalue()
        + client_conf
    )
