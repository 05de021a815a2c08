"""Fuzz the decoders and the detector for a set time: ``python fuzz/fuzz_decoders.py --seconds 60``.

Every input becomes one flow (URL, headers, body under a content type and content-encoding
chosen by the input's first bytes) and one client WebSocket message, and goes through
``decode_flow`` and ``Detector.detect`` with a device profile. A crash is any exception out of
either (both promise never to raise on hostile traffic); its input is saved to
``fuzz/crashes/`` as a reproducer (``--reproduce FILE`` runs one again). With atheris installed
the inputs are coverage-guided mutations of a corpus of realistic bodies; without it, random
mutations of the same corpus. Prints executions, executions/s and crashes; exits 1 on a crash.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import random
import sys
import tempfile
import time
import traceback
import zlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import brotli
import zstandard

CRASHES = Path(__file__).parent / "crashes"
IMEI = "356938035643809"
ADID = "6a1c1487-a0af-4223-b142-a0f4621d0311"
EMAIL = "tester@example.org"
PROFILE = {
    "known": {
        "imei": IMEI,
        "advertisingId": ADID,
        "email": EMAIL,
        "macAddress": "02:1a:0b:03:44:05",
        "latitude": "52.235",
        "longitude": "10.564",
        "osVersion": "14",
    }
}
TARGET: dict[str, Any] = {}


def load(instrument: bool) -> None:
    """Import the analyzer (under atheris, only its modules are instrumented: all of them take
    40 s) and build the detector once."""
    if instrument:
        import atheris

        with atheris.instrument_imports(include=["analyzer"]):
            _import()
    else:
        _import()


def _import() -> None:
    from analyzer.decode import decode_flow
    from analyzer.detect import Detector
    from analyzer.profile import profile_from_dict

    TARGET["decode_flow"] = decode_flow
    TARGET["detector"] = Detector(profile_from_dict(PROFILE))


CONTENT_TYPES = (
    None,
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xYzZY",
    "application/x-protobuf",
    "application/grpc",
    "application/xml",
    "application/x-plist",
    "application/x-ndjson",
    "text/plain",
    "application/octet-stream",
    "application/grpc-web-text",
    "application/x-www-form-urlencoded; charset=GBK",
    "text/plain; charset=Shift_JIS",
)
CODINGS = (None, None, None, "gzip", "deflate", "br", "zstd", "gzip, br", "bogus")


def _protobuf(fields: list[tuple[int, bytes | int]]) -> bytes:
    out = bytearray()
    for number, value in fields:
        if isinstance(value, int):
            out += _varint(number << 3) + _varint(value)
        else:
            out += _varint(number << 3 | 2) + _varint(len(value)) + value
    return bytes(out)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def corpus() -> list[bytes]:
    """Realistic request bodies of every kind the decoders know (the seeds for mutation)."""
    event = {"device": {"imei": IMEI, "model": "Pixel 7", "os": "Android 14"}, "adid": ADID}
    json_body = json.dumps({"events": [event, {"lat": 52.235, "lon": 10.564}]}).encode()
    inner = base64.b64encode(json.dumps({"email": EMAIL}).encode()).decode()
    proto = _protobuf([(1, IMEI.encode()), (2, _protobuf([(1, ADID.encode()), (3, 14)])), (4, 7)])
    return [
        json_body,
        gzip.compress(json_body),
        f"imei={IMEI}&payload={inner}&ts=1700000000".encode(),
        (
            f'--xYzZY\r\nContent-Disposition: form-data; name="d"\r\n\r\n{IMEI}\r\n'
            '--xYzZY\r\nContent-Disposition: form-data; name="f"; filename="a.json"\r\n'
            f"Content-Type: application/json\r\n\r\n{json_body.decode()}\r\n--xYzZY--\r\n"
        ).encode(),
        proto,
        b"\x00" + len(proto).to_bytes(4, "big") + proto,
        f'<r><d imei="{IMEI}"><m>{EMAIL}</m></d></r>'.encode(),
        b"bplist00" + bytes(range(40)),
        b'{"a":1}\n{"b":"' + inner.encode() + b'"}\n',
        f"eyJhbGciOiJIUzI1NiJ9.{base64.urlsafe_b64encode(json_body).decode().rstrip('=')}.sig".encode(),
        zlib.compress(json_body),
        brotli.compress(json_body),
        zstandard.ZstdCompressor().compress(json_body),
        ("[" * 60 + "]" * 60).encode(),
        bytes.fromhex("0aff") + b"\xff" * 20,
        # Framings, charsets, blob encodings (analyzer/decode/framing.py, charset.py, blobs.py).
        b'42/ns,7["register",' + json_body + b']\x1e451-["up",{"_placeholder":true}]',
        json_body + b"\x1e" + json_body + b"\x1e",
        b")]}'\n" + json_body,
        b"cb_1(" + json_body + b");",
        b"SEND\ndestination:/q\ncontent-type:application/json\n\n" + json_body + b"\x00\n",
        _mqtt_connect_publish(json_body),
        base64.b64encode(b"\x00" + len(proto).to_bytes(4, "big") + proto),
        bytes([len(proto)]) + proto + bytes([len(proto)]) + proto,
        zlib.compress(json_body, wbits=-15),
        f"ssid={quote('陈家的网络', encoding='gbk')}&n={quote('林小雨', encoding='gbk')}".encode(),
        "陈家的网络 林小雨".encode("gbk"),
        json.dumps({"d": "N4IgLgng+gbg9gJwIYBcAWBTEAuEANKBRCGA", "h": "&#116;&#101;"}).encode(),
        json.dumps({"b32": base64.b32encode(json_body[:40]).decode()}).encode(),
    ]


def _mqtt_connect_publish(payload: bytes) -> bytes:
    """An MQTT 3.1.1 CONNECT (client id, user name) and a PUBLISH of ``payload``."""
    connect = b"\x00\x04MQTT\x04\x80\x00\x3c" + b"\x00\x05dev-1" + b"\x00\x05alice"
    topic = b"\x00\x07t/dev-1"
    return (
        b"\x10" + _varint(len(connect)) + connect + b"\x30" + _varint(len(topic) + len(payload))
        + topic + payload
    )  # fmt: skip


def flow_of(data: bytes) -> tuple[SimpleNamespace, list[SimpleNamespace]]:
    """One flow from fuzz bytes: 2 selector bytes, then body | URL tail | header | message."""
    head, rest = data[:2].ljust(2, b"\0"), data[2:]
    parts = rest.split(b"\xfe\xfe", 3)
    body = parts[0]
    text = [p.decode("utf-8", "replace") for p in parts[1:]]
    url_tail, header, message = [*text, "", "", ""][:3]
    coding = CODINGS[head[1] % len(CODINGS)]
    if coding in ("gzip", "deflate", "br", "zstd") and head[1] & 0x80:
        body = _compress(body, coding)  # valid compressed data, so the parsers behind run too
    flow = SimpleNamespace(
        id=1,
        host="t.example",
        url=f"https://t.example/v1/{url_tail}",
        request_headers=[
            ["X-Data", header],
            ["Cookie", f"sid={header}"],
            ["User-Agent", "f"],
            ["Sec-WebSocket-Protocol", "mqtt" if head[1] & 2 else "v12.stomp"],
        ],
        request_body=body,
        request_body_truncated=bool(head[0] & 0x80),
        request_content_type=CONTENT_TYPES[head[0] % len(CONTENT_TYPES)],
        request_content_encoding=coding,
    )
    messages = [SimpleNamespace(from_client=True, is_text=bool(head[1] & 1), content=message)]
    return flow, messages


def _compress(body: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(body)
    if coding == "deflate":
        return zlib.compress(body)
    if coding == "br":
        return brotli.compress(body)
    return zstandard.ZstdCompressor().compress(body)


def run_one(data: bytes) -> None:
    flow, messages = flow_of(data)
    fields, notes = TARGET["decode_flow"](flow, messages)
    for field in fields:
        if not isinstance(field.value, str) or not isinstance(field.encoding, str):
            raise AssertionError(f"field is not text: {field!r}")
    if not all(isinstance(note, str) for note in notes):
        raise AssertionError("a note is not text")
    for finding in TARGET["detector"].detect(flow, messages):
        if not 0 < finding.confidence <= 1:
            raise AssertionError(f"confidence out of range: {finding!r}")


def save_crash(data: bytes) -> Path:
    CRASHES.mkdir(parents=True, exist_ok=True)
    path = CRASHES / f"crash-{hashlib.sha256(data).hexdigest()[:16]}"
    path.write_bytes(data)
    return path


def mutate(data: bytes, rng: random.Random, seeds: list[bytes]) -> bytes:
    """A few random byte-level edits: flips, inserts, deletes, duplications, splices."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        pos = rng.randint(0, len(buf))
        if choice < 0.25 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randint(0, 7)
        elif choice < 0.45:
            buf[pos:pos] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 8)))
        elif choice < 0.6 and buf:
            del buf[pos : pos + rng.randint(1, 16)]
        elif choice < 0.75 and buf:
            chunk = buf[pos : pos + rng.randint(1, 64)]
            buf[pos:pos] = chunk * rng.randint(1, 20)
        elif choice < 0.9:
            other = rng.choice(seeds)
            start = rng.randint(0, len(other))
            buf[pos:pos] = other[start : start + rng.randint(1, 200)]
        else:
            buf[pos:pos] = rng.choice([b"\xfe\xfe", b"%25", b"eyJ", b"=", b"&", b"{", b"["])
    return bytes(buf[:65536])


