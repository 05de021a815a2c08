"""Speed of decode + detect on one core, for realistic mobile traffic.

    .venv/bin/python benchmarks/detect_speed.py [--flows 3000] [--repeat 3] [--baseline DIR]

Traffic: tracker-style requests of 1-8 KB (JSON event batches with device objects, protobuf
batches, form posts; 30 % gzip-compressed; query strings, cookies, headers), generated with a
fixed seed. Every run starts cold (a new detector, nothing remembered from an earlier run).
Prints flows/s and MB/s (request bytes as sent) for: decoding only, detection
without a profile, and with profiles of 10 and 100 known values, and the 100/10 cost ratio
(goal: >= 5,000 flows/s, ratio <= 1.3); and the time and memory (resident set growth, in a fresh
process) to build the matcher of a 10- and a 100-value profile (goal: < 2 s, < 300 MB).

``--baseline DIR`` measures another checkout's ``analyzer`` (``DIR/analyzer``, e.g. ``/work/main``)
on the same traffic in a child process, run for run alternately with this one, so that both
columns share the machine's load; it needs this environment's dependencies.
"""

from __future__ import annotations

import argparse
import base64
import gc
import gzip
import json
import os
import random
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace
from urllib.parse import urlencode

from analyzer.decode import decode_flow
from analyzer.detect import Detector
from analyzer.detect.corpus import SYNTHETIC_PROFILE, _protobuf_string
from analyzer.detect.names import forget_values
from analyzer.profile import Profile, profile_from_dict

WORDS = ["screen_view", "session_start", "purchase", "level_up", "ad_impression", "click"]


def _device(rng: random.Random) -> dict[str, object]:
    return {
        "model": rng.choice(["Pixel 7", "SM-G991B", "iPhone14,2"]),
        "os": "android",
        "os_version": "13",
        "locale": "en_US",
        "tz": "Europe/Berlin",
        "w": 1080,
        "h": 2400,
        "carrier": "Vodafone",
        "gaid": str(uuid.UUID(int=rng.getrandbits(128))),
        "battery": round(rng.random(), 2),
        "rooted": False,
    }


def _event(rng: random.Random) -> dict[str, object]:
    return {
        "name": rng.choice(WORDS),
        "ts": 1700000000000 + rng.randrange(10**8),
        "session_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "params": {
            f"p{i}": rng.choice([rng.randrange(1000), rng.choice(WORDS), rng.random()])
            for i in range(rng.randrange(3, 9))
        },
    }


def _json_body(rng: random.Random, size: int) -> bytes:
    body: dict[str, object] = {
        "device": _device(rng),
        "app": {"id": "com.example.app", "version": "4.2.1"},
        "events": [],
    }
    events: list[object] = body["events"]  # type: ignore[assignment]
    while len(json.dumps(body)) < size:
        events.append(_event(rng))
    return json.dumps(body).encode()


def _protobuf_body(rng: random.Random, size: int) -> bytes:
    out = bytearray()
    while len(out) < size:
        event = (
            _protobuf_string(1, rng.choice(WORDS).encode())
            + _protobuf_string(2, str(uuid.UUID(int=rng.getrandbits(128))).encode())
            + bytes([0x18])
            + bytes([rng.randrange(1, 127)])
            + _protobuf_string(4, _protobuf_string(1, b"Pixel 7") + _protobuf_string(2, b"13"))
        )
        out += _protobuf_string(3, event)
    return bytes(out)


def _form_body(rng: random.Random, size: int) -> bytes:
    items = [("idfa", str(uuid.UUID(int=rng.getrandbits(128)))), ("model", "Pixel 7")]
    while len(urlencode(items)) < size:
        items.append((f"e{len(items)}", json.dumps(_event(rng))))
    return urlencode(items).encode()


