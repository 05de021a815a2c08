"""Language priority lists (Accept-Language, navigator.languages)."""

from __future__ import annotations

import pytest

from analyzer.detect.language_lists import list_items


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("sr-Latn-RS,sr;q=0.9,en-US;q=0.8,en;q=0.7", ["sr-Latn-RS", "sr", "en-US", "en"]),
        ("nb-NO, nn ;q=0.5, *;q=0.1", ["nb-NO", "nn", "*"]),
        ("pt_BR,pt,es", ["pt_BR", "pt", "es"]),
    ],
)
def test_items_of_a_language_list(value: str, items: list[str]) -> None:
    assert [value[start:end] for start, end in list_items(value)] == items


@pytest.mark.parametrize(
    "value",
    [
        "fr-CA",  # one tag alone: a whole field, no list
        "Lyon, France",  # words with a comma
        "name=fr-CA, other",
        "1.5,2.5",
        "fr-CA," + "en," * 200,  # too long for a list a phone sends
        "",
    ],
)
def test_no_list(value: str) -> None:
    assert list_items(value) == []
