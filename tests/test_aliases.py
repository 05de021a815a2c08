"""Field names to rules (aliases.py): plural names of lists."""

from __future__ import annotations

import pytest

from analyzer.detect.aliases import _singular, rules_for_field


@pytest.mark.parametrize(
    ("key", "parent", "rule"),
    [
        ("apnsTokens", "attributes", "pushNotificationToken"),
        ("fcm_tokens", "", "pushNotificationToken"),
        ("languages", "navigator", "language"),
        ("carrierNames", "device", "carrier"),
        ("push_address", "channel", "pushNotificationToken"),
    ],
)
def test_plural_and_documented_names(key: str, parent: str, rule: str) -> None:
    found = rules_for_field(key, parent)
    assert found is not None and found[0].name == rule


@pytest.mark.parametrize(
    ("word", "singular"),
    [
        ("tokens", "token"),
        ("addresses", "address"),
        ("ids", "id"),
        ("os", ""),
        ("gps", ""),
        ("status", ""),
        ("bus", ""),
        ("analysis", ""),
    ],
)
def test_singular(word: str, singular: str) -> None:
    assert _singular(word) == singular


@pytest.mark.parametrize(
    ("key", "parent"), [("statuses", ""), ("events", "batch"), ("settings", "app")]
)
def test_plurals_of_other_words_name_nothing(key: str, parent: str) -> None:
    assert rules_for_field(key, parent) is None
