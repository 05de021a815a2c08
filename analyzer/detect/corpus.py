"""The synthetic known-value corpus: a device profile's values hidden in every encoding.

:func:`synthetic_corpus` hides a device profile's values in every encoding the known-value
matcher claims (case, separators, URL once/twice, base64 in all forms and inside longer blobs,
hex, digests and hash chains, phone and coordinate forms), each carried in a different part of a
request (query, path, header, cookie, JSON, gzip/br/zstd/deflate JSON, form, JSON in a string,
base64 JSON in a form field, protobuf, multipart, JWT, NDJSON, XML, WebSocket), next to decoys
(request UUIDs, 15-digit order numbers failing Luhn, timestamps, prices, base64 image data
containing "idfa", another phone's IDs, near misses of the profile's values).

The other corpora: ``corpus_trackers`` (tweasel's labelled tracker examples), ``corpus_sdkdocs``
(an extra held-out set from public SDK documentation), ``corpus_names`` (synthetic field names
and decoys). Scoring is in ``scoring``; its names are re-exported here for older callers.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import uuid as uuidlib
import zlib
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

import brotli
import zstandard

from analyzer.detect.scoring import Case, Label, Tally, score
from analyzer.detect.variants import is_weak
from analyzer.profile import Profile, profile_from_dict

__all__ = ["SYNTHETIC_PROFILE", "Case", "Label", "Tally", "score", "synthetic_corpus"]


# --- the synthetic corpus ---------------------------------------------------------------------

SYNTHETIC_PROFILE: dict[str, object] = {
    "advertisingId": "6a1c1487-a0af-4223-b142-a0f4621d0311",
    "developerScopedId": "9774d56d682e549c",
    "installationId": "fL3kQ9xZTjWc0nR1sV7uYb",
    "userId": "user-48213377",
    "pushNotificationToken": "eKq2fT9nS0uX:APA91bH7c3JQ0yZr8vWm2LpN5sT1kD4fG6hJ9qR2xC7vB3nM8zL0pQ",
    "macAddress": "02:1a:0b:03:44:05",
    "wifiBssid": "a4:2b:8c:0f:11:e0",
    "wifiSsid": "HomeNet-5G",
    "localIp": "192.168.178.23",
    "latitude": 52.5200066,
    "longitude": 13.404954,
    "carrier": "Vodafone.de",
    "model": "Pixel 7 Pro",
    "manufacturer": "Google",
    "osName": "Android",
    "osVersion": "14",
    "deviceName": "Anna's Pixel",
    "language": "de-DE",
    "timezone": "Europe/Berlin",
    "screenWidth": 1080,
    "screenHeight": 2400,
    "imei": "356938035643809",
    "imsi": "262019876543210",
    "iccid": "8949020000012345678",
    "serialNumber": "28121FDH2000KX",
    "email": "Anna.Schmidt@example.org",
    "phoneNumber": "+49 151 23456789",
    "personName": "Anna Schmidt",
}

# Field names for values too short to be searched for anywhere (is_weak): they are matched as a
# whole field under a name for their property, so the corpus sends them under such a name.
_WEAK_KEYS = {
    "osVersion": "os_version",
    "screenWidth": "screen_width",
    "screenHeight": "screen_height",
    "language": "language",
}


def synthetic_profile() -> Profile:
    return profile_from_dict({"device": {"name": "synthetic"}, "known": SYNTHETIC_PROFILE})


Transform = tuple[str, str, str]  # (group, text to send, expected variant chain)


def _transforms(prop: str, value: str) -> list[Transform]:
    """Every way the known-value matcher claims to find ``value``, as (group, text, chain)."""
    if prop in ("latitude", "longitude"):
        return _geo_transforms(value)
    if is_weak(prop, value):
        return [("plain", value, "")]
    forms: list[tuple[str, str]] = [("plain", value)]
    out: list[Transform] = [
        ("plain", value, ""),
        ("upper-case", value.upper(), ""),
        ("lower-case", value.lower(), ""),
    ]
    if prop in ("macAddress", "wifiBssid"):
        bare = value.replace(":", "").lower()
        pairs = [bare[i : i + 2] for i in range(0, 12, 2)]
        out += [
            ("mac-compact", bare, "compact"),
            ("mac-compact", bare.upper(), "compact"),
            ("mac-dashes", "-".join(pairs).upper(), ""),
            ("mac-dotted", ".".join(bare[i : i + 4] for i in range(0, 12, 4)), "dotted"),
            (
                "mac-no-leading-zeros",
                ":".join(p.lstrip("0") or "0" for p in pairs),
                "no-leading-zeros",
            ),
        ]
        forms += [("mac-upper", value.upper()), ("mac-bare", bare)]
    if prop == "advertisingId":
        out += [
            ("uuid-compact", value.replace("-", ""), "compact"),
            ("uuid-compact", value.replace("-", "").upper(), "compact"),
        ]
        forms.append(("uuid-upper", value.upper()))
    if prop == "email":
        forms.append(("email-lower", value.lower()))
    if prop == "phoneNumber":
        out += [
            ("phone-e164", "+4915123456789", "e164"),
            ("phone-digits", "4915123456789", "digits"),
            ("phone-digits", "004915123456789", "digits"),
            ("phone-national", "015123456789", "national"),
        ]
    text = value
    once = quote(text, safe="")
    if once != text:
        out += [("url", once, "url"), ("url-twice", quote(once, safe=""), "url>url")]
    data = text.encode()
    std, safe = base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()
    out += [
        ("base64", std, "base64"),
        ("base64-unpadded", std.rstrip("="), "base64"),
        ("base64url", safe, "base64url" if safe != std else "base64"),
        ("base64url-unpadded", safe.rstrip("="), "base64url" if safe != std else "base64"),
    ]
    for offset in range(3):
        blob = bytes([0x9F, 0x80, 0xFE][:offset]) + data + b"\xff\x00\x81\x92"
        out.append((f"base64-in-blob-{offset}", base64.b64encode(blob).decode(), "base64"))
    out += [("hex", data.hex(), "hex"), ("hex", data.hex().upper(), "hex")]
    for label, form in forms:
        prefix = "" if label == "plain" else label.split("-")[0] + "-"
        raw = form.encode()
        step = "compact>" if label in ("mac-bare",) else ""
        for name in ("md5", "sha1", "sha256"):
            digest = hashlib.new(name, raw)
            out.append((f"{prefix}{name}", digest.hexdigest(), f"{step}{name}"))
            out.append((f"{prefix}{name}", digest.hexdigest().upper(), f"{step}{name}"))
            out.append(
                (
                    f"{name}-base64",
                    base64.b64encode(digest.digest()).decode(),
                    f"{step}{name}>base64",
                )
            )
            if label == "plain":
                for second in ("md5", "sha1", "sha256"):
                    chained = hashlib.new(second, digest.hexdigest().encode()).hexdigest()
                    out.append((f"{name}>{second}", chained, f"{name}>{second}"))
    return out


def _geo_transforms(value: str) -> list[Transform]:
    from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

    number = Decimal(value)
    out: list[Transform] = [("geo-plain", value, "geo")]
    for places in range(2, 8):
        quantum = Decimal(1).scaleb(-places)
        out.append((f"geo-rounded-{places}", str(number.quantize(quantum, ROUND_HALF_UP)), "geo"))
        out.append((f"geo-truncated-{places}", str(number.quantize(quantum, ROUND_DOWN)), "geo"))
    out.append(("geo-e6", str(int(number.scaleb(6).to_integral_value(ROUND_HALF_UP))), "geo"))
    return out


# A carrier puts (key, text) into a request; returns (location, path, container chain).
Carrier = Callable[[dict[str, Any], str, str], tuple[str, str, str]]


def _protobuf_string(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _jwt(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _carriers() -> list[tuple[str, Carrier]]:
    def query(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["query"].append((key, text))
        return "query", key, ""

    def path(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["path"] = f"/v2/{key}/{quote(text, safe='')}"
        return "path", "/3", ""

    def header(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["headers"].append([f"X-{key}", text])
        return "header", f"x-{key}".lower(), ""

    def cookie(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["headers"].append(["Cookie", f"session=abc; {key}={quote(text, safe='')}"])
        return "cookie", key, ""

    def json_body(coding: str) -> Carrier:
        def carry(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
            r["json"]["data"][key] = text
            r["coding"] = coding
            return "body", f"data.{key}", f"{coding}>json" if coding else "json"

        return carry

    def form(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["form"].append((key, text))
        return "body", key, "form"

    def json_in_string(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["json"]["payload"] = json.dumps({key: text, "seq": 4})
        return "body", f"payload.{key}", "json>json"

    def base64_json_in_form(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        inner = json.dumps({key: text, "v": 2}).encode()
        r["form"].append(("d", base64.b64encode(inner).decode()))
        return "body", f"d.{key}", "form>base64>json"

    def protobuf(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        inner = _protobuf_string(2, text.encode()) + _protobuf_string(3, b"v1.2.0")
        r["protobuf"] = _protobuf_string(1, inner) + bytes([0x20, 0x96, 0x01])
        return "body", "1.2", "protobuf"

    def gzip_protobuf_in_json(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        message = _protobuf_string(5, text.encode()) + bytes([0x08, 0x01])
        r["json"]["batch"] = base64.b64encode(gzip.compress(message)).decode()
        return "body", "batch.5", "json>base64>gzip>protobuf"

    def multipart(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["multipart"] = json.dumps({key: text})
        return "body", f"meta.{key}", "multipart>json"

    def jwt(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["headers"].append(["Authorization", "Bearer " + _jwt({key: text, "iat": 1700000000})])
        return "header", f"authorization.jwt.payload.{key}", "jwt"

    def ndjson(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["ndjson"] = [{"event": "start", "n": 1}, {key: text, "n": 2}]
        return "body", f"1.{key}", "json"

    def xml(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["xml"] = (key, text)
        return "body", f"request.device.{key}", "xml"

    def websocket(r: dict[str, Any], key: str, text: str) -> tuple[str, str, str]:
        r["ws"] = json.dumps({"type": "hello", key: text})
        return "websocket", f"msg0.{key}", "websocket>json"

    return [
        ("json", json_body("")),
        ("query", query),
        ("gzip-json", json_body("gzip")),
        ("form", form),
        ("header", header),
        ("json-in-string", json_in_string),
        ("cookie", cookie),
        ("base64-json-in-form", base64_json_in_form),
        ("protobuf", protobuf),
        ("br-json", json_body("br")),
        ("multipart", multipart),
        ("jwt", jwt),
        ("zstd-json", json_body("zstd")),
        ("ndjson", ndjson),
        ("xml", xml),
        ("websocket", websocket),
        ("deflate-json", json_body("deflate")),
        ("path", path),
        ("gzip-protobuf-in-base64-json", gzip_protobuf_in_json),
    ]


def _decoys(rng: random.Random) -> dict[str, str]:
    """Values that must not become known-value findings (and mostly no findings at all)."""
    order = str(rng.randrange(10**14, 10**15))
    while _luhn(order):
        order = str(int(order) + 1)
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"idfa gaid imei" + rng.randbytes(60)).decode()
    return {
        "request_id": str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
        "trace": rng.randbytes(16).hex(),
        "order_no": order,
        "ts": str(1700000000000 + rng.randrange(10**9)),
        "price": f"{rng.randrange(100, 99999) / 100:.2f}",
        "thumb": png,
        "other_imei": "490154203237518",  # another phone's (Luhn-valid) IMEI
        "near_miss": "6a1c1487-a0af-4223-b142-a0f4621d0312",
        "other_hash": hashlib.sha256(b"someone@else.example").hexdigest(),
        "version": "14.2.1",
        "count": "1080",
    }


def _luhn(digits: str) -> bool:
    from analyzer.detect.formats import luhn_ok

    return luhn_ok(digits)


def synthetic_corpus(seed: int = 4) -> Iterator[Case]:
    """Requests hiding the synthetic profile's values; one labelled value per request."""
    rng = random.Random(seed)
    carriers = _carriers()
    profile = synthetic_profile()
    counter = 0
    for prop, value in profile.values():
        transforms = _transforms(prop, value)
        partner = _geo_partner(prop, profile)
        # Every transform once, rotating through carriers; and the plain value in every carrier.
        plan = [(t, carriers[(i + len(prop)) % len(carriers)]) for i, t in enumerate(transforms)]
        plan += [(transforms[0], c) for c in carriers]
        for (group, text, chain), (carrier_name, carrier) in plan:
            if carrier_name == "path" and len(text) > 200:
                continue
            if "protobuf" in carrier_name and is_weak(prop, value):
                # Short values ("14", "de-DE") are only claimed under a name for their
                # property; protobuf has field numbers, no names.
                continue
            counter += 1
            request = _empty_request(rng)
            key = _WEAK_KEYS.get(prop, f"v{counter % 7}")
            if prop in ("latitude", "longitude"):
                key = "p1"
            location, path, container = carrier(request, key, text)
            labels = [_label(prop, location, path, group, container, chain)]
            if partner is not None:
                # A location counts only with both coordinates: send the partner plainly.
                other_prop, other_value = partner
                request["query"].append(("p2", other_value))
                labels.append(Label(other_prop, "query", "p2", "geo-partner", "plain"))
            yield _build(request, labels, counter, carrier_name)
    for _ in range(200):  # requests with decoys only
        counter += 1
        yield _build(_empty_request(rng), [], counter, "decoys")


