"""GeoResolver on MaxMind-format files built here, and on the embedded default."""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import math
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mmdb_writer import MMDBWriter
from netaddr import IPNetwork, IPSet

from analyzer.cli import main
from analyzer.errors import LeakmapError
from analyzer.geo import GeoInfo, GeoResolver, Role, embedded_ipv4, is_local, parse_address
from analyzer.geo.records import asn_fields, country_fields
from tests.support.har import har_entry
from tests.support.mmdb import write_asn_db, write_city_db, write_country_db, write_db


@pytest.fixture
def country_db(tmp_path: Path) -> Path:
    return write_country_db(
        tmp_path / "GeoLite2-Country.mmdb",
        {"127.0.0.2/32": "CN", "10.9.0.0/16": "SG", "2001:db8:1::/48": "DE"},
    )


@pytest.fixture
def city_db(tmp_path: Path) -> Path:
    return write_city_db(
        tmp_path / "GeoLite2-City.mmdb",
        {
            "127.0.0.3/32": ("SG", "Singapore", 1.2897, 103.8501),
            "2001:db8:2::/48": ("FR", "Paris", 48.8566, 2.3522),
        },
    )


@pytest.fixture
def asn_db(tmp_path: Path) -> Path:
    return write_asn_db(
        tmp_path / "GeoLite2-ASN.mmdb",
        {"127.0.0.2/32": (4134, "CHINANET-BACKBONE"), "2001:db8:1::/48": (3320, "Telekom")},
    )


def test_given_files_answer_first(country_db: Path, asn_db: Path) -> None:
    with GeoResolver(country_db, asn_db) as geo:
        info = geo.lookup("127.0.0.2")
    assert info == GeoInfo(ip="127.0.0.2", country="CN", asn=4134, org="CHINANET-BACKBONE")


def test_ipv6_address(country_db: Path, asn_db: Path) -> None:
    with GeoResolver(country_db, asn_db) as geo:
        info = geo.lookup("2001:db8:1:0::42")
    assert (info.ip, info.country, info.asn, info.org) == ("2001:db8:1::42", "DE", 3320, "Telekom")
    assert info.local is False


@pytest.mark.parametrize(
    ("text", "ip", "lookup_ip"),
    [
        (" 127.0.0.2 ", "127.0.0.2", None),
        ("::ffff:127.0.0.2", "::ffff:127.0.0.2", "127.0.0.2"),
        ("[::FFFF:7f00:2]", "::ffff:127.0.0.2", "127.0.0.2"),
    ],
)
def test_address_spellings_from_captures(
    country_db: Path, text: str, ip: str, lookup_ip: str | None
) -> None:
    with GeoResolver(country_db) as geo:
        info = geo.lookup(text)
    assert (info.ip, info.lookup_ip, info.country) == (ip, lookup_ip, "CN")


def test_city_shape_gives_city_and_coordinates(city_db: Path) -> None:
    with GeoResolver(city_db, embedded=False) as geo:
        singapore = geo.lookup("127.0.0.3")
        paris = geo.lookup("2001:db8:2::1")
    assert (singapore.country, singapore.city) == ("SG", "Singapore")
    assert singapore.latitude == pytest.approx(1.2897)
    assert singapore.longitude == pytest.approx(103.8501)
    assert (paris.country, paris.city) == ("FR", "Paris")


def test_record_wins_over_local_class(country_db: Path) -> None:
    # 127.0.0.2 and 10.9.x are not globally routable, but the database has records for them.
    with GeoResolver(country_db, embedded=False) as geo:
        assert geo.lookup("127.0.0.2").local is False
        assert geo.lookup("10.9.1.1").country == "SG"
        assert geo.lookup("10.9.1.1").local is False


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.1.20",
        "172.16.5.4",
        "::1",
        "fe80::1%wlan0",
        "100.64.0.7",
        "0.0.0.0",
        "224.0.0.251",
        "fd00::5",
    ],
)
def test_no_record_and_not_global_is_local(country_db: Path, address: str) -> None:
    with GeoResolver(country_db) as geo:
        info = geo.lookup(address)
    assert info.local is True
    assert (info.country, info.asn) == (None, None)


