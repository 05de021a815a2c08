"""Pure parsers of ``dumpsys wifi``, ``cmd wifi status``, ``dumpsys account``, ``dumpsys location``.

The line formats come from the AOSP code that prints them:

- Wi-Fi: ``WifiInfo.toString`` (``mWifiInfo SSID: "name", BSSID: ..., MAC: ..., IP: /...``;
  ``cmd wifi status`` prints ``WifiInfo: SSID: ...``). An SSID may contain commas, so it ends at
  ``, BSSID:``; ``<unknown ssid>`` and the placeholder BSSID/MAC mean "not disclosed".
- Accounts: ``AccountManagerService.dumpUser``: ``Accounts: N`` then N lines
  ``Account {name=..., type=...}``; later sections (history, visibility) repeat names in other
  shapes and are not the listing.
- Location: ``Location.toString``: ``Location[provider LAT,LON hAcc=... et=+1d2h3m4s5ms ...]``;
  ``et`` is the time since boot of the fix, so the largest ``et`` is the latest fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.device.android_parse import normal_mac

_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True, slots=True)
class WifiInfo:
    """The connected network: ``ssid`` (None if hidden), ``bssid``, the phone's ``mac``, ``ip``."""

    ssid: str | None = None
    bssid: str | None = None
    mac: str | None = None
    ip: str | None = None


def parse_wifi_info(output: str) -> WifiInfo | None:
    """The first ``WifiInfo`` line of ``dumpsys wifi`` or ``cmd wifi status``, else None."""
    match = re.search(r"(?:mWifiInfo|WifiInfo:) SSID: (.*?), BSSID: ([^,]*), (.*)$", output, re.M)
    if not match:
        return None
    ssid = match.group(1).strip()
    if ssid.startswith('"') and ssid.endswith('"') and len(ssid) >= 2:
        ssid = ssid[1:-1]
    elif ssid.startswith("0x") or ssid in ("<unknown ssid>", "<none>", ""):
        ssid = ""
    if ssid in ("<unknown ssid>", ""):
        ssid = None
    rest = match.group(3)
    mac = re.search(r"\bMAC: ([0-9A-Fa-f:]{17})", rest)
    ip = re.search(r"\bIP: /?([0-9A-Fa-f:.]+)", rest)
    return WifiInfo(
        ssid=ssid,
        bssid=normal_mac(match.group(2)),
        mac=normal_mac(mac.group(1)) if mac else None,
        ip=ip.group(1) if ip and ip.group(1) not in ("0.0.0.0", "") else None,
    )


@dataclass(frozen=True, slots=True)
class Account:
    """One account of the device: ``name``, ``type`` (authenticator), ``user`` (Android user id)."""

    name: str
    type: str
    user: int

    @property
    def is_email(self) -> bool:
        return bool(_EMAIL.match(self.name))


def parse_accounts(output: str) -> list[Account]:
    """The accounts listed under each user's ``Accounts: N`` header, in order, without repeats."""
    accounts: list[Account] = []
    user = 0
    remaining = 0
    for line in output.splitlines():
        header = re.match(r"^User UserInfo\{(\d+):", line)
        if header:
            user, remaining = int(header.group(1)), 0
            continue
        count = re.match(r"^\s*Accounts: (\d+)\s*$", line)
        if count:
            remaining = int(count.group(1))
            continue
        if remaining > 0:
            entry = re.match(r"^\s*Account \{name=(.*), type=([^}]*)\}\s*$", line)
            if entry:
                account = Account(entry.group(1), entry.group(2), user)
                if account not in accounts:
                    accounts.append(account)
                remaining -= 1
            else:
                remaining = 0
    return accounts


@dataclass(frozen=True, slots=True)
class Fix:
    """A location fix: ``provider``, ``latitude``/``longitude`` as printed, ``elapsed`` seconds."""

    provider: str
    latitude: str
    longitude: str
    elapsed: float


def parse_locations(output: str) -> list[Fix]:
    """Every ``Location[...]`` with coordinates, latest fix (largest ``et``) first."""
    fixes: list[Fix] = []
    pattern = re.compile(r"Location\[(\w+) (-?\d{1,3}\.\d+),(-?\d{1,3}\.\d+)([^\]]*)")
    for match in pattern.finditer(output):
        latitude, longitude = match.group(2), match.group(3)
        if not (-90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180):
            continue
        if float(latitude) == 0 and float(longitude) == 0:
            continue  # "no fix" placeholders
        elapsed = _elapsed(match.group(4))
        fix = Fix(match.group(1), latitude, longitude, elapsed)
        if all((f.latitude, f.longitude) != (latitude, longitude) for f in fixes):
            fixes.append(fix)
    return sorted(fixes, key=lambda f: -f.elapsed)


def _elapsed(rest: str) -> float:
    match = re.search(r"\bet=\+?((?:\d+d)?(?:\d+h)?(?:\d+m(?!s))?(?:\d+s)?(?:\d+ms)?)", rest)
    if not match:
        return -1.0
    total = 0.0
    for number, unit in re.findall(r"(\d+)(ms|d|h|m|s)", match.group(1)):
        total += int(number) * {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return total
