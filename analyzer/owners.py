"""Who runs a destination: host -> registrable domain -> owner organisation and its country.

    from analyzer.owners import OwnerMap, Owner
    owners = OwnerMap.load()                          # the embedded map, read once
    owners.registrable_domain("a.b.example.com.cn")   # "example.com.cn"
    owners.lookup("graph.facebook.com")               # Owner("Meta Platforms", "US", ...)

The public suffix list comes from the ``publicsuffixlist`` package (no network at run time);
only its ICANN section is used, so ``d1.cloudfront.net`` belongs to ``cloudfront.net`` (run by
Amazon) rather than being a domain of its own. The map is ``analyzer/data/owners.toml``.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from publicsuffixlist import PublicSuffixList

from analyzer.errors import LeakmapError
from analyzer.files import read_bounded

MAX_HOST_CHARS = 253
MAX_MAP_BYTES = 4 * 1024 * 1024
_PORT = re.compile(r":\d{1,5}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class Owner:
    """The organisation behind a domain: ``name``, headquarters ``country`` (ISO alpha-2),
    the listed ``domain`` that matched, and the ``source`` that documents the owner."""

    name: str
    country: str
    domain: str
    source: str


@cache
def _suffixes() -> PublicSuffixList:
    # Building the list parses ~10k rules; one instance serves every map.
    return PublicSuffixList(only_icann=True)


def normalise_host(host: str) -> str | None:
    """Lower-case DNS name without port or trailing dot; None for IPs and non-names."""
    if not isinstance(host, str):
        return None
    text = host.strip().lower()
    if text.startswith("["):  # "[2001:db8::1]:443"
        return None
    if _is_ip(text):
        return None
    text = _PORT.sub("", text).rstrip(".")
    if not text or len(text) > MAX_HOST_CHARS or _is_ip(text):
        return None
    if text.isascii():
        labels = text.split(".")
    else:
        try:
            labels = text.encode("idna").decode("ascii").split(".")
        except UnicodeError:
            return None
    if not all(_LABEL.match(label) for label in labels):
        return None
    return ".".join(labels)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def registrable_domain(host: str) -> str | None:
    """The domain a registrar sells (``example.com.cn`` for ``a.b.example.com.cn``); None for
    IP addresses, single labels, bare public suffixes and malformed names."""
    name = normalise_host(host)
    if name is None or "." not in name:
        return None
    domain = _suffixes().privatesuffix(name)
    return domain if isinstance(domain, str) else None


class OwnerMap:
    """Listed domains and their owners; a host inherits the owner of its nearest listed parent."""

    def __init__(self, owners: dict[str, Owner]) -> None:
        self._owners = owners

    @classmethod
    def load(cls, path: Path | None = None) -> OwnerMap:
        """The embedded map (read once per process), or a map file in the same TOML format."""
        return _load(None if path is None else Path(path).resolve())

    def __len__(self) -> int:
        return len(self._owners)

    def domains(self) -> list[str]:
        return sorted(self._owners)

    @staticmethod
    def registrable_domain(host: str) -> str | None:
        """See :func:`registrable_domain`."""
        return registrable_domain(host)

    def lookup(self, host: str) -> Owner | None:
        """The owner of ``host`` or of its nearest listed parent domain; None if unlisted."""
        name = normalise_host(host)
        if name is None:
            return None
        labels = name.split(".")
        # Most specific first: a listed sub-domain (one company's service on another's
        # domain) wins over its parent; bare public suffixes are never listed.
        for start in range(len(labels) - 1):
            owner = self._owners.get(".".join(labels[start:]))
            if owner is not None:
                return owner
        return None


@cache
def _load(path: Path | None) -> OwnerMap:
    if path is None:
        source = resources.files("analyzer") / "data" / "owners.toml"
        label = "the embedded owner map"
    else:
        source = path
        label = str(path)
    raw = read_bounded(source, MAX_MAP_BYTES, label)
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise LeakmapError(f"{label}: not valid TOML ({error})") from error
    return OwnerMap(parse_owner_document(document, label))


def parse_owner_document(document: dict[str, Any], label: str) -> dict[str, Owner]:
    """Validate ``[[owner]]`` entries; every problem names the entry so it can be fixed."""
    entries = document.get("owner")
    if not isinstance(entries, list):
        raise LeakmapError(f"{label}: no [[owner]] entries")
    owners: dict[str, Owner] = {}
    for index, entry in enumerate(entries, 1):
        where = f"{label}: owner #{index}"
        if not isinstance(entry, dict):
            raise LeakmapError(f"{where}: not a table")
        name, country, source = entry.get("name"), entry.get("country"), entry.get("source")
        domains = entry.get("domains")
        if not isinstance(name, str) or not name.strip():
            raise LeakmapError(f"{where}: 'name' is missing")
        where = f"{label}: owner {name!r}"
        if not isinstance(country, str) or not _COUNTRY.match(country):
            raise LeakmapError(f"{where}: 'country' must be an ISO 3166-1 alpha-2 code")
        if not isinstance(source, str) or not source.strip():
            raise LeakmapError(f"{where}: 'source' is missing")
        if not isinstance(domains, list) or not domains:
            raise LeakmapError(f"{where}: 'domains' must be a non-empty list")
        for domain in domains:
            normal = normalise_host(domain) if isinstance(domain, str) else None
            if normal is None or normal != domain or registrable_domain(normal) is None:
                raise LeakmapError(f"{where}: {domain!r} is not a lower-case registrable domain")
            if domain in owners:
                raise LeakmapError(
                    f"{where}: {domain!r} is already listed for {owners[domain].name!r}"
                )
            owners[domain] = Owner(name=name, country=country, domain=domain, source=source)
    return owners