def test_embedded_default_is_not_asked_about_private_ranges() -> None:
    # Its source data maps 192.168.0.0/16 and 172.16.0.0/12 to AU; a LAN is nowhere.
    with GeoResolver() as geo:
        assert geo.lookup("192.168.1.20") == GeoInfo(ip="192.168.1.20", local=True)
        assert geo.lookup("2001:db8::1") == GeoInfo(ip="2001:db8::1", local=True)


def test_public_address_without_record_is_unknown_not_local(country_db: Path) -> None:
    with GeoResolver(country_db, embedded=False) as geo:
        info = geo.lookup("8.8.8.8")
    assert info == GeoInfo(ip="8.8.8.8")


def test_embedded_default_answers_where_given_file_has_no_record(country_db: Path) -> None:
    with GeoResolver(country_db) as geo:
        assert geo.lookup("127.0.0.2").country == "CN"
        assert geo.lookup("8.8.8.8").country == "US"


@pytest.mark.parametrize("text", ["not-an-ip", "", "1.2.3.4.5", "999.1.1.1", "x" * 5000])
def test_non_addresses_give_empty_info(text: str) -> None:
    with GeoResolver() as geo:
        info = geo.lookup(text)
    assert (info.country, info.asn, info.local) == (None, None, False)
    assert len(info.ip) <= 64


def test_results_are_cached(country_db: Path) -> None:
    with GeoResolver(country_db) as geo:
        assert geo.lookup("127.0.0.2") is geo.lookup("127.0.0.2")


def test_ipv4_only_database_has_no_ipv6_records(tmp_path: Path) -> None:
    writer = MMDBWriter(ip_version=4, database_type="GeoLite2-Country")
    writer.insert_network(IPSet([IPNetwork("127.0.0.0/8")]), {"country": {"iso_code": "JP"}})
    path = tmp_path / "v4.mmdb"
    writer.to_db_file(str(path))
    with GeoResolver(path, embedded=False) as geo:
        assert geo.lookup("127.0.0.9").country == "JP"
        assert geo.lookup("2a00:1450::1") == GeoInfo(ip="2a00:1450::1")


def test_other_vendor_shapes(tmp_path: Path) -> None:
    country = write_db(
        tmp_path / "c.mmdb", "DBIP-Country-Lite", {"127.0.0.0/8": {"country_code": "fr"}}
    )
    asn = write_db(
        tmp_path / "a.mmdb", "ipinfo asn", {"127.0.0.0/8": {"asn": "AS64500", "as_name": "Lab"}}
    )
    with GeoResolver(country, asn, embedded=False) as geo:
        info = geo.lookup("127.0.0.5")
    assert (info.country, info.asn, info.org) == ("FR", 64500, "Lab")


def test_corrupt_database_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mmdb"
    bad.write_bytes(b"\x00\x01garbage" * 500)
    with pytest.raises(LeakmapError) as caught:
        GeoResolver(bad)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"--geoip-db {bad}: not a valid MaxMind database")


def test_truncated_database_is_an_error(tmp_path: Path, country_db: Path) -> None:
    data = country_db.read_bytes()
    cut = tmp_path / "cut.mmdb"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(LeakmapError, match="not a valid MaxMind database"):
        GeoResolver(asn_db=cut)


def test_damaged_search_tree_is_an_error(tmp_path: Path, country_db: Path) -> None:
    # Metadata intact, tree overwritten: the open succeeds, the first lookup must not crash.
    data = bytearray(country_db.read_bytes())
    data[:64] = b"\xff" * 64
    damaged = tmp_path / "damaged.mmdb"
    damaged.write_bytes(bytes(data))
    with pytest.raises(LeakmapError, match="damaged MaxMind database"):
        GeoResolver(damaged, embedded=False)


def test_wrong_type_database(country_db: Path, asn_db: Path) -> None:
    with pytest.raises(LeakmapError, match=r"'GeoLite2-ASN' database; --geoip-db needs a Country"):
        GeoResolver(geoip_db=asn_db)
    with pytest.raises(LeakmapError, match=r"'GeoLite2-Country' database; --asn-db needs an ASN"):
        GeoResolver(asn_db=country_db)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(LeakmapError, match="no such file"):
        GeoResolver(tmp_path / "absent.mmdb")
    with pytest.raises(LeakmapError, match="not a file"):
        GeoResolver(asn_db=tmp_path)


