"""Spellings and variants of known values: what is searched for, and how strictly."""

from __future__ import annotations

import base64

import pytest

from analyzer.detect.spellings import resolutions, spellings
from analyzer.detect.variants import digest_inputs, strength, variants
from analyzer.profile import profile_from_dict


def texts(prop: str, value: str) -> dict[str, str]:
    return {s.text: s.label for s in spellings(prop, value)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pt-BR", {"pt-BR": "", "pt_BR": "", "pt": "language", "por": "alpha3"}),
        ("sv_FI", {"sv_FI": "", "sv-FI": "", "sv": "language", "swe": "alpha3"}),
        (
            "zh-Hant-TW",
            {
                "zh-Hant-TW": "",
                "zh-TW": "",
                "zh_TW": "",
                "zh_Hant_TW": "",
                "zh_TW_#Hant": "",
                "zh-Hant": "",
                "zh_Hant": "",
                "zh": "language",
                "zho": "alpha3",
            },
        ),
        (
            "zh_HK",  # Hong Kong writes Traditional Chinese: the region implies the script
            {
                "zh_HK": "",
                "zh-HK": "",
                "zh-Hant-HK": "",
                "zh_Hant_HK": "",
                "zh_HK_#Hant": "",
                "zh-Hant": "",
                "zh_Hant": "",
                "zh": "language",
                "zho": "alpha3",
            },
        ),
        ("sr-Latn", {"sr-Latn": "", "sr_Latn": "", "sr": "language", "srp": "alpha3"}),
        ("fi", {"fi": "", "fin": "alpha3"}),
    ],
)
def test_locales_in_every_spelling(value: str, expected: dict[str, str]) -> None:
    assert texts("language", value) == expected


def test_a_language_that_is_no_tag_is_kept_as_given() -> None:
    assert texts("language", "Deutsch (Schweiz)") == {"Deutsch (Schweiz)": ""}


@pytest.mark.parametrize(
    ("value", "e164", "national"),
    [
        ("+33 6 12 34 56 78", "+33612345678", "0612345678"),
        ("0033 6 12 34 56 78", "+33612345678", "0612345678"),
        ("+39 02 1234 5678", "+390212345678", "0212345678"),  # Italy keeps its 0
        ("+7 916 123-45-67", "+79161234567", "89161234567"),  # Russia dials 8
        ("+1 (415) 555-0132", "+14155550132", "4155550132"),  # NANP: no trunk prefix
        ("+86 139 1234 5678", "+8613912345678", "13912345678"),
    ],
)
def test_phone_numbers_by_country(value: str, e164: str, national: str) -> None:
    found = texts("phoneNumber", value)
    assert found[e164] == "e164"
    assert found[e164[1:]] == "digits"  # Meta's and Snap's "ph": country code, digits only
    assert found["00" + e164[1:]] == "digits"
    assert found[national] == "national"


def test_a_phone_number_without_country_code_gives_its_digits_only() -> None:
    assert texts("phoneNumber", "030 1234 5678") == {"030 1234 5678": "", "03012345678": "digits"}


def test_names_as_the_ad_platforms_normalise_them() -> None:
    found = texts("personName", "  Zoë  Ann-Marie O'Neill ")
    assert found["zoë ann-marie o'neill"] == ""
    assert found["zoëann-marieo'neill"] == "nospace"  # DV360: all whitespace removed
    assert found["zoë annmarie oneill"] == "nopunct"  # Meta fn/ln: no punctuation
    assert found["zoëannmarieoneill"] == "nospace"
    assert found["zoë"] == "first-name"
    assert found["oneill"] == "last-name"
    # A name written without spaces (Chinese) has no first and last name of its own.
    assert texts("personName", "司马光明") == {"司马光明": ""}


@pytest.mark.parametrize(
    ("value", "gmail_form"),
    [
        ("Kim.Lee+news@Gmail.com", "kimlee+news@gmail.com"),  # the "+tag" is kept
        ("k.lee@googlemail.com", "klee@googlemail.com"),
        ("kim.lee@posteo.de", None),  # dots count everywhere else
    ],
)
def test_email_trimmed_lower_cased_and_gmail_dots(value: str, gmail_form: str | None) -> None:
    found = texts("email", value)
    assert found[value.lower()] == ""
    assert (gmail_form in found) if gmail_form else ("gmail-dots" not in found.values())
    if gmail_form:
        assert found[gmail_form] == "gmail-dots"


def test_mac_in_every_separator() -> None:
    found = texts("wifiBssid", "0C:8E:29:01:A2:F3")
    assert found["0c8e2901a2f3"] == "compact"
    assert found["0c-8e-29-01-a2-f3"] == ""
    assert found["0c8e.2901.a2f3"] == "dotted"
    assert found["c:8e:29:1:a2:f3"] == "no-leading-zeros"


def test_short_hex_words_are_not_compacted() -> None:
    assert "compact" not in texts("language", "de-DE").values()
    assert texts("userId", "ab-cd") == {"ab-cd": ""}