def _geo_partner(prop: str, profile: Profile) -> tuple[str, str] | None:
    if prop == "latitude":
        return "longitude", profile.known["longitude"][0]
    if prop == "longitude":
        return "latitude", profile.known["latitude"][0]
    return None


def _label(prop: str, location: str, path: str, group: str, container: str, chain: str) -> Label:
    if chain == "geo":
        return Label(prop, location, path, group, "geo:" + (container or "plain"))
    steps = [s for s in (container, chain) if s]
    return Label(prop, location, path, group, ">".join(steps) or "plain")


def _empty_request(rng: random.Random) -> dict[str, Any]:
    decoys = _decoys(rng)
    return {
        "path": "/v2/collect",
        "query": [("sdk", "7.3.1"), ("rid", decoys["request_id"])],
        "headers": [["User-Agent", "okhttp/4.12.0"], ["X-Request-ID", decoys["trace"]]],
        "json": {"meta": decoys, "data": {}},
        "form": [],
        "coding": "",
        "protobuf": None,
        "multipart": None,
        "ndjson": None,
        "xml": None,
        "ws": None,
    }


def _build(request: dict[str, Any], labels: list[Label], flow_id: int, carrier: str) -> Case:
    headers = list(request["headers"])
    content_type, encoding, body = "application/json", None, b""
    if request["protobuf"] is not None:
        content_type, body = "application/x-protobuf", request["protobuf"]
    elif request["multipart"] is not None:
        boundary = "----leakmap7MA4YWxk"
        content_type = f"multipart/form-data; boundary={boundary}"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="meta"\r\n'
            f"Content-Type: application/json\r\n\r\n{request['multipart']}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n--{boundary}--\r\n"
        ).encode()
    elif request["ndjson"] is not None:
        content_type = "application/x-ndjson"
        body = "\n".join(json.dumps(line) for line in request["ndjson"]).encode()
    elif request["xml"] is not None:
        key, text = request["xml"]
        content_type = "application/xml"
        escaped = text.replace("&", "&amp;").replace("<", "&lt;")
        body = f"<request><device><{key}>{escaped}</{key}><n>2</n></device></request>".encode()
    elif request["form"]:
        content_type, body = (
            "application/x-www-form-urlencoded",
            urlencode(request["form"]).encode(),
        )
    else:
        body = json.dumps(request["json"]).encode()
        coding = request["coding"]
        if coding:
            encoding = coding
            body = {
                "gzip": gzip.compress,
                "br": brotli.compress,
                "zstd": zstandard.ZstdCompressor().compress,
                "deflate": zlib.compress,
            }[coding](body)
    url = f"https://collector.example.net{request['path']}?{urlencode(request['query'])}"
    flow = SimpleNamespace(
        id=flow_id,
        url=url,
        method="POST",
        host="collector.example.net",
        request_headers=[*headers, ["Content-Type", content_type]],
        request_body=body,
        request_body_truncated=False,
        request_content_encoding=encoding,
        request_content_type=content_type,
        carrier=carrier,
    )
    messages = []
    if request["ws"] is not None:
        messages.append(
            SimpleNamespace(from_client=True, is_text=True, content=request["ws"].encode())
        )
        messages.append(
            SimpleNamespace(from_client=False, is_text=True, content=b'{"imei":"356938035643809"}')
        )
    return Case(flow, messages, labels)
