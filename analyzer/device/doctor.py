"""``leakmap device doctor``: every layer, as leakmap sees it, and the plan of ``capture --adb``.

Read-only: it lists, reads and prints; it changes nothing on the phone or the computer.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

from analyzer.errors import LeakmapError


def doctor(*, port: int = 8080, serial: str | None = None) -> Iterator[str]:
    """Lines describing adb, the phones, usbmux, the CA and the set-up plan."""
    from analyzer.device import adb, state, usbmux
    from analyzer.device.ca import CA_FILE, mitmproxy_confdir, read_ca, subject_hash_old
    from analyzer.device.setup import AdbSetup
    from analyzer.device.shell import find_root

    host, server_port = adb.server_address()
    yield f"adb binary: {shutil.which('adb') or 'not on PATH (adbutils brings its own)'}"
    try:
        yield f"adb server: {host}:{server_port}, protocol version {adb.server_version()}"
        infos = adb.list_devices()
    except LeakmapError as error:
        yield f"adb server: {error}"
        infos = []
    chosen = None
    for info in infos:
        problem = adb.state_problem(info)
        yield f"  {info.serial} ({info.transport}): {info.state}" + (
            f" - {problem}" if problem else ""
        )
        if problem is None and (serial is None or info.serial == serial) and chosen is None:
            chosen = info.serial
    if infos == []:
        yield "  no Android devices"
    try:
        phones = usbmux.list_devices()
        yield f"usbmuxd: {len(phones)} iPhone(s)"
        for phone in phones:
            detail = phone.problem or f"{phone.model} {phone.os}"
            yield f"  {phone.udid} ({phone.connection}): {detail}"
    except LeakmapError as error:
        yield f"usbmuxd: {error}"
    confdir = mitmproxy_confdir()
    ca_path = confdir / CA_FILE
    pem = None
    if ca_path.exists():
        try:
            pem = read_ca(ca_path)
            yield f"mitmproxy CA: {ca_path} (Android file name {subject_hash_old(pem)}.0)"
        except LeakmapError as error:
            yield f"mitmproxy CA: {error}"
    else:
        yield f"mitmproxy CA: {ca_path} does not exist yet (the first capture creates it)"
    for left in state.pending():
        alive = "still running" if left.alive else "ended without cleanup"
        steps = ", ".join(str(s["name"]) for s in left.steps) or "none"
        yield f"left set up: {left.serial} by pid {left.pid} ({alive}); steps: {steps}"
    if chosen is None:
        yield "capture --adb: no usable Android phone, nothing to plan"
        return
    device = adb.AndroidDevice(chosen)
    root = find_root(device)
    yield f"root on {chosen}: " + (root.how if root else "none (the CA can only be a user CA)")
    if pem is None:
        yield "capture --adb: the plan needs the CA; run a capture once (or mitmdump) to create it"
        return
    yield f"capture --adb --listen-port {port} would, on {chosen}:"
    for number, step in enumerate(AdbSetup(device, port, pem).plan(), 1):
        if (root is None and step.startswith("root found")) or (
            root is not None and step.startswith("no root")
        ):
            continue
        yield f"  {number}. {step}"
