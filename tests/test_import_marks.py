"""Steps from a file: ``leakmap import ... --marks FILE`` (analyzer/importer/marks.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.errors import LeakmapError
from analyzer.importer import import_files
from analyzer.importer.marks import parse_time, read_marks
from analyzer.store import Store
from analyzer.store.marks import marks

LEAKMAP = str(Path(sys.executable).with_name("leakmap"))
T = 1770106211.0  # 2026-02-03T08:10:11Z


def capture(tmp_path: Path, times: list[float]) -> Path:
    """A HAR of one GET per time (epoch seconds)."""
    from datetime import UTC, datetime

    entries = [
        {
            "startedDateTime": datetime.fromtimestamp(at, UTC).isoformat(),
            "time": 10,
            "request": {"method": "GET", "url": f"https://t{n}.example.org/p", "headers": []},
            "response": {"status": 200, "headers": []},
        }
        for n, at in enumerate(times)
    ]
    path = tmp_path / "session.har"
    path.write_text(json.dumps({"log": {"entries": entries}}))
    return path


def steps_file(tmp_path: Path, text: str, name: str = "steps.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-03T08:10:11Z", T),
        ("2026-02-03T09:10:11+01:00", T),
        ("2026-02-03T03:10:11.5-05:00", T + 0.5),
        ("2026-02-03 09:10:11+0100", T),
        ("1770106211", T),
        ("1770106211.25", T + 0.25),
        ("2026-02-03T08:10:11", None),  # no offset: ambiguous between the phone and the laptop
        ("yesterday 10:15", None),
        ("nan", None),
        ("-5", None),
    ],
)
def test_times_are_iso_8601_with_an_offset_or_unix_seconds(
    text: str, expected: float | None
) -> None:
    assert parse_time(text) == expected


def test_csv_with_header_comments_quotes_and_a_bom(tmp_path: Path) -> None:
    path = steps_file(
        tmp_path,
        "\ufefftime,label\n"
        "# from the screen recording, phone clock\n"
        "\n"
        "2026-02-03T09:10:11+01:00,consent shown\n"
        '2026-02-03T09:10:15+01:00,"consent refused, then   closed"\n'
        "1770106230,login, with the test account\n",
    )
    steps = read_marks(path)
    assert [(s.line, s.at, s.label) for s in steps] == [
        (4, T, "consent shown"),
        (5, T + 4, "consent refused, then closed"),
        (6, T + 19, "login, with the test account"),
    ]


def test_tsv(tmp_path: Path) -> None:
    path = steps_file(
        tmp_path, "1770106211\tErststart\n1770106219\tZustimmung abgelehnt\n", "s.tsv"
    )
    assert [s.label for s in read_marks(path)] == ["Erststart", "Zustimmung abgelehnt"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-02-03T09:10:11+01:00,ok\n10:15,login\n", r"line 2: '10:15' is not a time"),
        ("1770106211,ok\n1770106212\n", "line 2: expected time,label"),
        ("1770106211,ok\n1770106212,   \n", "line 2: a step label must have 1 to 200"),
        ("1770106211," + "x" * 201 + "\n", "line 1: a step label must have 1 to 200"),
        ("# only a comment\n", "no steps in it"),
        ("2026-02-03T09:10:11,naive\n", "line 1: .* is not a time"),
    ],
)
def test_a_bad_line_is_one_line_naming_it(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(LeakmapError, match=message) as raised:
        read_marks(steps_file(tmp_path, text))
    assert "steps.csv" in str(raised.value) and "\n" not in str(raised.value)


def test_marks_are_stored_with_the_import(store: Store, tmp_path: Path) -> None:
    har = capture(tmp_path, [T - 5, T + 2, T + 30])
    path = steps_file(tmp_path, f"{T},consent shown\n{T + 20},consent refused\n")
    result = import_files(store, [har], session="s", marks=path)
    assert result.marks == 2 and result.notes == []
    stored = marks(store, store.session("s").id)
    assert [(m.label, m.at, m.source) for m in stored] == [
        ("consent shown", T, "import"),
        ("consent refused", T + 20, "import"),
    ]


def test_a_bad_marks_file_writes_nothing(store: Store, tmp_path: Path) -> None:
    har = capture(tmp_path, [T])
    path = steps_file(tmp_path, f"{T},consent shown\nsoon,login\n")
    with pytest.raises(LeakmapError, match="line 2"):
        import_files(store, [har], session="s", marks=path)
    assert store.sessions() == []


def test_steps_far_outside_the_traffic_are_noted(store: Store, tmp_path: Path) -> None:
    har = capture(tmp_path, [T, T + 60])
    # written in local time but marked UTC: two hours off
    path = steps_file(tmp_path, f"{T + 7200},login\n{T + 30},consent shown\n")
    result = import_files(store, [har], session="s", marks=path)
    assert result.notes == [
        "steps.csv: 1 step(s) more than an hour outside the imported traffic (line 1): check "
        "the time zone of the times"
    ]
    assert store.session("s").notes == result.notes[0]


def test_cli_marks(tmp_path: Path) -> None:
    har = capture(tmp_path, [T, T + 10])
    path = steps_file(tmp_path, f"{T + 5},login\n")
    db = str(tmp_path / "lab.db")
    ok = subprocess.run(
        [LEAKMAP, "import", str(har), "--session", "s", "--marks", str(path), "--db", db],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "2 flows imported from 1 file, 1 step" in ok.stdout
    bad = steps_file(tmp_path, f"{T},ok\n{T},\n", "bad.csv")
    failed = subprocess.run(
        [LEAKMAP, "import", str(har), "--session", "t", "--marks", str(bad), "--db", db],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1 and "bad.csv, line 2" in failed.stderr
    with Store(db) as store:
        assert [s.name for s in store.sessions()] == ["s"]
