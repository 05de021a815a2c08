"""What a file says of its session: leakmap's own export keeps app, version and device; a file
with nothing in it is named, and an import of nothing is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.store import Store

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample-1.0.har"


def _import(db: Path, session: str, *files: Path, extra: tuple[str, ...] = ()) -> int:
    return main(["import", "--db", str(db), "--session", session, *extra, *map(str, files)])


def test_own_export_brings_app_version_and_device_back(tmp_path: Path) -> None:
    db, har = tmp_path / "lab.db", tmp_path / "out.har"
    extra = ("--app", "Tally Notes", "--app-version", "4.2.0", "--device", "bench-phone")
    assert _import(db, "first", EXAMPLE, extra=extra) == 0
    assert main(["report", "first", "--db", str(db), "--format", "har", "-o", str(har)]) == 0
    assert _import(db, "again", har) == 0
    with Store(str(db)) as store:
        again = store.session("again")
    assert (again.app, again.app_version, again.device) == ("Tally Notes", "4.2.0", "bench-phone")
    # what the command line says wins over what the file says
    assert _import(db, "renamed", har, extra=("--app", "Other")) == 0
    with Store(str(db)) as store:
        assert store.session("renamed").app == "Other"


def test_hostile_session_fields_in_an_export_are_left_out(tmp_path: Path) -> None:
    har = json.loads(EXAMPLE.read_text())
    har["log"]["_leakmap"] = {"app": "x\x1b[2J", "app_version": 7, "device": "d" * 500}
    path = tmp_path / "crafted.har"
    path.write_text(json.dumps(har))
    db = tmp_path / "lab.db"
    assert _import(db, "s", path) == 0
    with Store(str(db)) as store:
        s = store.session("s")
    assert (s.app, s.app_version, s.device) == (None, None, None)


def test_an_empty_file_is_refused_and_nothing_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.har"
    empty.write_text('{"log": {"version": "1.2", "entries": []}}')
    db = tmp_path / "lab.db"
    Store(str(db)).close()
    assert _import(db, "s", empty) == 1
    err = capsys.readouterr().err
    assert "nothing to import: empty.har holds no request" in err and err.count("\n") == 1
    with Store(str(db)) as store:
        assert store.sessions() == []


def test_an_empty_file_beside_others_is_named_in_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.har"
    empty.write_text('{"log": {"version": "1.2", "entries": []}}')
    db = tmp_path / "lab.db"
    assert _import(db, "s", EXAMPLE, empty) == 0
    assert "empty.har: holds no request" in capsys.readouterr().err
    with Store(str(db)) as store:
        assert "empty.har: holds no request" in (store.session("s").notes or "")
