"""`leakmap import` and `sessions` arguments: session names a table can show, each file once."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.errors import LeakmapError
from analyzer.store import Store
from analyzer.store.db import check_session_name

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample-1.0.har"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "1 to 200 characters"),
        ("x" * 201, "1 to 200 characters"),
        ("   ", "other than spaces"),
        ("\t", "other than spaces"),
        ("app\n1.0", "control character"),
        (" lead", "starts or ends with a space"),
        ("trail ", "starts or ends with a space"),
        ("app\x1b[31m", "control character"),
    ],
)
def test_names_a_table_cannot_show_are_refused(name: str, message: str) -> None:
    with pytest.raises(LeakmapError, match=message):
        check_session_name(name)


@pytest.mark.parametrize("name", ["meitu 9.1", "微信-8.0", "x" * 200, "a"])
def test_ordinary_names_pass(name: str) -> None:
    check_session_name(name)


def test_import_under_a_blank_name_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "lab.db"
    Store(str(db)).close()
    code = main(["import", "--db", str(db), "--session", "   ", str(EXAMPLE)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().count("\n") == 0 and "other than spaces" in err
    with Store(str(db)) as store:
        assert store.sessions() == []


def test_the_same_file_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "lab.db"
    again = tmp_path / "again.har"
    again.symlink_to(EXAMPLE)
    code = main(["import", "--db", str(db), "--session", "dup", str(EXAMPLE), str(again)])
    err = capsys.readouterr().err
    assert code == 1
    assert "are the same file" in err and err.count("\n") == 1
    assert not db.exists() or Store(str(db)).sessions() == []