def test_roles_accept_maxmind_types() -> None:
    assert Role.COUNTRY.accepts("GeoIP2-City") and Role.COUNTRY.accepts("GeoLite2-Country")
    assert Role.ASN.accepts("GeoIP2-ISP") and Role.ASN.accepts("GeoLite2-ASN")
    assert not Role.COUNTRY.accepts("GeoIP2-Anonymous-IP")
    assert not Role.ASN.accepts("GeoIP2-Connection-Type")


def test_describe_names_files_and_attribution(country_db: Path, asn_db: Path) -> None:
    with GeoResolver(country_db, asn_db) as geo:
        described = geo.describe()
    assert set(described) == {"country_db", "asn_db", "attribution"}
    assert described["country_db"].startswith("GeoLite2-Country (GeoLite2-Country.mmdb), built ")
    assert "geo-whois-asn-country-mmdb@" in described["country_db"]
    assert described["asn_db"].startswith("GeoLite2-ASN (GeoLite2-ASN.mmdb)")
    assert "GeoLite2 data created by MaxMind" in described["attribution"]
    assert "RouteViews" in described["attribution"]


def test_describe_embedded_only() -> None:
    with GeoResolver() as geo:
        described = geo.describe()
    assert "(embedded" in described["country_db"]
    assert "@ip-location-db/asn@" in described["asn_db"]
    assert "MaxMind" not in described["attribution"]
    assert "db-ip.com" in described["attribution"]


@pytest.mark.parametrize(
    ("address", "country", "asn"),
    [
        ("8.8.8.8", "US", 15169),
        ("8.8.4.4", "US", 15169),
        ("2001:4860:4860::8888", "US", 15169),
        ("17.253.144.10", "US", 714),
        ("77.88.8.8", "RU", 13238),
        ("180.76.76.76", "CN", 55967),
        ("2606:4700:4700::1111", "US", 13335),
    ],
)
def test_embedded_default_spot_checks(address: str, country: str, asn: int) -> None:
    with GeoResolver() as geo:
        info = geo.lookup(address)
    assert (info.country, info.asn, info.local) == (country, asn, False)
    assert info.org


def test_record_parsing_rejects_odd_values() -> None:
    assert country_fields({"country": {"iso_code": "USA"}}) == (None, None, None, None)
    assert country_fields({"country": "de"})[0] == "DE"
    assert country_fields({"registered_country": {"iso_code": "CN"}})[0] == "CN"
    lat_nan = {"country_code": "US", "location": {"latitude": math.nan, "longitude": 1.0}}
    assert country_fields(lat_nan) == ("US", None, None, None)
    assert country_fields({"location": {"latitude": 91.0, "longitude": 1.0}})[2] is None
    assert country_fields(["not", "a", "map"]) == (None, None, None, None)
    assert asn_fields({"asn": "AS15169", "as_name": "Google"}) == (15169, "Google")
    assert asn_fields({"autonomous_system_number": True}) == (None, None)
    assert asn_fields({"autonomous_system_number": 2**40}) == (None, None)
    asn, org = asn_fields(
        {
            "autonomous_system_number": 1,
            "autonomous_system_organization": "Evil\x1b[31m" + "x" * 1000,
        }
    )
    assert asn == 1 and org is not None
    assert "\x1b" not in org and len(org) == 200


@settings(max_examples=2000, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_local_test_agrees_with_ipaddress_for_ipv4(value: int) -> None:
    address = ipaddress.IPv4Address(value)
    if address in ipaddress.ip_network("192.0.0.0/24"):
        return  # holds two global addresses (192.0.0.9, .10) that leakmap treats as local
    assert is_local(address) == (not address.is_global or address.is_multicast)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("8.8.8.8", "8.8.8.8"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("::ffff:8.8.8.8", "::ffff:8.8.8.8"),  # stays IPv6: translated.py finds the IPv4
        ("fe80::1%wlan0", "fe80::1"),
        ("01.2.3.4", None),
        ("1.2.3", None),
        ("8.8.8.8:443", None),
        ("", None),
    ],
)
def test_parse_address(text: str, parsed: str | None) -> None:
    address = parse_address(text)
    assert (None if address is None else str(address)) == parsed


EMBEDDED = GeoResolver()


