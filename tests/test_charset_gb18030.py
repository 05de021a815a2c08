"""GB18030 four-byte text and the charset labels real servers send (analyzer/decode/charset.py,
analyzer/detect/charsets.py).

Names with rare Han characters (CJK Extension B and later, outside GBK) need GB18030's four-byte
sequences; a label of GBK or GB2312 does not stop an app from sending them. Values are invented.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote_from_bytes

import pytest

from analyzer.decode.charset import codec_name, decode_text, detect_charset, encode_back
from analyzer.detect import Detector
from analyzer.detect.charsets import legacy_encodings
from analyzer.importer.harbody import Exporter, text_bytes
from analyzer.profile import profile_from_dict
from analyzer.store.records import decode_headers
from tests.support.decode import by_path, decoded, flow

# Invented names, each with a character that only GB18030's four-byte form writes.
RARE_NAMES = ["赵𫖮", "周𬀩宁", "𡃁仔的平板", "钱𠇔", "𨚕阳小区"]


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("x-gbk", "gbk"),
        ("CP936", "gbk"),
        ("gb2312", "gb2312"),
        ("x-sjis", "cp932"),
        ("Windows-31J", "cp932"),
        ("ks_c_5601-1987", "euc_kr"),
        ("ks_c_5601-1989", "euc_kr"),
        ("windows-949", "cp949"),
        ("Big5-HKSCS", "big5hkscs"),
        ("x-x-big5", "big5"),
        ("x-euc-jp", "euc_jp"),
        ("windows-874", "cp874"),
        ("x-cp1251", "cp1251"),
        ("unicode-1-1-utf-8", "utf_8"),
        ("x-mac-cyrillic", "mac_cyrillic"),
        ("x-no-such-charset", None),
        ("rot13", None),  # a codec, but no charset
    ],
)
def test_labels_servers_send_are_honoured(label: str, codec: str | None) -> None:
    assert codec_name(label) == codec


@pytest.mark.parametrize("label", ["GB18030", "GBK", "gb2312", "x-gbk", "cp936", "chinese"])
@pytest.mark.parametrize("name", RARE_NAMES)
def test_four_byte_text_under_any_chinese_label_is_read(label: str, name: str) -> None:
    data = json.dumps({"realName": name, "n": 1}, ensure_ascii=False).encode("gb18030")
    assert re.search(rb"[\x81-\xfe][\x30-\x39][\x81-\xfe][\x30-\x39]", data)  # four-byte form
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")  # what the label alone would have read it with
    found = decode_text(data, codec_name(label))
    assert found is not None and json.loads(found.text)["realName"] == name
    assert found.charset  # the chain names a legacy charset


@pytest.mark.parametrize("name", RARE_NAMES)
def test_undeclared_four_byte_names_are_detected(name: str) -> None:
    raw = name.encode("gb18030")
    assert detect_charset(raw) == "gb18030"
    found = decode_text(raw)
    assert found is not None and found.text == name


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Größe 1 Äpfel 2", "cp1252"),
        ("Привет 12 мир", "cp1251"),
        ("王小明", "big5"),
        ("山田花子", "cp932"),
        ("박서연", "cp949"),
    ],
)
def test_other_charsets_with_digits_are_not_taken_for_gb18030(text: str, codec: str) -> None:
    raw = text.encode(codec)
    if codec != "big5":  # short Big5 is GBK-compatible bytes: either reading is the detector's
        assert detect_charset(raw) != "gb18030"
    found = decode_text(raw)
    assert found is None or all(not "\U00020000" <= ch <= "\U000323af" for ch in found.text)


def test_a_gbk_label_encodes_four_byte_text_back() -> None:
    name = RARE_NAMES[0]
    assert encode_back(name, "x-gbk") == name.encode("gb18030")
    assert encode_back(name, "GB2312") == name.encode("gb18030")
    assert encode_back("3 €", "iso-8859-1") == b"3 \x80"  # browsers decode Latin-1 as cp1252
    assert encode_back("\x81\x9d", "iso-8859-1") == b"\x81\x9d"  # bytes cp1252 leaves undefined
    assert encode_back("abc", "no-such") is None
    assert encode_back("王", "koi8-r") is None


def test_legacy_renderings_include_the_four_byte_form() -> None:
    name = RARE_NAMES[1]
    rendered = dict(legacy_encodings(name))
    assert rendered["gb18030"] == name.encode("gb18030")
    assert "gbk" not in rendered  # GBK cannot write it
    common = dict(legacy_encodings("周宁"))
    assert common["gbk"] == "周宁".encode("gbk") and "gb18030" not in common  # same bytes


def test_the_profile_finds_four_byte_names_in_every_place() -> None:
    person, device = "孙𬸚", "𠮶山的电脑"
    detector = Detector(profile_from_dict({"known": {"personName": person, "deviceName": device}}))
    query = f"u={quote_from_bytes(person.encode('gb18030'))}&v=2"
    rows = {
        "declared json": flow(
            json.dumps({"nick": person, "pc": device}, ensure_ascii=False).encode("gb18030"),
            "application/json; charset=GBK",
        ),
        "undeclared pairs": flow(
            f"用户:{person};电脑:{device};版本:3".encode("gb18030"), "text/plain"
        ),
        "query": flow(b"", None, url=f"https://p.example.cn/t?{query}"),
        "raw header": flow(
            b"",
            None,
            headers=decode_headers(((b"X-Owner", person.encode("gb18030")),)),
        ),
    }
    for where, row in rows.items():
        found = {f.property: f for f in detector.detect(row)}
        assert found["personName"].value == person, where
        assert "gb18030" in found["personName"].encoding or where == "declared json", where
    pairs = {f.property: f for f in detector.detect(rows["undeclared pairs"])}
    assert pairs["deviceName"].path == "电脑" and pairs["deviceName"].encoding == "gb18030>pairs"


def test_a_declared_gbk_body_with_four_byte_names_decodes_without_notes() -> None:
    body = f"name={quote_from_bytes('吴𫟦'.encode('gb18030'))}&city=%B3%C9%B6%BC".encode()
    fields, notes = decoded(flow(body, "application/x-www-form-urlencoded; charset=GB2312"))
    found = by_path(fields, "body")
    assert found["name"].value == "吴𫟦" and found["city"].value == "成都"
    assert notes == []


@pytest.mark.parametrize("label", ["GBK", "x-gbk", "gb2312", "CP936"])
def test_a_har_body_decoded_by_a_gbk_label_gets_its_four_byte_bytes_back(label: str) -> None:
    # Firefox and Fiddler write postData.text decoded by the declared charset.
    text = json.dumps({"nick": "冯𬞟", "city": "佛山"}, ensure_ascii=False)
    content_type = f"application/json; charset={label}"
    data, notes = text_bytes(text, content_type, Exporter({"name": "Firefox"}))
    assert data == text.encode("gb18030") and notes == []
    found = decode_text(data, codec_name(label))
    assert found is not None and found.text == text
