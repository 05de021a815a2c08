"""Sessions, GeoIP files and findings for the report tests.

Sessions go through the store's real write path (``write_records``); GeoIP answers come from
real MaxMind-format files mapping 127.0.0.x to countries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from analyzer.geo import GeoResolver
from analyzer.store import Limits, SessionInfo, Store, write_records
from analyzer.store import records as rec
from tests.support.mmdb import write_asn_db, write_country_db

T0 = 1_767_000_000.0  # 2025-12-29, a fixed clock for reproducible reports

# Test servers: loopback addresses that the test GeoIP files place in countries.
CN_IP, US_IP, DE_IP, SG_IP = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"
COUNTRIES = {CN_IP: "CN", US_IP: "US", DE_IP: "DE", SG_IP: "SG"}
ASNS = {
    CN_IP: (4134, "CHINANET-BACKBONE"),
    US_IP: (15169, "GOOGLE"),
    DE_IP: (3320, "Deutsche Telekom AG"),
    SG_IP: (45102, "Alibaba (US) Technology Co., Ltd."),
}

HOSTILE = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=2">',
    "javascript:window.__pwned=3",
    "</textarea></title></style><svg onload=window.__pwned=4>",
    "{{7*7}}{% raw %}",
]


def geo_files(folder: Path) -> tuple[Path, Path]:
    """(country db, asn db) placing the test servers in CN, US, DE and SG."""
    country = write_country_db(
        folder / "country.mmdb", {f"{ip}/32": cc for ip, cc in COUNTRIES.items()}
    )
    asn = write_asn_db(folder / "asn.mmdb", {f"{ip}/32": a for ip, a in ASNS.items()})
    return country, asn


def flow(
    url: str,
    *,
    server_ip: str = US_IP,
    method: str = "GET",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
    at: float = 0.0,
    status: int | None = 200,
    response_body: bytes | None = b"{}",
    response_headers: Iterable[tuple[str, str]] = (("content-type", "application/json"),),
    websocket: bool = False,
    mitm_id: str | None = None,
) -> rec.FlowRecord:
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split(":", 1)[0]
    return rec.FlowRecord(
        mitm_id=mitm_id,
        client_ip="10.0.0.2",
        client_port=40000,
        server_ip=server_ip,
        server_port=443 if scheme == "https" else 80,
        host=host,
        sni=host if scheme in ("https", "wss") else None,
        scheme=scheme,
        method=method,
        url=url,
        http_version="HTTP/1.1",
        status_code=status,
        timestamp_start=T0 + at,
        timestamp_end=T0 + at + 0.25,
        request_headers=tuple((k.encode(), v.encode()) for k, v in headers),
        request_body=body,
        response_headers=(
            tuple((k.encode(), v.encode()) for k, v in response_headers) if status else None
        ),
        response_body=response_body if status else None,
        websocket=websocket,
    )


def tls_failure(sni: str, server_ip: str, *, at: float = 0.0) -> rec.TlsFailureRecord:
    return rec.TlsFailureRecord(
        side="client",
        timestamp=T0 + at,
        client_ip="10.0.0.2",
        sni=sni,
        server_ip=server_ip,
        server_port=443,
        error="Client TLS handshake failed. The client does not trust the proxy's certificate "
        f"for {sni} (tlsv1 alert unknown ca)",
    )


def make_session(
    store: Store,
    name: str,
    records: Iterable[rec.Record],
    *,
    app: str | None = "Example App",
    app_version: str | None = "1.2.3",
    device: str | None = "lab-pixel-7",
) -> SessionInfo:
    """A session written through the store's write path, ended at its last flow."""
    session_id = store.create_session(
        name, app=app, app_version=app_version, device=device, mode="test", started_at=T0
    )
    websocket_ids: dict[str, int] = {}
    batch: list[rec.Record] = []
    last = T0
    with store.engine.begin() as conn:
        for record in records:
            batch.append(record)
            if isinstance(record, rec.FlowRecord) and record.timestamp_end:
                last = max(last, record.timestamp_end)
            if len(batch) >= 500:
                write_records(conn, session_id, batch, Limits(), websocket_ids)
                batch = []
        write_records(conn, session_id, batch, Limits(), websocket_ids)
    store.end_session(session_id, last)
    return store.session(name)


