"""Legacy charsets: declared, marked by a BOM, or detected; the real text, never U+FFFD.

Values are invented names and places in the scripts of the markets leakmap is about.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote, quote_plus

import pytest

from analyzer.decode.charset import (
    codec_name,
    decode_escaped,
    decode_text,
    detect_charset,
    unescape_stored,
    unquote_text,
)
from analyzer.detect import Detector
from analyzer.profile import profile_from_dict
from analyzer.store.records import decode_headers, storable
from tests.support.decode import by_path, decoded, flow, values

# (label as an app declares it, Python codec, text): long enough to tell apart by detection.
SAMPLES = [
    ("GBK", "gbk", "陈小红的手机在上海市浦东新区世纪大道"),
    ("GB18030", "gb18030", "广州市天河区体育西路的咖啡店"),
    ("Big5", "big5", "臺北市大安區忠孝東路四段的書店"),
    ("Shift_JIS", "shift_jis", "佐藤健の携帯電話は大阪市北区にあります"),
    ("EUC-KR", "euc_kr", "박서연의 휴대폰은 서울특별시 강남구에 있습니다"),
    ("windows-1251", "cp1251", "Мария Иванова живёт в Новосибирске"),
    ("KOI8-R", "koi8_r", "Дмитрий Соколов из Екатеринбурга"),
    ("windows-1256", "cp1256", "محمد عبد الله من القاهرة الجديدة"),
    ("windows-1253", "cp1253", "Γιώργος Παπαδόπουλος από τη Θεσσαλονίκη"),
]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("GBK", "gbk"),
        ("gb2312", "gb2312"),
        ('"Shift_JIS"', "shift_jis"),
        ("euc-kr", "euc_kr"),
        ("ISO-8859-1", "iso8859_1"),
        ("windows-1252", "cp1252"),
        ("utf8", "utf_8"),
        ("base64", None),  # a codec, but no charset
        ("no-such-charset", None),
        ("", None),
    ],
)
def test_charset_labels(label: str, expected: str | None) -> None:
    assert codec_name(label) == expected


@pytest.mark.parametrize(("label", "codec", "text"), SAMPLES)
def test_declared_and_detected_charsets_read_the_text(label: str, codec: str, text: str) -> None:
    data = text.encode(codec)
    declared = decode_text(data, codec_name(label))
    assert declared is not None and declared.text == text and declared.charset
    found = decode_text(data)  # no declaration: detected
    assert found is not None and found.text == text, (found, detect_charset(data))


def test_bom_and_utf8_come_before_a_declaration() -> None:
    found = decode_text(b"\xff\xfe" + '{"n": "李"}'.encode("utf-16-le"), codec_name("gbk"))
    assert found is not None and found.text == '{"n": "李"}' and found.charset == "utf-16"
    # A Latin-1 label is a library default: valid UTF-8 with non-ASCII text is UTF-8.
    found = decode_text("Zoë Müller".encode(), codec_name("ISO-8859-1"))
    assert found is not None and (found.text, found.charset) == ("Zoë Müller", "")
    found = decode_text("Zoë Müller".encode("latin-1"), codec_name("ISO-8859-1"))
    assert found is not None and (found.text, found.charset) == ("Zoë Müller", "iso-8859-1")


def test_random_bytes_are_never_text() -> None:
    for size in (16, 64, 4096):
        assert decode_text(os.urandom(size)) is None or size == 16  # 16 bytes may be UTF-8


def test_query_values_are_detected_together() -> None:
    # Each value alone is too short to tell GBK from KOI8-R; the query's values together are not.
    parts = ["张伟", "小明的手机", "北京市"]
    items = [quote(part, encoding="gbk") for part in parts]
    decoded_items, codec = decode_escaped(items, None, plus=False)
    assert [item.text for item in decoded_items if item] == parts
    assert codec in ("gbk", "gb18030", "gb2312")


def test_gbk_query_string_without_charset_decodes_to_the_real_text() -> None:
    query = "&".join(
        f"{name}={quote(value, encoding='gbk')}"
        for name, value in (("nick", "陈小红"), ("ssid", "陈家的网络5G"), ("city", "上海市浦东"))
    )
    fields, notes = decoded(flow(b"", None, url=f"https://stat.example.cn/p?{query}&v=3"))
    found = by_path(fields, "query")
    assert found["nick"].value == "陈小红"
    assert found["ssid"].value == "陈家的网络5G"
    assert found["nick"].encoding in ("gb18030", "gbk")  # the chain names the charset
    assert found["v"].value == "3" and found["v"].encoding == "plain"
    assert notes == []
    # The query as sent is kept too, for matching values in their percent-encoded bytes.
    assert [f.value for f in fields if f.raw and f.location == "query"] == [f"{query}&v=3"]


@pytest.mark.parametrize(("label", "codec", "text"), SAMPLES)
def test_a_form_body_in_its_declared_charset(label: str, codec: str, text: str) -> None:
    body = f"name={quote_plus(text, encoding=codec)}&ok=1".encode()
    content_type = f"application/x-www-form-urlencoded; charset={label}"
    fields, notes = decoded(flow(body, content_type))
    found = by_path(fields, "body")
    assert found["name"].value == text
    assert found["name"].encoding.startswith("form>")
    assert found["ok"].encoding == "form"
    assert notes == []


@pytest.mark.parametrize(("label", "codec", "text"), SAMPLES[:5])
def test_raw_json_and_text_bodies_in_a_legacy_charset(label: str, codec: str, text: str) -> None:
    body = json.dumps({"device": {"name": text}}, ensure_ascii=False).encode(codec)
    fields, _ = decoded(flow(body, f"application/json; charset={label}"))
    assert by_path(fields)["device.name"].value == text
    # Undeclared: detected over the whole body.
    fields, _ = decoded(flow(body, "application/json"))
    assert by_path(fields)["device.name"].value == text
    fields, _ = decoded(flow(text.encode(codec), f"text/plain; charset={label}"))
    assert [f.value for f in fields if f.location == "body"] == [text]


def test_a_multipart_part_in_the_forms_charset() -> None:
    text = "佐藤健の携帯電話"
    body = (
        b'--b0\r\nContent-Disposition: form-data; name="owner"\r\n'
        b"Content-Type: text/plain; charset=Shift_JIS\r\n\r\n" + text.encode("shift_jis") + b"\r\n"
        b'--b0\r\nContent-Disposition: form-data; name="memo"\r\n\r\n'
        + "大阪市北区の店".encode("shift_jis")
        + b"\r\n--b0--\r\n"
    )
    fields, _ = decoded(flow(body, "multipart/form-data; boundary=b0; charset=Shift_JIS"))
    found = by_path(fields, "body")
    assert found["owner"].value == text
    assert found["memo"].value == "大阪市北区の店"


def test_bytes_no_charset_reads_stay_as_sent_with_a_note() -> None:
    url = "https://t.example.net/p?blob=%00%FF%FE%01%80&n=1"
    fields, notes = decoded(flow(b"", None, url=url))
    assert values(fields, "blob", "query") == {"plain": "%00%FF%FE%01%80"}
    assert any("no charset known here" in note for note in notes), notes
    assert unquote_text("%00%FF%FE%01%80") is None
    assert unquote_text("caf%C3%A9") == ("café", "")


def test_the_profile_finds_values_sent_in_gbk_and_big5() -> None:
    # (Values of 6+ characters: shorter ones are the known-value matcher's "weak" kind.)
    profile = profile_from_dict(
        {
            "known": {
                "personName": "欧阳志远同学",
                "wifiSsid": "欧阳家的网络",
                "deviceName": "張志遠的手機",
            }
        }
    )
    detector = Detector(profile)
    query = f"u={quote('欧阳志远同学', encoding='gbk')}&s={quote('欧阳家的网络', encoding='gbk')}"
    body = f"dn={quote_plus('張志遠的手機', encoding='big5')}".encode()
    row = flow(
        body,
        "application/x-www-form-urlencoded; charset=Big5",
        url=f"https://a.example.cn/r?{query}",
    )
    found = {(f.property, f.location): f for f in detector.detect(row)}
    assert found[("personName", "query")].value == "欧阳志远同学"
    assert found[("wifiSsid", "query")].value == "欧阳家的网络"
    assert found[("deviceName", "body")].value == "張志遠的手機"
    assert found[("deviceName", "body")].encoding == "form>big5"


def test_raw_legacy_bytes_in_headers_and_urls_as_the_store_keeps_them() -> None:
    # The store keeps invalid UTF-8 visible: \xNN in header values, \udcNN in URLs (mitmproxy's
    # surrogateescape); both are read back as the bytes they were, in the detected charset.
    name = "林小雨的手机"
    headers = decode_headers(((b"X-Device-Name", name.encode("gbk")),))
    url = "https://a.example.cn/u?dn=" + name.encode("gbk").decode("utf-8", "surrogateescape")
    row = flow(b"", None, url=storable(url) or "", headers=headers)
    fields, _ = decoded(row)
    assert values(fields, "x-device-name", "header") == {"gb18030": name}
    assert values(fields, "dn", "query") == {"gb18030": name}
    assert unescape_stored("C:\\x41\\path") is None  # no byte >= 0x80: no escape of ours
