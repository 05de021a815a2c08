"""The thin usbmux layer: iPhones through usbmuxd and pymobiledevice3's lockdown client.

``usbmuxd`` (Debian: ``apt install usbmuxd``; macOS has it built in) lists the iPhones on USB;
lockdown values need the phone paired (the "Trust this computer?" prompt). The socket is
``USBMUXD_SOCKET_ADDRESS`` when set (pymobiledevice3 reads it), else ``/var/run/usbmuxd``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from analyzer.errors import LeakmapError


@dataclass(frozen=True, slots=True)
class IosDeviceInfo:
    """One iPhone on usbmuxd: ``udid``, ``connection`` (USB/Network), and ``model``/``os``/
    ``problem`` when lockdown could (not) be asked."""

    udid: str
    connection: str
    model: str = ""
    os: str = ""
    problem: str = ""


class UsbmuxUnavailable(LeakmapError):
    """usbmuxd is not running (or pymobiledevice3 is missing)."""


def list_devices(*, details: bool = True) -> list[IosDeviceInfo]:
    """iPhones usbmuxd sees; with ``details``, their ProductType and ProductVersion."""
    return asyncio.run(_list(details))


def read_values(udid: str | None = None) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(root-domain lockdown values, ``com.apple.international`` values, udid) of one iPhone."""
    return asyncio.run(_read(udid))


async def _list(details: bool) -> list[IosDeviceInfo]:
    usbmux, _lockdown, errors = _library()
    try:
        devices = await usbmux.list_devices()
    except (errors.ConnectionFailedToUsbmuxdError, ConnectionError, OSError) as error:
        raise UsbmuxUnavailable(_no_usbmuxd(error)) from None
    out = []
    for device in devices:
        info = IosDeviceInfo(device.serial, device.connection_type)
        if details:
            try:
                values, _intl, _udid = await _read(device.serial, autopair=False)
                info = IosDeviceInfo(
                    device.serial,
                    device.connection_type,
                    str(values.get("ProductType", "")),
                    f"iOS {values.get('ProductVersion', '?')}",
                )
            except LeakmapError as error:
                info = IosDeviceInfo(device.serial, device.connection_type, problem=str(error))
        out.append(info)
    return out


async def _read(
    udid: str | None, autopair: bool = True
) -> tuple[dict[str, Any], dict[str, Any], str]:
    _usbmux, lockdown, errors = _library()
    try:
        client = await lockdown.create_using_usbmux(serial=udid, autopair=autopair, pair_timeout=30)
    except (errors.ConnectionFailedToUsbmuxdError, ConnectionError) as error:
        raise UsbmuxUnavailable(_no_usbmuxd(error)) from None
    except (errors.NoDeviceConnectedError, errors.DeviceNotFoundError):
        raise LeakmapError(f"no iPhone {udid or ''} on usbmuxd".replace("  ", " ")) from None
    except (errors.NotPairedError, errors.PairingError) as error:
        raise LeakmapError(
            f"the iPhone is not paired ({type(error).__name__}): unlock it and tap "
            "'Trust' on the 'Trust this computer?' prompt, then try again"
        ) from None
    except errors.PyMobileDevice3Exception as error:
        raise LeakmapError(f"lockdown: {type(error).__name__}: {error}") from None
    try:
        values = dict(client.all_values)
        try:
            international = await client.get_value(domain="com.apple.international")
        except errors.PyMobileDevice3Exception:
            international = {}
        return values, dict(international or {}), str(values.get("UniqueDeviceID", udid or ""))
    finally:
        await client.close()


def _library() -> tuple[Any, Any, Any]:
    try:
        from pymobiledevice3 import exceptions, lockdown, usbmux
    except ImportError:
        raise UsbmuxUnavailable(
            "iPhone support needs pymobiledevice3 (pip install pymobiledevice3)"
        ) from None
    return usbmux, lockdown, exceptions


def _no_usbmuxd(error: BaseException) -> str:
    return (
        f"usbmuxd is not running ({type(error).__name__}); iPhones need it "
        "(Debian: apt install usbmuxd; macOS: built in)"
    )
