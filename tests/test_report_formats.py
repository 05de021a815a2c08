"""JSON (validated by the schema in the repository), CSV and HAR outputs."""

from __future__ import annotations

import copy
import csv
import gzip
import io
import json
from pathlib import Path

import jsonschema
import pytest

from analyzer.geo import GeoResolver
from analyzer.importer import import_files
from analyzer.report.csvout import COLUMNS, write_csv
from analyzer.report.har import write_har
from analyzer.report.jsonout import CONTRACT_KEYS, load_schema, write_json
from analyzer.store import Store
from analyzer.store import records as rec
from tests.support.report import (
    CN_IP,
    HandFinding,
    example_session,
    flow,
    flow_ids,
    make_session,
    summarise,
)


def _json(report: dict) -> dict:
    out = io.StringIO()
    write_json(report, out)
    return json.loads(out.getvalue())


def test_json_follows_the_schema(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    document = _json(summarise(store, session, findings, geo))
    validator = jsonschema.Draft202012Validator(load_schema())
    validator.validate(document)
    assert list(document)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert document["schema"] == "leakmap.report/2"
    finding_keys = {"flow_id", "time", "host", "server_ip", "country", "asn", "org", "owner",
                    "owner_country", "property", "location", "path", "encoding", "method",
                    "value"}
    assert all(finding_keys <= set(f) for f in document["findings"])
    # The HTML-only parts stay out of the JSON.
    assert "evidence" not in document and "matrix" not in document


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.pop("by_country"),
        lambda d: d.__setitem__("schema", "leakmap.report/1"),
        lambda d: d.pop("steps"),
        lambda d: d["findings"][0].pop("step"),
        lambda d: d["findings"][0].__setitem__("placeholder", "no"),
        lambda d: d["by_country"].__setitem__("nowhere", d["by_country"]["CN"]),
        lambda d: d["findings"][0].__setitem__("country", "China"),
        lambda d: d["findings"][0].__setitem__("location", "somewhere"),
        lambda d: d["findings"][0].pop("encoding"),
        lambda d: d["destinations"][0].__setitem__("flows", -1),
        lambda d: d["session"].pop("started_at"),
        lambda d: d["tls_failures"][0].pop("reason"),
    ],
)
def test_schema_rejects_broken_documents(store: Store, geo: GeoResolver, breakage) -> None:
    session, findings = example_session(store)
    document = _json(summarise(store, session, findings, geo))
    broken = copy.deepcopy(document)
    breakage(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, load_schema())