def test_resolutions_in_both_orientations_and_usual_separators() -> None:
    found = {text for _, _, text in resolutions(("1170",), ("2532",))}
    assert {"1170x2532", "2532x1170", "1170*2532", "1170\u00d72532", "1170 x 2532"} <= found
    assert resolutions(("auto",), ("2532",)) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("11", "weak"),
        ("en", "weak"),
        ("1080", "weak"),
        ("LTE", "weak"),
        ("iOS", "weak"),
        ("王", "weak"),  # one character: anybody's
        ("4.2", "weak"),
        ("小明", "distinct"),
        ("김민준", "distinct"),
        ("Юля", "distinct"),
        ("Zoë", "distinct"),
        ("de-AT", "distinct"),
        ("A5-2", "distinct"),
        ("Sony", "strong"),  # a Latin word: matched at word boundaries, as before
        ("Pixel 8a", "strong"),
        ("ابراهيم", "strong"),
    ],
)
def test_strength_of_short_values(text: str, kind: str) -> None:
    assert strength(text) == kind


def by_text(prop: str, value: str) -> dict[str, tuple[str, str]]:
    return {v.text: (v.encoding, v.boundary) for v in variants(prop, value)}


def test_a_weak_value_is_one_whole_field_under_its_name() -> None:
    assert by_text("osVersion", "15") == {"15": ("plain", "whole")}


def test_a_distinct_short_value_and_its_encodings_stand_alone() -> None:
    found = by_text("deviceName", "美玲机")
    assert found["美玲机"] == ("plain", "field")
    assert found["%E7%BE%8E%E7%8E%B2%E6%9C%BA"] == ("url", "url")
    assert found[base64.b64encode("美玲机".encode()).decode()] == ("base64", "base64")
    assert found["&#32654;&#29618;&#26426;"] == ("html", "entity")
    assert found["\\u7f8e\\u73b2\\u673a"] == ("unicode-escape", "escape")
    gbk = "美玲机".encode("gbk")
    assert found["%C3%C0%C1%E1%BB%FA"] == ("gbk>url", "url")
    assert found[gbk.decode("latin-1")] == ("gbk", "field")
    # No fragments inside longer base64: a short value's fragment is anybody's.
    assert all(boundary != "none" for _, boundary in found.values())


def test_a_strong_value_keeps_its_fragments_and_all_encodings() -> None:
    found = by_text("wifiSsid", "Café-Kranich")
    encodings = {encoding for encoding, _ in found.values()}
    assert {"plain", "url", "url>url", "base64", "hex", "base32", "base58", "rot13", "html"} <= (
        encodings
    )
    assert {"windows-1252>url", "unicode-escape"} <= encodings
    assert found["Caf%E9-Kranich"] == ("windows-1252>url", "none")
    # Its windows-1252 bytes read one character per byte are the text itself: no second form.
    assert "windows-1252" not in encodings
    cyrillic = by_text("wifiSsid", "Дача Орлова")
    assert cyrillic["Дача Орлова".encode("cp1251").decode("latin-1")] == ("windows-1251", "alnum")
    assert cyrillic["Дача Орлова".encode("koi8_r").decode("latin-1")] == ("koi8-r", "alnum")


def test_normalised_spellings_get_plain_url_hex_and_base64_only() -> None:
    found = {v.encoding for v in variants("phoneNumber", "+44 7700 900461")}
    assert {"e164", "e164>url", "e164>base64", "e164>hex", "digits", "national"} <= found
    assert not any(e.startswith(("e164>base32", "e164>rot13", "digits>base58")) for e in found)


@pytest.mark.parametrize(
    ("value", "e5", "e7"),
    [
        ("-22.906847", "-2290685", "-229068470"),
        ("-43.1729", "-4317290", "-431729000"),
        ("151.209296", "15120930", "1512092960"),
    ],
)
def test_coordinates_as_signed_fixed_point_integers(value: str, e5: str, e7: str) -> None:
    found = by_text("longitude", value)
    assert found[e5] == ("e5", "decimal")
    assert found[e7] == ("e7", "decimal")


def test_coordinate_integers_rounded_and_truncated() -> None:
    found = by_text("latitude", "-33.868829")
    assert found["-3386883"] == ("e5", "decimal")  # rounded
    assert found["-3386882"] == ("e5", "decimal")  # truncated towards zero


def test_digest_inputs_leave_out_coordinates_and_short_numbers() -> None:
    profile = profile_from_dict(
        {
            "known": {
                "osVersion": "15",
                "latitude": 48.1,
                "longitude": 11.5,
                "personName": "Ida Berg",
                "language": "sv",
            }
        }
    )
    hashed = {(prop, text, label) for prop, _, text, label in digest_inputs(profile)}
    assert ("personName", "ida", "first-name") in hashed
    assert ("language", "sv", "") in hashed
    assert not any(prop in ("osVersion", "latitude", "longitude") for prop, _, _ in hashed)


def test_unicode_normal_forms_are_spellings_with_their_label() -> None:
    found = texts("personName", "\u095b\u094b\u092f\u093e \u0936\u0930\u094d\u092e\u093e")
    decomposed_first = "\u091c\u093c\u094b\u092f\u093e"  # NFC decomposes U+095B (exclusion)
    assert found[decomposed_first] == "first-name>nfc"
    assert texts("email", "jo@example.org") == {"jo@example.org": ""}  # ASCII: nothing added
