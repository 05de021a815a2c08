"""HAR files as real exporters write them: every body form, compression left in, broken
responses, text encodings, tunnels, WebSocket messages (analyzer/importer/har*.py).

Inputs are built here with invented values, in the form each exporter writes (docs/import.md);
the real exporters' files from mitmproxy's test data (MIT, tests/data/mitmproxy/LICENSE) are
read at the end.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard

from analyzer.errors import LeakmapError
from analyzer.importer import read_records
from analyzer.importer.notes import ImportNotes
from analyzer.store import records as rec

DATA = Path(__file__).parent / "data" / "mitmproxy"

# A protobuf message: field 1 "android", field 2 an advertising ID, field 4 = 150, field 2 of a
# nested message = 12345 (varints and tags are control bytes; 0x96 is a C1 control character).
AD_ID = "9b2f6c1e-4d7a-4e3b-8c5f-1a2b3c4d5e6f"
PROTOBUF = b"\x0a\x07android\x12\x24" + AD_ID.encode() + b"\x20\x96\x01\x2a\x03\x10\xb9\x60"
FORM = "email=ana.tester%40example.net&lat=48.137&os=android+14"
JSON_BODY = '{"imei":"490154203237518","name":"Ana Müller","city":"Köln"}'


def entry(
    url: str = "https://collect.example-sdk.net/v2/batch?k=1",
    *,
    method: str = "POST",
    headers: list[Any] | None = None,
    post: dict[str, Any] | None = None,
    response: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "headers": headers or [],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": -1,
    }
    if post is not None:
        request["postData"] = post
    request.update(extra.pop("request_extra", {}))
    return {
        "startedDateTime": "2026-02-03T09:10:11.250+01:00",
        "time": 42,
        "request": request,
        "response": response
        if response is not None
        else {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [],
              "cookies": [], "content": {"size": 2, "mimeType": "application/json",
                                         "text": "{}"}, "redirectURL": "", "headersSize": -1,
              "bodySize": 2},
        "cache": {},
        "timings": {"send": 1, "wait": 40, "receive": 1},
        "serverIPAddress": "203.0.113.7",
        **extra,
    }  # fmt: skip


def har(tmp_path: Path, entries: list[Any], creator: str = "Example Exporter", **log: Any) -> Path:
    path = tmp_path / "export.har"
    document = {
        "log": {"version": "1.2", "creator": {"name": creator, "version": "1"}, **log,
                "entries": entries}
    }  # fmt: skip
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def read(path: Path) -> tuple[list[rec.Record | None], list[str]]:
    notes = ImportNotes(path.name)
    records = list(read_records(path, notes))
    return records, notes.lines()


def only_flow(path: Path) -> tuple[rec.FlowRecord, list[str]]:
    records, notes = read(path)
    flows = [r for r in records if isinstance(r, rec.FlowRecord)]
    assert len(flows) == 1
    return flows[0], notes


def ct(value: str) -> list[dict[str, str]]:
    return [{"name": "Content-Type", "value": value}]


# --- request bodies in every form ------------------------------------------------------------


def _latin1(data: bytes) -> str:
    return data.decode("latin-1")


@pytest.mark.parametrize(
    ("creator", "headers", "post", "expected"),
    [
        # Chrome, Firefox, Insomnia: text as text
        ("WebInspector", ct("application/json"), {"mimeType": "application/json",
         "text": JSON_BODY}, JSON_BODY.encode()),
        # Reqable and the HAR 1.3 draft: base64 under "encoding"
        ("Reqable", ct("application/x-protobuf"), {"mimeType": "application/x-protobuf",
         "text": base64.b64encode(PROTOBUF).decode(), "encoding": "base64"}, PROTOBUF),
        # older leakmap and several proxies: "_encoding"; marker in capitals, line breaks
        ("leakmap", [], {"mimeType": "application/octet-stream",
         "text": base64.encodebytes(PROTOBUF).decode(), "_encoding": "Base64"}, PROTOBUF),
        # URL-safe alphabet without padding
        ("Some Proxy", [], {"mimeType": "", "encoding": "base64",
         "text": base64.urlsafe_b64encode(b"\xfb\xff\xfe" + PROTOBUF).decode().rstrip("=")},
         b"\xfb\xff\xfe" + PROTOBUF),
        # mitmproxy's savehar: bytes as latin-1 code points (no charset for this type)
        ("mitmproxy", ct("application/x-www-form-urlencoded"),
         {"mimeType": "application/x-www-form-urlencoded", "text": _latin1(PROTOBUF),
          "params": [{"name": _latin1(PROTOBUF), "value": ""}]}, PROTOBUF),
        # mitmproxy: UTF-8 read as latin-1 (no charset, not JSON) comes back as the UTF-8 bytes
        ("mitmproxy", ct("text/plain"), {"mimeType": "text/plain",
         "text": _latin1("Grüße aus Köln".encode())}, "Grüße aus Köln".encode()),
        # mitmproxy: JSON is UTF-8 text
        ("mitmproxy", ct("application/json"), {"mimeType": "application/json",
         "text": JSON_BODY}, JSON_BODY.encode()),
        # mitmproxy's fallback for bytes its charset cannot decode: UTF-8 surrogate escapes
        ("mitmproxy", ct("application/json"), {"mimeType": "application/json",
         "text": (b'{"k":"\xff\xfe"}').decode("utf-8", "surrogateescape")}, b'{"k":"\xff\xfe"}'),
        # ProxyPin and other exporters writing one character per byte, no marker
        ("ProxyPin", ct("application/octet-stream"), {"mimeType": "application/octet-stream",
         "text": _latin1(PROTOBUF)}, PROTOBUF),
        # Latin text written as text is sent as UTF-8, not one byte per character
        ("Firefox", ct("text/plain"), {"mimeType": "text/plain", "text": "Größe: 42 – ok"},
         "Größe: 42 – ok".encode()),
        # a declared legacy charset: the text is encoded back by it
        ("Firefox", ct("application/x-www-form-urlencoded; charset=GBK"),
         {"mimeType": "application/x-www-form-urlencoded; charset=GBK", "text": "ssid=王家的网络"},
         "ssid=王家的网络".encode("gbk")),
        ("Charles Proxy", ct("text/plain; charset=windows-1251"),
         {"mimeType": "text/plain; charset=windows-1251", "text": "имя=Анна"},
         "имя=Анна".encode("cp1251")),
    ],
    ids=["text", "base64", "_encoding", "base64url", "mitm-latin1", "mitm-mojibake",
         "mitm-json", "mitm-surrogates", "code-points", "latin-text", "gbk", "cp1251"],
)  # fmt: skip
def test_request_body_forms_give_back_the_bytes_sent(
    tmp_path: Path, creator: str, headers: list[Any], post: dict[str, Any], expected: bytes
) -> None:
    flow, notes = only_flow(har(tmp_path, [entry(headers=headers, post=post)], creator))
    assert flow.request_body == expected
    assert notes == []


def test_http_toolkit_content_of_a_body_har_cannot_hold(tmp_path: Path) -> None:
    body = entry(request_extra={
        "_requestBodyStatus": "discarded:not-representable",
        "_content": {"text": base64.b64encode(PROTOBUF).decode(), "size": len(PROTOBUF),
                     "encoding": "base64"},
    })  # fmt: skip
    flow, notes = only_flow(har(tmp_path, [body], "HTTP Toolkit"))
    assert flow.request_body == PROTOBUF and notes == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Firefox and BrowserMob write values raw: encoded here
        ([{"name": "email", "value": "ana.tester@example.net"}, {"name": "q", "value": "a b&c"}],
         b"email=ana.tester@example.net&q=a+b%26c"),
        # Chrome writes them URL-encoded already: not encoded twice
        ([{"name": "email", "value": "ana.tester%40example.net"}, {"name": "n", "value": "1"}],
         b"email=ana.tester%40example.net&n=1"),
        # [name, value] pairs
        ([["device", "Pixel 8"]], b"device=Pixel+8"),
    ],
)  # fmt: skip
def test_params_only_form_is_rebuilt(tmp_path: Path, params: list[Any], expected: bytes) -> None:
    post = {"mimeType": "application/x-www-form-urlencoded", "params": params}
    flow, _ = only_flow(har(tmp_path, [entry(post=post)], "BrowserMob Proxy"))
    assert flow.request_body == expected
    assert flow.request_content_type == "application/x-www-form-urlencoded"


def test_params_only_multipart_is_rebuilt_and_a_missing_file_noted(tmp_path: Path) -> None:
    post = {"mimeType": "multipart/form-data", "params": [
        {"name": "advertising_id", "value": AD_ID},
        {"name": "upload", "fileName": "contacts.vcf", "contentType": "text/vcard"},
    ]}  # fmt: skip
    flow, notes = only_flow(har(tmp_path, [entry(post=post)], "Postman"))
    assert flow.request_content_type == "multipart/form-data; boundary=leakmap-har-params"
    assert b'name="advertising_id"\r\n\r\n' + AD_ID.encode() in flow.request_body
    assert b'filename="contacts.vcf"' in flow.request_body
    assert any("file field 'upload' without its content" in n for n in notes)


def test_post_data_mime_type_serves_where_the_request_has_no_content_type(
    tmp_path: Path,
) -> None:
    post = {"mimeType": "application/json; charset=utf-8", "text": JSON_BODY}
    flow, _ = only_flow(har(tmp_path, [entry(post=post)]))
    assert flow.request_content_type == "application/json; charset=utf-8"
    row = rec.flow_row(flow, 1, rec.Limits())
    assert row["request_content_type"] == "application/json; charset=utf-8"
    with_header = entry(headers=ct("text/plain"), post=post)
    flow, _ = only_flow(har(tmp_path, [with_header]))
    assert rec.flow_row(flow, 1, rec.Limits())["request_content_type"] == "text/plain"


# --- bytes lost before leakmap saw the file: noted ------------------------------------------


@pytest.mark.parametrize(
    ("request_side", "note"),
    [
        # PCAPdroid, Chrome and old HTTP Toolkit decode bytes as UTF-8 with replacements
        ({"postData": {"mimeType": "application/octet-stream",
                       "text": "\x00\x00\ufffdH#*\ufffd\ufffd"}}, "U+FFFD replacement"),
        ({"postData": {"mimeType": "application/json", "text": "{not base64!}",
                       "encoding": "base64"}}, "marked base64 is not base64: analysed as text"),
        ({"postData": {"mimeType": "text/plain", "text": "abc", "encoding": "quoted-printable"}},
         "unknown encoding 'quoted-printable'"),
        ({"bodySize": 2048}, "request body of 2048 bytes is not in the file"),
        ({"_requestBodyStatus": "discarded:too-large"}, "left out by the exporter"),
        ({"postData": {"mimeType": "text/plain", "text": "part", "_truncated": True}},
         "cut short by the exporter"),
    ],
    ids=["replacement", "false-base64", "unknown-encoding", "missing", "discarded", "truncated"],
)  # fmt: skip
def test_what_an_exporter_lost_is_noted_with_the_entry(
    tmp_path: Path, request_side: dict[str, Any], note: str
) -> None:
    one = entry()
    one["request"].update(request_side)
    flow, notes = only_flow(har(tmp_path, [one]))
    assert len(notes) == 1 and note in notes[0]
    assert "entry 1 (POST https://collect.example-sdk.net/v2/batch)" in notes[0]
    assert "k=1" not in notes[0]  # query strings (personal values) stay out of notes
    if "postData" in request_side:
        assert flow.request_body  # the text is still analysed


def test_many_entries_with_one_problem_give_one_note_with_a_count(tmp_path: Path) -> None:
    entries = [entry(f"https://e{n}.example.org/p", request_extra={"bodySize": 10 + n})
               for n in range(40)]  # fmt: skip
    for one in entries:
        one["request"].pop("postData", None)
    _records, notes = read(har(tmp_path, entries))
    assert len(notes) == 40  # each size differs: one kind each
    same = [entry(f"https://e{n}.example.org/p", request_extra={"bodySize": 99})
            for n in range(40)]  # fmt: skip
    _records, notes = read(har(tmp_path, same))
    assert len(notes) == 1 and "(40 times, e.g. entry 1 (POST https://e0.example.org/p)" in notes[0]


# --- compression left in a "decoded" body ----------------------------------------------------


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


COMPRESSORS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,  # zlib-wrapped, as RFC 9110 says
    "deflate-raw": _raw_deflate,  # declared "deflate", sent raw (some clients)
    "br": brotli.compress,
    "zstd": zstandard.ZstdCompressor().compress,
}


@pytest.mark.parametrize("form", ["base64", "code-points"])
@pytest.mark.parametrize("coding", sorted(COMPRESSORS))
def test_a_body_still_compressed_keeps_its_coding(tmp_path: Path, coding: str, form: str) -> None:
    packed = COMPRESSORS[coding](JSON_BODY.encode())
    declared = "deflate" if coding == "deflate-raw" else coding
    if form == "base64":
        post = {"mimeType": "application/json", "text": base64.b64encode(packed).decode(),
                "encoding": "base64"}  # fmt: skip
    else:
        post = {"mimeType": "application/json", "text": packed.decode("latin-1")}
    headers = [*ct("application/json"), {"name": "Content-Encoding", "value": declared}]
    flow, notes = only_flow(har(tmp_path, [entry(headers=headers, post=post)], "BrowserMob"))
    assert flow.request_body == packed
    assert rec.flow_row(flow, 1, rec.Limits())["request_content_encoding"] == declared
    assert notes == []


def test_a_chain_of_codings_is_kept(tmp_path: Path) -> None:
    packed = brotli.compress(gzip.compress(JSON_BODY.encode()))
    headers = [{"name": "content-encoding", "value": "gzip, br"}]
    post = {"mimeType": "application/json", "text": base64.b64encode(packed).decode(),
            "encoding": "base64"}  # fmt: skip
    flow, _ = only_flow(har(tmp_path, [entry(headers=headers, post=post)]))
    assert flow.request_coding == "gzip, br"


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd", "deflate"])
def test_a_decoded_body_under_a_content_encoding_header_is_taken_as_decoded(
    tmp_path: Path, coding: str
) -> None:
    """Chrome and mitmproxy write the decoded body and keep the header."""
    headers = [{"name": "Content-Encoding", "value": coding}]
    post = {"mimeType": "application/json", "text": JSON_BODY}
    flow, notes = only_flow(har(tmp_path, [entry(headers=headers, post=post)], "WebInspector"))
    assert flow.request_body == JSON_BODY.encode()
    assert rec.flow_row(flow, 1, rec.Limits())["request_content_encoding"] is None
    assert notes == []


def test_a_corrupt_compressed_body_is_noted(tmp_path: Path) -> None:
    broken = gzip.compress(JSON_BODY.encode())[:12] + b"\x00" * 20
    headers = [{"name": "Content-Encoding", "value": "gzip"}]
    post = {"mimeType": "application/json", "text": base64.b64encode(broken).decode(),
            "encoding": "base64"}  # fmt: skip
    flow, notes = only_flow(har(tmp_path, [entry(headers=headers, post=post)]))
    assert flow.request_coding is None and flow.request_body == broken
    assert len(notes) == 1 and "looks compressed but cannot be decompressed" in notes[0]


# --- responses are not analysed: never a reason to refuse a file -----------------------------


@pytest.mark.parametrize(
    "response",
    [
        {"status": 200, "headers": [], "content": {"size": 11, "mimeType": "application/json",
                                                   "text": '{"ok":true}', "encoding": "base64"}},
        {"status": 200, "headers": [], "content": {"size": "eleven", "text": 5}},
        {"status": "200", "headers": "none", "content": "text"},
        {"status": 200, "headers": [{"nom": "x"}], "bodySize": "big",
         "content": {"size": -7, "compression": "yes", "text": "{}"}},
        "not an object",
    ],
    ids=["false-base64", "text-not-string", "wrong-types", "bad-sizes", "not-object"],
)  # fmt: skip
def test_a_broken_response_keeps_the_entry_and_notes_it(tmp_path: Path, response: Any) -> None:
    url = "https://api.example-shop.test/v1/track?email=ana.tester%40example.net"
    flow, notes = only_flow(har(tmp_path, [entry(url, method="GET", response=response)]))
    assert flow.url == url  # the request's values reach detection
    if response != {"status": 200, "headers": [{"nom": "x"}], "bodySize": "big",
                    "content": {"size": -7, "compression": "yes", "text": "{}"}}:  # fmt: skip
        assert notes and "responses are not analysed" in " ".join(notes)


@pytest.mark.parametrize(
    ("broken", "detail"),
    [
        ({"request": {"url": None}}, "request.url is not a text"),
        ({"request": {"url": "https://a.example/x", "method": 7}}, "request.method"),
        ({"request": None}, "no request object"),
        ({"request": {"url": "https://a.example/x", "method": "POST",
                      "postData": {"text": 12}}}, "postData.text is not a text"),
    ],
)  # fmt: skip
def test_a_broken_request_refuses_the_file_naming_the_entry(
    tmp_path: Path, broken: dict[str, Any], detail: str
) -> None:
    bad = entry("https://bad.example.org/path?imei=1")
    for key, value in broken.items():
        if isinstance(value, dict) and isinstance(bad.get(key), dict):
            bad[key] = {**bad[key], **value}
        else:
            bad[key] = value
    path = har(tmp_path, [entry(), bad])
    with pytest.raises(LeakmapError) as raised:
        read(path)
    message = str(raised.value)
    assert "export.har: HAR entry 2 is malformed" in message and detail in message
    assert "\n" not in message and "imei=1" not in message


# --- text encodings of the file --------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "bom"),
    [
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
        ("utf-32-be", b"\x00\x00\xfe\xff"),
        ("utf-16-le", b""),  # Windows tools without a BOM
        ("utf-16-be", b""),
    ],
)
def test_utf_8_16_32_files_with_or_without_bom_are_read(
    tmp_path: Path, codec: str, bom: bytes
) -> None:
    document = {"log": {"creator": {"name": "Fiddler"}, "entries": [
        entry(post={"mimeType": "application/json", "text": JSON_BODY})]}}  # fmt: skip
    path = tmp_path / "fiddler.har"
    path.write_bytes(bom + json.dumps(document, ensure_ascii=False).encode(codec))
    flow, notes = only_flow(path)
    assert flow.request_body == JSON_BODY.encode() and notes == []


def test_bytes_that_are_not_utf8_are_kept_in_bodies_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "raw.har"
    text = json.dumps({"log": {"entries": [entry(post={"mimeType": "x", "text": "@@"})]}})
    path.write_bytes(text.encode().replace(b"@@", b"\x08\x96\x01\xff"))
    flow, notes = only_flow(path)
    assert flow.request_body == b"\x08\x96\x01\xff"
    assert len(notes) == 1 and "2 byte(s) of the file are not UTF-8" in notes[0]


# --- connections rather than requests --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "method", "response", "error", "kind", "host", "port"),
    [
        ("pinned.example-bank.com:443", "CONNECT", {"status": 0}, "net::ERR_CERT_AUTHORITY_INVALID",
         rec.TlsFailureRecord, "pinned.example-bank.com", 443),
        ("[2001:db8::5]:8443", "CONNECT", {"status": 0},
         "SSL handshake with client failed: certificate_unknown", rec.TlsFailureRecord,
         "2001:db8::5", 8443),
        ("https://tunnel.example-cdn.net:443/", "CONNECT", {"status": 200}, None,
         rec.ConnectionRecord, "tunnel.example-cdn.net", 443),
        ("refused.example.org:443", "GET", {"status": 502, "statusText": "Bad Gateway"}, None,
         rec.ConnectionRecord, "refused.example.org", 443),
    ],
    ids=["chrome-pinning", "charles-ipv6", "mitmproxy-connect", "no-scheme-502"],
)  # fmt: skip
def test_tunnel_entries_are_connections_or_tls_failures_of_their_host(
    tmp_path: Path, url: str, method: str, response: dict[str, Any], error: str | None,
    kind: type, host: str, port: int,
) -> None:  # fmt: skip
    one = entry(url, method=method, response=response)
    if error:
        one["response"]["_error"] = error
    records, _notes = read(har(tmp_path, [one], "Charles Proxy"))
    (record,) = records
    assert isinstance(record, kind)
    assert record.server_ip == "203.0.113.7" and record.server_port == port
    if isinstance(record, rec.TlsFailureRecord):
        assert record.sni == host and record.side == "client" and record.error == error
        row = rec.tls_failure_row(record, 1)
        assert row["reason"] != "" and row["sni"] == host
    else:
        assert record.host == host


def test_a_decrypted_connect_adds_no_blind_spot(tmp_path: Path) -> None:
    entries = [
        entry("api.example-sdk.net:443", method="CONNECT", response={"status": 200}),
        entry("https://api.example-sdk.net/v1/e", post={"mimeType": "text/plain", "text": "x"}),
    ]
    records, _ = read(har(tmp_path, entries))
    assert records[0] is None and isinstance(records[1], rec.FlowRecord)


def test_http_toolkit_tls_errors_become_tls_failures(tmp_path: Path) -> None:
    errors = [
        {"startedDateTime": "2026-02-03T09:10:11Z", "time": 3, "hostname": "graph.example.com",
         "cause": "cert-rejected", "clientIPAddress": "10.0.0.7", "clientPort": 50100},
        {"startedDateTime": "2026-02-03T09:10:12Z", "cause": "closed"},
    ]  # fmt: skip
    records, _ = read(har(tmp_path, [], "HTTP Toolkit", _tlsErrors=errors))
    first, second = records
    assert isinstance(first, rec.TlsFailureRecord) and first.sni == "graph.example.com"
    assert rec.tls_failure_row(first, 1)["reason"] == "client does not trust the proxy CA"
    assert isinstance(second, rec.TlsFailureRecord) and second.sni is None


def test_entries_that_are_not_network_traffic_are_skipped_and_noted(tmp_path: Path) -> None:
    entries = [entry("data:image/png;base64,iVBORw0KGgo=", method="GET"), entry()]
    records, notes = read(har(tmp_path, entries, "WebInspector"))
    assert records[0] is None and isinstance(records[1], rec.FlowRecord)
    assert notes == ["export.har: entry 1 (GET data:image/png;base64,iVBORw0KGgo=): entries "
                     "with data: URLs are not network traffic: skipped"]  # fmt: skip


# --- WebSocket messages ----------------------------------------------------------------------


def test_websocket_messages_arrive_text_and_binary(tmp_path: Path) -> None:
    socket = entry("wss://rt.example-chat.test/socket.io/?EIO=4&transport=websocket",
                   method="GET", _resourceType="websocket", _webSocketMessages=[
        {"type": "send", "time": 1770106211.5, "opcode": 1,
         "data": '42["register",{"email":"ana.tester@example.net"}]'},
        {"type": "receive", "time": 1770106211.6, "opcode": 1, "data": "40"},
        {"type": "send", "time": 1770106212.0, "opcode": 2,
         "data": base64.b64encode(PROTOBUF).decode()},
        {"type": "send", "time": 1770106212.5, "opcode": 2, "data": "%%% not base64"},
        {"type": "send", "time": 1770106213.0, "opcode": 1, "data": "\udcff\udcfe",
         "encoding": "base64"},
    ])  # fmt: skip
    records, notes = read(har(tmp_path, [socket]))
    flow, *messages = records
    assert isinstance(flow, rec.FlowRecord) and flow.websocket
    assert [m.from_client for m in messages] == [True, False, True, True, True]
    assert messages[0].content == b'42["register",{"email":"ana.tester@example.net"}]'
    assert messages[0].is_text and not messages[2].is_text
    assert messages[2].content == PROTOBUF
    assert messages[3].content == b"%%% not base64"
    assert any("not base64: kept as text" in n for n in notes)


# --- real exporters' files (mitmproxy's test data) -------------------------------------------


def test_mitmproxy_har_gives_the_bytes_of_its_own_dump() -> None:
    """diff_data.har is mitmproxy's savehar of diff_data.mitm: one body is JSON, one protobuf
    that mitmproxy wrote as latin-1 characters after undoing its gzip."""
    from mitmproxy import http
    from mitmproxy.io import FlowReader

    with open(DATA / "flows" / "diff_data.mitm", "rb") as handle:
        dumped = [f for f in FlowReader(handle).stream() if isinstance(f, http.HTTPFlow)]
    records, _notes = read(DATA / "flows" / "diff_data.har")
    flows = [r for r in records if isinstance(r, rec.FlowRecord)]
    assert len(flows) == len(dumped) == 5
    bodies = 0
    for flow, original in zip(flows, dumped, strict=True):
        assert flow.url == original.request.pretty_url
        if original.request.method == "POST":
            assert flow.request_body == original.request.get_content(strict=False)
            bodies += 1
    assert bodies == 2


@pytest.mark.parametrize(
    "name",
    ["chrome.har", "firefox.har", "safari.har", "charles.har", "insomnia.har", "postdata.har",
     "with-bom.har", "head-content-length.har"],
)  # fmt: skip
def test_real_browser_and_proxy_exports_read_without_notes(name: str) -> None:
    records, notes = read(DATA / "har_files" / name)
    flows = [r for r in records if isinstance(r, rec.FlowRecord)]
    document = json.loads((DATA / "har_files" / name).read_text(encoding="utf-8-sig"))
    assert len(flows) == len(document["log"]["entries"])
    assert all(f.host and f.timestamp_start for f in flows)
    assert notes == []