def random_loop(seconds: float, seed: int) -> tuple[int, list[Path]]:
    rng = random.Random(seed)
    seeds = [bytes([i % 256, j % 256]) + body for i, body in enumerate(corpus()) for j in (0, 131)]
    pool = list(seeds)
    crashes: list[Path] = []
    executions = 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        data = mutate(rng.choice(pool), rng, seeds)
        executions += 1
        try:
            run_one(data)
        except Exception:
            crashes.append(save_crash(data))
            traceback.print_exc()
            continue
        if len(pool) < 5000 and rng.random() < 0.05:
            pool.append(data)  # keep some mutants: later edits then stack up
    return executions, crashes


def atheris_loop(seconds: float, seed: int) -> tuple[int, list[Path]]:
    import atheris

    state = {"executions": 0}
    crashes: list[Path] = []
    started = time.monotonic()

    def target(data: bytes) -> None:
        if time.monotonic() - started > seconds:
            report(state["executions"], time.monotonic() - started, crashes, "atheris")
            sys.stdout.flush()
            # os._exit: libFuzzer reports a normal exit() of the target as a crash.
            os._exit(1 if crashes else 0)
        state["executions"] += 1
        try:
            run_one(data)
        except Exception:
            crashes.append(save_crash(data))
            traceback.print_exc()

    # libFuzzer adds the inputs it finds to the corpus folder: a scratch copy of the seeds.
    seeds_dir = Path(tempfile.mkdtemp(prefix="leakmap-fuzz-"))
    for index, body in enumerate(corpus()):
        (seeds_dir / f"seed-{index:02}").write_bytes(bytes([index, 131]) + body)
    CRASHES.mkdir(parents=True, exist_ok=True)
    atheris.Setup(
        [
            sys.argv[0],
            f"-seed={seed}",
            "-max_len=65536",
            "-rss_limit_mb=4096",
            f"-artifact_prefix={CRASHES}/",
            str(seeds_dir),
        ],
        target,
    )
    atheris.Fuzz()
    return state["executions"], crashes


def report(executions: int, seconds: float, crashes: list[Path], engine: str) -> None:
    print(f"engine: {engine}")
    print(f"executions: {executions}")
    print(f"executions/s: {executions / seconds:.0f}")
    print(f"crashes: {len(crashes)}")
    for path in crashes:
        print(f"  reproducer: {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto")
    parser.add_argument("--reproduce", type=Path, help="run one saved input and show the error")
    args = parser.parse_args()
    if args.reproduce:
        load(instrument=False)
        run_one(args.reproduce.read_bytes())
        print("no crash")
        return 0
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            engine = "random"
    loop: Callable[[float, int], tuple[int, list[Path]]] = (
        atheris_loop if engine == "atheris" else random_loop
    )
    load(instrument=engine == "atheris")
    started = time.monotonic()
    executions, crashes = loop(args.seconds, args.seed)
    report(executions, time.monotonic() - started, crashes, engine)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
