"""Output files: written whole or not at all, never into a folder made up by a typo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzer.errors import LeakmapError
from analyzer.report.atomic import atomic_output, check_folder


def test_a_missing_folder_is_an_error_and_nothing_is_created(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "report.html"
    message = r"cannot write .*report\.html: .*no/such does not exist"
    with pytest.raises(LeakmapError, match=message), atomic_output(target) as out:
        out.write("x")
    assert list(tmp_path.iterdir()) == []


def test_a_file_where_the_folder_should_be_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("")
    with pytest.raises(LeakmapError, match="is not a folder"):
        check_folder(tmp_path / "notes" / "report.html")


def test_the_default_reports_folder_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with atomic_output(Path("reports") / "s.html") as out:
        out.write("<p>ok</p>")
    assert (tmp_path / "reports" / "s.html").read_text() == "<p>ok</p>"


def test_an_error_while_writing_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write("half")
        raise RuntimeError("stop")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["r.json"]


def test_report_to_a_missing_folder_fails_before_any_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from analyzer.cli import main

    db = tmp_path / "lab.db"
    example = Path(__file__).resolve().parent.parent / "examples" / "sample-1.0.har"
    assert main(["import", "--db", str(db), "--session", "s", str(example)]) == 0
    capsys.readouterr()
    code = main(["report", "s", "--db", str(db), "-o", str(tmp_path / "gone" / "r.html")])
    assert code == 1
    assert "gone does not exist" in capsys.readouterr().err
    assert not (tmp_path / "gone").exists()
