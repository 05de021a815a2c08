"""Placeholder values: what an SDK sends when it has no value, never the person's data.

An all-zero advertising ID (the user limited ad tracking, or iOS without App Tracking
Transparency consent), ``02:00:00:00:00:00`` (the MAC Android and iOS return to apps since
Android 6 / iOS 7), ``65535`` and ``--`` (what iOS 16.4+ returns for the carrier's codes and
name), ``unknown``, ``null``, ``0`` for an ID or a coordinate. Findings of such values are made
with ``Finding.placeholder`` set: the field is reported, the value is not counted as personal
data (the report leaves placeholders out of its counts).

Sources: Android's "Changes to device identifiers" (MAC 02:00:00:00:00:00 since 6.0),
Apple's AdSupport docs (all-zero IDFA without authorisation), CTCarrier's deprecation note
(iOS 16.4 returns "--" and 65535).
"""

from __future__ import annotations

import re

# Values that stand for "none" whatever the property.
NONE_WORDS = frozenset(
    {
        "",
        "unknown",
        "null",
        "nil",
        "none",
        "undefined",
        "n/a",
        "na",
        "-",
        "--",
        "---",
        "(null)",
        "<null>",
        "<unknown>",
        "[unknown]",
        "not available",
        "unavailable",
        "not set",
        "notset",
        "not_set",
        "empty",
        "nan",
        "unknown ssid",
        "<unknown ssid>",
    }
)
# Properties whose value is an identifier: zeros (and all-f) stand for "none".
IDENTIFIERS = frozenset(
    {
        "advertisingId",
        "developerScopedId",
        "deviceId",
        "installationId",
        "userId",
        "pushNotificationToken",
        "imei",
        "imsi",
        "iccid",
        "serialNumber",
        "macAddress",
        "wifiBssid",
    }
)
# Words that are real values for these properties, not placeholders ("none": no network).
REAL = {"networkConnectionType": frozenset({"none"}), "language": frozenset({"na"})}
PLACEHOLDER_MACS = frozenset({"020000000000", "000000000000", "ffffffffffff"})
_PREFIX = re.compile(r"^[A-Za-z]{1,12}:(?=[0-9a-fA-F])")  # "ifa:0000..." (MoPub's typed IDs)
_HEX_SEPARATORS = re.compile(r"[-:.\s{}]")
_UNKNOWN = re.compile(r"(?<![a-z])unknown(?![a-z])|^unknown|unknown$")


def placeholder(prop: str, value: str) -> str | None:
    """Why ``value`` is a placeholder for ``prop`` (a short reason), or None when it is a value."""
    stripped = value.strip().strip('"')
    lowered = stripped.lower()
    if lowered in NONE_WORDS and lowered not in REAL.get(prop, ()):
        return "a word for 'no value'"
    if _UNKNOWN.search(lowered):  # UNKNOWN_MOBILE_SUBTYPE, NETWORK_TYPE_UNKNOWN, "Unknown carrier"
        return "says it is unknown"
    if prop in IDENTIFIERS:
        bare = _HEX_SEPARATORS.sub("", _PREFIX.sub("", lowered))
        if prop in ("macAddress", "wifiBssid") and bare in PLACEHOLDER_MACS:
            return "placeholder MAC (Android and iOS return 02:00:00:00:00:00 to apps)"
        if bare and set(bare) <= {"0"}:
            if prop == "advertisingId":
                return "all zeros: the user limited ad tracking (no advertising ID)"
            return "all zeros"
        if len(bare) >= 8 and set(bare) <= {"f"}:
            return "all ones (ff...ff)"
    if prop in ("latitude", "longitude") and lowered.lstrip("-") in (
        "0",
        "0.0",
        "0.00",
        "0.000000",
    ):
        return "zero: no position fix"
    if prop == "carrier" and lowered in ("65535", "6553565535", "65535-65535", "carrier"):
        return "what iOS 16.4+ returns instead of the carrier"
    if prop in ("screenWidth", "screenHeight") and lowered in ("0", "0x0", "0.0"):
        return "zero"
    if prop == "language" and lowered in ("auto", "und", "xx", "zz"):
        return "no language chosen"
    return None
