"""Value-format checks: does a value look like the property its field name claims?

Each check takes ``(prop, value)`` and returns the properties it supports, as
``[(property, value), ...]`` (empty when the value does not fit). Most return the one property;
composite values give several ("Android 11" is an OS name and version, "1440x2560" both screen
dimensions, "52.23,10.56" both coordinates, an IP address is local or public by its range).
These checks are the false-positive guards of name-based detection. This module holds the
identifiers, addresses, coordinates and contact data; ``formats_device.py`` the device's
description, ``formats_locale.py`` language, time zone, network and carrier, ``checks.py`` the
table of checks by name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

Check = Callable[[str, str], list[tuple[str, str]]]

UUID = re.compile(
    r"(?:[A-Za-z]{1,12}:)?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}|[0-9a-fA-F]{32})"
)
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
HEX_ID = re.compile(r"[0-9a-fA-F]{13,16}")
MAC = re.compile(
    r"[0-9A-Fa-f]{1,2}(?:([:-])[0-9A-Fa-f]{1,2})(?:\1[0-9A-Fa-f]{1,2}){4}|[0-9A-Fa-f]{12}"
)
PLACEHOLDER_MACS = {"020000000000", "000000000000", "ffffffffffff"}
EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}"
)
FILE_SUFFIXES = {"png", "jpg", "jpeg", "gif", "webp", "svg", "js", "css", "html", "json", "xml"}
IDENTIFIER = re.compile(r"\$?[A-Za-z0-9._:\-+/=]{6,256}")
TOKEN = re.compile(r"[A-Za-z0-9._:\-+/=]{32,4096}")
# Push tokens by form. FCM registration token: "<instance id>:APA91b<base64url>" (the legacy GCM
# token is the part after the colon); APNs device token: 32 bytes as 64 hex digits.
FCM_TOKEN = re.compile(r"[A-Za-z0-9_\-]{11,64}:APA91b[A-Za-z0-9_\-]{60,4096}")
GCM_TOKEN = re.compile(r"APA91b[A-Za-z0-9_\-]{100,4096}")
APNS_TOKEN = re.compile(r"[0-9a-fA-F]{64}|<[0-9a-fA-F]{8}(?: [0-9a-fA-F]{8}){7}>")
JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
BOOLEANS = {"true", "false", "0", "1", "yes", "no", "y", "n", "t", "f"}
LATLON = re.compile(r"(-?\d{1,3}\.\d{2,})\s?[,;/ ]\s?(-?\d{1,3}\.\d{2,})")
DECIMAL = re.compile(r"-?\d{1,3}\.\d{1,15}")
IMEI_RBI = {
    "01",
    "10",
    "30",
    "33",
    "35",
    "44",
    "45",
    "49",
    "50",
    "51",
    "52",
    "53",
    "54",
    "86",
    "91",
    "98",
    "99",
}


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = ord(char) - 48
        if index % 2:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def is_imei(value: str) -> bool:
    """15 digits, Luhn-valid, from a reporting body that issues IMEIs (guards random numbers)."""
    return (
        len(value) == 15
        and value.isdigit()
        and value[:2] in IMEI_RBI
        and luhn_ok(value)
        and len(set(value)) > 3
    )


def mac_bare(value: str) -> str | None:
    """A MAC address as 12 lower-case hex digits, or None."""
    value = value.strip()
    if not MAC.fullmatch(value):
        return None
    if len(value) == 12:
        return value.lower()
    parts = re.split(r"[:-]", value)
    return "".join(part.zfill(2) for part in parts).lower()


def one(ok: bool, prop: str, value: str) -> list[tuple[str, str]]:
    return [(prop, value)] if ok else []


def uuid(prop: str, value: str) -> list[tuple[str, str]]:
    return one(UUID.fullmatch(value.strip()) is not None, prop, value)


def dev_scoped_id(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    return one(bool(UUID.fullmatch(value) or HEX_ID.fullmatch(value)), prop, value)


def identifier(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    digits_only = value.replace(".", "").isdigit()
    ok = (
        IDENTIFIER.fullmatch(value) is not None
        and len(set(value)) > 3
        and (not digits_only or len(value) >= 8)
    )
    return one(ok and value.lower() not in {"unknown", "null", "undefined", "none"}, prop, value)


def push_token_form(value: str) -> bool:
    """Whether the value has the form of an FCM/GCM registration token or an APNs device token."""
    stripped = value.strip()
    return bool(
        FCM_TOKEN.fullmatch(stripped)
        or GCM_TOKEN.fullmatch(stripped)
        or APNS_TOKEN.fullmatch(stripped)
    )


def token(prop: str, value: str) -> list[tuple[str, str]]:
    """A push token: a push token's form, or a long opaque string (32+ characters, varied).

    A JSON Web Token or a bare UUID is no push token (session and request IDs travel as such).
    """
    stripped = value.strip()
    if push_token_form(stripped):
        return [(prop, value)]
    ok = (
        TOKEN.fullmatch(stripped) is not None
        and len(set(stripped)) > 10
        and not JWT.fullmatch(stripped)
        and not UUID.fullmatch(stripped)
    )
    return one(ok, prop, value)


def mac(prop: str, value: str) -> list[tuple[str, str]]:
    return one(mac_bare(value) is not None, prop, value)


# The ranges a phone's own interface is addressed from on a local network: RFC 1918 private
# IPv4, RFC 6598 shared address space (carrier-grade NAT: the phone's address on a mobile
# network), link-local (RFC 3927, RFC 4291) and IPv6 unique local addresses (RFC 4193). Python's
# ``is_private`` also holds the documentation and benchmarking prefixes (RFC 5737, 2544, 3849),
# which are no local network: an address there is reported as a public one.
LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    )
)


def ip(prop: str, value: str) -> list[tuple[str, str]]:
    """An IP address: ``localIp`` in the local-network ranges (:data:`LOCAL_NETWORKS`),
    ``publicIp`` elsewhere; none for unspecified, loopback, multicast and reserved addresses."""
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return []
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:a.b.c.d is the IPv4 address it carries
    if address.is_unspecified or address.is_loopback or address.is_multicast:
        return []
    if any(address in net for net in LOCAL_NETWORKS if net.version == address.version):
        return [("localIp", value)]
    if address.is_reserved:
        return []
    return [("publicIp", value)]


def _coordinate(value: str, bound: float) -> bool:
    value = value.strip()
    if not DECIMAL.fullmatch(value):
        return False
    number = float(value)
    return -bound <= number <= bound and number != 0


def latitude(prop: str, value: str) -> list[tuple[str, str]]:
    return one(_coordinate(value, 90), prop, value)


def longitude(prop: str, value: str) -> list[tuple[str, str]]:
    return one(_coordinate(value, 180), prop, value)


def latlon(prop: str, value: str) -> list[tuple[str, str]]:
    match = LATLON.fullmatch(value.strip())
    if not match or not (_coordinate(match[1], 90) and _coordinate(match[2], 180)):
        return []
    return [("latitude", match[1]), ("longitude", match[2])]


def short_text(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = 0 < len(value) <= 64 and value.lower() not in BOOLEANS | {
        "null",
        "unknown",
        "<unknown ssid>",
    }
    return one(ok and any(c.isalnum() for c in value), prop, value)


def user_agent(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    return one(len(value) >= 10 and ("/" in value or "Mozilla" in value), prop, value)


def boolean(prop: str, value: str) -> list[tuple[str, str]]:
    return one(value.strip().lower() in BOOLEANS, prop, value)


def imei(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = (
        value.isdigit()
        and ((len(value) == 15 and luhn_ok(value)) or len(value) in (14, 16))
        and len(set(value)) > 3
    )
    return one(ok, prop, value)


def imsi(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = value.isdigit() and len(value) in (14, 15) and 200 <= int(value[:3]) <= 799
    return one(ok, prop, value)


def iccid(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip().rstrip("Ff")
    return one(value.isdigit() and 18 <= len(value) <= 22 and value.startswith("89"), prop, value)


def serial(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = (
        re.fullmatch(r"[A-Za-z0-9]{5,24}", value) is not None
        and value.lower() not in {"unknown", "null", "undefined"}
        and len(set(value)) > 2
    )
    return one(ok, prop, value)


def email(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    match = EMAIL.fullmatch(value)
    return one(bool(match) and value.rsplit(".", 1)[-1].lower() not in FILE_SUFFIXES, prop, value)


def phone(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    ok = re.fullmatch(r"\+?[\d\s\-().]{7,24}", value) is not None and 7 <= len(digits) <= 15
    return one(ok and len(set(digits)) > 2, prop, value)


def person_name(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    ok = 0 < len(value) <= 80 and re.fullmatch(r"[^\W\d_]+(?:[ '.\-][^\W\d_]+){0,4}\.?", value)
    return one(bool(ok) and value.lower() not in BOOLEANS | {"null", "unknown"}, prop, value)


def nonempty(prop: str, value: str) -> list[tuple[str, str]]:
    value = value.strip()
    return one(
        bool(value) and value.lower() not in {"null", "none", "[]", "{}", "undefined"}, prop, value
    )