def test_csv_has_one_row_per_finding(store: Store, geo: GeoResolver) -> None:
    session, findings = example_session(store)
    report = summarise(store, session, findings, geo)
    out = io.StringIO()
    write_csv(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == len(findings)
    assert tuple(rows[0]) == COLUMNS
    imei = next(r for r in rows if r["property"] == "imei")
    assert imei["country"] == "CN"
    assert imei["host"] == "log.example-cn.com"
    assert imei["value"] != "356938035643809"  # masked
    assert imei["plaintext"] == "false"


def test_csv_neutralises_formulas(store: Store, geo: GeoResolver) -> None:
    session = make_session(store, "formula", [flow("https://x.example.org/?a=1", server_ip=CN_IP)])
    (flow_id,) = flow_ids(store, session).values()
    findings = [HandFinding(flow_id, "userId", path="=HYPERLINK(\"http://x\")", value="@SUM(1)")]
    out = io.StringIO()
    write_csv(summarise(store, session, findings, geo, show_values=True), out)
    (row,) = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["path"] == "'=HYPERLINK(\"http://x\")"
    assert row["value"] == "'@SUM(1)"


def _har(store: Store, name: str) -> dict:
    out = io.StringIO()
    write_har(store, store.session(name), out)
    return json.loads(out.getvalue())


def test_har_has_every_flow_with_decoded_bodies(store: Store) -> None:
    body = json.dumps({"imei": "356938035643809"}).encode()
    records: list[rec.Record] = [
        flow(
            "https://a.example.org/p?x=1&y=two",
            method="POST",
            headers=[("content-type", "application/json"), ("content-encoding", "gzip"),
                     ("cookie", "sid=abc; theme=dark")],
            body=gzip.compress(body),
            response_body=b"\x00\x01\x02\xff" * 10,
            response_headers=[("content-type", "application/octet-stream")],
        ),
        flow("http://b.example.org/", status=None, at=1),
    ]
    make_session(store, "har", records)
    har = _har(store, "har")
    log = har["log"]
    assert log["version"] == "1.2"
    assert log["creator"]["name"] == "leakmap"
    first, second = log["entries"]
    request = first["request"]
    assert request["method"] == "POST"
    assert request["postData"]["text"] == body.decode()
    assert request["postData"]["mimeType"] == "application/json"
    assert {"name": "y", "value": "two"} in request["queryString"]
    assert {"name": "sid", "value": "abc"} in request["cookies"]
    assert first["response"]["content"]["encoding"] == "base64"
    assert first["serverIPAddress"] == "127.0.0.3"
    assert first["startedDateTime"].startswith("2025-12-29T09:20:00")
    assert second["response"]["status"] == 0
    for entry in log["entries"]:
        for key in ("startedDateTime", "time", "request", "response", "cache", "timings"):
            assert key in entry
        assert {"send", "wait", "receive"} <= set(entry["timings"])


def test_har_caps_a_decompression_bomb(store: Store) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    make_session(
        store,
        "bomb",
        [flow("https://a.example.org/", method="POST", body=bomb,
              headers=[("content-encoding", "gzip")])],
    )
    from analyzer.report import har

    (entry,) = _har(store, "bomb")["log"]["entries"]
    text = entry["request"]["postData"]["text"]
    # Written base64 (all NULs: binary), and never more than the cap.
    assert len(text) <= har.DECODED_LIMIT * 4 // 3 + 4


def test_har_carries_websocket_messages(store: Store) -> None:
    records: list[rec.Record] = [
        flow("https://ws.example.org/socket", websocket=True, mitm_id="w1"),
        rec.WebSocketRecord("w1", True, True, 1.0, b'{"hello":"world"}'),
        rec.WebSocketRecord("w1", False, False, 2.0, b"\x00\x01"),
        flow("https://plain.example.org/", at=3),
    ]
    make_session(store, "ws", records)
    first, second = _har(store, "ws")["log"]["entries"]
    assert first["_resourceType"] == "websocket"
    assert first["_webSocketMessages"] == [
        {"type": "send", "time": 1.0, "opcode": 1, "data": '{"hello":"world"}'},
        {"type": "receive", "time": 2.0, "opcode": 2, "data": "AAE="},
    ]
    assert "_webSocketMessages" not in second


def test_har_round_trips_through_import(store: Store, tmp_path: Path) -> None:
    records = [
        flow("https://a.example.org/one?q=1", method="POST", body=b"k=v",
             headers=[("content-type", "application/x-www-form-urlencoded")]),
        flow("https://b.example.org/two", at=1),
    ]
    make_session(store, "origin", records)
    path = tmp_path / "origin.har"
    path.write_text(json.dumps(_har(store, "origin")))
    import_files(store, [path], session="again")
    again = list(store.iter_flows(store.session("again").id))
    assert [r.url for r in again] == ["https://a.example.org/one?q=1", "https://b.example.org/two"]
    assert again[0].request_body == b"k=v"
    assert again[0].server_ip == "127.0.0.3"


def _relaxed_v1_schema() -> dict:
    """The leakmap.report/1 schema with its two deliberate changes relaxed: the version string,
    and by_country's new key "local" (a server on the local network, never "unknown" again)."""
    path = Path(__file__).parent / "data" / "schemas" / "leakmap.report-1.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["schema"] = {"const": "leakmap.report/2"}
    schema["properties"]["by_country"]["propertyNames"] = {"pattern": "^([A-Z]{2}|unknown|local)$"}
    return schema


def test_version_2_keeps_every_version_1_field(store: Store, geo: GeoResolver) -> None:
    from tests.support.report import T0, US_IP

    session, findings = example_session(store)
    # Everything version 2 adds, in one session: steps, a placeholder, an undelivered request,
    # a local server.
    extra = [
        flow("https://ads.example-us.com/p?gaid=0000", server_ip=US_IP, at=8),
        flow("http://router.lan/api?mac=aa", server_ip="192.168.1.1", at=9),
    ]
    from analyzer.store import Limits, write_records

    with store.engine.begin() as conn:
        write_records(conn, session.id, extra, Limits(), {})
    ids = flow_ids(store, session)
    findings += [
        HandFinding(ids["https://ads.example-us.com/p?gaid=0000"], "advertisingId",
                    value="00000000-0000-0000-0000-000000000000", placeholder=True),
        HandFinding(ids["http://router.lan/api?mac=aa"], "macAddress", value="aa:bb:cc:dd:ee:ff"),
    ]  # fmt: skip
    marks = [("consent shown", T0 + 2.5), ("consent refused", T0 + 4.5)]
    document = _json(summarise(store, session, findings, geo, marks=marks))
    jsonschema.Draft202012Validator(load_schema()).validate(document)
    jsonschema.Draft202012Validator(_relaxed_v1_schema()).validate(document)
    assert document["steps"] == [
        {"label": "consent shown", "at": "2025-12-29T09:20:02.500Z"},
        {"label": "consent refused", "at": "2025-12-29T09:20:04.500Z"},
    ]
    assert {f["step"] for f in document["findings"]} == {None, "consent shown", "consent refused"}
    placeholder = next(f for f in document["findings"] if f["placeholder"])
    assert placeholder["property"] == "advertisingId"
    local = next(f for f in document["findings"] if f["host"] == "router.lan")
    assert local["country"] is None and local["local"] is True  # country keeps its meaning
    assert document["by_country"]["local"]["properties"] == ["macAddress"]
    assert "unknown" not in document["by_country"]
    # Property codes, never labels, in the JSON.
    assert {f["property"] for f in document["findings"]} <= {
        "advertisingId", "latitude", "imei", "model", "macAddress"
    }  # fmt: skip
    assert "Advertising ID" not in json.dumps(document["findings"])
