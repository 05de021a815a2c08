"""``capture --adb``: the phone side of a capture session, as one context manager.

The CLI wraps the capture in :func:`adb_capture`; everything else (choosing the phone, the CA,
reading the profile, the set-up and its undo) lives here so ``analyzer/capture.py`` stays
unaware of phones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

ADB_ANY = "-"  # `--adb` without a serial: the one attached phone


@dataclass(slots=True)
class PhoneSession:
    """The phone of a capture: its ``serial``, ``model``, and the profile read at the start."""

    serial: str
    model: str
    profile_text: str | None
    ca: str


@contextmanager
def adb_capture(
    serial: str | None,
    port: int,
    extra_args: Sequence[str] = (),
    *,
    read_profile: bool = False,
    say: Callable[[str], None] = print,
) -> Iterator[PhoneSession]:
    """Set the phone up for a proxy on 127.0.0.1:``port``; undo it when the block ends.

    ``serial`` None or ``"-"`` picks the one attached phone. ``read_profile`` reads the device
    profile first (``--profile auto``). Errors are one-line LeakmapErrors; the phone is never
    left half set up.
    """
    from analyzer.device import adb
    from analyzer.device.ca import ensure_ca, mitmproxy_confdir
    from analyzer.device.setup import AdbSetup

    device = adb.select(None if serial in (None, "", ADB_ANY) else serial)
    pem = ensure_ca(mitmproxy_confdir(list(extra_args)))
    profile_text = None
    if read_profile:
        from analyzer.device.android import read_android

        reading = read_android(device, adb_serial=device.serial)
        profile_text = reading.to_toml()
        unread = ", ".join(u.property for u in reading.unread)
        say(
            f"profile: {len(reading.values)} values read"
            + (f" (not read: {unread})" if unread else "")
        )
    model = device.getprop("ro.product.model")
    with AdbSetup(device, port, pem, say=say) as setup:
        yield PhoneSession(device.serial, model, profile_text, setup.ca)