def traffic(count: int, seed: int = 1) -> list[SimpleNamespace]:
    rng = random.Random(seed)
    flows = []
    for index in range(count):
        size = rng.randrange(1024, 8192)
        kind = rng.choices(["json", "protobuf", "form"], weights=[6, 2, 2])[0]
        body = {"json": _json_body, "protobuf": _protobuf_body, "form": _form_body}[kind](rng, size)
        content_type = {
            "json": "application/json",
            "protobuf": "application/x-protobuf",
            "form": "application/x-www-form-urlencoded",
        }[kind]
        encoding = None
        if rng.random() < 0.3:
            body, encoding = gzip.compress(body), "gzip"
        query = urlencode(
            {
                "v": "2",
                "sdk": "8.1.0",
                "rid": uuid.UUID(int=rng.getrandbits(128)).hex,
                "cb": base64.urlsafe_b64encode(rng.randbytes(12)).decode(),
            }
        )
        flows.append(
            SimpleNamespace(
                id=index,
                url=f"https://t{index % 17}.example.com/v1/collect?{query}",
                request_headers=[
                    ["User-Agent", "okhttp/4.12.0"],
                    ["Accept-Language", "en-US"],
                    ["Cookie", f"sid={uuid.UUID(int=rng.getrandbits(128))}; consent=1"],
                    ["Content-Type", content_type],
                ],
                request_body=body,
                request_body_truncated=False,
                request_content_encoding=encoding,
                request_content_type=content_type,
            )
        )
    return flows


def profile_of(size: int) -> Profile:
    rng = random.Random(size)
    known: dict[str, list[object]] = {}
    for prop, value in list(SYNTHETIC_PROFILE.items())[:size]:
        known.setdefault(prop, []).append(value)
    while sum(len(v) for v in known.values()) < size:
        # More values of the kinds a lab profile grows with: contacts' e-mails and numbers, IDs.
        known.setdefault("email", []).append(f"contact{rng.randrange(10**6)}@example.org")
        known.setdefault("phoneNumber", []).append(f"+4917{rng.randrange(10**8, 10**9)}")
        known.setdefault("userId", []).append(uuid.UUID(int=rng.getrandbits(128)).hex)
    trimmed: dict[str, list[object]] = {}
    for prop, values in known.items():
        for value in values:
            if sum(len(v) for v in trimmed.values()) < size:
                trimmed.setdefault(prop, []).append(value)
    return profile_from_dict({"known": trimmed})


def _measure(make_run, flows: list[SimpleNamespace], repeat: int) -> float:
    # Each run starts cold: a new detector and no remembered values, so that a repeat does not
    # profit from values the previous repeat already scanned (a session sees each flow once).
    best = float("inf")
    for _ in range(repeat):
        forget_values()
        run = make_run()
        start = time.process_time()
        for flow in flows:
            run(flow)
        best = min(best, time.process_time() - start)
    return best


def _flatten(obj: object, path: str, out: list[tuple[str, str, object]]) -> None:
    """The least a flattener must do: every scalar with its key path (no decoding, no checks)."""
    if type(obj) is dict:
        for key, value in obj.items():
            _flatten(value, f"{path}.{key}" if path else key, out)
    elif type(obj) is list:
        for index, value in enumerate(obj):
            _flatten(value, f"{path}.{index}", out)
    else:
        out.append((path, path.rpartition(".")[2], obj))


def floor(flows: list[SimpleNamespace], repeat: int) -> tuple[int, float]:
    """Flows/s of parsing the JSON bodies with msgspec and flattening them, nothing else: what
    any pure-Python detector pays before looking at a single value."""
    import msgspec

    decode = msgspec.json.Decoder().decode
    bodies = [
        gzip.decompress(f.request_body) if f.request_content_encoding else f.request_body
        for f in flows
        if f.request_content_type == "application/json"
    ]
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for body in bodies:
            _flatten(decode(body), "", [])
        best = min(best, time.process_time() - start)
    return len(bodies), best


def calibration() -> float:
    """CPU seconds of a plain 10-million-step Python loop: how fast this machine runs Python
    (about 0.4 s on a current desktop core), to scale the figures to another machine."""
    start = time.process_time()
    total = 0
    for step in range(10_000_000):
        total += step
    return time.process_time() - start


