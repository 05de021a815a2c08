"""``leakmap device``: list phones, read a phone's profile, repair a phone, check the layers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analyzer.cli import app

device_app = typer.Typer(
    name="device",
    help="Test phones over adb (Android) and usbmux (iPhone): list them, read a device "
    "profile from one, undo what a killed capture left set up, check every layer.\n\n"
    "Example: leakmap device profile -o lab-pixel.toml",
    no_args_is_help=True,
)
app.add_typer(device_app)

SerialOption = Annotated[
    str | None,
    typer.Option(
        "--serial",
        "-s",
        envvar="ANDROID_SERIAL",
        help="adb serial or iPhone UDID (needed when several phones are attached).",
    ),
]


def _say(text: str) -> None:
    typer.echo(text, err=True)


@device_app.command("list")
def list_command() -> None:
    """Phones reachable over adb and usbmux: serial, state, model and OS.

    Example: leakmap device list
    """
    from analyzer.device import adb, state, usbmux
    from analyzer.errors import LeakmapError

    rows: list[tuple[str, str, str, str, str]] = []
    problems: list[str] = []
    try:
        for info in adb.list_devices():
            model = info.tags.get("model", "")
            os_name = ""
            if info.state == "device":
                try:
                    device = adb.AndroidDevice(info.serial)
                    model = device.getprop("ro.product.model") or model
                    os_name = f"Android {device.getprop('ro.build.version.release')}"
                except LeakmapError as error:
                    os_name = f"? ({error})"
            rows.append(("adb", info.serial, info.state, model, os_name))
            problem = adb.state_problem(info)
            if problem:
                problems.append(problem)
    except LeakmapError as error:
        problems.append(f"adb: {error}")
    try:
        for phone in usbmux.list_devices():
            status = "paired" if not phone.problem else "not paired"
            rows.append(("usbmux", phone.udid, status, phone.model, phone.os))
            if phone.problem:
                problems.append(f"{phone.udid}: {phone.problem}")
    except LeakmapError as error:
        problems.append(f"usbmux: {error}")
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for row in rows:
            typer.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    else:
        typer.echo("no phones found")
    for problem in problems:
        _say(f"note: {problem}")
    for left in state.pending():
        _say(f"note: {left.serial} was left set up by a capture; run `leakmap device reset`")


@device_app.command("profile")
def profile_command(
    serial: SerialOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the profile here (default: standard output)."),
    ] = None,
    ios: Annotated[
        bool, typer.Option("--ios", help="Read an iPhone over usbmux even if adb has a phone.")
    ] = False,
) -> None:
    """Write a device profile (TOML) from what the phone says about itself.

    Each value carries a comment naming the command or lockdown key it came from; what could
    not be read is listed with the reason and how to add it by hand. Android: adb (root, where
    the phone allows it, reads more: advertising ID, IMEI on Android 10+). iPhone: lockdown
    values over usbmux (the phone must trust this computer).

    Example: leakmap device profile -o lab-pixel.toml && leakmap report s1 --profile lab-pixel.toml
    """
    reading = read_profile(serial, ios=ios)
    text = reading.to_toml()
    if output is None or str(output) == "-":
        typer.echo(text, nl=False)
        return
    from analyzer.report.atomic import atomic_output

    with atomic_output(output, private=True) as out:
        out.write(text)
    _say(
        f"profile: {output} ({len(reading.values)} values"
        + (f"; not read: {', '.join(u.property for u in reading.unread)}" if reading.unread else "")
        + ")"
    )


def read_profile(serial: str | None, *, ios: bool = False):  # type: ignore[no-untyped-def]
    """The DeviceReading of the chosen phone: Android over adb, else an iPhone over usbmux."""
    from analyzer.device import adb
    from analyzer.errors import LeakmapError

    if not ios:
        try:
            device = adb.select(serial)
        except LeakmapError:
            if not _ios_available(serial):
                raise  # no iPhone either: the adb message says what to do
            device = None
        if device is not None:
            from analyzer.device.android import read_android

            return read_android(device, adb_serial=device.serial)
    from analyzer.device.ios import read_ios
    from analyzer.device.usbmux import read_values

    values, international, udid = read_values(serial)
    return read_ios(values, international, udid=udid)


def _ios_available(serial: str | None) -> bool:
    from analyzer.device import usbmux
    from analyzer.errors import LeakmapError

    try:
        phones = usbmux.list_devices(details=False)
    except LeakmapError:
        return False
    return any(serial in (None, p.udid) for p in phones)


@device_app.command("reset")
def reset_command(serial: SerialOption = None) -> None:
    """Undo what a capture left set up on a phone (proxy, CA, adb reverse) after a kill -9.

    `capture --adb` keeps a state file of what it changed until it has undone it; this runs the
    undo. A normal end (Ctrl-C, SIGTERM, an error) needs no reset.

    Example: leakmap device reset --serial emulator-5554
    """
    from analyzer.device import adb
    from analyzer.device.setup import reset

    problems = reset(serial, select=adb.select, say=_say)
    if problems:
        raise typer.Exit(1)


@device_app.command("doctor")
def doctor_command(
    port: Annotated[
        int, typer.Option("--listen-port", help="The proxy port capture --adb would use.")
    ] = 8080,
    serial: SerialOption = None,
) -> None:
    """Print what leakmap sees on every layer and what `capture --adb` would do, step by step.

    adb server version, devices and their states, root, usbmuxd and iPhones, the mitmproxy CA
    file, phones left set up by a killed capture. Changes nothing.

    Example: leakmap device doctor --listen-port 8080
    """
    from analyzer.device.doctor import doctor

    for line in doctor(port=port, serial=serial):
        typer.echo(line)
