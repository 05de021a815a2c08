"""``leakmap import`` and ``leakmap sessions`` on mitmproxy's own test files (MIT, see LICENSE)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.errors import LeakmapError
from analyzer.importer import import_files
from analyzer.store import Store

DATA = Path(__file__).parent / "data" / "mitmproxy"
LEAKMAP = str(Path(sys.executable).with_name("leakmap"))

READABLE = [
    ("dumpfile-011.mitm", 1),
    ("dumpfile-018.mitm", 1),
    ("dumpfile-019.mitm", 1),
    ("dumpfile-10.mitm", 1),
    ("dumpfile-19.mitm", 1),
    ("dumpfile-7.mitm", 2),
    ("flows/diff_data.mitm", 5),
    ("flows/websocket.mitm", 3),
    ("flows/corrupted_gzip_body.mitm", 1),
    ("flows/compressed.zhar", 2),
    ("flows/diff_data.har", 5),
    ("flows/websocket.har", 3),
    ("har_files/chrome.har", 3),
    ("har_files/firefox.har", 14),
    ("har_files/safari.har", 19),
    ("har_files/charles.har", 1),
    ("har_files/insomnia.har", 1),
    ("har_files/postdata.har", 1),
    ("har_files/with-bom.har", 1),
]


def leakmap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEAKMAP, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("name", "flows"), READABLE)
def test_imports_every_readable_format(store: Store, name: str, flows: int) -> None:
    result = import_files(store, [DATA / name], session="s", app="App", app_version="2")
    assert result.flows == flows
    session = store.session("s")
    assert session.flows == flows
    assert (session.app, session.app_version, session.mode) == ("App", "2", "import")
    rows = list(store.iter_flows(session.id))
    assert all(row.url and row.method for row in rows)
    assert session.started_at == min(row.timestamp_start for row in rows)


def test_har_keeps_server_ip_bodies_and_decoded_encoding(store: Store) -> None:
    import_files(store, [DATA / "har_files" / "postdata.har"], session="s")
    (row,) = list(store.iter_flows(store.session("s").id))
    har = json.loads((DATA / "har_files" / "postdata.har").read_text())
    entry = har["log"]["entries"][0]
    assert row.url == entry["request"]["url"]
    assert row.request_body == entry["request"]["postData"]["text"].encode()
    assert row.request_content_encoding is None  # HAR bodies are stored decoded


def test_chrome_har_records_server_address(store: Store) -> None:
    import_files(store, [DATA / "har_files" / "chrome.har"], session="s")
    har = json.loads((DATA / "har_files" / "chrome.har").read_text())
    expected = [e.get("serverIPAddress", "").strip("[]") or None for e in har["log"]["entries"]]
    rows = list(store.iter_flows(store.session("s").id))
    assert [row.server_ip for row in rows] == expected
    assert any(expected)


def test_websocket_messages_are_imported_from_a_dump(store: Store) -> None:
    import_files(store, [DATA / "flows" / "websocket.mitm"], session="s")
    session_id = store.session("s").id
    messages = list(store.websocket_messages(session_id))
    websocket_flows = {row.id for row in store.iter_flows(session_id) if row.websocket}
    assert messages
    assert {m.flow_id for m in messages} <= websocket_flows
    assert any(m.from_client for m in messages) and any(not m.from_client for m in messages)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("corrupted_har/brokenfile.har", "not valid JSON at line 5"),
        ("corrupted_har/broken_headers.json", "not a HAR file"),
        ("dumpfile-010.mitm", "cannot read files with flow format version"),
    ],
)
def test_broken_files_give_one_line_and_leave_no_session(
    store: Store, name: str, message: str
) -> None:
    with pytest.raises(LeakmapError, match=message) as raised:
        import_files(store, [DATA / name], session="s")
    assert name.split("/")[-1] in str(raised.value)
    assert store.sessions() == []


def test_truncated_dump_is_refused(store: Store, tmp_path: Path) -> None:
    data = (DATA / "flows" / "diff_data.mitm").read_bytes()
    truncated = tmp_path / "cut.mitm"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(LeakmapError, match=r"cut\.mitm"):
        import_files(store, [truncated], session="s")
    assert store.sessions() == []


def test_one_bad_file_among_good_ones_writes_nothing(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.har"
    bad.write_text('{"log": {"entries": [{"request": {}}]}}')
    good = DATA / "flows" / "diff_data.mitm"
    with pytest.raises(LeakmapError, match=r"bad\.har: HAR entry 1 is malformed"):
        import_files(store, [good, bad], session="s")
    assert store.sessions() == []


def test_cli_import_and_sessions(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    ok = leakmap(
        "import", str(DATA / "flows" / "diff_data.mitm"), str(DATA / "har_files" / "chrome.har"),
        "--session", "two-files", "--app", "Demo", "--db", db,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "8 flows imported from 2 files" in ok.stdout
    listed = leakmap("sessions", "--db", db, "--json")
    assert listed.returncode == 0, listed.stderr
    (session,) = json.loads(listed.stdout)
    assert (session["name"], session["app"], session["flows"]) == ("two-files", "Demo", 8)
    table = leakmap("sessions", "--db", db)
    assert "two-files" in table.stdout and " 8" in table.stdout


def test_cli_import_error_is_one_line_exit_1(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    broken = tmp_path / "broken.har"
    shutil.copy(DATA / "corrupted_har" / "brokenfile.har", broken)
    result = leakmap("import", str(broken), "--session", "x", "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "broken.har" in result.stderr and "Traceback" not in result.stderr
    listed = leakmap("sessions", "--db", str(db), "--json")
    assert json.loads(listed.stdout) == []


def test_cli_import_missing_file(tmp_path: Path) -> None:
    result = leakmap(
        "import", str(tmp_path / "nope.mitm"), "--session", "x", "--db", str(tmp_path / "d.db")
    )
    assert result.returncode == 1
    assert "nope.mitm" in result.stderr and "No such file" in result.stderr


def test_sessions_on_a_missing_database_is_an_error(tmp_path: Path) -> None:
    result = leakmap("sessions", "--db", str(tmp_path / "absent.db"))
    assert result.returncode == 1
    assert "no database" in result.stderr
    assert not (tmp_path / "absent.db").exists()


def test_database_file_is_private(tmp_path: Path) -> None:
    db = tmp_path / "private.db"
    Store(str(db)).close()
    assert db.stat().st_mode & 0o777 == 0o600
