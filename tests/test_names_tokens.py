"""Field names as words (analyzer/detect/tokens.py) and the phrase matching of aliases.py."""

from __future__ import annotations

import pytest

from analyzer.detect.aliases import rules_for_field, table, words_of
from analyzer.detect.tokens import make_lexicon, segment, skeleton, split_words, tokenise


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("X-Android-ID", ("x", "android", "id")),
        ("IDFAValue", ("idfa", "value")),
        ("iOSVersion", ("ios", "version")),
        ("deviceIPv4", ("device", "ipv", "4")),
        ("$os_version", ("os", "version")),
        ("wlan0Mac", ("wlan", "0", "mac")),
    ],
)
def test_split_words(name: str, words: tuple[str, ...]) -> None:
    assert tuple(split_words(name)) == words


def test_segmentation_prefers_fewest_known_pieces_and_keeps_unknown_heads() -> None:
    lexicon = make_lexicon(
        ["carrier", "car", "name", "rier", "latitude", "os"], {"v": "version"}, []
    )
    assert segment("carriername", lexicon) == ["carrier", "name"]
    assert segment("osv", lexicon) == ["os", "v"]
    assert segment("lastknownlatitude", lexicon) == ["lastknown", "latitude"]
    assert segment("videos", lexicon) == ["videos"]  # "os" alone is no tail to keep


def test_derived_short_forms_and_their_ambiguity() -> None:
    assert skeleton("model") == "mdl" and skeleton("screen") == "scrn"
    lexicon = make_lexicon(
        ["model", "middle", "manufacturer", "response", "resolution"],
        {},
        ["model", "middle", "manufacturer", "resolution"],
        preferred=["model", "resolution"],
    )
    assert lexicon.derived("mdl") == "model"  # a tie broken for the device rule
    assert lexicon.derived("manuf") == "manufacturer"
    assert lexicon.derived("reso") == "resolution"
    assert lexicon.derived("resp") is None  # response is no rule word
    assert tokenise("w", lexicon) == ("w",)  # one letter alone stays itself


@pytest.mark.parametrize(
    ("key", "parent", "rule", "strong"),
    [
        ("dev_mdl", "", "model", True),
        ("tz_offset_seconds", "", "timezone", True),
        ("sim_operator_name", "", "carrier", True),
        ("version", "os", "osVersion", True),  # joined to the parent
        ("width", "screen_info", "screenWidth", True),
        ("w", "device", "screenWidth", True),
        ("w", "", "screenWidth", False),  # context name: needs a device object
        ("brand", "", "manufacturer", False),
        ("device_brand", "", "manufacturer", True),
        ("imei2", "", "imei", True),  # digits number a field, they do not name it
    ],
)
def test_rules_for_field(key: str, parent: str, rule: str, strong: bool) -> None:
    found = rules_for_field(key, parent)
    assert found is not None and (found[0].name, found[1]) == (rule, strong)


@pytest.mark.parametrize(
    ("key", "parent"),
    [
        ("image_width", ""),
        ("server_ip", ""),
        ("app_version", ""),
        ("session_id", ""),
        ("latitude_accuracy", ""),
        ("12", "1"),
    ],
)
def test_names_that_name_no_property(key: str, parent: str) -> None:
    assert rules_for_field(key, parent) is None


def test_a_context_name_in_an_ad_object_stays_a_context_name() -> None:
    found = rules_for_field("width", "banner")  # "banner width" is blocked; "width" needs context
    assert found is not None and found[1] is False


def test_every_phrase_is_reachable_from_its_own_spelling() -> None:
    rules = table()
    for phrase, rule in rules.strong.items():
        found = rules_for_field("_".join(phrase), "")
        assert found is not None and found[0].name == rule.name, phrase
    assert words_of("screenWidthPx") == ("screen", "width", "px")
