"""Peak memory, time, fields and notes of decode_flow + Detector.detect on each hostile body.

``python fuzz/hostile_bounds.py`` prints one line per case (the cases of
tests/test_hostile_analysis.py, where the memory bounds are asserted; times are only shown).
"""

from __future__ import annotations

import base64
import json
import os
import time
import tracemalloc
from types import SimpleNamespace

from analyzer.decode import decode_flow
from tests.test_hostile_analysis import (
    DETECTOR,
    IMEI,
    MiB,
    _brotli_bomb,
    _flow,
    _gzip_bomb,
    _nested_base64,
    _zstd_bomb,
)


def cases() -> dict[str, tuple[SimpleNamespace, list[SimpleNamespace]]]:
    record = b"\x0a\x05hello\x10\x01"
    big = f"imei={IMEI}&".encode() + record * (100 * MiB // len(record))
    deep = b'{"x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    form = b"&".join(b"k%d=v%d" % (i, i) for i in range(100_000))
    nested = json.dumps({"a": _nested_base64(3), "b": _nested_base64(40)}).encode()
    return {
        "gzip bomb (1 GiB)": (_flow(_gzip_bomb(), encoding="gzip"), []),
        "br bomb (1 GiB)": (_flow(_brotli_bomb(), encoding="br"), []),
        "zstd bomb (1 GiB)": (_flow(_zstd_bomb(), encoding="zstd"), []),
        "gzip bomb in base64 in JSON": (
            _flow(json.dumps({"b": base64.b64encode(_gzip_bomb(64 * MiB)).decode()}).encode()),
            [],
        ),
        "100 MB protobuf body": (_flow(big, content_type="application/x-protobuf"), []),
        "JSON 10,000 deep": (_flow(deep, content_type="application/json"), []),
        "invalid UTF-8": (_flow(b"\xff\xfe" + b"\xed\xa0\x80" * 300_000), []),
        "1 MiB binary noise": (_flow(os.urandom(MiB)), []),
        "30,000 headers": (_flow(headers=[[f"x-h{i}", f"v{i}"] for i in range(30_000)]), []),
        "1 MiB URL": (_flow(url=f"https://t.example/p?imei={IMEI}&j=" + "ab" * (MiB // 2)), []),
        "100,000 form fields": (_flow(form, content_type="application/x-www-form-urlencoded"), []),
        "base64 nested 40 deep": (_flow(nested, content_type="application/json"), []),
        "5,000 WebSocket messages": (
            _flow(),
            [SimpleNamespace(from_client=True, is_text=True, content="ping")] * 5000,
        ),
    }


def main() -> None:
    for name, (flow, messages) in cases().items():
        tracemalloc.start()
        started = time.process_time()
        fields, notes = decode_flow(flow, messages)
        decode_seconds = time.process_time() - started
        _, decode_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        started = time.process_time()
        DETECTOR.detect(flow, messages)
        detect_seconds = time.process_time() - started
        _, detect_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{name}: decode {decode_peak / MiB:.1f} MiB {decode_seconds:.2f} s, "
            f"detect {detect_peak / MiB:.1f} MiB {detect_seconds:.2f} s (CPU, under tracemalloc), "
            f"{len(fields)} fields; notes: {notes}"
        )


if __name__ == "__main__":
    main()