def run_once(flows: list[SimpleNamespace]) -> dict[str, float]:
    """CPU seconds of one cold run of each measured configuration."""
    runs = [("decode only", lambda: lambda f: decode_flow(f, ()))]
    for label, profile in (
        ("detect, no profile", None),
        ("detect, 10 values", profile_of(10)),
        ("detect, 100 values", profile_of(100)),
    ):
        runs.append((label, lambda p=profile: Detector(p).detect))
    return {label: _measure(run, flows, 1) for label, run in runs}


def build_figures(size: int) -> dict[str, float]:
    """Seconds (CPU) and resident-set growth (MB) to build the detector of a ``size``-value
    profile, with its variant and digest counts; meant for a fresh process."""
    import psutil

    profile = profile_of(size)
    Detector(profile_of(3))  # imports and tables that any profile loads, outside the figure
    gc.collect()
    process = psutil.Process()
    before = process.memory_info().rss
    start = time.process_time()
    detector = Detector(profile)
    seconds = time.process_time() - start
    grown = (process.memory_info().rss - before) / 1e6
    matcher = detector.matcher
    digests = getattr(matcher, "digests", None)
    return {
        "seconds": seconds,
        "mb": grown,
        "variants": matcher.variant_count if matcher else 0,
        "digests": len(digests) if digests is not None else 0,
    }


def _child(args: list[str], root: str | None) -> dict[str, object]:
    env = dict(os.environ)
    if root:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", metavar="DIR", help="another checkout to measure alongside")
    parser.add_argument("--child", choices=["run", "build"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "run":
        print(json.dumps(run_once(traffic(args.flows))))
        return
    if args.child == "build":
        print(json.dumps({size: build_figures(size) for size in (10, 100)}))
        return
    print(f"calibration: a 10M-step Python loop takes {calibration():.2f} s CPU here")
    flows = traffic(args.flows)
    sent = sum(len(f.request_body) + len(f.url) for f in flows)
    print(
        f"{len(flows)} flows, {sent / len(flows) / 1024:.1f} KB sent per flow on average "
        f"(best of {args.repeat} runs, CPU time of one core)"
    )
    sides = [("this", None)] + ([("baseline", args.baseline)] if args.baseline else [])
    best: dict[str, dict[str, float]] = {side: {} for side, _ in sides}
    for _ in range(args.repeat):
        for side, root in sides:
            # This checkout also runs in a child, so that both sides start alike.
            once = _child(["--child", "run", "--flows", str(args.flows)], root)
            for label, seconds in once.items():
                best[side][label] = min(best[side].get(label, float("inf")), float(seconds))
    header = f"  {'':22} {'flows/s':>9} {'MB/s':>7}"
    if args.baseline:
        header += f"   {'baseline':>9} {'MB/s':>7}  {'this/baseline':>13}"
    print(header)
    for label, seconds in best["this"].items():
        line = f"  {label:22} {len(flows) / seconds:9,.0f} {sent / seconds / 1e6:7.1f}"
        if args.baseline:
            other = best["baseline"][label]
            line += (
                f"   {len(flows) / other:9,.0f} {sent / other / 1e6:7.1f}  {other / seconds:12.2f}x"
            )
        print(line)
    for side, _ in sides:
        ratio = best[side]["detect, 100 values"] / best[side]["detect, 10 values"]
        print(f"  {side}: cost of 100 values / 10 values: {ratio:.2f}x")
    for side, root in sides:
        built = _child(["--child", "build"], root)
        for size, figures in built.items():
            print(
                f"  {side}: building the matcher of {size} values: {figures['seconds']:.2f} s, "
                f"+{figures['mb']:.0f} MB resident ({figures['variants']} automaton variants, "
                f"{figures['digests']} digest renderings)"
            )
    count, seconds = floor(flows, args.repeat)
    print(
        f"  reference: msgspec parse + bare flatten of the {count} JSON bodies only: "
        f"{count / seconds:,.0f} flows/s"
    )


if __name__ == "__main__":
    main()
