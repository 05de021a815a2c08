"""Labelled corpora and scoring for measuring the detector (``leakmap eval``, benchmarks).

Two corpora:

- :func:`synthetic_corpus` hides a device profile's values in every encoding the known-value
  matcher claims (case, separators, URL once/twice, base64 in all forms and inside longer blobs,
  hex, digests and hash chains, phone and coordinate forms), each carried in a different part of
  a request (query, path, header, cookie, JSON, gzip/br/zstd/deflate JSON, form, JSON in a
  string, base64 JSON in a form field, protobuf, multipart, JWT, NDJSON, XML, WebSocket), next
  to decoys (request UUIDs, 15-digit order numbers failing Luhn, timestamps, prices, base64 image
  data containing "idfa", another phone's IDs, near misses of the profile's values).
- :func:`tracker_corpus` embeds the labelled real values of tweasel's adapter examples at their
  key paths, as the SDKs sent them, for name and format detection without a profile.

:func:`score` compares findings with labels and returns precision and recall per group.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import uuid as uuidlib
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

import brotli
import zstandard

from analyzer.detect.finding import Finding
from analyzer.detect.variants import is_weak
from analyzer.profile import Profile, profile_from_dict
from analyzer.vocabulary import canonical_property


@dataclass(frozen=True, slots=True)
class Label:
    prop: str  # a vocabulary property, or "other:<name>" for labels outside it
    location: str
    path: str
    group: str  # what the figures are grouped by (an encoding, or a property)
    encoding: str = ""  # the chain the finding must report ("" = not checked)


@dataclass(slots=True)
class Case:
    flow: SimpleNamespace
    messages: list[SimpleNamespace] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


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


# --- the tracker-examples corpus ----------------------------------------------------------------

TRACKHAR_NAMES = {"idfa": "advertisingId", "idfv": "developerScopedId"}
# TrackHAR files several of our identifier properties under one label; such findings on such
# fields are neither right nor wrong.
AMBIGUOUS = {
    "other:otheridentifiers": {
        "deviceId",
        "installationId",
        "userId",
        "developerScopedId",
        "advertisingId",
        "pushNotificationToken",
    },
    "other:country": {"language"},
    # Strings such as "Google sdk_gphone_x86" or "iPhone9,3" name maker and model together;
    # TrackHAR labels them one or the other, inconsistently across vendors.
    "manufacturer": {"model", "osName"},
    "model": {"manufacturer"},
    # A platform "iPhone" names the system and the maker: TrackHAR labels it one or the other.
    "osName": {"manufacturer"},
}
SAMPLES_PER_FIELD = 5
# Example values that carry no personal value ("carrier": "none", "hl": "auto"): not labels.
PLACEHOLDERS = frozenset({"", "none", "null", "unknown", "auto", "undefined", "n/a"})


def _our_property(name: str) -> str:
    return TRACKHAR_NAMES.get(name) or canonical_property(name) or f"other:{name}"


def tracker_corpus(examples: dict[str, dict[str, list[Any]]]) -> Iterator[Case]:
    """One request per endpoint and sample round, every labelled key path filled with a value.

    Key paths with ``*`` become one-element lists; JSONPath filters (``$[?...]``) and values
    that are objects, lists or empty are left out (there is no single value to find).
    """
    flow_id = 0
    for endpoint, labelled in examples.items():
        by_place: dict[tuple[str, str], list[tuple[str, list[Any]]]] = defaultdict(list)
        for spec, values in labelled.items():
            name, location, path = spec.split("/", 2)
            if path.startswith("$"):
                continue
            usable = [
                v
                for v in values
                if isinstance(v, str | int | float) and str(v).strip().lower() not in PLACEHOLDERS
            ]
            if usable:
                by_place[(location, path)].append((_our_property(name), usable))
        rounds = max((len(v[0][1]) for v in by_place.values()), default=0)
        for index in range(min(SAMPLES_PER_FIELD, rounds)):
            flow_id += 1
            body: dict[str, Any] = {}
            query: list[tuple[str, str]] = []
            headers: list[list[str]] = []
            cookies: list[str] = []
            labels: list[Label] = []
            for (location, path), props in by_place.items():
                values = props[0][1]
                if index >= len(values):
                    continue
                value = values[index]
                text = _as_text(value)
                concrete = path.replace("*", "0")
                if location == "body":
                    if not _put(body, path.split("."), value):
                        continue
                elif location == "query":
                    query.append((path, text))
                elif location == "header":
                    headers.append([path, text])
                elif location == "cookie":
                    cookies.append(f"{path}={text}")
                else:
                    continue
                for prop, prop_values in props:
                    if value in prop_values:
                        labels.append(Label(prop, location, concrete, prop))
            if cookies:
                headers.append(["Cookie", "; ".join(cookies)])
            url = f"https://{endpoint.split('/')[0]}.example/{endpoint.split('/')[1]}"
            if query:
                url += "?" + urlencode(query)
            flow = SimpleNamespace(
                id=flow_id,
                url=url,
                method="POST",
                host="tracker.example",
                request_headers=[*headers, ["Content-Type", "application/json"]],
                request_body=json.dumps(body).encode() if body else b"",
                request_body_truncated=False,
                request_content_encoding=None,
                request_content_type="application/json",
                carrier=endpoint,
            )
            yield Case(flow, [], labels)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _put(target: dict[str, Any], keys: list[str], value: Any) -> bool:
    node: Any = target
    for position, key in enumerate(keys):
        last = position == len(keys) - 1
        if key == "*":
            continue
        wrap = position + 1 < len(keys) and keys[position + 1] == "*"
        if last:
            if not isinstance(node, dict) or key in node:
                return False
            node[key] = value
            return True
        if not isinstance(node, dict):
            return False
        if wrap:
            holder = node.setdefault(key, [{}])
            if not isinstance(holder, list):
                return False
            node = holder[0]
        else:
            node = node.setdefault(key, {})
    return False


# --- scoring ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    labels: int = 0
    found: int = 0
    findings: int = 0
    correct: int = 0
    ignored: int = 0
    shared: int = 0  # labels found through another property of their place (see score)

    @property
    def recall(self) -> float:
        return self.found / self.labels if self.labels else float("nan")

    @property
    def precision(self) -> float:
        judged = self.findings - self.ignored
        return self.correct / judged if judged else float("nan")


def score(
    cases: list[tuple[Case, list[Finding]]],
    methods: tuple[str, ...],
    check_encoding: bool,
    shared_places: bool = False,
) -> tuple[dict[str, Tally], dict[str, Tally], list[str]]:
    """Recall per label group and precision per property for findings of one ``method``.

    A label is found when a finding of its property sits at its location and path (and, with
    ``check_encoding``, reports the expected chain). With ``shared_places``, a place labelled
    with several properties from one list of values (TrackHAR files chartboost's ``os`` under
    both osName and osVersion, with the same examples "iOS" and "14.8") is one label with
    alternatives: finding any of them finds all (counted in ``Tally.shared``). A finding is
    correct when a label of its property sits where it was found; it is ignored where the label
    is ambiguous (AMBIGUOUS). Returns (by group, by property, a sample of misses and false
    positives).
    """
    by_group: dict[str, Tally] = defaultdict(Tally)
    by_prop: dict[str, Tally] = defaultdict(Tally)
    problems: list[str] = []
    for case, findings in cases:
        own = [f for f in findings if f.method in methods]
        hits = [any(_matches(label, f, check_encoding) for f in own) for label in case.labels]
        labelled = list(zip(case.labels, hits, strict=True))
        found_at = {(lab.location, lab.path, lab.prop) for lab, hit in labelled if hit}
        for label, hit in labelled:
            if label.prop.startswith("other:"):
                continue
            shared = (
                not hit
                and shared_places
                and any(
                    (location, path) == (label.location, label.path) and prop != label.prop
                    for location, path, prop in found_at
                )
            )
            for tally in (by_group[label.group], by_prop[label.prop]):
                tally.labels += 1
                tally.found += hit or shared
                tally.shared += shared
            if not hit and len(problems) < 400:
                got = [(f.property, f.path, f.encoding) for f in own if f.path == label.path]
                problems.append(f"miss {case.flow.carrier}: {label} got {got}")
        for finding in own:
            tally = by_prop[finding.property]
            tally.findings += 1
            here = [
                lab
                for lab in case.labels
                if lab.location == finding.location and lab.path == finding.path
            ]
            if any(lab.prop == finding.property for lab in here):
                tally.correct += 1
            elif any(finding.property in AMBIGUOUS.get(lab.prop, ()) for lab in here):
                tally.ignored += 1
            elif len(problems) < 800:
                problems.append(
                    f"false {case.flow.carrier}: {finding.property} at {finding.location} "
                    f"{finding.path} = {finding.value[:60]!r} ({finding.encoding}) "
                    f"labels here: {[lab.prop for lab in here]}"
                )
    return dict(by_group), dict(by_prop), problems


def _matches(label: Label, finding: Finding, check_encoding: bool) -> bool:
    if finding.property != label.prop or finding.location != label.location:
        return False
    if finding.path != label.path:
        return False
    if not check_encoding or not label.encoding:
        return True
    if label.encoding.startswith("geo:"):
        container = label.encoding[4:]
        steps = finding.encoding.split(">")
        geo_steps = [s for s in steps if s.startswith(("rounded", "truncated", "e6", "e7"))]
        rest = ">".join(s for s in steps if s not in geo_steps) or "plain"
        return rest == container
    return finding.encoding == label.encoding


# --- field names and formats without a profile (synthetic, spellings beyond the alias table) ---

# (property, key path, value). Many spellings are deliberately not literally in aliases.toml:
# they must be reached through normalisation, qualifiers, parent joining or device context.
NAMED_FIELDS: tuple[tuple[str, str, object], ...] = (
    ("advertisingId", "advertisingId", "38400000-8cf0-11bd-b23e-10b96e40000d"),
    ("advertisingId", "device.ids.google_ad_id", "38400000-8cf0-11bd-b23e-10b96e40000d"),
    ("advertisingId", "user.IDFA", "00000000-0000-0000-0000-000000000000"),
    ("advertisingId", "identifiers.adId", "7c1f3a52-9e0b-4d8f-a3b1-2e5f6c7d8e9f"),
    ("developerScopedId", "androidId", "9774d56d682e549c"),
    ("developerScopedId", "device.android_id", "b45a24b6f5947383"),
    ("developerScopedId", "identifierForVendor", "6E5AA92E-3945-43BA-9136-DD160C98ED2E"),
    ("model", "deviceModel", "SM-G991B"),
    ("model", "device.model", "Pixel 7"),
    ("model", "hw.model_name", "iPhone14,2"),
    ("manufacturer", "deviceManufacturer", "samsung"),
    ("manufacturer", "device.make", "Xiaomi"),
    ("manufacturer", "hardware.brand", "google"),
    ("osName", "osName", "Android"),
    ("osName", "device.platform", "iOS"),
    ("osName", "os_type", "android"),
    ("osVersion", "osVersion", "13"),
    ("osVersion", "device.os_version", "17.4.1"),
    ("osVersion", "systemVersion", "16.6"),
    ("osVersion", "android_api_level", 33),
    ("carrier", "carrierName", "T-Mobile"),
    ("carrier", "network.operator_name", "Vodafone DE"),
    ("carrier", "sim.mccmnc", "26202"),
    ("language", "locale", "en_US"),
    ("language", "device.lang", "de"),
    ("language", "preferredLanguage", "zh-Hans-CN"),
    ("timezone", "timeZone", "Asia/Shanghai"),
    ("timezone", "device.tz_offset", -18000),
    ("timezone", "tzName", "GMT+08:00"),
    ("latitude", "lat", 31.2304),
    ("longitude", "lng", 121.4737),
    ("latitude", "location.latitude", 52.520008),
    ("longitude", "location.longitude", 13.404954),
    ("latitude", "geo.lat", "48.8566"),
    ("longitude", "geo.lon", "2.3522"),
    ("latitude", "userLat", 40.71),
    ("longitude", "userLng", -74.01),
    ("latitude", "ll", "35.6762,139.6503"),
    ("longitude", "ll", "35.6762,139.6503"),
    ("macAddress", "macAddress", "3C:5A:B4:01:02:03"),
    ("macAddress", "device.wifi_mac", "3c-5a-b4-01-02-03"),
    ("macAddress", "hwAddr", "3c5ab4010203"),
    ("localIp", "localIp", "192.168.1.23"),
    ("localIp", "device.ip_address", "10.0.0.17"),
    ("localIp", "network.ipv4", "172.16.4.2"),
    ("screenWidth", "screenWidth", 1080),
    ("screenHeight", "screenHeight", 2400),
    ("screenWidth", "display.width", 1170),
    ("screenHeight", "display.height", 2532),
    ("screenWidth", "device.w", 720),
    ("screenHeight", "device.h", 1600),
    ("screenWidth", "screen_resolution", "1080x2340"),
    ("screenHeight", "screen_resolution", "1080x2340"),
    ("imei", "deviceImei", "356938035643809"),
    ("email", "userEmail", "li.wei@example.cn"),
    ("phoneNumber", "msisdn", "+8613800138000"),
    ("wifiBssid", "wifi.bssid", "a4:2b:8c:0f:11:e0"),
    ("isRooted", "isJailbroken", False),
    ("userAgent", "webview_ua", "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36"),
)

# Fields that must yield nothing: the classic false positives.
DECOY_FIELDS: tuple[tuple[str, object], ...] = (
    ("request_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    ("trace.span_id", "6e0c63257de34c92bf9efcd03927272e"),
    ("event_id", "c0a80101-0000-4000-8000-000000000001"),
    ("order_number", "490154203237519"),  # 15 digits failing Luhn
    ("ts", 1700000000123),
    ("created", "2024-05-01T12:00:00Z"),
    ("price", 12.99),
    ("amount", "52.52"),
    ("thumb", base64.b64encode(b"\x89PNG\r\n idfa gaid imei lat lng " * 3).decode()),
    ("banner.w", 320),
    ("banner.h", 50),
    ("imp.0.w", 300),
    ("imp.0.h", 250),
    ("app_version", "14.2.1"),
    ("sdk_version", "8.1.0"),
    ("versionCode", 1402),
    ("session_id", "a3f1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b"),
    ("app_id", "com.example.app"),
    ("count", 1080),
    ("score", 13.404954),
    ("name", "Level 3"),
    ("type", "click"),
    ("status", "ok"),
)


def named_fields_corpus(rounds: int = 8, seed: int = 7) -> Iterator[Case]:
    """Requests mixing NAMED_FIELDS (shuffled, a few per request) with all DECOY_FIELDS."""
    rng = random.Random(seed)
    flow_id = 0
    for _ in range(rounds):
        entries = list(NAMED_FIELDS)
        rng.shuffle(entries)
        # Coordinates travel in pairs; keep each pair in one request.
        pairs: dict[str, list[tuple[str, str, object]]] = defaultdict(list)
        for prop, path, value in entries:
            group = _geo_group(path) if prop in ("latitude", "longitude") else path
            pairs[group].append((prop, path, value))
        groups = list(pairs.values())
        for start in range(0, len(groups), 6):
            flow_id += 1
            body: dict[str, Any] = {}
            labels: list[Label] = []
            for group in groups[start : start + 6]:
                for prop, path, value in group:
                    _put(body, path.split("."), value)
                    labels.append(Label(prop, "body", path, prop))
            for path, value in DECOY_FIELDS:
                keys = path.split(".")
                if keys[0] == "imp":
                    body.setdefault("imp", [{}])[0][keys[2]] = value
                else:
                    _put(body, keys, value)
            flow = SimpleNamespace(
                id=flow_id,
                url="https://sdk.example.com/v1/events",
                method="POST",
                host="sdk.example.com",
                request_headers=[["Content-Type", "application/json"]],
                request_body=gzip.compress(json.dumps(body).encode()),
                request_body_truncated=False,
                request_content_encoding="gzip",
                request_content_type="application/json",
                carrier="named-fields",
            )
            yield Case(flow, [], labels)


def _geo_group(path: str) -> str:
    # Pairs share their object ("location.latitude"/"location.longitude") or a stem ("userLat").
    if "." in path:
        return path.split(".")[0]
    return {"lat": "plain", "lng": "plain", "userLat": "user", "userLng": "user"}.get(path, path)
