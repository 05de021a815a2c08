"""End to end: framed WebSocket messages and legacy-charset requests through ``leakmap capture``
(real mitmproxy, real TLS, real clients), then ``leakmap report --format json`` with a profile:
each finding names the framing or charset that hid it."""

from __future__ import annotations

import json
import ssl
import subprocess
from pathlib import Path
from urllib.parse import quote

import paho.mqtt.client as mqtt
from socketio import packet as sio
from websockets.sync.client import connect as websocket_connect

from tests.support.capture import CN_HOST, LEAKMAP, WS_HOST, Servers, curl, start_capture
from tests.support.framing import paho_session, socketio_message, split_packets

GAID = "c4a1f7e2-9b3d-4e60-8a25-1f0e9d8c7b6a"
PERSON = "歐陽小雨同學"  # traditional characters: Big5 has them
SSID = "林家的无线网络"


def test_framed_messages_and_legacy_charsets_through_a_real_proxy(
    tmp_path: Path, sqlite_url: str, servers: Servers
) -> None:
    def publish(client: mqtt.Client) -> None:
        payload = json.dumps({"gaid": GAID, "lat": -33.4489, "lon": -70.6693}).encode()
        client.publish("fleet/dev-7742/pos", payload, qos=0)

    mqtt_packets = split_packets(paho_session(mqtt.MQTTv311, publish))
    event = socketio_message(sio.EVENT, ["hello", {"email": "noa.levi@example.co.il"}])
    capture = start_capture(tmp_path, sqlite_url, servers)
    tls = servers.tls_port
    context = ssl.create_default_context(cafile=capture.ca)
    try:
        with websocket_connect(
            f"wss://{WS_HOST}:{tls}/mqtt", proxy=capture.proxy, ssl=context,
            subprotocols=["mqtt"], open_timeout=30,
        ) as ws:  # fmt: skip
            for packet in mqtt_packets:
                ws.send(packet)
                ws.recv(timeout=30)  # the echo: the server saw it
        with websocket_connect(
            f"wss://{WS_HOST}:{tls}/socket.io/?EIO=4&transport=websocket",
            proxy=capture.proxy, ssl=context, open_timeout=30,
        ) as ws:  # fmt: skip
            for text in ["40", *event, "3"]:
                ws.send(text)
                ws.recv(timeout=30)
        query = f"ssid={quote(SSID, encoding='gbk')}&v=2"
        result = curl(capture, f"https://{CN_HOST}:{tls}/stat?{query}")
        assert result.returncode == 0, result.stderr
        form = f"nickname={quote(PERSON, encoding='big5')}&x=1"
        result = curl(
            capture, f"https://{CN_HOST}:{tls}/profile", "-X", "POST",
            "-H", "Content-Type: application/x-www-form-urlencoded; charset=Big5",
            "--data-binary", form,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    finally:
        code, output = capture.stop()
    assert code == 0, output

    profile = tmp_path / "device.toml"
    profile.write_text(
        "[known]\n"
        f'advertisingId = "{GAID}"\nwifiSsid = "{SSID}"\npersonName = "{PERSON}"\n'
        "latitude = -33.4489\nlongitude = -70.6693\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    result = subprocess.run(
        [LEAKMAP, "report", "e2e", "--db", capture.db, "--profile", str(profile),
         "--format", "json", "-o", str(report), "--show-values"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    findings = json.loads(report.read_text())["findings"]
    found = {(f["property"], f["method"]): f for f in findings}

    gaid = found[("advertisingId", "known-value")]
    assert (gaid["location"], gaid["encoding"]) == ("websocket", "websocket>mqtt>json")
    assert found[("latitude", "known-value")]["encoding"] == "websocket>mqtt>json"
    emails = {f["value"]: f["encoding"] for f in findings if f["property"] == "email"}
    assert emails["noa.levi@example.co.il"] == "websocket>socketio>json"
    assert emails["lina.haddad@example.com"] == "websocket>mqtt"  # the MQTT user name
    ssid = found[("wifiSsid", "known-value")]
    assert (ssid["value"], ssid["location"]) == (SSID, "query")
    assert ssid["encoding"] in ("gb18030", "gbk")
    nickname = found[("personName", "known-value")]
    assert nickname["value"] == PERSON and nickname["encoding"] == "form>big5"
    assert all("\ufffd" not in (f["value"] or "") for f in findings)
