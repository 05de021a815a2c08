"""Hand-built ``leakmap.report/1`` dicts and HAR files for the diff, gate and policy tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.support.har import har_entry


def finding(
    prop: str,
    host: str,
    country: str | None,
    *,
    owner: str | None = None,
    encoding: str = "plain",
    location: str = "query",
    server_ip: str = "192.0.2.1",
    allowed: bool | None = None,
) -> dict[str, Any]:
    return {
        "flow_id": 1,
        "time": "2026-01-01T00:00:00.000Z",
        "host": host,
        "server_ip": server_ip,
        "country": country,
        "asn": None,
        "org": None,
        "owner": owner,
        "owner_country": None,
        "property": prop,
        "location": location,
        "path": "id",
        "encoding": encoding,
        "method": "known-value",
        "value": "ab****cd",
        "allowed": allowed,
    }


def destination(
    host: str,
    *,
    domain: str | None = None,
    owner: str | None = None,
    countries: Sequence[str] = (),
    flows: int = 1,
    bytes_sent: int = 100,
    plaintext: bool = False,
    properties: Iterable[str] = (),
) -> dict[str, Any]:
    return {
        "host": host,
        "domain": domain if domain is not None else ".".join(host.split(".")[-2:]),
        "server_ips": ["192.0.2.1"],
        "countries": list(countries),
        "asn": None,
        "org": None,
        "owner": owner,
        "owner_country": None,
        "flows": flows,
        "bytes_sent": bytes_sent,
        "plaintext": plaintext,
        "properties": sorted(properties),
    }


def report(
    name: str,
    *,
    findings: Sequence[dict[str, Any]] = (),
    destinations: Sequence[dict[str, Any]] = (),
    tls_failures: Sequence[dict[str, Any]] = (),
    app_version: str | None = None,
) -> dict[str, Any]:
    """A report; destinations named by findings but not listed are added with their country."""
    dests = {d["host"]: dict(d) for d in destinations}
    received: dict[str, set[str]] = {}
    for f in findings:
        countries = [f["country"]] if f["country"] else []
        dests.setdefault(f["host"], destination(f["host"], owner=f["owner"], countries=countries))
        received.setdefault(f["host"], set()).add(f["property"])
    for host, props in received.items():
        dests[host]["properties"] = sorted({*dests[host]["properties"], *props})
    by_country: dict[str, dict[str, set[str]]] = {}
    for f in findings:
        entry = by_country.setdefault(
            f["country"] or "unknown", {"properties": set(), "hosts": set()}
        )
        entry["properties"].add(f["property"])
        entry["hosts"].add(f["host"])
    return {
        "schema": "leakmap.report/1",
        "session": {
            "name": name,
            "app": "com.example.app",
            "app_version": app_version,
            "device": "lab-phone",
            "started_at": None,
            "ended_at": None,
            "flows": sum(d["flows"] for d in dests.values()),
        },
        "geoip": {"country_db": None, "asn_db": None, "attribution": None},
        "findings": list(findings),
        "destinations": list(dests.values()),
        "by_country": {
            code: {key: sorted(values) for key, values in entry.items()}
            for code, entry in by_country.items()
        },
        "tls_failures": list(tls_failures),
    }


def tls_failure(host: str, count: int = 1) -> dict[str, Any]:
    return {
        "host": host,
        "server_ip": "192.0.2.9",
        "count": count,
        "reason": "client does not trust the proxy CA",
    }


# --- HAR 1.2 files for sessions imported through the real import path ----------------------------


@dataclass
class HarRequest:
    """One request of a HAR file: the URL, the server address it went to, and what it sent."""

    url: str
    server_ip: str
    method: str = "GET"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def write_har(path: Path, requests: Sequence[HarRequest]) -> Path:
    entries = []
    for number, req in enumerate(requests):
        parts = urlsplit(req.url)
        headers = [{"name": "Host", "value": parts.netloc}] + [
            {"name": k, "value": v} for k, v in req.headers.items()
        ]
        entries.append(
            har_entry(
                f"2026-01-01T00:00:{number % 60:02d}.000Z",
                req.url,
                req.server_ip,
                method=req.method,
                headers=headers,
                post=(
                    None if req.body is None else {"mimeType": "application/json", "text": req.body}
                ),
                body_size=len(req.body.encode()) if req.body else 0,
                response_headers=[{"name": "Content-Type", "value": "text/plain"}],
                response_text="ok",
                timings=(1, 8, 1),
            )
        )
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "leakmap-tests", "version": "1"},
            "entries": entries,
        }
    }
    path.write_text(json.dumps(har), encoding="utf-8")
    return path


# --- the leakmap.diff/2 document, as a JSON Schema the tests validate output against -------------

# The contract lives in the package, next to the report's schema.
DIFF_SCHEMA: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "analyzer" / "data" / "diff.schema.json").read_text()
)


def validate_diff(document: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when ``document`` is not a leakmap.diff/2 document."""
    import jsonschema

    jsonschema.validate(document, DIFF_SCHEMA)
