"""Plain-text bodies of key:value pairs (analyzer/decode/pairs.py), and what is not pairs."""

from __future__ import annotations

import pytest

from analyzer.decode.pairs import delimited_pairs
from tests.support.decode import by_path, decoded, flow


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昵称:林一;城市:杭州", [("昵称", "林一"), ("城市", "杭州")]),
        ("nick=Lin Yi|city=Hangzhou|", [("nick", "Lin Yi"), ("city", "Hangzhou")]),
        ("a: 1\nb: 2;c: 3", [("a", "1"), ("b", "2"), ("c", "3")]),
        ("名字：林一，机型：P8", [("名字", "林一"), ("机型", "P8")]),
        ("os:Android 14, Pixel 8;ts:12:30:01", [("os", "Android 14, Pixel 8"), ("ts", "12:30:01")]),
        ("device name=Lin's phone;net type=wifi",
         [("device name", "Lin's phone"), ("net type", "wifi")]),
    ],
)  # fmt: skip
def test_pairs_are_read(text: str, expected: list[tuple[str, str]]) -> None:
    assert delimited_pairs(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Sat, 07 Mar 2026 21:45:13 GMT",  # a date
        "https://a.example.cn/x\nhttps://b.example.cn/y",  # URLs
        "just prose; nothing more",
        "only:one",
        '{"a":1;"b":2}',
        "<x>a:1;b:2</x>",
        "k:" + "v" * 10 + ";" + "a sentence that is far too long to be a key:1",
    ],
)
def test_what_is_not_pairs_is_left_alone(text: str) -> None:
    assert delimited_pairs(text) is None


def test_long_runs_of_spaces_are_read() -> None:
    # A lazy value before trailing spaces was quadratic: this would take minutes.
    assert delimited_pairs("k:" + " " * 60_000 + "x;" + "a" * 50 + "b") is None
    assert delimited_pairs("k:" + " " * 60_000 + "x;b:1") == [("k", "x"), ("b", "1")]
    assert delimited_pairs("a:1;" * 20_000) is None  # over the size limit: not split


def test_a_pairs_body_gives_one_field_per_value_and_keeps_the_text() -> None:
    body = "姓名:林一;邮箱:lin.yi@example.cn;版本:3".encode("gb18030")
    fields, notes = decoded(flow(body, "text/plain"))
    found = by_path(fields, "body")
    assert found["姓名"].value == "林一" and found["姓名"].encoding == "gb18030>pairs"
    assert found["邮箱"].value == "lin.yi@example.cn"
    raw = [f for f in fields if f.raw and f.location == "body"]
    assert [f.value for f in raw] == ["姓名:林一;邮箱:lin.yi@example.cn;版本:3"]
    assert notes == []


def test_a_url_encoded_form_is_still_a_form() -> None:
    fields, _ = decoded(flow(b"a=1&b=2;c", "text/plain"))
    found = by_path(fields, "body")
    assert found["a"].encoding == "form" and found["b"].value == "2;c"
