"""One MaxMind-format (mmdb) file, opened for one role: country/city or ASN.

Errors a user can fix (missing file, not an mmdb, an ASN file where a country file belongs)
become one-line ``LeakmapError`` messages that name the file and the option.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import maxminddb
from maxminddb.errors import InvalidDatabaseError

from analyzer.errors import LeakmapError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Lookups made right after opening: a damaged search tree or data section shows up here, as a
# clear error at start-up, rather than in the middle of a report.
PROBE_ADDRESSES = (ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("2001:4860::8888"))


class Role(StrEnum):
    """What a database file is used for; each role accepts the MaxMind types that serve it."""

    COUNTRY = "country"
    ASN = "asn"

    @property
    def option(self) -> str:
        return "--geoip-db" if self is Role.COUNTRY else "--asn-db"

    @property
    def wanted(self) -> str:
        return "a Country or City database" if self is Role.COUNTRY else "an ASN (or ISP) database"

    def accepts(self, database_type: str) -> bool:
        kind = database_type.lower()
        if self is Role.COUNTRY:
            return "country" in kind or "city" in kind
        return "asn" in kind or "isp" in kind


@dataclass(frozen=True)
class DatabaseInfo:
    """What ``leakmap geoip status`` prints about one file."""

    role: Role
    path: Path
    database_type: str
    build_date: dt.date
    ip_version: int
    node_count: int
    embedded: bool
    source: str | None = None  # package and version, for the embedded data
    networks: int | None = None  # known without a full scan only for the embedded data

    def summary(self) -> str:
        built = self.build_date.isoformat()
        if self.embedded:
            origin = self.source or self.path.name
            return f"{origin} (embedded, {self.database_type}), built {built}"
        return f"{self.database_type} ({self.path.name}), built {built}"


class GeoDatabase:
    """An open mmdb file; ``get`` returns the raw record for an address or None."""

    def __init__(
        self,
        path: Path,
        role: Role,
        *,
        embedded: bool = False,
        source: str | None = None,
        networks: int | None = None,
    ) -> None:
        self._reader = _open_reader(path, role)
        meta = self._reader.metadata()
        database_type = str(meta.database_type)
        if not role.accepts(database_type):
            self._reader.close()
            raise LeakmapError(
                f"{role.option} {path}: this is a '{database_type}' database; "
                f"{role.option} needs {role.wanted}"
            )
        self.info = DatabaseInfo(
            role=role,
            path=path,
            database_type=database_type,
            build_date=dt.datetime.fromtimestamp(int(meta.build_epoch), dt.UTC).date(),
            ip_version=int(meta.ip_version),
            node_count=int(meta.node_count),
            embedded=embedded,
            source=source,
            networks=networks,
        )
        for probe in PROBE_ADDRESSES:
            self.get(probe)

    def get(self, address: IPAddress) -> Any:
        """The record for ``address``, or None where the file has none."""
        if address.version == 6 and self.info.ip_version == 4:
            return None
        try:
            return self._reader.get(address)
        except (InvalidDatabaseError, UnicodeDecodeError, IndexError) as error:
            raise LeakmapError(
                f"{self.info.role.option} {self.info.path}: damaged MaxMind database ({error})"
            ) from error

    def count_networks(self) -> int:
        """Networks with a record (a full scan: seconds for a large file)."""
        try:
            return sum(1 for _ in self._reader)
        except (InvalidDatabaseError, UnicodeDecodeError, IndexError) as error:
            raise LeakmapError(
                f"{self.info.role.option} {self.info.path}: damaged MaxMind database ({error})"
            ) from error

    def close(self) -> None:
        self._reader.close()


def _open_reader(path: Path, role: Role) -> maxminddb.Reader:
    if not path.exists():
        raise LeakmapError(f"{role.option} {path}: no such file")
    if not path.is_file():
        raise LeakmapError(f"{role.option} {path}: not a file")
    try:
        return maxminddb.open_database(str(path))
    except (InvalidDatabaseError, ValueError, UnicodeDecodeError, IndexError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise LeakmapError(
            f"{role.option} {path}: not a valid MaxMind database ({reason})"
        ) from error
    except OSError as error:
        raise LeakmapError(f"{role.option} {path}: cannot read ({error.strerror})") from error
