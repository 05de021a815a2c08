"""Host -> registrable domain -> owner, from the embedded map and from map files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import LeakmapError
from analyzer.owners import Owner, OwnerMap, registrable_domain


@pytest.fixture(scope="module")
def owners() -> OwnerMap:
    return OwnerMap.load()


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("a.b.example.com.cn", "example.com.cn"),
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("bbc.co.uk", "bbc.co.uk"),
        ("shop.rakuten.co.jp", "rakuten.co.jp"),
        ("graph.facebook.com", "facebook.com"),
        ("Graph.FaceBook.com.", "facebook.com"),
        ("graph.facebook.com:443", "facebook.com"),
        ("d111111abcdef8.cloudfront.net", "cloudfront.net"),
        ("bücher.example.de", "example.de"),
    ],
)
def test_registrable_domain(owners: OwnerMap, host: str, domain: str) -> None:
    assert owners.registrable_domain(host) == domain
    assert registrable_domain(host) == domain


@pytest.mark.parametrize(
    "host",
    [
        "8.8.8.8",
        "2001:db8::1",
        "[2001:db8::1]:443",
        "::1",
        "localhost",
        "co.uk",
        "com.cn",
        "",
        "bad host.com",
        "-x.com",
        "a" * 300 + ".com",
        "a..b.com",
    ],
)
def test_no_registrable_domain_for_ips_suffixes_and_junk(owners: OwnerMap, host: str) -> None:
    assert owners.registrable_domain(host) is None
    assert owners.lookup(host) is None


def test_subdomain_inherits_owner(owners: OwnerMap) -> None:
    owner = owners.lookup("graph.facebook.com")
    assert owner == Owner(
        name="Meta Platforms", country="US", domain="facebook.com", source=owner.source
    )
    assert "wikipedia.org/wiki/Meta_Platforms" in owner.source


@pytest.mark.parametrize(
    ("host", "name", "country"),
    [
        ("firebaseinstallations.googleapis.com", "Google", "US"),
        ("app-measurement.com", "Google", "US"),
        ("firebase-settings.crashlytics.com", "Google", "US"),
        ("googleads.g.doubleclick.net", "Google", "US"),
        ("b-graph.facebook.com", "Meta Platforms", "US"),
        ("mp.weixin.qq.com", "Tencent", "CN"),
        ("android.bugly.qq.com", "Tencent", "CN"),
        ("api16-normal-c-useast1a.tiktokv.com", "ByteDance", "CN"),
        ("api-access.pangle.io", "ByteDance", "CN"),
        ("log.byteoversea.com", "ByteDance", "CN"),
        ("alog.umeng.com", "Alibaba Group", "CN"),
        ("oss-cn-hangzhou.aliyuncs.com", "Alibaba Group", "CN"),
        ("mobilegw.alipay.com", "Ant Group", "CN"),
        ("api.meitu.com", "Meitu", "CN"),
        ("data.mistat.xiaomi.com", "Xiaomi", "CN"),
        ("metrics1.data.hicloud.com", "Huawei", "CN"),
        ("tsis.jpush.cn", "Aurora Mobile (JPush)", "CN"),
        ("sdk.open.phone.igexin.com", "Getui", "CN"),
        ("news.sina.com.cn", "Weibo (Sina)", "CN"),
        ("s3.amazonaws.com", "Amazon", "US"),
        ("in.appcenter.ms", "Microsoft", "US"),
        ("gsp64-ssl.ls.apple.com", "Apple", "US"),
        ("launches.appsflyer.com", "AppsFlyer", "IL"),
        ("app.adjust.com", "Adjust", "DE"),
        ("api2.branch.io", "Branch Metrics", "US"),
        ("sdk-api-v1.singular.net", "Singular Labs", "US"),
        ("control.kochava.com", "Kochava", "US"),
        ("ms.applovin.com", "AppLovin", "US"),
        ("auction.unityads.unity3d.com", "Unity Technologies", "US"),
        ("outcome-ssp.supersonicads.com", "Unity Technologies", "US"),
        ("api.vungle.com", "Liftoff (Vungle)", "US"),
        ("live.chartboost.com", "Chartboost", "US"),
        ("startup.mobile.yandex.net", "Yandex", "RU"),
        ("api.onesignal.com", "OneSignal", "US"),
        ("o123.ingest.sentry.io", "Sentry (Functional Software)", "US"),
        ("sessions.bugsnag.com", "SmartBear (Bugsnag)", "US"),
        ("api.mixpanel.com", "Mixpanel", "US"),
        ("api2.amplitude.com", "Amplitude", "US"),
        ("api.segment.io", "Twilio (Segment)", "US"),
        ("sdk.iad-01.braze.com", "Braze", "US"),
        ("cdnjs.cloudflare.com", "Cloudflare", "US"),
        ("a248.e.akamai.net", "Akamai Technologies", "US"),
    ],
)
def test_embedded_map_knows_the_usual_destinations(
    owners: OwnerMap, host: str, name: str, country: str
) -> None:
    owner = owners.lookup(host)
    assert owner is not None, host
    assert (owner.name, owner.country) == (name, country)
    assert host.endswith(owner.domain)


def test_unlisted_domain_has_no_owner(owners: OwnerMap) -> None:
    assert owners.lookup("a.b.example.com.cn") is None
    assert owners.lookup("facebook.com.evil.example") is None
    assert owners.lookup("notfacebook.com") is None


def test_embedded_map_is_large_and_sourced(owners: OwnerMap) -> None:
    assert len(owners) >= 150
    for domain in owners.domains():
        owner = owners.lookup(domain)
        assert owner is not None and owner.domain == domain
        assert re.fullmatch(r"[A-Z]{2}", owner.country)
        assert owner.source.strip()


def test_embedded_map_is_loaded_once() -> None:
    assert OwnerMap.load() is OwnerMap.load()


def write_map(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_more_specific_entry_wins(tmp_path: Path) -> None:
    path = write_map(
        tmp_path / "map.toml",
        """