def load_build_script() -> ModuleType:
    path = Path(__file__).parent.parent / "scripts" / "build_geo_data.py"
    spec = importlib.util.spec_from_file_location("build_geo_data", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_script_converts_the_asn_csv(tmp_path: Path) -> None:
    # The same CSV shape as @ip-location-db/asn (integer ranges, quoted organisations).
    build = load_build_script()
    v4 = tmp_path / "asn-ipv4-num.csv"
    v6 = tmp_path / "asn-ipv6-num.csv"
    first, last = int(ipaddress.IPv4Address("8.8.8.0")), int(ipaddress.IPv4Address("8.8.9.127"))
    v4.write_text(f'{first},{last},15169,"Google, LLC"\n16777216,16777471,0,Unrouted\n')
    six = int(ipaddress.IPv6Address("2a00:1450::"))
    v6.write_text(f"{six},{six + 2**96 - 1},15169,Google LLC\n")
    groups = build.read_asn_csv([(v4, 4), (v6, 6)])
    target = tmp_path / "asn.mmdb"
    build.write_asn_mmdb(groups, target, build.data_epoch("2.3.2026061719"))
    with GeoResolver(asn_db=target, embedded=False) as geo:
        assert (geo.lookup("8.8.9.127").asn, geo.lookup("8.8.9.127").org) == (15169, "Google, LLC")
        assert geo.lookup("8.8.9.128").asn is None
        assert geo.lookup("1.0.0.1").asn is None  # ASN 0 rows are dropped
        assert geo.lookup("2a00:1450::9").asn == 15169
        assert geo.databases[0].info.build_date.isoformat() == "2026-06-17"


def test_range_to_cidrs_covers_exactly() -> None:
    build = load_build_script()
    blocks = build.range_to_cidrs(5, 17, 32)
    assert blocks == [(5, 32), (6, 31), (8, 29), (16, 31)]
    assert build.range_to_cidrs(0, 2**32 - 1, 32) == [(0, 0)]


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=100) | st.ip_addresses().map(str))
def test_any_text_gives_a_geoinfo(text: str) -> None:
    info = EMBEDDED.lookup(text)
    assert isinstance(info, GeoInfo) and len(info.ip) <= 64
    assert info.country is None or (len(info.country) == 2 and info.country.isupper())


# --- translated server addresses (NAT64, IPv4-mapped/-compatible, 6to4, Teredo) ---------------

# 198.51.100.77 written in every form an IPv6 address can carry it (values made up here).
CARRIED = "198.51.100.77"
TRANSLATED = [
    ("64:ff9b::c633:644d", "nat64"),
    ("64:ff9b::198.51.100.77", "nat64"),
    ("64:ff9b:1::c633:644d", "nat64-local"),  # local-use prefix, IPv4 at /96
    ("64:ff9b:1:c633:64:4d00::", "nat64-local"),  # RFC 6052 at /48: bits 48-63, 72-87
    ("::ffff:198.51.100.77", "ipv4-mapped"),
    ("::198.51.100.77", "ipv4-compatible"),
    ("2002:c633:644d::1", "6to4"),
    ("2002:c633:644d:7:1:2:3:4", "6to4"),
    ("2001:0:4136:e378:8000:63bf:39cc:9bb2", "teredo"),  # client address, bits inverted
]


@pytest.fixture
def carried_db(tmp_path: Path) -> tuple[Path, Path]:
    country = write_country_db(tmp_path / "c.mmdb", {"198.51.100.0/24": "KR"})
    asn = write_asn_db(tmp_path / "a.mmdb", {"198.51.100.0/24": (64500, "Example Telecom KR")})
    return country, asn


@pytest.mark.parametrize(("address", "kind"), TRANSLATED)
def test_translated_address_is_looked_up_by_the_ipv4_it_carries(
    carried_db: tuple[Path, Path], address: str, kind: str
) -> None:
    with GeoResolver(*carried_db, embedded=False) as geo:
        info = geo.lookup(address)
    assert info.ip == str(ipaddress.ip_address(address))  # what the phone connected to
    assert (info.lookup_ip, info.translation) == (CARRIED, kind)
    assert (info.country, info.asn, info.org) == ("KR", 64500, "Example Telecom KR")
    assert info.local is False


