"""Pure parsers of Android shell output: ``getprop``, ``settings get``, network and ID files.

Every function takes the text a command printed (bounded by the adb layer) and returns plain
values; none runs a command. The formats and their sources:

- ``getprop``: ``[name]: [value]`` per property, a value may span lines (AOSP
  ``system/core/toolbox/getprop.cpp``).
- ``settings get NAMESPACE KEY``: the value, or ``null`` when unset (AOSP ``SettingsService``).
- ``dumpsys iphonesubinfo`` (Android <= 4.4): ``Device ID = ...`` (AOSP ``PhoneSubInfo.dump``).
- ``ifconfig`` (toybox) and ``ip addr`` (iproute2): interface blocks with ``inet``/``inet6``.
- Google Play services' ``shared_prefs/adid_settings.xml``: an Android SharedPreferences XML
  map whose ``<string name="adid_key">`` holds the advertising ID.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

MAX_XML_BYTES = 64 * 1024

_GETPROP = re.compile(r"^\[([^\]\n]+)\]: \[(.*?)\]$(?=\n\[|\n*\Z)", re.M | re.S)
_MAC = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MEID = re.compile(r"^[0-9A-F]{14}$")
_PHONE = re.compile(r"^\+?[0-9]{3,20}$")
# MACs that are placeholders, not a device's address: Android returns 02:00:00:00:00:00 to
# callers without the right permission (developer.android.com, "Access to Hardware Identifier").
PLACEHOLDER_MACS = {"00:00:00:00:00:00", "02:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"}


def parse_getprop(output: str) -> dict[str, str]:
    """``getprop``'s dump as ``{name: value}``; values keep embedded newlines, empty values stay."""
    return {match.group(1): match.group(2) for match in _GETPROP.finditer(output)}


def setting_value(output: str) -> str | None:
    """The value ``settings get`` printed; None when unset (``null``) or blank."""
    value = output.strip()
    return None if value in ("", "null") else value


def parse_old_iphonesubinfo(output: str) -> str | None:
    """The ``Device ID`` (IMEI or MEID) of ``dumpsys iphonesubinfo`` on Android <= 4.4."""
    match = re.search(r"^\s*Device ID\s*=\s*(\S+)\s*$", output, re.M)
    return match.group(1) if match else None


def parse_adid_settings(xml_text: str) -> str | None:
    """The advertising ID (``adid_key``) in Google Play services' ``adid_settings.xml``.

    Returns the lower-case UUID, or None when the file holds none. Raises ValueError when the
    text is not XML or is too big (the file is a few hundred bytes). An all-zero ID means the
    user deleted the advertising ID (Android 12+); it is returned as such for the caller to judge.
    """
    if len(xml_text) > MAX_XML_BYTES:
        raise ValueError("adid_settings.xml is too big")
    if "<!DOCTYPE" in xml_text or "<!ENTITY" in xml_text:
        raise ValueError("adid_settings.xml declares a DTD")  # a SharedPreferences file never does
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as error:
        raise ValueError(f"adid_settings.xml is not XML: {error}") from None
    for element in root.iter("string"):
        if element.get("name") == "adid_key":
            value = (element.text or "").strip().lower()
            return value if _UUID.match(value) else None
    return None


@dataclass(frozen=True, slots=True)
class Address:
    """One address of an interface: ``interface`` name, ``address`` text, ``scope``."""

    interface: str
    address: str
    scope: str  # "global", "link", "host"


def parse_interfaces(output: str) -> list[Address]:
    """Addresses in ``ifconfig`` (toybox/net-tools) or ``ip addr`` output, in order.

    Loopback and link-local addresses are kept with their scope; callers choose what to keep.
    """
    addresses: list[Address] = []
    interface = ""
    for line in output.splitlines():
        header = re.match(
            r"^(?:\d+:\s+)?([A-Za-z0-9_.@\-]+?)(?:@\S+)?:?\s+(?:Link encap|<|ip\b)", line
        )
        if header and not line.startswith(" "):
            interface = header.group(1)
            inline = re.search(r"\bip (\d+\.\d+\.\d+\.\d+)", line)  # "wlan0: ip 10.1.2.3 mask ..."
            if inline:
                _add(addresses, interface, inline.group(1))
            continue
        for match in re.finditer(r"\binet6?(?: addr:)?\s*([0-9A-Fa-f:.]+)(?:/\d+)?", line):
            _add(addresses, interface, match.group(1))
    return addresses


def _add(addresses: list[Address], interface: str, text: str) -> None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return
    scope = "host" if ip.is_loopback else "link" if ip.is_link_local else "global"
    entry = Address(interface, str(ip), scope)
    if entry not in addresses:
        addresses.append(entry)


def normal_mac(text: str | None) -> str | None:
    """A MAC address in lower-case colon form, or None for anything else or a placeholder."""
    if not text:
        return None
    value = text.strip().lower().replace("-", ":")
    if not _MAC.match(value) or value in PLACEHOLDER_MACS:
        return None
    return value


def is_imei(text: str) -> bool:
    """15 digits with a valid Luhn check digit (3GPP TS 23.003, Annex B)."""
    if not re.fullmatch(r"\d{15}", text):
        return False
    total = 0
    for index, char in enumerate(reversed(text)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def is_meid(text: str) -> bool:
    """14 hex digits (3GPP2 S.R0048: an MEID, the IMEI's CDMA counterpart)."""
    return bool(_MEID.match(text.upper()))


def is_phone_number(text: str) -> bool:
    """Digits with an optional leading +, 3 to 20 long, once spaces and dashes are dropped."""
    return bool(_PHONE.match(re.sub(r"[\s\-()]", "", text)))


def is_uuid(text: str) -> bool:
    """A UUID in canonical lower-case form (RFC 9562 text representation)."""
    return bool(_UUID.match(text))