[[owner]]
name = "Example Corp"
country = "DE"
source = "test"
domains = ["example.com"]

[[owner]]
name = "CDN Ltd"
country = "GB"
source = "test"
domains = ["cdn.example.com", "example.co.uk"]
""",
    )
    owners = OwnerMap.load(path)
    assert owners.lookup("www.example.com").name == "Example Corp"
    assert owners.lookup("x.cdn.example.com").name == "CDN Ltd"
    assert owners.lookup("www.example.co.uk").country == "GB"
    assert owners.lookup("co.uk") is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            'name = "A"\ncountry = "DE"\nsource = "s"\ndomains = ["a.com", "a.com"]',
            "already listed",
        ),
        ('name = "A"\ncountry = "Germany"\nsource = "s"\ndomains = ["a.com"]', "alpha-2"),
        ('name = "A"\ncountry = "DE"\ndomains = ["a.com"]', "'source' is missing"),
        ('name = "A"\ncountry = "DE"\nsource = "s"\ndomains = ["co.uk"]', "registrable domain"),
        ('name = "A"\ncountry = "DE"\nsource = "s"\ndomains = ["A.com"]', "lower-case"),
        ('name = "A"\ncountry = "DE"\nsource = "s"\ndomains = []', "non-empty list"),
        ('country = "DE"\nsource = "s"\ndomains = ["a.com"]', "'name' is missing"),
    ],
)
def test_bad_map_files_name_the_problem(tmp_path: Path, body: str, problem: str) -> None:
    path = write_map(tmp_path / "bad.toml", "[[owner]]\n" + body + "\n")
    with pytest.raises(LeakmapError, match=re.escape(problem)):
        OwnerMap.load(path)


def test_unreadable_map_files(tmp_path: Path) -> None:
    with pytest.raises(LeakmapError, match="cannot read"):
        OwnerMap.load(tmp_path / "absent.toml")
    with pytest.raises(LeakmapError, match="not valid TOML"):
        OwnerMap.load(write_map(tmp_path / "x.toml", "[[owner]\n"))
    with pytest.raises(LeakmapError, match=r"no \[\[owner\]\] entries"):
        OwnerMap.load(write_map(tmp_path / "y.toml", "title = 'x'\n"))


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300) | st.from_regex(r"[a-zA-Z0-9.:\[\]-]{0,80}", fullmatch=True))
def test_hostile_host_text_never_raises(owners: OwnerMap, host: str) -> None:
    domain = owners.registrable_domain(host)
    owner = owners.lookup(host)
    assert domain is None or (domain.isascii() and len(domain) <= 253)
    assert owner is None or owner.domain in owners.domains()