@pytest.mark.parametrize(
    "address",
    ["2001:db8:1::42", "::", "::1", "64:ff9b:1:c633:164:4d00::", "64:ff9b:1:c633:64:4d00:0:1",
     "2001:db8::198.51.100.77", "2003::c633:644d", "8.8.8.8"],
)  # fmt: skip
def test_addresses_that_carry_no_ipv4_are_looked_up_as_they_are(address: str) -> None:
    # (A u octet or suffix that is not zero is another prefix length inside 64:ff9b:1::/48.)
    assert embedded_ipv4(ipaddress.ip_address(address)) is None
    with GeoResolver() as geo:
        info = geo.lookup(address)
    assert (info.lookup_ip, info.translation) == (None, None)


@pytest.mark.parametrize(
    ("address", "carried"),
    [("64:ff9b::c0a8:114", "192.168.1.20"), ("::ffff:10.0.0.1", "10.0.0.1"),
     ("2002:7f00:1::", "127.0.0.1")],
)  # fmt: skip
def test_translated_private_address_is_local(address: str, carried: str) -> None:
    with GeoResolver() as geo:
        info = geo.lookup(address)
    assert (info.lookup_ip, info.local, info.country) == (carried, True, None)


def _write_as(kind: str, v4: ipaddress.IPv4Address, tail: int) -> str:
    """``v4`` written in the form ``kind`` (the inverse of embedded_ipv4, for the property)."""
    packed, tail_bytes = v4.packed, tail.to_bytes(2)
    raw = {
        "nat64": bytes.fromhex("0064ff9b") + bytes(8) + packed,
        "nat64-local": bytes.fromhex("0064ff9b0001") + packed[:2] + b"\0" + packed[2:] + bytes(5),
        "ipv4-mapped": bytes(10) + b"\xff\xff" + packed,
        "6to4": b"\x20\x02" + packed + tail_bytes + bytes(8),
        "teredo": bytes.fromhex("2001000041360000") + tail_bytes + bytes(2)
        + bytes(b ^ 0xFF for b in packed),
    }[kind]  # fmt: skip
    return str(ipaddress.IPv6Address(raw))


@settings(max_examples=300, deadline=None)
@given(
    value=st.integers(min_value=1 << 24, max_value=(223 << 24) - 1),
    kind=st.sampled_from(["nat64", "nat64-local", "ipv4-mapped", "6to4", "teredo"]),
    tail=st.integers(0, 0xFFFF),
)
def test_embedded_default_places_a_translated_address_where_its_ipv4_is(
    value: int, kind: str, tail: int
) -> None:
    v4 = ipaddress.IPv4Address(value)
    with GeoResolver() as geo:
        direct, translated = geo.lookup(str(v4)), geo.lookup(_write_as(kind, v4, tail))
    assert translated.lookup_ip == str(v4)
    assert (translated.country, translated.asn, translated.org, translated.local) == (
        direct.country, direct.asn, direct.org, direct.local,
    )  # fmt: skip


def test_report_places_servers_reached_through_nat64_by_their_ipv4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An IPv6-only lab network: every server shows as 64:ff9b::/96, or another translated form.
    servers = {"203.119.129.47": "64:ff9b::cb77:812f", "31.13.72.36": "::ffff:31.13.72.36",
               "49.51.0.9": "64:ff9b:1:3133:0:900::"}  # fmt: skip
    entries = [
        har_entry("2026-03-01T10:00:00.000Z", f"https://t{n}.example-sdk.test/c?imei=359881030314355",
                  connected)
        for n, connected in enumerate(servers.values())
    ]  # fmt: skip
    har = tmp_path / "ipv6-only.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t"},
                                       "entries": entries}}))  # fmt: skip
    db = str(tmp_path / "lab.db")
    assert main(["import", str(har), "--session", "v6", "--db", db]) == 0
    capsys.readouterr()
    assert main(["report", "v6", "--db", db, "--format", "json", "-o", "-"]) == 0
    report = json.loads(capsys.readouterr().out)
    with GeoResolver() as geo:
        expected = {connected: geo.lookup(v4).country for v4, connected in servers.items()}
    assert None not in expected.values()  # the embedded data places all three
    found = {f["server_ip"]: f["country"] for f in report["findings"] if f["property"] == "imei"}
    assert found == {str(ipaddress.ip_address(c)): cc for c, cc in expected.items()}
    assert set(report["by_country"]) == set(expected.values())
