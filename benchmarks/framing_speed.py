"""Speed of decoding framed traffic: WebSocket connections and polling bodies.

    .venv/bin/python benchmarks/framing_speed.py [--flows 400] [--repeat 5] [--baseline DIR]

Traffic, generated with a fixed seed: per flow one kind of connection with 20 client messages
(Socket.IO v4 events, Socket.IO v2 events with 0x04-prefixed binary attachments, MQTT 3.1.1
packets one per message, the same MQTT stream cut every 50 bytes, SockJS arrays of STOMP frames,
plain JSON messages), and Engine.IO v3 polling bodies with emoji, and JSON array bodies. Prints
flows/s and messages/s of ``decode_flow`` (CPU time of one process, best of ``--repeat``).

``--baseline DIR`` measures another checkout's ``analyzer`` (``DIR/analyzer``) on the same
traffic in a child process, run for run alternately with this one, so both share the load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from types import SimpleNamespace

from analyzer.decode import decode_flow

KINDS = ("sio4", "sio2-binary", "mqtt", "mqtt-cut", "sockjs", "json", "eio3-poll", "array")


def _mqtt_string(text: str) -> bytes:
    raw = text.encode()
    return len(raw).to_bytes(2, "big") + raw


def _mqtt_packet(first: int, body: bytes) -> bytes:
    size, out = len(body), bytearray([first])
    while True:
        byte, size = size & 0x7F, size >> 7
        out.append(byte | (0x80 if size else 0))
        if not size:
            return bytes(out) + body


def _event(rng: random.Random, index: int) -> dict[str, object]:
    return {
        "seq": index,
        "device": {"id": f"{rng.getrandbits(64):016x}", "model": "Pixel 8", "os": "14"},
        "geo": {"lat": round(rng.uniform(-60, 60), 5), "lng": round(rng.uniform(-170, 170), 5)},
        "email": f"user{rng.randrange(10**6)}@example.org",
    }


def _flow(kind: str, rng: random.Random) -> tuple[SimpleNamespace, list[SimpleNamespace]]:
    url = "wss://rt.example.net/socket.io/?EIO=4&transport=websocket"
    headers: list[list[str]] = []
    body, messages = b"", []

    def send(content: bytes | str) -> None:
        text = isinstance(content, str)
        data = content.encode() if isinstance(content, str) else content
        messages.append(SimpleNamespace(from_client=True, is_text=text, content=data))

    if kind == "sio4":
        for i in range(20):
            send("42" + json.dumps(["track", _event(rng, i)]))
    elif kind == "sio2-binary":
        url = url.replace("EIO=4", "EIO=3")
        for i in range(10):
            send('451-["upload",{"_placeholder":true,"num":0},' + json.dumps(_event(rng, i)) + "]")
            send(b"\x04\x0a\x10" + os.urandom(8).hex().encode() + b"\x10\x96\x01")
    elif kind in ("mqtt", "mqtt-cut"):
        headers = [["Sec-WebSocket-Protocol", "mqtt"]]
        stream = [
            _mqtt_packet(0x10, _mqtt_string("MQTT") + b"\x04\x02\x00\x3c" + _mqtt_string("c-1"))
        ]
        for i in range(19):
            payload = json.dumps(_event(rng, i)).encode()
            stream.append(_mqtt_packet(0x30, _mqtt_string(f"dev/{i}/pos") + payload))
        if kind == "mqtt":
            for packet in stream:
                send(packet)
        else:
            joined = b"".join(stream)
            for pos in range(0, len(joined), 50):
                send(joined[pos : pos + 50])
    elif kind == "sockjs":
        for i in range(20):
            frame = "SEND\ndestination:/app/t\ncontent-type:application/json\n\n"
            send(json.dumps([frame + json.dumps(_event(rng, i)) + "\x00"]))
    elif kind == "json":
        for i in range(20):
            send(json.dumps(_event(rng, i)))
    elif kind == "eio3-poll":
        url = "https://rt.example.net/socket.io/?EIO=3&transport=polling"
        packets = [
            "42" + json.dumps(["m", {**_event(rng, i), "n": "🎉"}], ensure_ascii=False)
            for i in range(20)
        ]
        body = "".join(f"{len(p.encode('utf-16-le')) // 2}:{p}" for p in packets).encode()
    else:  # array
        body = json.dumps([_event(rng, i) for i in range(20)]).encode()
    row = SimpleNamespace(
        id=1,
        url=url,
        method="POST",
        host="rt.example.net",
        request_headers=headers,
        request_body=body,
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type="text/plain;charset=UTF-8" if body else None,
    )
    return row, messages


def measure(flows: int) -> dict[str, float]:
    """{kind: flows per second of CPU time} over ``flows`` flows of each kind."""
    out = {}
    for kind in KINDS:
        rng = random.Random(7)
        traffic = [_flow(kind, rng) for _ in range(flows)]
        start = time.process_time()
        for row, messages in traffic:
            decode_flow(row, messages)
        out[kind] = flows / max(time.process_time() - start, 1e-9)
    return out


def _child(flows: int, root: str) -> dict[str, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, __file__, "--flows", str(flows), "--child"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", metavar="DIR", help="another checkout to measure alongside")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.flows)))
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    best: dict[str, dict[str, float]] = {"this": {}, "baseline": {}}
    for _ in range(args.repeat):
        for side, root in [("this", here), ("baseline", args.baseline)]:
            if root is None:
                continue
            for kind, rate in _child(args.flows, root).items():
                best[side][kind] = max(best[side].get(kind, 0.0), rate)
    print(f"{'flows/s (20 messages or packets each)':<40} {'this':>8}", end="")
    print(f" {'baseline':>9} {'this/baseline':>14}" if args.baseline else "")
    for kind in KINDS:
        line = f"{kind:<40} {best['this'][kind]:>8.0f}"
        if args.baseline:
            other = best["baseline"][kind]
            line += f" {other:>9.0f} {best['this'][kind] / other:>14.2f}"
        print(line)


if __name__ == "__main__":
    main()
