"""The live analysis with the real detector, GeoIP files and owner map, on rows from the store."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from analyzer.detect import Detector
from analyzer.geo import GeoResolver
from analyzer.live.analysis import MAX_TEXT, LiveAnalysis
from analyzer.live.state import LiveState
from analyzer.live.tail import StoreTail
from analyzer.owners import OwnerMap
from analyzer.profile import profile_from_dict
from analyzer.store import Store
from analyzer.store import records as rec
from tests.support.live import ADID, EMAIL, IMEI, PROFILE_TOML, append, json_body, request
from tests.support.mmdb import write_asn_db, write_country_db


@pytest.fixture
def geo(tmp_path: Path) -> GeoResolver:
    country = write_country_db(
        tmp_path / "c.mmdb", {"127.0.0.2/32": "CN", "127.0.0.3/32": "BR", "127.0.0.4/32": "SG"}
    )
    asn = write_asn_db(tmp_path / "a.mmdb", {"127.0.0.2/32": (64500, "Probe Carrier Net")})
    with GeoResolver(country, asn) as resolver:
        yield resolver


def _run(store: Store, session: int, geo: GeoResolver) -> dict[str, Any]:
    state = LiveState("s")
    profile = profile_from_dict(tomllib.loads(PROFILE_TOML))
    analysis = LiveAnalysis(state, Detector(profile), geo, OwnerMap.load())
    tail = StoreTail(store, session)
    analysis.set_marks(tail.marks())
    analysis.add_flows(tail.flows())
    messages = tail.client_messages()
    analysis.add_messages(messages, tail.flow_places(analysis.unknown_websocket_flows(messages)))
    analysis.add_tls_failures(tail.tls_failures())
    payload, _ = state.payload()
    return payload


def test_a_hidden_advertising_id_shows_placed_owned_and_masked(
    store: Store, geo: GeoResolver
) -> None:
    session = store.create_session("s")
    hidden = base64.b64encode(json.dumps({"ad": ADID}).encode()).decode()
    body = gzip.compress(json_body({"payload": hidden, "n": 3}))
    append(store, session, [
        request("https://log.snssdk.com/v2/collect", body=body,
                headers=[("content-type", "application/json"), ("content-encoding", "gzip")]),
    ])  # fmt: skip
    payload = _run(store, session, geo)
    (finding,) = [f for f in payload["findings"] if f["property"] == "advertisingId"]
    assert finding["label"] == "Advertising ID"
    assert (finding["country"], finding["org"]) == ("CN", "Probe Carrier Net")
    assert (finding["owner"], finding["owner_country"]) == ("ByteDance", "CN")
    assert finding["encoding"].startswith("gzip") and "base64" in finding["encoding"]
    assert finding["value"] != ADID and finding["value"][:4] == ADID[:4]
    assert ADID not in json.dumps(payload)
    assert payload["matrix"]["cells"]["advertisingId"] == {"CN": 1}
    assert payload["countries"]["CN"]["properties"] >= 1


def test_personal_values_inside_key_paths_are_masked(store: Store, geo: GeoResolver) -> None:
    session = store.create_session("s")
    body = json_body({"accounts": {EMAIL: {"imei": IMEI}}})
    append(store, session, [request("https://sync.probe.example/up", server_ip="127.0.0.3",
                                    body=body)])  # fmt: skip
    payload = _run(store, session, geo)
    text = json.dumps(payload)
    assert EMAIL not in text and IMEI not in text
    paths = {f["property"]: f["path"] for f in payload["findings"]}
    assert "imei" in paths and paths["imei"].startswith("accounts.")
    assert {f["country"] for f in payload["findings"]} == {"BR"}


def test_websocket_messages_are_analysed_with_their_flows_place(
    store: Store, geo: GeoResolver
) -> None:
    session = store.create_session("s")
    opened = request("wss://push.probe.example/ws", server_ip="127.0.0.4", method="GET",
                     websocket=True, mitm_id="ws-1")  # fmt: skip
    message = rec.WebSocketRecord("ws-1", True, True, time.time(), json_body({"dev": IMEI}))
    append(store, session, [opened, message])
    payload = _run(store, session, geo)
    (finding,) = [f for f in payload["findings"] if f["property"] == "imei"]
    assert (finding["location"], finding["host"], finding["country"]) == (
        "websocket", "push.probe.example", "SG")  # fmt: skip
    assert payload["counters"]["websocket_messages"] == 1


def test_what_cannot_be_decoded_is_a_note_and_long_texts_are_capped(
    store: Store, geo: GeoResolver
) -> None:
    session = store.create_session("s")
    long_host = "h" * 240 + ".probe.example"
    append(store, session, [
        request("https://b.probe.example/up", body=b"\x1f\x8b not gzip at all",
                headers=[("content-encoding", "gzip")]),
        request(f"http://{long_host}/p?email={EMAIL}", method="GET", server_ip="127.0.0.9"),
    ])  # fmt: skip
    payload = _run(store, session, geo)
    assert payload["counters"]["notes"] >= 1
    assert any(note.startswith("b.probe.example: ") for note in payload["notes"])
    (finding,) = [f for f in payload["findings"] if f["property"] == "email"]
    assert len(finding["host"]) == MAX_TEXT and finding["host"].endswith("…")
    assert finding["plaintext"] is True
    assert finding["country"] is None and finding["local"] is True


def test_tls_failures_show_as_blind_spots(store: Store, geo: GeoResolver) -> None:
    session = store.create_session("s")
    failure = rec.TlsFailureRecord(
        side="client", timestamp=time.time(), client_ip="10.9.8.7", sni="pin.probe.example",
        server_ip="127.0.0.2", server_port=443,
        error="Client TLS handshake failed. The client does not trust the proxy's certificate "
        "for pin.probe.example (tlsv1 alert unknown ca)",
    )  # fmt: skip
    append(store, session, [failure, failure])
    (entry,) = _run(store, session, geo)["tls_failures"]
    assert (entry["host"], entry["country"], entry["count"]) == ("pin.probe.example", "CN", 2)
    assert entry["reason"] == "client does not trust the proxy CA"


_BOUNDED = """
import json, sys
from analyzer.detect import Detector
from analyzer.detect.memo import _MEMOS, limit_memos
from analyzer.detect.parallel import Request
from analyzer.profile import profile_from_dict
import tomllib
detector = Detector(profile_from_dict(tomllib.loads(sys.argv[1])))
limit_memos(50)  # after the detector was built: it applies to memos that exist already
later = Detector(None)  # and to those made afterwards
for n in range(300):
    body = json.dumps({"nonce": f"{n:08x}-{n * 7919}", "ts": n / 3, "adid": sys.argv[2]})
    request = Request(n, "a.probe.example", "https://a.probe.example/e", [], body.encode(),
                      False, None, "application/json")
    assert any(f.property == "advertisingId" for f in detector.detect(request))
    later.detect(request)
    assert all(len(m._clean) + len(m._held) <= 50 for m in _MEMOS), n
print(len(_MEMOS))
"""


def test_a_long_running_process_bounds_the_detectors_memory() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _BOUNDED, PROFILE_TOML, ADID],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 2  # the memos of both detectors were bounded
