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


def eio3_text_payload(packets: list[str], unit: str = "utf-16") -> str:
    """An Engine.IO v3 polling body, each packet prefixed by its length counted in ``unit``:
    "utf-16" (JavaScript's String.length, engine.io-parser 2.x), "codepoint" (Python's len,
    python-engineio 3.x), "utf-8" (bytes), or "utf-8-twice" (Socket.IO 1.x: each packet
    UTF-8 encoded first, lengths counting those bytes, the body then encoded once more)."""
    out = []
    for packet in packets:
        if unit == "utf-16":
            out.append(f"{len(packet.encode('utf-16-le')) // 2}:{packet}")
        elif unit == "codepoint":
            out.append(f"{len(packet)}:{packet}")
        elif unit == "utf-8":
            out.append(f"{len(packet.encode())}:{packet}")
        else:
            twice = packet.encode().decode("latin-1")
            out.append(f"{len(twice)}:{twice}")
    return "".join(out)


def eio3_binary_payload(packets: list[str | bytes]) -> bytes:
    """An Engine.IO v3 binary polling body (XHR2), as engine.io-parser 2.x's
    ``encodePayloadAsBinary`` writes it: 0 (text) or 1 (binary), the length one byte per decimal
    digit, 255, then the packet (text as UTF-8; binary after its type byte 4)."""
    out = bytearray()
    for packet in packets:
        data = packet.encode() if isinstance(packet, str) else b"\x04" + packet
        out.append(0 if isinstance(packet, str) else 1)
        out.extend(int(digit) for digit in str(len(data)))
        out.append(255)
        out.extend(data)
    return bytes(out)
