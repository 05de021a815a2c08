"""Unnamed device records (records.py): positional arrays and numbered fields whose members are
read by weak forms once two other members name the device. Values invented."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest

from analyzer.detect import Detector, Finding

DETECTOR = Detector()


def detect(body: Any, form: bool = False) -> list[Finding]:
    if form:
        data = urlencode(body).encode()
        kind = "application/x-www-form-urlencoded"
    else:
        data = json.dumps(body).encode()
        kind = "application/json"
    flow = SimpleNamespace(
        id=5,
        url="https://events.example.com/ingest",
        request_headers=[],
        request_body=data,
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type=kind,
    )
    return DETECTOR.detect(flow)


def found(body: Any, form: bool = False) -> set[tuple[str, str]]:
    return {(f.path, f.property) for f in detect(body, form) if not f.placeholder}


# A positional description of the device, as some SDKs send it in a form field: app version,
# OS version, model, locale, zone abbreviation, operator, screen, cores, storage, zone.
RECORD = ["a1", "org.example.notes", "7.0", "7.0.2 (88)", "16.7.2", "iPhone14,5", "fr_CA",
          "EST", "Rogers", "390", "844", "3.00", "6", "128", "41", "America/Toronto"]  # fmt: skip


def test_members_of_a_device_record_are_read_by_weak_forms() -> None:
    got = found([("ext", json.dumps(RECORD)), ("app", "org.example.notes")], form=True)
    assert ("ext.7", "timezone") in got
    assert ("ext.8", "carrier") in got
    # Versions and numbers stay unread: app and OS versions, screen and storage look alike.
    assert not {path for path, _ in got} & {f"ext.{i}" for i in (0, 2, 3, 4, 9, 10, 12, 13, 14)}


@pytest.mark.parametrize(
    ("member", "prop"),
    [
        ("NZDT", "timezone"),
        ("Vodafone", "carrier"),
        ("中国电信", "carrier"),
        ("pt", "language"),
        ("Portuguese", "language"),
    ],
)
def test_weak_forms_in_a_record_of_numbered_fields(member: str, prop: str) -> None:
    # Protobuf decoded without a schema: field numbers as keys.
    body = {"1": {"3": "Pixel 8", "4": "Android", "7": member, "9": 1}}
    assert ("1.7", prop) in found(body)


@pytest.mark.parametrize(
    "body",
    [
        # One kind of fact only: a list of supported locales is no device record.
        {"locales": ["en_US", "de_DE", "EST", "Rogers"]},
        # Two facts in different records.
        {"a": ["Pixel 8", "x"], "b": ["de_DE", "EST"]},
        # Named members are not positional: their names would have said what they are.
        {"model": "Pixel 8", "locale": "de_DE", "q": "EST", "r": "Rogers"},
        # Weak forms that are common words or a maker's name stay unread.
        {"r": ["Pixel 8", "de_DE", "free", "Vivo", "qq", "CAT7", "Orange juice", "1080"]},
    ],
)
def test_record_decoys(body: dict[str, Any]) -> None:
    got = found(body)
    assert not {p for _, p in got} & {"timezone", "carrier"}
    assert not any(prop == "language" and path.endswith((".2", ".4", ".5")) for path, prop in got)


def test_a_record_finding_explains_itself() -> None:
    findings = [f for f in detect({"d": ["SM-A546B", "es_MX", "CST"]}) if f.path == "d.2"]
    assert [(f.property, f.method) for f in findings] == [("timezone", "pattern")]
    assert "record without names" in findings[0].explanation
    assert "model" in findings[0].explanation and "language" in findings[0].explanation
