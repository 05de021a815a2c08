"""Advertising-API normalisations of contact data before hashing."""

from __future__ import annotations

import pytest

from analyzer.detect.ad_normalisations import email_forms, name_forms, phone_forms


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Rosa.Lind@Example.net ", {"rosa.lind@example.net": ""}),
        (
            "Rosa.Lind@GMail.com",
            {"rosa.lind@gmail.com": "", "rosalind@gmail.com": "gmail-dots"},
        ),
        (
            "r.o.s.a@googlemail.com",
            {"r.o.s.a@googlemail.com": "", "rosa@googlemail.com": "gmail-dots"},
        ),
        (
            "Rosa.Lind+shop@gmail.com",
            {
                "rosa.lind+shop@gmail.com": "",
                "rosa.lind@gmail.com": "plus-tag",
                "rosalind+shop@gmail.com": "gmail-dots",
                "rosalind@gmail.com": "gmail-dots>plus-tag",
            },
        ),
        # Other domains keep their dots (they are part of the address there).
        (
            "rosa.lind+news@posteo.de",
            {"rosa.lind+news@posteo.de": "", "rosa.lind@posteo.de": "plus-tag"},
        ),
        ("+leading@example.org", {"+leading@example.org": ""}),  # no sub-address before "+"
        ("not-an-address", {"not-an-address": ""}),
    ],
)
def test_email_forms(value: str, expected: dict[str, str]) -> None:
    assert dict(email_forms(value)) == expected


@pytest.mark.parametrize(
    ("value", "e164", "digits", "national"),
    [
        ("+31 6 12345678", "+31612345678", "31612345678", "0612345678"),
        ("0044 7700 900456", "+447700900456", "447700900456", "07700900456"),
        ("+55 (11) 91234-5678", "+5511912345678", "5511912345678", "11912345678"),
    ],
)
def test_phone_forms(value: str, e164: str, digits: str, national: str) -> None:
    forms = dict(phone_forms(value))
    assert forms[e164] == "e164"  # Google, TikTok, X
    assert forms[digits] == "digits"  # Meta, Snap, Pinterest
    assert forms[national] == "national"


def test_phone_without_country_code_gives_digits_only() -> None:
    assert phone_forms("(0351) 442 1177") == [("03514421177", "digits")]


@pytest.mark.parametrize(
    ("value", "firsts", "lasts"),
    [
        ("Jan de Vries", {"jan", "jan de"}, {"de vries", "vries"}),
        (
            "María José García López",
            {"maría", "maría josé", "maría josé garcía"},
            {"josé garcía lópez", "garcía lópez", "lópez"},
        ),
        ("Ana O'Hara", {"ana"}, {"ohara"}),
        ("Cher", set(), set()),
    ],
)
def test_name_forms_split_at_every_word(value: str, firsts: set[str], lasts: set[str]) -> None:
    forms = name_forms(value)
    assert {text for text, label in forms if label == "first-name"} == firsts
    assert {text for text, label in forms if label == "last-name"} == lasts
    assert forms[0] == (" ".join(value.lower().split()), "")
