"""The GeoIP default shipped inside the package (built by ``scripts/build_geo_data.py``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from analyzer.errors import LeakmapError

MAX_METADATA_BYTES = 64 * 1024


@dataclass(frozen=True)
class EmbeddedFile:
    path: Path
    source: str  # "<npm package>@<version>"
    networks: int | None


@dataclass(frozen=True)
class EmbeddedData:
    country: EmbeddedFile
    asn: EmbeddedFile
    built: str
    attribution: str


def data_dir() -> Path:
    return Path(str(resources.files("analyzer"))) / "data" / "geo"


@cache
def embedded_data() -> EmbeddedData:
    """Paths, versions and attribution of the embedded databases (read once)."""
    folder = data_dir()
    meta_path = folder / "metadata.json"
    try:
        raw = meta_path.read_bytes()[:MAX_METADATA_BYTES]
        meta: dict[str, Any] = json.loads(raw)
        return EmbeddedData(
            country=_file(folder, meta["country"]),
            asn=_file(folder, meta["asn"]),
            built=str(meta["built"]),
            attribution=str(meta["attribution"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LeakmapError(
            f"the embedded GeoIP data in {folder} is missing or damaged ({error}); "
            "reinstall leakmap or pass --geoip-db and --asn-db"
        ) from error


def _file(folder: Path, entry: dict[str, Any]) -> EmbeddedFile:
    networks = entry.get("networks")
    return EmbeddedFile(
        path=folder / Path(str(entry["file"])).name,
        source=f"{entry['package']}@{entry['version']}",
        networks=networks if isinstance(networks, int) else None,
    )
