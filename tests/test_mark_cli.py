"""``leakmap mark``: steps set from another terminal, now or at a time taken from notes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from analyzer.cli import main
from analyzer.cli.mark import parse_mark_time
from analyzer.errors import LeakmapError
from analyzer.store import Store
from analyzer.store.marks import marks

NOW = datetime(2027, 3, 4, 20, 0, 0).timestamp()  # local time, 20:00
START = float(int(time.time()) - 7200)  # a session that started two hours ago


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1800000000", 1_800_000_000.0),
        (" 1800000000.25 ", 1_800_000_000.25),
        ("14:03", datetime(2027, 3, 4, 14, 3).timestamp()),
        ("9:05:07", datetime(2027, 3, 4, 9, 5, 7).timestamp()),
        ("14:03:12.5", datetime(2027, 3, 4, 14, 3, 12).timestamp() + 0.5),
        ("2027-03-04T14:03:12Z", datetime(2027, 3, 4, 14, 3, 12, tzinfo=UTC).timestamp()),
        (
            "2027-03-04T14:03:12+02:00",
            datetime(2027, 3, 4, 14, 3, 12, tzinfo=timezone(timedelta(hours=2))).timestamp(),
        ),
        ("2027-03-04 14:03:12", datetime(2027, 3, 4, 14, 3, 12).timestamp()),
        ("2027-03-04T20:00:30", datetime(2027, 3, 4, 20, 0, 30).timestamp()),  # clock slack
    ],
)
def test_times_as_researchers_write_them(text: str, expected: float) -> None:
    assert parse_mark_time(text, now=NOW) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        # a session of an earlier day: the clock time is on that day, not today
        ("09:00:03", datetime(2027, 1, 2, 8, 30), datetime(2027, 1, 2, 9, 0, 3)),
        # a capture that ran past midnight: 00:10 is the next day
        ("00:10", datetime(2027, 1, 2, 23, 50), datetime(2027, 1, 3, 0, 10)),
        # a time shortly before the start stays on the day (a step begun just before)
        ("08:29", datetime(2027, 3, 4, 8, 30), datetime(2027, 3, 4, 8, 29)),
    ],
)
def test_clock_times_fall_on_the_sessions_day(
    text: str, start: datetime, expected: datetime
) -> None:
    at = parse_mark_time(text, now=datetime(2027, 3, 9, 12, 0).timestamp(),
                         session_start=start.timestamp())  # fmt: skip
    assert at == pytest.approx(expected.timestamp())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00", "not a time of day"),
        ("14:60", "not a time of day"),
        ("yesterday", "give ISO 8601"),
        ("", "give ISO 8601"),
        ("1e10", "give ISO 8601"),
        ("123", "before the year 2000"),
        ("21:00", "in the future"),
        ("2027-03-05", "in the future"),
    ],
)
def test_a_time_that_cannot_be_a_steps_start_is_refused(text: str, message: str) -> None:
    with pytest.raises(LeakmapError, match=message):
        parse_mark_time(text, now=NOW)


def test_marks_set_from_the_command_line_are_stored_and_listed(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(db_url) as store:
        session = store.create_session("probe-7", started_at=START)
    assert main(["mark", "probe-7", "consent refused", "--db", db_url]) == 0
    assert main(["mark", "probe-7", "login", "--at", f"{START + 100:.0f}", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert 'step "consent refused" from ' in out and "in session 'probe-7'" in out
    with Store(db_url) as store:
        stored = marks(store, session)
    assert [(m.label, m.source) for m in stored] == [("login", "cli"), ("consent refused", "cli")]
    assert stored[0].at == START + 100
    assert main(["mark", "probe-7", "--list", "--db", db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["from", "(local", "time)", "source", "step"]
    assert [line.split(None, 3)[-1] for line in lines[1:]] == ["login", "consent refused"]


def test_a_mark_before_the_session_started_is_kept_with_a_note(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(sqlite_url) as store:
        store.create_session("probe-8", started_at=START)
    early = f"{START - 10:.0f}"
    assert main(["mark", "probe-8", "app start", "--at", early, "--db", sqlite_url]) == 0
    assert "note: that is before the session started" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["mark", "no-such", "login"], 1, "no session named 'no-such'"),
        (["mark", "probe-9"], 2, "give the step that starts"),
        (["mark", "probe-9", "login", "--list"], 2, "--list takes no LABEL"),
        (["mark", "probe-9", "x" * 201], 1, "1 to 200 characters"),
        (["mark", "probe-9", "   "], 1, "1 to 200 characters"),
        (["mark", "probe-9", "login", "--at", "noon"], 1, "give ISO 8601"),
    ],
)
def test_bad_input_is_one_line_and_stores_nothing(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    with Store(sqlite_url) as store:
        session = store.create_session("probe-9")
    assert main([*args, "--db", sqlite_url]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("leakmap: error: ") and message in err[0]
    with Store(sqlite_url) as store:
        assert marks(store, session) == []


def test_a_missing_database_is_not_created(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    assert main(["mark", "s", "login", "--db", str(missing)]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not missing.exists()


def test_labels_cannot_drive_the_terminal(sqlite_url: str, capsys) -> None:
    with Store(sqlite_url) as store:
        store.create_session("probe-10")
    assert main(["mark", "probe-10", "\x1b]0;pwned\x07\x1b[2Jlogin", "--db", sqlite_url]) == 0
    assert main(["mark", "probe-10", "--list", "--db", sqlite_url]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "login" in out
