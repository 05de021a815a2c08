"""A file neither HAR nor mitmproxy dump is called what it is (analyzer/importer/sniff.py).

The files are made here with the real tools where Python has them (sqlite3, zipfile, gzip,
bz2, lzma) and with each format's published header otherwise.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import sqlite3
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from analyzer.errors import LeakmapError
from analyzer.importer import import_files, read_records
from analyzer.store import Store


def _pcap() -> bytes:
    # libpcap global header (magic, v2.4, zone, sigfigs, snaplen, LINKTYPE_ETHERNET) + 1 packet
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    return header + struct.pack("<IIII", 1770106211, 0, 14, 14) + b"\x00" * 14


def _pcapng() -> bytes:
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    length = 12 + len(body)
    return struct.pack("<II", 0x0A0D0D0A, length) + body + struct.pack("<I", length)


def _sqlite(path: Path) -> bytes:
    with sqlite3.connect(path) as conn:
        conn.execute("create table flows (id integer)")
    return path.read_bytes()


def _zip(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("raw/1_c.txt", "GET https://a.example/ HTTP/1.1\r\n\r\n")
    return path.read_bytes()


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda p: _pcap(), "a PCAP packet capture"),
        (lambda p: _pcapng(), "a PCAPNG packet capture"),
        (_sqlite, "a SQLite database"),
        (_zip, "a ZIP archive (a Fiddler .saz"),
        (lambda p: b"<!DOCTYPE html><html><head><title>x</title></head></html>", "an HTML page"),
        (lambda p: b'<?xml version="1.0"?><charles-session><transaction/></charles-session>',
         "a Charles XML session"),
        (lambda p: b"Zeit;Schritt\n10:15;Einwilligung\n", "a text file"),
        (lambda p: bz2.compress(b"x" * 100), "a bzip2-compressed file"),
        (lambda p: lzma.compress(b"x" * 100), "an xz-compressed file"),
        (lambda p: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (lambda p: bytes(range(256)) * 4, "binary data of an unknown kind"),
    ],
    ids=["pcap", "pcapng", "sqlite", "zip", "html", "chlsx", "text", "bzip2", "xz", "pdf",
         "binary"],
)  # fmt: skip
def test_other_files_are_called_what_they_are(tmp_path: Path, make, what: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "capture.bin"
    data = make(tmp_path / "made")
    path.write_bytes(data)
    with pytest.raises(LeakmapError) as raised:
        list(read_records(path))
    message = str(raised.value)
    assert message.startswith(f"{path}: neither a HAR file nor a mitmproxy dump: {what}")
    assert "corrupt" not in message and "\n" not in message


@pytest.mark.parametrize(
    ("document", "what"),
    [
        ({"info": {"name": "SDK calls"}, "item": []}, "a Postman collection"),
        ({"_type": "export", "__export_format": 4, "resources": []}, "an Insomnia export"),
        ({"headers": [["Content-Type"]]}, "JSON without a log.entries list (top-level keys: "
                                          "headers)"),
        ({"log": {"pages": []}}, "its log has no entries list"),
        ([{"request": {}}], "a JSON list"),
    ],
)  # fmt: skip
def test_json_that_is_not_a_har_is_named(tmp_path: Path, document: object, what: str) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    with pytest.raises(LeakmapError) as raised:
        list(read_records(path))
    assert f"export.json: not a HAR file: {what}" in str(raised.value)


@pytest.mark.parametrize("pack", [gzip.compress, zlib.compress], ids=["gzip", "zhar"])
def test_a_compressed_file_that_holds_no_har_says_what_it_holds(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "capture.har.gz"
    path.write_bytes(pack(_pcap()))
    with pytest.raises(LeakmapError, match="compressed, holding a PCAP packet capture"):
        list(read_records(path))


@pytest.mark.parametrize("pack", [gzip.compress, zlib.compress], ids=["gzip", "zhar"])
def test_compressed_hars_are_read(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    document = {"log": {"entries": [{
        "startedDateTime": "2026-02-03T09:10:11Z", "time": 1,
        "request": {"method": "GET", "url": "https://a.example.org/?x=1", "headers": []},
        "response": {"status": 204, "headers": []},
    }]}}  # fmt: skip
    path = tmp_path / "capture.zhar"
    path.write_bytes(pack(json.dumps(document).encode("utf-16")))
    (flow,) = list(read_records(path))
    assert flow.url == "https://a.example.org/?x=1"  # type: ignore[union-attr]


def test_cli_names_a_pcap_and_writes_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "phone.pcap"
    path.write_bytes(_pcap())
    db = tmp_path / "lab.db"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("leakmap")), "import", str(path), "--session", "s",
         "--db", str(db)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "a PCAP packet capture" in result.stderr
    with Store(str(db)) as store:
        assert store.sessions() == []


def test_a_pcap_among_good_files_leaves_no_session(store: Store, tmp_path: Path) -> None:
    good = Path(__file__).parent / "data" / "mitmproxy" / "flows" / "successful_log.har"
    bad = tmp_path / "phone.pcapng"
    bad.write_bytes(_pcapng())
    with pytest.raises(LeakmapError, match="PCAPNG"):
        import_files(store, [good, bad], session="s")
    assert store.sessions() == []
