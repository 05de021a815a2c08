"""Where rule words come from (name_sources.toml): abbreviations that platform APIs and
conventions spell, so a fold that leaves out the vendor using them keeps them."""

from __future__ import annotations

import pytest

from analyzer.detect.aliases import build_table, rules_for_field, table, using_table
from analyzer.detect.provenance import fold_words, independent_words, key_words

# Invented keys of one vendor that uses the abbreviations, and of another that does not.
KEYS = {
    "solo": ["adid", "ios_jb", "z", "mobile_network"],
    "other": ["device.carrier", "os_version"],
}


@pytest.mark.parametrize(
    ("word", "source"),
    [
        ("adid", "android-adservices"),  # package android.adservices.adid
        ("jb", "ios-jailbreak-prefix"),  # /var/jb of rootless jailbreaks, jbroot()
        ("z", "posix-strftime"),  # strftime %z / %Z, LDML's z
        ("major", "ios-device"),  # OperatingSystemVersion.majorVersion
    ],
)
def test_abbreviations_have_an_independent_source(word: str, source: str) -> None:
    assert source in independent_words(table())[word]


def test_a_fold_without_the_vendor_keeps_words_a_source_justifies() -> None:
    rules = table()
    independent = set(independent_words(rules))
    keys = {vendor: key_words(paths, rules) for vendor, paths in KEYS.items()}
    fold = fold_words(rules, independent, keys, "solo")
    assert not {"adid", "jb", "z"} & fold.dropped
    with using_table(build_table(without=fold.dropped)):
        rules_found = {key: rules_for_field(key, "") for key in KEYS["solo"]}
    named = {key: (found[0].name, found[1]) for key, found in rules_found.items() if found}
    assert named == {
        "adid": ("advertisingId", True),
        "ios_jb": ("isRooted", True),
        "mobile_network": ("networkType", True),
        "z": ("timezone", False),  # a context name: it counts only in a device object
    }
