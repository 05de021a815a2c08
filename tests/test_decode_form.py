"""The fast form parser gives exactly what urllib's parse_qsl gives (it replaced it) where the
escapes are UTF-8; elsewhere it decodes a legacy charset or keeps the escapes, never U+FFFD."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl

import pytest

from analyzer.decode.form import UNDECODED, parse_form, unquote_plus

CASES = [
    "",
    "a=1&b=2",
    "a&b=&=c&&",
    "e1=%7B%22name%22%3A%22screen_view%22%2C%22n%22%3A1%7D",
    "q=caf%C3%A9+au+lait",
    "bad=%zz&trail=%4&pct=100%",
    "back=%5C%5Cx41\\x41",
    "raw=\\&nul=%00",
    "mixed=é%C3%A9€",
    "plus=%2B+%2b",
]


def pairs(text: str) -> list[tuple[str, str]]:
    return [(name, value) for name, value, _ in parse_form(text)]


@pytest.mark.parametrize("text", CASES)
def test_parse_form_is_parse_qsl(text: str) -> None:
    assert pairs(text) == parse_qsl(text, keep_blank_values=True)
    assert all(item.charset == "" for item in parse_form(text))


def test_parse_form_random_text_is_parse_qsl_where_utf8() -> None:
    rng = random.Random(5)
    alphabet = "ab%+=&\\x0123456789ABCDEFé€\x00 zZ"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 24)))
        expected = parse_qsl(text, keep_blank_values=True)
        items = parse_form(text)
        if not any("\ufffd" in name + value for name, value in expected):
            assert pairs(text) == expected, text
        assert not any("\ufffd" in name + value for name, value, _ in items), text


def test_broken_utf8_escapes_are_kept_as_sent_not_replaced() -> None:
    items = parse_form("half=%C3&cut=%E2%82&ok=1")
    assert items[-1] == ("ok", "1", "")
    for _name, value, charset in items[:2]:
        assert "\ufffd" not in value
        if charset == UNDECODED:
            assert "%" in value  # the bytes as they were sent


@pytest.mark.parametrize(
    ("label", "codec", "text"),
    [
        ("GBK", "gbk", "陈小红的手机"),
        ("gb2312", "gb2312", "北京市海淀区"),
        ("Big5", "big5", "臺北市大安區"),
        ("Shift_JIS", "shift_jis", "佐藤健のスマホ"),
        ("EUC-KR", "euc_kr", "박서연의 휴대폰"),
        ("windows-1251", "cp1251", "Мария Иванова"),
        ("ISO-8859-2", "iso8859_2", "Zażółć gęślą"),
    ],
)
def test_a_declared_charset_decodes_the_escapes(label: str, codec: str, text: str) -> None:
    from urllib.parse import quote_plus

    from analyzer.decode.charset import codec_name

    body = f"device={quote_plus(text, encoding=codec)}&n=2"
    items = parse_form(body, codec_name(label))
    assert items[0].value == text
    assert items[0].charset  # the chain will name it
    assert items[1] == ("n", "2", "")


def test_unquote_plus_decodes_json_escapes() -> None:
    assert unquote_plus("%7B%22a%22%3A+1%7D") == '{"a": 1}'


@pytest.mark.parametrize("text", ["a=1&&&&b=2&c=3&d", "&&x=%41&y&z=" + "9" * 50, "k=v"])
@pytest.mark.parametrize("limit", [1, 2, 3, 10])
def test_a_limit_keeps_the_first_items_as_without_it(text: str, limit: int) -> None:
    # The walker asks for no more items than its field cap holds (it notes the rest).
    assert parse_form(text, limit=limit) == parse_form(text)[:limit]


def test_a_form_over_the_field_cap_is_noted_not_parsed_whole() -> None:
    from analyzer.decode import Limits
    from tests.support.decode import decoded, flow

    body = "&".join(f"k{i}=v{i}" for i in range(5000)).encode()
    fields, notes = decoded(
        flow(body, "application/x-www-form-urlencoded"), limits=Limits(max_fields=100)
    )
    assert len(fields) == 100 and notes == ["more than 100 fields: stopped"]
    assert [f.path for f in fields if f.location == "body"][:2] == ["k0", "k1"]
