"""``leakmap geoip status | lookup | update`` through the real entry point."""

from __future__ import annotations

import base64
import functools
import gzip
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from analyzer.cli import main
from tests.support.mmdb import write_asn_db, write_city_db, write_country_db


@pytest.fixture
def country_db(tmp_path: Path) -> Path:
    return write_city_db(
        tmp_path / "GeoLite2-City.mmdb",
        {
            "127.0.0.2/32": ("CN", "Shenzhen", 22.5431, 114.0579),
            "2001:db8:5::/48": ("SG", "Singapore", 1.29, 103.85),
        },
    )


@pytest.fixture
def asn_db(tmp_path: Path) -> Path:
    return write_asn_db(tmp_path / "GeoLite2-ASN.mmdb", {"127.0.0.2/32": (45090, "Tencent")})


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_status_lists_embedded_data(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "geoip", "status", "--json")
    assert code == 0
    status = json.loads(out)
    roles = [(row["role"], row["embedded"]) for row in status["databases"]]
    assert roles == [("country", True), ("asn", True)]
    for row in status["databases"]:
        assert row["networks"] > 100_000
        assert row["build_date"] >= "2026-01-01"
        assert row["source"].startswith("@ip-location-db/")
    assert status["owner_domains"] >= 150
    assert "RouteViews" in status["geoip"]["attribution"]


def test_status_text_with_given_files(
    capsys: pytest.CaptureFixture[str], country_db: Path, asn_db: Path
) -> None:
    code, out, _ = run(
        capsys, "geoip", "status", "--geoip-db", str(country_db), "--asn-db", str(asn_db), "--count"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("country  GeoLite2-City (given file), built ")
    assert "2 networks" in lines[0]
    assert any(
        line.startswith("asn      GeoLite2-ASN (given file)") and "1 networks" in line
        for line in lines
    )
    assert "GeoLite2 data created by MaxMind" in out


def test_lookup_json_with_given_files_and_host(
    capsys: pytest.CaptureFixture[str], country_db: Path, asn_db: Path
) -> None:
    code, out, _ = run(
        capsys,
        "geoip", "lookup", "127.0.0.2", "2001:db8:5::9", "192.168.0.4",
        "--geoip-db", str(country_db), "--asn-db", str(asn_db),
        "--host", "mp.weixin.qq.com", "--json",
    )  # fmt: skip
    assert code == 0
    first, second, third = json.loads(out)
    assert (first["country"], first["city"], first["asn"], first["org"]) == (
        "CN", "Shenzhen", 45090, "Tencent",
    )  # fmt: skip
    assert first["latitude"] == pytest.approx(22.5431)
    assert (first["domain"], first["owner"], first["owner_country"]) == ("qq.com", "Tencent", "CN")
    assert (second["country"], second["city"]) == ("SG", "Singapore")
    assert third["local"] is True and third["country"] is None


def test_lookup_text_embedded(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "geoip", "lookup", "8.8.8.8", "--host", "app-measurement.com")
    assert code == 0
    assert out.split("\t")[:4] == ["8.8.8.8", "US", "AS15169", "Google LLC"]
    assert "app-measurement.com -> app-measurement.com: Google (US)" in out


def test_options_read_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, country_db: Path
) -> None:
    monkeypatch.setenv("LEAKMAP_GEOIP_DB", str(country_db))
    code, out, _ = run(capsys, "geoip", "lookup", "127.0.0.2", "--json")
    assert code == 0
    assert json.loads(out)[0]["country"] == "CN"


@pytest.mark.parametrize("option", ["--geoip-db", "--asn-db"])
def test_bad_database_is_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"not a database\n" * 100)
    code, out, err = run(capsys, "geoip", "lookup", "8.8.8.8", option, str(bad))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"leakmap: error: {option} {bad}: not a valid MaxMind database")


def test_wrong_type_is_one_line_error(capsys: pytest.CaptureFixture[str], asn_db: Path) -> None:
    code, _, err = run(capsys, "geoip", "status", "--geoip-db", str(asn_db))
    assert code == 1
    assert "'GeoLite2-ASN' database; --geoip-db needs a Country or City database" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", ["status", "lookup", "update"])
