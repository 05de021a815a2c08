"""Known values from a device profile, found in every variant, with the chain that hid them."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import unicodedata
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.detect import Detector, Finding
from analyzer.detect.corpus import score, synthetic_corpus, synthetic_profile
from analyzer.detect.variants import variants
from analyzer.profile import profile_from_dict

PROFILE = profile_from_dict(
    {
        "device": {"name": "test"},
        "known": {
            "advertisingId": "6a1c1487-a0af-4223-b142-a0f4621d0311",
            "imei": "356938035643809",
            "email": "Tester@Example.org",
            "macAddress": "02:1a:0b:03:44:05",
            "phoneNumber": "+49 151 23456789",
            "latitude": 52.5200066,
            "longitude": 13.404954,
            "osVersion": "14",
            "model": "Pixel 7 Pro",
        },
    }
)
DETECTOR = Detector(PROFILE)


def json_flow(body: dict[str, Any], **extra: Any) -> SimpleNamespace:
    return SimpleNamespace(
        id=9,
        url="https://t.example.com/c",
        request_headers=extra.pop("headers", []),
        request_body=json.dumps(body).encode(),
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type="application/json",
        **extra,
    )


def known(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.method == "known-value"]


def sha(name: str, text: str) -> str:
    return hashlib.new(name, text.encode()).hexdigest()


IMEI = "356938035643809"
EMAIL = "Tester@Example.org"


@pytest.mark.parametrize(
    ("prop", "sent", "encoding"),
    [
        ("imei", IMEI, "json"),
        ("imei", base64.b64encode(IMEI.encode()).decode(), "json>base64"),
        ("imei", base64.urlsafe_b64encode(IMEI.encode()).decode().rstrip("="), "json>base64"),
        ("imei", IMEI.encode().hex(), "json>hex"),
        ("imei", sha("md5", IMEI), "json>md5"),
        ("imei", sha("sha1", IMEI).upper(), "json>sha1"),
        ("imei", sha("sha256", sha("md5", IMEI)), "json>md5>sha256"),
        (
            "imei",
            base64.b64encode(hashlib.sha256(IMEI.encode()).digest()).decode(),
            "json>sha256>base64",
        ),
        ("email", sha("sha256", EMAIL.lower()), "json>sha256"),
        ("email", sha("md5", EMAIL.upper()), "json>md5"),
        ("email", quote(EMAIL, safe=""), "json>url"),
        ("email", quote(quote(EMAIL, safe=""), safe=""), "json>url>url"),
        ("advertisingId", "6A1C1487A0AF4223B142A0F4621D0311", "json>compact"),
        ("advertisingId", sha("md5", "6A1C1487-A0AF-4223-B142-A0F4621D0311"), "json>md5"),
        ("macAddress", "021A0B034405", "json>compact"),
        ("macAddress", "2:1a:b:3:44:5", "json>no-leading-zeros"),
        ("macAddress", "021a.0b03.4405", "json>dotted"),
        ("macAddress", sha("sha1", "021a0b034405"), "json>compact>sha1"),
        ("phoneNumber", "+4915123456789", "json>e164"),
        ("phoneNumber", "015123456789", "json>national"),
        ("phoneNumber", "4915123456789", "json>digits"),
        ("model", "Pixel 7 Pro", "json"),
    ],
)
def test_each_variant_is_found_with_its_chain(prop: str, sent: str, encoding: str) -> None:
    findings = known(DETECTOR.detect(json_flow({"x": sent})))
    assert [(f.property, f.path, f.encoding) for f in findings] == [(prop, "x", encoding)]
    assert findings[0].confidence == 1.0


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_base64_inside_a_longer_blob_at_every_alignment(offset: int) -> None:
    blob = b"\x9f\x80\xfe"[:offset] + IMEI.encode() + b"\xff\x00\x81\x92\x93"
    findings = known(DETECTOR.detect(json_flow({"blob": base64.b64encode(blob).decode()})))
    assert [(f.property, f.encoding) for f in findings] == [("imei", "json>base64")]


@settings(max_examples=60, deadline=None)
@given(prefix=st.binary(max_size=20), suffix=st.binary(max_size=20), urlsafe=st.booleans())
def test_base64_fragments_survive_any_surroundings(
    prefix: bytes, suffix: bytes, urlsafe: bool
) -> None:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    blob = encode(prefix + IMEI.encode() + suffix).decode()
    texts = {v.text for v in variants("imei", IMEI) if v.exact_case}
    assert any(text in blob for text in texts)


def test_coordinates_count_only_as_a_pair_and_at_any_precision() -> None:
    only_lat = known(DETECTOR.detect(json_flow({"a": "52.52"})))
    assert only_lat == []
    both = known(DETECTOR.detect(json_flow({"a": "52.52", "b": "13.4049"})))
    assert sorted(f.property for f in both) == ["latitude", "longitude"]
    longer = known(DETECTOR.detect(json_flow({"loc": "52.52000661,13.40495412"})))
    assert sorted(f.property for f in longer) == ["latitude", "longitude"]
    e6 = known(DETECTOR.detect(json_flow({"la": 52520007, "lo": 13404954})))
    assert {f.encoding for f in e6} == {"json>e6"}
    other_place = known(DETECTOR.detect(json_flow({"a": "152.52", "b": "-13.4049"})))
    assert other_place == []


def test_short_values_only_as_a_whole_field_under_their_name() -> None:
    assert [f.path for f in known(DETECTOR.detect(json_flow({"os_version": "14"})))] == [
        "os_version"
    ]
    for body in ({"count": "14"}, {"version": "14.2.1"}, {"os_version": "14.2"}):
        assert known(DETECTOR.detect(json_flow(body))) == []


def test_near_misses_and_other_devices_are_not_known_values() -> None:
    body = {
        "id": "6a1c1487-a0af-4223-b142-a0f4621d0312",
        "other": "356938035643817",
        "mail": "tester@example.com",
        "hash": sha("sha256", "someone@else.example"),
        "digits": "1356938035643809",
    }
    assert known(DETECTOR.detect(json_flow(body))) == []


def test_value_inside_a_user_agent_header_and_the_raw_body() -> None:
    headers = [["User-Agent", "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Pro Build/UQ1A)"]]
    findings = known(DETECTOR.detect(json_flow({}, headers=headers)))
    assert [(f.property, f.location, f.path) for f in findings] == [
        ("model", "header", "user-agent")
    ]
    # Unparsable body: the value is still found in the undivided text.
    flow = json_flow({})
    flow.request_body = b"\x01\x02garbage imei=356938035643809;\xff"
    flow.request_content_type = "application/octet-stream"
    findings = known(DETECTOR.detect(flow))
    assert [(f.property, f.location) for f in findings] == [("imei", "body")]


def test_values_used_as_keys() -> None:
    # An address book keyed by e-mail and phone number; a map keyed by advertising ID; a query
    # whose parameter name is the address.
    body = {
        "book": {"tester@example.org": "Anna", "+4915123456789": {"name": "Ben"}},
        "ids": {PROFILE.known["advertisingId"][0]: {"seen": 3}},
    }
    found = {(f.property, f.path) for f in known(DETECTOR.detect(json_flow(body)))}
    assert found == {
        ("email", "book.tester@example.org"),
        ("phoneNumber", "book.+4915123456789"),
        ("advertisingId", "ids.6a1c1487-a0af-4223-b142-a0f4621d0311"),
    }
    flow = json_flow({})
    flow.url = "https://t.example.com/c?Tester%40Example.org=1&v=2"
    found = {(f.property, f.location, f.path) for f in known(DETECTOR.detect(flow))}
    assert ("email", "query", "Tester@Example.org") in found
    # Ordinary names are not values: nothing is found in a body of them.
    names = {"device_model": "x", "osVersionName": "y", "p0": 1, "user-agent": "z"}
    assert known(DETECTOR.detect(json_flow(names))) == []


def test_a_decoded_value_is_reported_once_at_its_deepest_path() -> None:
    inner = base64.b64encode(json.dumps({"gaid": PROFILE.known["advertisingId"][0]}).encode())
    body = gzip.compress(json.dumps({"blob": inner.decode()}).encode())
    flow = json_flow({})
    flow.request_body, flow.request_content_encoding = body, "gzip"
    findings = known(DETECTOR.detect(flow))
    assert [(f.path, f.encoding) for f in findings] == [("blob.gaid", "gzip>json>base64>json")]
    assert "6a1c" in findings[0].context and PROFILE.known["advertisingId"][0] not in (
        findings[0].context
    )


def test_synthetic_corpus_every_encoding_found_without_false_positives() -> None:
    detector = Detector(synthetic_profile())
    cases = [(case, detector.detect(case.flow, case.messages)) for case in synthetic_corpus()]
    by_group, by_prop, problems = score(cases, ("known-value",), check_encoding=True)
    assert len(by_group) > 40  # every encoding family is exercised
    missed = {group: t.recall for group, t in by_group.items() if t.found != t.labels}
    assert missed == {}, problems[:5]
    wrong = {prop: t.precision for prop, t in by_prop.items() if t.findings != t.correct}
    assert wrong == {}, problems[:5]


# --- any script, any length ----------------------------------------------------------------------

SCRIPTS = profile_from_dict(
    {
        "known": {
            "deviceName": ["美玲的平板", "박서연폰", "Ксюша", "ดาวใจ", "نورة"],
            "personName": "陈美玲",
            "wifiSsid": "Дача-Орлова 5G",
            "language": "ko-KR",
            "screenWidth": 1284,
            "screenHeight": 2778,
            "model": "Galaxy S23",
        }
    }
)
SCRIPT_DETECTOR = Detector(SCRIPTS)


def script_known(body: dict[str, Any], url: str = "https://t.example.com/c") -> list[Finding]:
    flow = json_flow(body)
    flow.url = url
    return known(SCRIPT_DETECTOR.detect(flow))


@pytest.mark.parametrize("name", ["美玲的平板", "박서연폰", "Ксюша", "ดาวใจ", "نورة", "陈美玲"])
def test_short_non_latin_values_as_a_whole_field_under_any_key(name: str) -> None:
    findings = script_known({"k7": name, "meta": {"label": name}})
    assert {(f.path, f.value) for f in findings} == {("k7", name), ("meta.label", name)}


@pytest.mark.parametrize("name", ["美玲的平板", "박서연폰", "Ксюша", "陈美玲"])
def test_short_values_never_as_substrings_of_longer_text(name: str) -> None:
    body = {"a": f"{name}的", "b": f"我的{name}", "c": f"{name} 2", "d": name[:-1]}
    assert script_known(body) == []


@pytest.mark.parametrize(
    ("codec", "label"),
    [
        ("gbk", "gbk"),
        ("big5", "big5"),
        ("cp932", "shift_jis"),
        ("euc_jp", "euc-jp"),
        ("cp949", "euc-kr"),
        ("cp1251", "windows-1251"),
        ("koi8_r", "koi8-r"),
        ("cp874", "windows-874"),
        ("cp1256", "windows-1256"),
    ],
)
def test_legacy_charsets_percent_encoded_and_raw(codec: str, label: str) -> None:
    from urllib.parse import quote_from_bytes

    from analyzer.decode.fields import Field

    matcher = SCRIPT_DETECTOR.matcher
    assert matcher is not None
    names = [
        n for n in SCRIPTS.known["deviceName"] + SCRIPTS.known["personName"] if _fits(n, codec)
    ]
    assert names, codec
    for name in names:
        data = name.encode(codec)
        for case in (str.upper, str.lower):
            escaped = case(quote_from_bytes(data, safe=""))
            raw = Field("query", "", "", f"n={escaped}&v=2", "", raw=True)
            hits = [(h.variant.prop, raw.value[h.start : h.end]) for h in matcher.match([raw])]
            assert hits == [(_prop(name), escaped)], (name, codec)
        # Bytes read one character per byte (ISO-8859-1), a whole field.
        as_bytes = Field("body", "n", "n", data.decode("latin-1"), "")
        hits = matcher.match([as_bytes])
        assert {h.variant.encoding for h in hits} <= {label, "gbk", "big5", "shift_jis"}
        assert [h.variant.prop for h in hits] == [_prop(name)]


def _fits(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _prop(name: str) -> str:
    return "personName" if name == "陈美玲" else "deviceName"


def test_a_legacy_encoded_short_value_is_not_found_inside_a_longer_one() -> None:
    from urllib.parse import quote_from_bytes

    from analyzer.decode.fields import Field

    assert SCRIPT_DETECTOR.matcher is not None
    longer = quote_from_bytes("陈美玲玲".encode("gbk"), safe="")
    spaced = quote_from_bytes("陈美玲 x".encode("gbk"), safe="").replace("%20", "+")
    for text in (f"n={longer}", f"n={spaced}", f"n=%B0{longer}"):
        assert SCRIPT_DETECTOR.matcher.match([Field("query", "", "", text, "", raw=True)]) == []


def test_a_long_value_in_a_legacy_charset_inside_longer_text() -> None:
    from urllib.parse import quote_from_bytes

    from analyzer.decode.fields import Field

    assert SCRIPT_DETECTOR.matcher is not None
    ssid = "Дача-Орлова 5G"
    for codec, label in (("cp1251", "windows-1251"), ("koi8_r", "koi8-r")):
        text = "scan=" + quote_from_bytes(f"{ssid};-71".encode(codec), safe="")
        hits = SCRIPT_DETECTOR.matcher.match([Field("query", "", "", text, "", raw=True)])
        assert [(h.variant.prop, h.variant.encoding) for h in hits] == [
            ("wifiSsid", f"{label}>url")
        ]


def test_utf8_percent_and_html_forms_of_short_values() -> None:
    from urllib.parse import quote

    findings = script_known(
        {"u": quote("박서연폰"), "h": "&#48149;&#49436;&#50672;&#54256;", "e": "\\uae40"}
    )
    assert {(f.path, f.encoding) for f in findings} == {
        ("u", "json>url"),
        ("h", "json>html"),
    }


def test_short_common_values_only_under_their_name_distinct_ones_anywhere() -> None:
    # "ko" and "kor" are common codes: only under a language name; "ko-KR" anywhere, whole.
    assert {(f.path, f.encoding) for f in script_known({"language": "kor", "x": "ko"})} == {
        ("language", "json>alpha3")
    }
    found = script_known({"p3": "ko-kr", "p4": "ko_KR", "p5": "ko-KR;q=0.9"})
    assert {(f.property, f.path) for f in found} == {("language", "p3"), ("language", "p4")}


@pytest.mark.parametrize(
    "sent", ["1284x2778", "2778x1284", "1284*2778", "1284\u00d72778", "1284x2778x3"]
)
def test_screen_size_as_one_resolution_value(sent: str) -> None:
    found = script_known({}, url=f"https://t.example.com/g/collect?v=2&sr={sent}&ul=ko-kr")
    assert {(f.property, f.path, f.encoding) for f in found} == {
        ("screenWidth", "sr", "resolution"),
        ("screenHeight", "sr", "resolution"),
        ("language", "ul", "plain"),
    }


def test_a_resolution_does_not_match_inside_longer_numbers() -> None:
    assert script_known({"r": "11284x2778", "s": "1284x27780"}) == []


def test_negative_coordinates_as_e5_e6_e7_integers() -> None:
    profile = profile_from_dict({"known": {"latitude": -34.603722, "longitude": -58.381592}})
    detector = Detector(profile)
    for lat, lon, label in (
        (-3460372, -5838159, "e5"),
        (-34603722, -58381592, "e6"),
        (-346037220, -583815920, "e7"),
    ):
        findings = known(detector.detect(json_flow({"g": {"a": lat, "o": lon}})))
        assert {(f.property, f.encoding) for f in findings} == {
            ("latitude", f"json>{label}"),
            ("longitude", f"json>{label}"),
        }
    # The same digits without the sign are another place.
    assert known(detector.detect(json_flow({"g": {"a": 3460372, "o": 5838159}}))) == []


@pytest.mark.parametrize(
    ("prop", "profile_value", "form"),
    [
        ("personName", "\u09b0\u09be\u09dc\u09bf \u09b8\u09c7\u09a8", "NFC"),  # Bengali U+09DC
        ("personName", "\u0958\u093e\u0930\u093e \u092e\u0947\u0939\u0924\u093e", "NFC"),  # U+0958
        ("deviceName", "한지수의 태블릿", "NFD"),  # Hangul syllables to conjoining jamo
        ("personName", "Nguyễn Thị Hương", "NFD"),  # Vietnamese stacked diacritics
        ("deviceName", "ﾀﾅｶ ﾕｷｺの端末", "NFKC"),  # half-width katakana to full width
        ("personName", "Ｒｅｎé Ｏｒｔｉｚ", "NFKD"),
    ],
)
def test_known_values_match_across_unicode_normalisation_forms(
    prop: str, profile_value: str, form: str
) -> None:
    sent = unicodedata.normalize(form, profile_value)
    assert sent != profile_value
    detector = Detector(
        profile_from_dict({"device": {"name": "t"}, "known": {prop: profile_value}})
    )
    body = {"label": sent, "h": sha("sha256", sent)}
    flow = json_flow(body)
    flow.url = "https://t.example.com/c?n=" + quote(sent)
    found = {(f.path, f.property) for f in known(detector.detect(flow))}
    assert {("label", prop), ("h", prop), ("n", prop)} <= found


def test_a_short_locale_as_an_item_of_a_language_list() -> None:
    detector = Detector(
        profile_from_dict({"device": {"name": "t"}, "known": {"language": "nb-NO"}})
    )
    flow = json_flow(
        {"langs": "nn-NO,nb;q=0.8", "other": "nb-NO-x, en"},
        headers=[["accept-language", "nb-NO,nb;q=0.9,en-GB;q=0.7"]],
    )
    found = [(f.location, f.path, f.value) for f in known(detector.detect(flow))]
    assert found == [("header", "accept-language", "nb-NO")]


RECORD_PROFILE = profile_from_dict(
    {
        "device": {"name": "t"},
        "known": {
            "carrier": "KT",
            "model": "SM-S918N",
            "language": "ko-KR",
            "timezone": "Asia/Seoul",
            "osVersion": "14",
        },
    }
)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # A positional array that names the device: its short members are the device's too.
        (["a2", "com.example.mart", "3.1", "14", "SM-S918N", "ko_KR", "KST", "KT", "1440"], {"7"}),
        (["KT", "Asia/Seoul", "SM-S918N"], {"0"}),
        # One other fact only, or none: an array of codes, not the device's description.
        (["KT", "SM-S918N", "x"], set()),
        (["KR", "KT", "LG", "JP"], set()),
    ],
)
def test_short_known_values_in_positional_device_records(
    record: list[str], expected: set[str]
) -> None:
    findings = known(Detector(RECORD_PROFILE).detect(json_flow({"app": {"info": record}})))
    carriers = {f.path.rpartition(".")[2] for f in findings if f.property == "carrier"}
    assert carriers == expected
    assert not any(f.property == "osVersion" for f in findings)  # bare numbers stay unread


def test_a_record_shown_to_be_the_device_by_patterns_alone() -> None:
    # The profile knows only the carrier; the array's locale and IANA zone are telling forms.
    detector = Detector(profile_from_dict({"device": {"name": "t"}, "known": {"carrier": "KT"}}))
    record = ["a2", "com.example.mart", "ko_KR", "KT", "Asia/Seoul"]
    findings = known(detector.detect(json_flow({"ext": record})))
    assert [(f.property, f.path) for f in findings] == [("carrier", "ext.3")]
    lone = known(detector.detect(json_flow({"ext": ["KT", "ko_KR", "x"]})))
    assert lone == []


def test_a_short_name_decomposed_is_still_only_a_whole_field() -> None:
    detector = Detector(
        profile_from_dict({"device": {"name": "t"}, "known": {"deviceName": "지수"}})
    )
    sent = unicodedata.normalize("NFD", "지수")
    body = {"a": sent, "b": sent + unicodedata.normalize("NFD", "네 집"), "c": "x" + sent}
    assert [f.path for f in known(detector.detect(json_flow(body)))] == ["a"]
