"""Property-based tests of the decoders and the known-value matcher (hypothesis).

Decoders: any bytes, text or nested JSON decodes without an exception into text fields within
the field cap; a value put into JSON, a form, base64, gzip or protobuf comes back with the right
encoding chain. Matcher: any value from a property's valid space (Luhn IMEIs, UUIDs, e-mails,
MACs, coordinates), hidden in any supported variant at a random place in random text, is found
with that variant's chain; random text without it yields no known-value finding.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import string
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import blackboxprotobuf
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analyzer.decode import Field, Limits, decode_flow
from analyzer.detect import Detector, Finding
from analyzer.profile import profile_from_dict

LIMITS = Limits()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "application/x-protobuf",
        "application/grpc",
        "application/xml",
        "application/x-plist",
        "application/x-ndjson",
        "text/plain",
    ]
)
CODINGS = st.sampled_from([None, "gzip", "deflate", "br", "zstd", "identity", "gzip, br", "x"])


def _flow(
    body: bytes | None = None,
    content_type: str | None = None,
    encoding: str | None = None,
    url: str = "https://t.example/",
    headers: list[list[str]] | None = None,
) -> SimpleNamespace:
    return SimpleNamespace(
        id=1,
        url=url,
        request_headers=headers or [],
        request_body=body,
        request_body_truncated=False,
        request_content_type=content_type,
        request_content_encoding=encoding,
    )


def _well_formed(fields: list[Field], notes: list[str]) -> None:
    assert len(fields) <= LIMITS.max_fields
    for field in fields:
        assert isinstance(field.value, str) and field.value
        assert isinstance(field.path, str) and isinstance(field.key, str)
        assert isinstance(field.encoding, str) and field.encoding
        assert field.location in ("query", "path", "header", "cookie", "body", "websocket")
    assert all(isinstance(note, str) for note in notes)


# --- decoders: no exception, text fields, within the caps ------------------------------------


@SETTINGS
@given(body=st.binary(max_size=2000), content_type=CONTENT_TYPES, encoding=CODINGS)
def test_any_bytes_decode_into_text_fields(
    body: bytes, content_type: str | None, encoding: str | None
) -> None:
    _well_formed(*decode_flow(_flow(body, content_type, encoding)))


@SETTINGS
@given(text=st.text(max_size=1000), content_type=CONTENT_TYPES)
def test_any_text_in_every_place_decodes_into_text_fields(
    text: str, content_type: str | None
) -> None:
    flow = _flow(
        text.encode("utf-8", "surrogatepass"),
        content_type,
        url="https://t.example/" + quote(text[:200]) + "?q=" + quote(text[:200]),
        headers=[["X-A", text[:300]], ["Cookie", f"a={text[:300]}"]],
    )
    messages = [SimpleNamespace(from_client=True, is_text=True, content=text)]
    _well_formed(*decode_flow(flow, messages))


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=60,
)


def _string_leaves(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj] if obj else []
    if isinstance(obj, dict):
        return [leaf for value in obj.values() for leaf in _string_leaves(value)]
    if isinstance(obj, list):
        return [leaf for value in obj for leaf in _string_leaves(value)]
    return []


@SETTINGS
@given(value=JSON_VALUES)
def test_any_nested_json_yields_every_string_it_holds(value: Any) -> None:
    body = json.dumps({"data": value, "pad": "padding"}).encode()
    fields, notes = decode_flow(_flow(body, "application/json"))
    _well_formed(fields, notes)
    values = {f.value for f in fields if f.encoding.startswith("json")}
    assert set(_string_leaves(value)) <= values


# --- round trips: the value comes back with its encoding chain -------------------------------

TOKENS = st.text(string.ascii_letters + string.digits + "-_", min_size=6, max_size=40).filter(
    lambda t: t[0].isalnum()
)


def _chains(fields: list[Field], value: str) -> set[str]:
    return {f.encoding for f in fields if f.value == value}


@SETTINGS
@given(token=TOKENS, key=st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True))
def test_a_value_in_json_in_base64_in_a_form_in_gzip_comes_back_with_its_chain(
    token: str, key: str
) -> None:
    inner = json.dumps({key: token, "kind": "event"})
    fields, _ = decode_flow(_flow(inner.encode(), "application/json"))
    assert "json" in _chains(fields, token)
    blob = base64.b64encode(inner.encode()).decode()
    form = f"a=1&payload={quote(blob)}"
    fields, _ = decode_flow(_flow(form.encode(), "application/x-www-form-urlencoded"))
    assert "form>base64>json" in _chains(fields, token)
    fields, _ = decode_flow(_flow(gzip.compress(form.encode()), None, "gzip"))
    assert "gzip>form>base64>json" in _chains(fields, token)
    query = f"https://t.example/p?d={quote(blob)}"
    fields, _ = decode_flow(_flow(url=query))
    assert "base64>json" in _chains(fields, token)


@SETTINGS
@given(token=TOKENS, number=st.integers(2, 500), nested=st.booleans())
def test_a_value_in_protobuf_comes_back_with_its_chain(
    token: str, number: int, nested: bool
) -> None:
    # Encoded by bbpb, an independent protobuf implementation.
    if nested:
        message = {"1": 7, str(number): {"2": token}}
        typedef: dict[str, Any] = {
            "1": {"type": "int"},
            str(number): {"type": "message", "message_typedef": {"2": {"type": "string"}}},
        }
    else:
        message = {"1": 7, str(number): token}
        typedef = {"1": {"type": "int"}, str(number): {"type": "string"}}
    data = blackboxprotobuf.encode_message(message, typedef)
    fields, _ = decode_flow(_flow(data, "application/x-protobuf"))
    path = f"{number}.2" if nested else str(number)
    assert ("protobuf", path) in {(f.encoding, f.path) for f in fields if f.value == token}
    blob = base64.urlsafe_b64encode(gzip.compress(data)).decode()
    fields, _ = decode_flow(_flow(json.dumps({"p": blob}).encode(), "application/json"))
    assert "json>base64url>gzip>protobuf" in _chains(fields, token) or (
        "json>base64>gzip>protobuf" in _chains(fields, token)
    )


# --- the known-value matcher -------------------------------------------------------------------


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 0:  # from the right, every second digit of the payload doubles
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return str(-total % 10)


IMEIS = st.from_regex(r"[0-9]{14}", fullmatch=True).map(lambda d: d + _luhn_digit(d))
UUIDS = st.uuids().map(str)
EMAILS = st.from_regex(r"[a-z][a-z0-9._]{2,15}@[a-z]{2,12}\.(com|org|de|io)", fullmatch=True)
MACS = st.binary(min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02x}" for x in b))
WORDS = st.text(string.ascii_letters + " ,;()", max_size=80)


def _digest(name: str, text: str) -> str:
    return hashlib.new(name, text.encode()).hexdigest()


# How a value is hidden -> the encoding chain a finding must report.
HIDE = {
    "plain": lambda v: v,
    "upper": lambda v: v.upper(),
    "url": lambda v: quote(v, safe=""),
    "base64": lambda v: base64.b64encode(v.encode()).decode(),
    "base64-unpadded": lambda v: base64.urlsafe_b64encode(v.encode()).decode().rstrip("="),
    "hex": lambda v: v.encode().hex(),
    "md5": lambda v: _digest("md5", v),
    "sha1": lambda v: _digest("sha1", v).upper(),
    "sha256": lambda v: _digest("sha256", v),
    "md5>sha256": lambda v: _digest("sha256", _digest("md5", v)),
    "sha256-of-upper": lambda v: _digest("sha256", v.upper()),
}
CHAIN = {
    "upper": "plain",
    "base64-unpadded": "base64",
    "sha256-of-upper": "sha256",
}


def _in_text(hidden: str, before: str, after: str, place: str) -> SimpleNamespace:
    """``hidden`` inside random words, in a JSON string, a query value or a header."""
    text = f"x{before} {hidden} {after}"
    if place == "json":
        return _flow(json.dumps({"note": text}).encode(), "application/json")
    if place == "query":
        return _flow(url="https://t.example/p?note=" + quote(text))
    return _flow(headers=[["X-Note", text]])


def _known(findings: list[Finding], prop: str) -> list[Finding]:
    return [f for f in findings if f.method == "known-value" and f.property == prop]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    prop=st.sampled_from(["imei", "advertisingId", "email", "macAddress"]),
    how=st.sampled_from(sorted(HIDE)),
    before=WORDS,
    after=WORDS,
    place=st.sampled_from(["json", "query", "header"]),
)
def test_a_known_value_hidden_in_any_variant_anywhere_is_found(
    data: st.DataObject, prop: str, how: str, before: str, after: str, place: str
) -> None:
    value = data.draw(
        {"imei": IMEIS, "advertisingId": UUIDS, "email": EMAILS, "macAddress": MACS}[prop]
    )
    detector = Detector(profile_from_dict({"known": {prop: value}}))
    hidden = HIDE[how](value)
    findings = detector.detect(_in_text(hidden, before, after, place))
    location = {"json": "body", "query": "query", "header": "header"}[place]
    chain = CHAIN.get(how, how) if hidden != value else "plain"  # digits URL-encode as is
    # In JSON the chain starts with the body's "json" step; the hiding comes after it.
    found = {
        "plain" if f.encoding == "json" else f.encoding.removeprefix("json>")
        for f in _known(findings, prop)
    }
    assert found, f"{prop} {value!r} hidden as {how}: {hidden!r} not found"
    assert {f.location for f in _known(findings, prop)} == {location}
    if how != "url" or place == "json":  # a query value arrives percent-decoded: plain
        assert chain in found or f"url>{chain}" in found, found


@SETTINGS
@given(
    # Degrees x 1e6, at least 1 degree from 0 (0.xx matches too much to be known).
    lat=st.integers(1_000_000, 89_999_999) | st.integers(-89_999_999, -1_000_000),
    lon=st.integers(1_000_000, 179_999_999) | st.integers(-179_999_999, -1_000_000),
    places=st.integers(2, 7),
    before=WORDS,
)
def test_coordinates_rounded_to_any_precision_are_found_as_a_pair(
    lat: int, lon: int, places: int, before: str
) -> None:
    latitude, longitude = (str(Decimal(n).scaleb(-6)) for n in (lat, lon))
    detector = Detector(
        profile_from_dict({"known": {"latitude": latitude, "longitude": longitude}})
    )
    quantum = Decimal(1).scaleb(-places)
    shown = [
        str(Decimal(v).quantize(quantum, rounding=ROUND_HALF_UP)) for v in (latitude, longitude)
    ]
    body = json.dumps({"note": f"x{before} at {shown[0]},{shown[1]} now"}).encode()
    findings = detector.detect(_flow(body, "application/json"))
    assert _known(findings, "latitude") and _known(findings, "longitude")


PROFILE_VALUES = {
    "imei": "356938035643809",
    "advertisingId": "6a1c1487-a0af-4223-b142-a0f4621d0311",
    "email": "tester@example.org",
    "macAddress": "02:1a:0b:03:44:05",
    "phoneNumber": "+49 151 23456789",
    "latitude": "52.235",
    "longitude": "10.564",
}
FIXED = Detector(profile_from_dict({"known": PROFILE_VALUES}))


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(string.printable, max_size=400) | st.text(max_size=200),
    place=st.sampled_from(["json", "query", "header", "raw"]),
)
def test_random_text_without_the_values_has_no_known_value_finding(text: str, place: str) -> None:
    # Hypothesis also draws the string constants of this module: the values themselves.
    assume(not any(value in text for value in PROFILE_VALUES.values()))
    assume("52.23" not in text or "10.56" not in text)
    # The phone number's digits-only and national forms are variants too (hypothesis found one).
    assume("15123456789" not in text)
    if place == "raw":
        flow = _flow(text.encode("utf-8", "surrogatepass"))
    else:
        flow = _in_text(text, "", "", place)
    assert _known(FIXED.detect(flow), "imei") == []
    assert [f for f in FIXED.detect(flow) if f.method == "known-value"] == []
