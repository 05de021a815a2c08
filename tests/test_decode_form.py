"""The fast form parser gives exactly what urllib's parse_qsl gives (it replaced it)."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl

import pytest

from analyzer.decode.form import parse_form, unquote_plus

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
    "half=%C3&cut=%E2%82",
    "plus=%2B+%2b",
]


@pytest.mark.parametrize("text", CASES)
def test_parse_form_is_parse_qsl(text: str) -> None:
    assert parse_form(text) == parse_qsl(text, keep_blank_values=True)


def test_parse_form_random_text_is_parse_qsl() -> None:
    rng = random.Random(5)
    alphabet = "ab%+=&\\x0123456789ABCDEFé€\x00 zZ"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 24)))
        assert parse_form(text) == parse_qsl(text, keep_blank_values=True), text


def test_unquote_plus_decodes_json_escapes() -> None:
    assert unquote_plus("%7B%22a%22%3A+1%7D") == '{"a": 1}'
