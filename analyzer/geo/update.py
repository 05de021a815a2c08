"""Download a newer MaxMind-format file from a URL, check it, and put it in place atomically.

Accepted downloads: a plain ``.mmdb``, a gzip-compressed one (``.mmdb.gz``), or a tar.gz that
holds ``.mmdb`` members (MaxMind's ``GeoLite2-City_YYYYMMDD.tar.gz``, an npm package tarball
such as ``@ip-location-db/geo-whois-asn-country-mmdb``). The file is only moved to its target
after it opened as a database of the wanted kind; a failed update leaves the old file intact.

MaxMind's downloads need a (free) MaxMind account and a licence key. Its current download URLs
(``https://download.maxmind.com/geoip/databases/EDITION/download?suffix=tar.gz``) take them by
HTTP basic authentication: leakmap reads them from the environment variables MaxMind's own
``geoipupdate`` uses, ``GEOIPUPDATE_ACCOUNT_ID`` and ``GEOIPUPDATE_LICENSE_KEY``, and sends them
to maxmind.com hosts only (never on to the storage host MaxMind redirects to). Source:
https://dev.maxmind.com/geoip/updating-databases/#directly-downloading-databases
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import os
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import BinaryIO

from analyzer.errors import LeakmapError
from analyzer.geo.database import DatabaseInfo, GeoDatabase, Role

MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ACCOUNT_ENV, LICENSE_ENV = "GEOIPUPDATE_ACCOUNT_ID", "GEOIPUPDATE_LICENSE_KEY"


def default_update_dir() -> Path:
    """``$XDG_DATA_HOME/leakmap/geo`` (``~/.local/share/leakmap/geo``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "leakmap" / "geo"


def update_database(
    url: str,
    target: Path,
    role: Role,
    *,
    timeout: float = 120.0,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> DatabaseInfo:
    """Fetch ``url`` into ``target`` if it is a valid database for ``role``; its description."""
    if not url.lower().startswith(("http://", "https://")):
        raise LeakmapError(f"{url}: only http:// and https:// URLs are supported")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".leakmap-geo-", dir=target.parent) as tmp:
        work = Path(tmp)
        download = work / "download"
        _download(url, download, timeout=timeout, max_bytes=max_bytes)
        try:
            candidate = _unpack(download, work, role, max_bytes)
            database = GeoDatabase(candidate, role)
        except LeakmapError as error:
            # The checks name the temporary file (and --geoip-db); the researcher gave a URL.
            reason = str(error).partition(": ")[2] or str(error)
            for path in sorted(work.rglob("*"), key=lambda p: -len(str(p))):
                reason = reason.replace(str(path), path.name)
            raise LeakmapError(f"{url}: {reason}") from None
        database.close()
        candidate.chmod(0o644)
        os.replace(candidate, target)
    return dataclasses.replace(database.info, path=target)


def _maxmind_credentials(url: str) -> str | None:
    """``Basic ...`` for a maxmind.com URL when both environment variables are set."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host != "maxmind.com" and not host.endswith(".maxmind.com"):
        return None
    account, key = os.environ.get(ACCOUNT_ENV, ""), os.environ.get(LICENSE_ENV, "")
    if not (account and key):
        return None
    return "Basic " + base64.b64encode(f"{account}:{key}".encode()).decode("ascii")


def _download(url: str, sink_path: Path, *, timeout: float, max_bytes: int) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "leakmap-geoip-update"})
    if (credentials := _maxmind_credentials(url)) is not None:
        # Unredirected: MaxMind answers with a redirect to a signed storage URL elsewhere.
        request.add_unredirected_header("Authorization", credentials)
    deadline = time.monotonic() + timeout
    try:
        # A fresh opener: proxy settings (http_proxy, ...) are read now, not at first use.
        with urllib.request.build_opener().open(request, timeout=timeout) as response:
            size = 0
            with sink_path.open("wb") as sink:
                while chunk := response.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise LeakmapError(f"{url}: larger than {max_bytes} bytes; not used")
                    if time.monotonic() > deadline:
                        raise LeakmapError(f"{url}: download took longer than {timeout:.0f} s")
                    sink.write(chunk)
    except urllib.error.HTTPError as error:
        hint = ""
        if error.code in (401, 403) and "maxmind.com" in url.lower():
            hint = f" (MaxMind needs your account ID and licence key: {ACCOUNT_ENV}, {LICENSE_ENV})"
        raise LeakmapError(f"{url}: HTTP {error.code} {error.reason}{hint}") from error
    except urllib.error.URLError as error:
        raise LeakmapError(f"{url}: cannot download ({error.reason})") from error
    except (TimeoutError, OSError) as error:
        raise LeakmapError(f"{url}: cannot download ({error})") from error


def _unpack(download: Path, work: Path, role: Role, max_bytes: int) -> Path:
    with download.open("rb") as handle:
        magic = handle.read(2)
    if magic != GZIP_MAGIC:
        return download
    if tarfile.is_tarfile(download):
        return _from_tar(download, work, role, max_bytes)
    plain = work / "download.mmdb"
    with gzip.open(download, "rb") as source, plain.open("wb") as sink:
        _copy_bounded(source, sink, max_bytes, download.name)
    return plain


def _from_tar(download: Path, work: Path, role: Role, max_bytes: int) -> Path:
    """The largest ``.mmdb`` member that opens as a database for ``role``."""
    try:
        with tarfile.open(download, "r:*") as archive:
            members = [m for m in archive.getmembers() if m.isfile() and m.name.endswith(".mmdb")]
            # Combined IPv4+IPv6 files are the largest; try them first.
            members.sort(key=lambda m: m.size, reverse=True)
            problems: list[str] = []
            for index, member in enumerate(members):
                if member.size > max_bytes:
                    problems.append(f"{member.name}: too large")
                    continue
                candidate = work / f"member-{index}.mmdb"
                source = archive.extractfile(member)
                if source is None:
                    continue
                with source, candidate.open("wb") as sink:
                    _copy_bounded(source, sink, max_bytes, member.name)
                try:
                    GeoDatabase(candidate, role).close()
                except LeakmapError as error:
                    problems.append(str(error).split(": ", 1)[-1])
                    candidate.unlink()
                    continue
                return candidate
    except (tarfile.TarError, EOFError, OSError) as error:
        raise LeakmapError(f"download: damaged archive ({error})") from error
    detail = f" ({'; '.join(problems[:3])})" if problems else ""
    raise LeakmapError(f"download: the archive holds no .mmdb file that is {role.wanted}{detail}")


def _copy_bounded(source: BinaryIO, sink: BinaryIO, max_bytes: int, name: str) -> None:
    copied = 0
    try:
        while chunk := source.read(CHUNK):
            copied += len(chunk)
            if copied > max_bytes:
                raise LeakmapError(f"{name}: unpacks to more than {max_bytes} bytes; not used")
            sink.write(chunk)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise LeakmapError(f"{name}: damaged compressed data ({error})") from error


__all__ = ["default_update_dir", "update_database"]