def test_every_command_has_help_with_example(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, _ = run(capsys, "geoip", command, "--help")
    assert code == 0
    assert "Example: leakmap geoip" in out


# ---- update, against a local HTTP server ---------------------------------------------------


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder) of an HTTP server on 127.0.0.1 serving the folder."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_update_plain_mmdb_then_use_it(
    capsys: pytest.CaptureFixture[str], served: tuple[str, Path], tmp_path: Path
) -> None:
    base, folder = served
    write_country_db(folder / "new.mmdb", {"127.0.0.7/32": "BR"})
    target = tmp_path / "data" / "country.mmdb"
    target.parent.mkdir()  # -o names a file in an existing folder
    code, out, _ = run(capsys, "geoip", "update", f"{base}/new.mmdb", "-o", str(target))
    assert code == 0, out
    assert f"use it with --geoip-db {target}" in out
    code, out, _ = run(capsys, "geoip", "lookup", "127.0.0.7", "--geoip-db", str(target), "--json")
    assert json.loads(out)[0]["country"] == "BR"


def test_update_from_npm_style_tarball(
    capsys: pytest.CaptureFixture[str], served: tuple[str, Path], tmp_path: Path
) -> None:
    base, folder = served
    small = write_asn_db(tmp_path / "small.mmdb", {"127.0.0.0/8": (1, "Small")})
    big = write_asn_db(
        tmp_path / "big.mmdb",
        {f"127.0.{n}.0/24": (64500 + n, f"Org {n}") for n in range(50)},
    )
    with tarfile.open(folder / "asn.tgz", "w:gz") as archive:
        archive.add(small, "package/asn-ipv4.mmdb")
        archive.add(big, "package/asn.mmdb")
        info = tarfile.TarInfo("package/README.md")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    target = tmp_path / "asn.mmdb"
    code, _, err = run(
        capsys, "geoip", "update", f"{base}/asn.tgz", "--kind", "asn", "-o", str(target)
    )
    assert code == 0, err
    code, out, _ = run(capsys, "geoip", "lookup", "127.0.3.1", "--asn-db", str(target), "--json")
    assert json.loads(out)[0]["asn"] == 64503


def test_update_gzip_file(
    capsys: pytest.CaptureFixture[str], served: tuple[str, Path], tmp_path: Path
) -> None:
    base, folder = served
    plain = write_country_db(tmp_path / "c.mmdb", {"127.0.0.8/32": "KE"})
    (folder / "c.mmdb.gz").write_bytes(gzip.compress(plain.read_bytes()))
    target = tmp_path / "out.mmdb"
    code, _, err = run(capsys, "geoip", "update", f"{base}/c.mmdb.gz", "-o", str(target))
    assert code == 0, err
    assert target.read_bytes() == plain.read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "kind", "problem"),
    [
        ("junk.mmdb", b"<html>not found</html>", "country", "not a valid MaxMind database"),
        ("missing.mmdb", None, "country", "HTTP 404"),
        ("asn.mmdb", "asn", "country", "needs a Country or City database"),
        ("empty.tgz", "tar", "asn", "holds no .mmdb file that is an ASN (or ISP) database"),
    ],
)
def test_failed_update_keeps_the_old_file(
    capsys: pytest.CaptureFixture[str],
    served: tuple[str, Path],
    tmp_path: Path,
    name: str,
    content: bytes | str | None,
    kind: str,
    problem: str,
) -> None:
    base, folder = served
    if content == "asn":
        write_asn_db(folder / name, {"127.0.0.0/8": (1, "x")})
    elif content == "tar":
        with tarfile.open(folder / name, "w:gz") as archive:
            info = tarfile.TarInfo("package/readme.txt")
            info.size = 2
            archive.addfile(info, io.BytesIO(b"hi"))
    elif isinstance(content, bytes):
        (folder / name).write_bytes(content)
    target = tmp_path / "current.mmdb"
    target.write_bytes(b"old contents")
    code, _, err = run(
        capsys, "geoip", "update", f"{base}/{name}", "--kind", kind, "-o", str(target)
    )
    assert code == 1
    assert problem in err and err.count("\n") == 1
    assert err.startswith(f"leakmap: error: {base}/{name}: "), err  # the URL, not a temp file
    assert ".leakmap-geo-" not in err
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".leakmap")) == []


def test_update_refuses_other_schemes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "geoip", "update", "file:///etc/passwd", "-o", str(tmp_path / "x"))
    assert code == 1
    assert "only http:// and https:// URLs" in err