def flow_ids(store: Store, session: SessionInfo) -> dict[str, int]:
    """URL -> flow id (the first flow with that URL)."""
    ids: dict[str, int] = {}
    for row in store.iter_flows(session.id):
        ids.setdefault(row.url, row.id)
    return ids


@dataclass(slots=True)
class HandFinding:
    """A finding as the detector reports one, written by hand for summariser tests."""

    flow_id: int | None
    property: str
    location: str = "query"
    path: str | None = None
    encoding: str = "plain"
    method: str = "known-value"
    confidence: float = 1.0
    value: str | None = None
    context: str | None = None
    explanation: str | None = None
    placeholder: bool = False


def example_session(store: Store, name: str = "example") -> tuple[SessionInfo, list[HandFinding]]:
    """A small session with findings in CN, US and SG, a plaintext leak and a TLS failure."""
    aaid = "6a1c1487-a0af-4223-b142-a0f4621d0311"
    records: list[rec.Record] = [
        flow(f"https://log.example-cn.com/collect?aaid={aaid}&lat=52.235", server_ip=CN_IP, at=1),
        flow(
            "https://log.example-cn.com/v2/report",
            server_ip=CN_IP,
            method="POST",
            body=b'{"imei":"356938035643809"}',
            headers=[("content-type", "application/json")],
            at=2,
        ),
        flow(f"http://ads.tracker.test/px?idfa={aaid}", server_ip=US_IP, at=3),
        flow("https://cdn.example.org/app.js", server_ip=DE_IP, at=4),
        flow(
            "https://sg.example-cn.com/cfg",
            server_ip=SG_IP,
            headers=[("x-device-model", "Pixel 7")],
            at=5,
        ),
        tls_failure("pinned.example-cn.com", CN_IP, at=6),
        tls_failure("pinned.example-cn.com", CN_IP, at=7),
    ]
    session = make_session(store, name, records)
    ids = flow_ids(store, session)
    collect = ids[f"https://log.example-cn.com/collect?aaid={aaid}&lat=52.235"]
    findings = [
        HandFinding(
            collect,
            "advertisingId",
            "query",
            "aaid",
            value=aaid,
            context=f"aaid={aaid}&lat=52.235",
            explanation="the profile's advertising ID",
        ),
        HandFinding(collect, "latitude", "query", "lat", value="52.235", context="lat=52.235"),
        HandFinding(
            ids["https://log.example-cn.com/v2/report"],
            "imei",
            "body",
            "imei",
            encoding="json",
            value="356938035643809",
            context='{"imei":"356938035643809"}',
        ),
        HandFinding(
            ids[f"http://ads.tracker.test/px?idfa={aaid}"],
            "advertisingId",
            "query",
            "idfa",
            value=aaid,
            context=f"idfa={aaid}",
        ),
        HandFinding(
            ids["https://sg.example-cn.com/cfg"],
            "model",
            "header",
            "x-device-model",
            method="key-name",
            confidence=0.6,
            value="Pixel 7",
        ),
    ]
    return session, findings


def summarise(
    store: Store,
    session: SessionInfo,
    findings: Iterable[Any],
    geo: Any,
    **options: Any,
) -> dict[str, Any]:
    """The report dict of a session with the given findings (the detector's part done by hand)."""
    from analyzer.summary import Summariser

    summariser = Summariser(session, geo=geo, **options)
    summariser.add_findings(findings)
    for row in store.iter_flows(session.id):
        summariser.add_flow(row)
    for message in store.websocket_messages(session.id):
        summariser.add_websocket_message(message)
    for failure in store.tls_failures(session.id):
        summariser.add_tls_failure(failure)
    for connection in store.connections(session.id):
        summariser.add_connection(connection)
    return summariser.result(geoip=geo.describe())


@pytest.fixture
def geo(tmp_path: Path) -> GeoResolver:
    """A resolver over small GeoIP files that place the test addresses (:func:`geo_files`)."""
    return GeoResolver(*geo_files(tmp_path))
