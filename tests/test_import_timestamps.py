"""Entry times in every form exporters write them (analyzer/importer/timestamps.py), and HAR
files whose times cannot be read imported all the same, with a note (analyzer/importer/har.py).

Times are invented; each form is the one a named exporter or locale writes (module doc).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from analyzer.importer import read_records
from analyzer.importer.notes import ImportNotes
from analyzer.importer.timestamps import parse_timestamp
from analyzer.store import records as rec
from tests.support.har import har_entry

# 2026-03-07T21:45:13.250Z
MOMENT = datetime(2026, 3, 7, 21, 45, 13, 250_000, tzinfo=UTC).timestamp()


def _digits(text: str, zero: str) -> str:
    """``text`` with its ASCII digits written in the script whose zero is ``zero``."""
    return "".join(chr(ord(zero) + int(ch)) if ch.isdigit() else ch for ch in text)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-07T21:45:13.250Z",
        "2026-03-07T22:45:13.250+01:00",
        "2026-03-07T22:45:13.2500000+01:00",  # .NET "o" (Fiddler): 7 fraction digits
        "2026-03-07 22:45:13,250+0100",  # space for T, comma decimals
        "2026-03-08T00:45:13.250 +0300",  # a space before the offset
        "2026-03-07T21:45:13.250 UTC",
        "2026/03/07 21:45:13.250 GMT",
        "2026-03-08 05:45:13.250 GMT+08:00",  # Java's zone name with an offset
        "2026-03-07T16:45:13.250−05:00",  # U+2212 minus
        _digits("2026-03-08T00:45:13.250+03:00", "\u0660"),  # Arabic-Indic (ar)
        _digits("2026-03-08T01:15:13.250+03:30", "\u06f0"),  # extended Arabic-Indic (fa)
        _digits("2026-03-08T03:15:13.250+05:30", "\u0966"),  # Devanagari (hi, mr, ne)
        _digits("2026-03-08T03:45:13.250+06:00", "\u09e6"),  # Bengali (bn)
        _digits("2026-03-08T04:15:13.250+06:30", "\u1040"),  # Myanmar (my)
        "\u200f" + _digits("2026-03-08T00:45:13\u066b250+03:00", "\u0660"),  # RLM, decimal sign
        "2569-03-07T21:45:13.250Z",  # Buddhist era (th)
        1772919913250,  # epoch milliseconds
        1772919913.25,  # epoch seconds
        "1772919913250",
        "1772919913250000",  # microseconds
        "/Date(1772919913250)/",  # .NET JSON
    ],
)
def test_every_form_gives_the_same_moment(value: Any) -> None:
    moment = parse_timestamp(value)
    assert moment.seconds == pytest.approx(MOMENT, abs=0.001), value


def test_rfc_2822_dates_are_read_to_the_second() -> None:
    assert parse_timestamp("Sat, 07 Mar 2026 21:45:13 GMT").seconds == int(MOMENT)
    assert parse_timestamp("Sat, 07 Mar 2026 22:45:13 +0100").seconds == int(MOMENT)


@pytest.mark.parametrize(
    ("value", "note"),
    [
        ("2026-03-07T21:45:13.250", "no time zone: taken as UTC"),
        ("2026-03-07 21:45:13.250", "no time zone: taken as UTC"),
        ("2569-03-07T21:45:13.250Z", "Buddhist-era year"),
    ],
)
def test_what_was_assumed_is_said(value: str, note: str) -> None:
    moment = parse_timestamp(value)
    assert moment.seconds == pytest.approx(MOMENT) and note in moment.notes


@pytest.mark.parametrize(
    "value",
    [
        "last tuesday",
        "",
        "2026-13-45T99:99:99Z",
        "0000-00-00T00:00:00Z",  # a null date
        "1970-01-01T00:00:00Z",  # epoch zero: no capture time
        "1899-12-30T00:00:00",  # .NET / OLE zero date
        0,
        -1,
        float("nan"),
        float("inf"),
        True,
        None,
        ["2026-03-07"],
        "2026-03-07T21:45:13Z" + " " * 200,  # too long to be a date
        "12345",  # a number, but no plausible time in any unit
    ],
)
def test_what_is_no_time_gives_none(value: Any) -> None:
    assert parse_timestamp(value).seconds is None


def _import(tmp_path: Path, started: list[Any]) -> tuple[list[rec.FlowRecord], list[str]]:
    entries = []
    for index, value in enumerate(started):
        entry = har_entry(
            "2026-03-07T21:45:13.250Z",
            f"https://t{index}.example-analytics.net/e?email=lina.probe%40example.org",
            "198.51.100.9",
        )
        if value is None:
            del entry["startedDateTime"]
        else:
            entry["startedDateTime"] = value
        entries.append(entry)
    path = tmp_path / "times.har"
    document = {"log": {"version": "1.2", "creator": {"name": "PCAPdroid"}, "entries": entries}}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    notes = ImportNotes(path.name)
    records = [r for r in read_records(path, notes) if isinstance(r, rec.FlowRecord)]
    return records, notes.lines()


def test_localized_digits_in_a_har_file_are_read(tmp_path: Path) -> None:
    started = [
        _digits("2026-03-08T00:45:13.250+03:00", "\u0660"),
        _digits("2026-03-08T01:15:13.250+03:30", "\u06f0"),
    ]
    flows, notes = _import(tmp_path, started)
    assert [f.timestamp_start for f in flows] == pytest.approx([MOMENT, MOMENT])
    assert flows[0].timestamp_end == pytest.approx(MOMENT + 0.010)  # "time": 10 ms
    assert notes == []


def test_entries_whose_time_cannot_be_read_are_kept_and_noted(tmp_path: Path) -> None:
    flows, notes = _import(tmp_path, ["yesterday evening", None, "2026-03-07T21:45:13.250Z", 7])
    assert len(flows) == 4  # every request still reaches detection
    assert [f.timestamp_start for f in flows] == [None, None, pytest.approx(MOMENT), None]
    assert all(f.url.endswith("email=lina.probe%40example.org") for f in flows)
    text = "\n".join(notes)
    assert "startedDateTime that is not a date: entry kept without a time (2 times" in text
    assert "entry 2 (GET https://t1.example-analytics.net/e): entry without startedDateTime" in text
    assert "lina.probe" not in text  # entries are named without their query


def test_a_time_without_zone_is_noted_once_for_many_entries(tmp_path: Path) -> None:
    flows, notes = _import(tmp_path, ["2026-03-07 21:45:13.250"] * 5)
    assert [f.timestamp_start for f in flows] == pytest.approx([MOMENT] * 5)
    assert len(notes) == 1 and "no time zone: taken as UTC (5 times" in notes[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1772919913.25, MOMENT),  # Chrome: epoch seconds
        (1772919913250, MOMENT),  # milliseconds
        ("2026-03-07T21:45:13.250Z", MOMENT),
        (True, None),
        (float("nan"), None),
        (3.5, None),  # no plausible time
    ],
)
def test_websocket_message_times_in_any_unit(tmp_path: Path, value: Any, expected: Any) -> None:
    entry = har_entry("2026-03-07T21:45:13.250Z", "wss://ws.example-chat.net/s", "198.51.100.9")
    entry["_webSocketMessages"] = [{"type": "send", "time": value, "opcode": 1, "data": "hi"}]
    path = tmp_path / "ws.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}), encoding="utf-8")
    records = list(read_records(path, ImportNotes(path.name)))
    messages = [r for r in records if isinstance(r, rec.WebSocketRecord)]
    assert len(messages) == 1 and messages[0].content == b"hi"
    if expected is None:
        assert messages[0].timestamp is None
    else:
        assert messages[0].timestamp == pytest.approx(expected)