def test_lookup_prints_the_connected_and_the_looked_up_address(
    capsys: pytest.CaptureFixture[str], country_db: Path, asn_db: Path
) -> None:
    given = ["--geoip-db", str(country_db), "--asn-db", str(asn_db)]
    code, out, _ = run(capsys, "geoip", "lookup", "64:ff9b::7f00:2", "2002:7f00:2::9", *given)
    assert code == 0
    nat64, sixtofour = out.splitlines()
    where = "CN Shenzhen (22.5431, 114.0579)"
    assert nat64.split("\t")[:4] == ["64:ff9b::7f00:2", where, "AS45090", "Tencent"]
    assert "looked up as 127.0.0.2 (NAT64 64:ff9b::/96" in nat64
    assert sixtofour.startswith("2002:7f00:2::9\tCN")
    assert "looked up as 127.0.0.2 (6to4" in sixtofour
    code, out, _ = run(capsys, "geoip", "lookup", "::ffff:127.0.0.2", "127.0.0.2", "--json", *given)
    mapped, plain = json.loads(out)
    assert (mapped["ip"], mapped["lookup_ip"], mapped["translation"]) == (
        "::ffff:127.0.0.2", "127.0.0.2", "ipv4-mapped",
    )  # fmt: skip
    assert (plain["ip"], plain["lookup_ip"], plain["translation"]) == ("127.0.0.2", None, None)
    assert mapped["country"] == plain["country"] == "CN"


@pytest.mark.parametrize(
    "bad", ["not-an-ip", "1.2.3.4.5", "999.1.1.1", "64:ff9b::1::2", "", "\x1b[2J", "7" * 300]
)
def test_lookup_of_something_that_is_not_an_address_is_an_error(
    capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    code, out, err = run(capsys, "geoip", "lookup", "8.8.8.8", bad, "--json")
    assert code == 1
    assert out == ""  # nothing half-printed: every argument is checked first
    assert err.count("\n") == 1 and err.startswith("leakmap: error: ")
    assert repr(bad[:64])[1:-1] in err
    assert "\x1b" not in err


class FakeMaxMind(QuietHandler):
    """A forward proxy standing in for download.maxmind.com and the storage it redirects to."""

    seen: list[tuple[str, str | None]]
    database: bytes

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("http://download.maxmind.com/"):
            if (
                self.headers.get("Authorization")
                != "Basic " + base64.b64encode(b"123456:l1c3nse-k3y").decode()
            ):
                self.send_error(401, "Unauthorized")
                return
            self.send_response(302)
            self.send_header("Location", "http://r2.storage.test/signed/GeoLite2-City.mmdb?sig=1")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.database)))
        self.end_headers()
        self.wfile.write(self.database)


MAXMIND_URL = "http://download.maxmind.com/geoip/databases/GeoLite2-City/download?suffix=tar.gz"


@pytest.fixture
def maxmind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[FakeMaxMind]]:
    """FakeMaxMind as the HTTP proxy of the process; yields the handler class (its ``seen``)."""
    handler = type("Handler", (FakeMaxMind,), {"seen": [], "database": b""})
    handler.database = write_city_db(
        tmp_path / "city.mmdb", {"127.0.0.9/32": ("NZ", "Wellington", -41.29, 174.78)}
    ).read_bytes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{server.server_address[1]}")
    for name in ("no_proxy", "NO_PROXY", "GEOIPUPDATE_ACCOUNT_ID", "GEOIPUPDATE_LICENSE_KEY"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_update_from_maxmind_sends_the_licence_key_there_only(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    maxmind: type[FakeMaxMind],
) -> None:
    monkeypatch.setenv("GEOIPUPDATE_ACCOUNT_ID", "123456")
    monkeypatch.setenv("GEOIPUPDATE_LICENSE_KEY", "l1c3nse-k3y")
    target = tmp_path / "city-new.mmdb"
    code, _, err = run(capsys, "geoip", "update", MAXMIND_URL, "-o", str(target))
    assert code == 0, err
    (first, auth), (second, passed_on) = maxmind.seen
    assert first == MAXMIND_URL and auth is not None
    assert second.startswith("http://r2.storage.test/") and passed_on is None
    code, out, _ = run(capsys, "geoip", "lookup", "127.0.0.9", "--geoip-db", str(target), "--json")
    assert json.loads(out)[0]["city"] == "Wellington"


def test_update_from_maxmind_without_a_key_says_what_is_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, maxmind: type[FakeMaxMind]
) -> None:
    target = tmp_path / "city-new.mmdb"
    code, _, err = run(capsys, "geoip", "update", MAXMIND_URL, "-o", str(target))
    assert code == 1
    assert "HTTP 401" in err and "GEOIPUPDATE_LICENSE_KEY" in err and err.count("\n") == 1
    assert maxmind.seen == [(MAXMIND_URL, None)]
    assert not target.exists()


def test_update_into_a_missing_folder_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "no" / "such" / "x.mmdb"
    code, _, err = run(capsys, "geoip", "update", "http://127.0.0.1:9/x.mmdb", "-o", str(target))
    assert code == 1
    assert "is not a folder" in err and err.count("\n") == 1
    assert not (tmp_path / "no").exists()
