"""Frames as real clients write them: Socket.IO packets (python-socketio's encoder) and an MQTT
session (a paho-mqtt client talking to a loopback socket that answers CONNACK and records)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import engineio.packet
import paho.mqtt.client as mqtt
from socketio import packet as sio


def socketio_message(
    kind: int, data: Any, namespace: str | None = None, ack: int | None = None
) -> list[str | bytes]:
    """What a Socket.IO client sends over a WebSocket: the Engine.IO message packet ("4") of
    the Socket.IO packet, both encoded by python-socketio/python-engineio."""
    encoded = sio.Packet(kind, data=data, namespace=namespace, id=ack).encode()
    if isinstance(encoded, list):  # binary event: the text packet, then attachments
        return [engineio.packet.Packet(engineio.packet.MESSAGE, data=encoded[0]).encode()] + [
            bytes(part) for part in encoded[1:]
        ]
    return [engineio.packet.Packet(engineio.packet.MESSAGE, data=encoded).encode()]


def paho_session(protocol: int, publish: Callable[[mqtt.Client], None]) -> bytes:
    """Everything a real paho-mqtt client sends to a broker (a loopback socket that answers
    CONNACK and records), from CONNECT to DISCONNECT."""
    server = socket.create_server(("127.0.0.1", 0))
    received = bytearray()

    def serve() -> None:
        conn, _ = server.accept()
        conn.settimeout(5)
        with conn:
            answered = False
            while data := conn.recv(65536):
                received.extend(data)
                if not answered:
                    v5 = protocol == mqtt.MQTTv5
                    conn.sendall(b"\x20\x03\x00\x00\x00" if v5 else b"\x20\x02\x00\x00")
                    answered = True

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="dev-7742", protocol=protocol)
    client.username_pw_set("lina.haddad@example.com", "pw-31")
    client.will_set("devices/dev-7742/status", b"offline")
    connected = threading.Event()
    client.on_connect = lambda *args: connected.set()
    client.connect(*server.getsockname())
    client.loop_start()
    assert connected.wait(5)
    publish(client)
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()
    thread.join(5)
    server.close()
    return bytes(received)


def split_packets(data: bytes) -> list[bytes]:
    """One WebSocket message per MQTT packet, as MQTT-over-WebSocket clients send them."""
    out, pos = [], 0
    while pos < len(data):
        size, shift, cursor = 0, 0, pos + 1
        while True:
            byte = data[cursor]
            size |= (byte & 0x7F) << shift
            cursor += 1
            if not byte & 0x80:
                break
            shift += 7
        out.append(data[pos : cursor + size])
        pos = cursor + size
    return out
