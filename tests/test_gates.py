"""--fail-on gates: parsing (usage errors exit 2) and evaluation against diffs."""

from __future__ import annotations

from typing import Any

import pytest

from analyzer.diff import diff_reports
from analyzer.errors import LeakmapError
from analyzer.gates import GATE_HELP, evaluate, exit_code, parse_gates
from analyzer.policy import load_policy
from tests.support.diff import destination, finding, report, tls_failure

OLD = report(
    "v6.2",
    findings=[
        finding("advertisingId", "cdn-a1.example-cdn.com", "US", owner="CDN Co"),
        finding("email", "api.example.org", "DE", owner="Example", encoding="sha256"),
    ],
    destinations=[destination("tiles.maps.example", countries=["US"])],
    tls_failures=[tls_failure("pinned.example.org")],
)
NEW = report(
    "v6.3",
    findings=[
        finding("advertisingId", "cdn-b7.example-cdn.com", "US", owner="CDN Co"),
        finding("email", "api.example.org", "DE", owner="Example", encoding="plain"),
        finding("imei", "log.tencent.cn", "CN", owner="Tencent"),
    ],
    destinations=[destination("tiles.maps.example", countries=["US"], plaintext=True)],
    tls_failures=[tls_failure("pinned.example.org"), tls_failure("pinned.newsdk.io")],
)


def _fired(
    expressions: list[str],
    old: dict[str, Any] = OLD,
    new: dict[str, Any] = NEW,
    policy: bool = False,
) -> dict[str, tuple[str, ...]]:
    diff = diff_reports(old, new, policy=load_policy("eu-adequacy") if policy else None)
    return {hit.gate: hit.reasons for hit in evaluate(parse_gates(expressions), diff)}


@pytest.mark.parametrize(
    ("gate", "reasons"),
    [
        ("new-country", ("CN",)),
        ("new-country:CN", ("CN",)),
        ("new-owner", ("Tencent",)),
        ("new-owner:tencent", ("Tencent",)),
        ("new-domain", ("tencent.cn",)),
        ("new-host", ("cdn-b7.example-cdn.com", "log.tencent.cn")),
        ("new-property", ("imei",)),
        ("new-property:IMEI", ("imei",)),
        ("new-finding", ("imei -> log.tencent.cn (CN)",)),
        ("new-plaintext", ("tiles.maps.example",)),
        ("new-unhashed", ("email -> api.example.org",)),
        ("new-blind-spot", ("pinned.newsdk.io",)),
        ("property:imei", ("imei",)),
        ("property:advertisingid", ("advertisingId",)),
        ("country:CN", ("CN",)),
        ("country:us", ("US",)),
        ("owner:CDN Co", ("CDN Co",)),
        ("plaintext", ("tiles.maps.example",)),
        ("blind-spot", ("pinned.example.org", "pinned.newsdk.io")),
    ],
)
def test_gate_fires_with_reasons(gate: str, reasons: tuple[str, ...]) -> None:
    fired = _fired([gate])
    [(name, got)] = fired.items()
    assert got == reasons
    assert name == gate.split(":")[0] or name.lower() == gate.lower()


@pytest.mark.parametrize(
    "gate",
    [
        "new-country:RU",
        "new-owner:Google",
        "new-property:email",
        "property:phoneNumber",
        "country:RU",
        "owner:Tencent Music",
        "new-domain:example-cdn.com",  # the renamed CDN host is not a new domain
    ],
)
def test_gate_does_not_fire(gate: str) -> None:
    assert _fired([gate]) == {}


def test_renamed_cdn_host_alone_fires_only_new_host() -> None:
    old = report("a", findings=[finding("imei", "cdn-a1.example-cdn.com", "US", owner="CDN")])
    new = report("b", findings=[finding("imei", "cdn-b7.example-cdn.com", "US", owner="CDN")])
    everything = [
        "new-country",
        "new-owner",
        "new-domain",
        "new-property",
        "new-finding",
        "new-plaintext",
        "new-unhashed",
        "new-blind-spot",
        "new-host",
    ]
    assert set(_fired(everything, old, new)) == {"new-host"}


def test_no_differences_no_hit_and_exit_code() -> None:
    diff = diff_reports(OLD, OLD)
    hits = evaluate(parse_gates(["new-country,new-owner", "new-finding", "any-change"]), diff)
    assert hits == []
    assert exit_code(hits) == 0
    assert exit_code(evaluate(parse_gates(["new-country"]), diff_reports(OLD, NEW))) == 1


def test_any_change_ignores_volume_only() -> None:
    old = report("a", destinations=[destination("api.example.org", flows=1, bytes_sent=10)])
    new = report("b", destinations=[destination("api.example.org", flows=5, bytes_sent=99)])
    assert _fired(["any-change"], old, new) == {}
    assert "any-change" in _fired(["any-change"])


def test_policy_gates() -> None:
    fired = _fired(["outside-policy", "new-outside-policy"], policy=True)
    # advertisingId to the US is inside eu-adequacy; imei to CN is outside.
    assert fired == {
        "outside-policy": ("imei -> log.tencent.cn (CN)",),
        "new-outside-policy": ("imei -> log.tencent.cn (CN)",),
    }


def test_policy_gate_without_policy_is_a_usage_error() -> None:
    with pytest.raises(LeakmapError, match="needs a policy") as caught:
        _fired(["outside-policy"])
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("new-planet", "unknown gate 'new-planet'"),
        ("property:imeii", "unknown property 'imeii'; did you mean 'imei'"),
        ("property", "needs a value"),
        ("country:", "needs a value"),
        ("country:China", "unknown country code 'China'"),
        ("new-country:ZZ", "unknown country code"),
        ("plaintext:yes", "takes no argument"),
        ("new-property:favouriteColour", "unknown property"),
    ],
)
def test_bad_expressions_are_usage_errors(expression: str, message: str) -> None:
    with pytest.raises(LeakmapError, match=message) as caught:
        parse_gates([expression])
    assert caught.value.exit_code == 2


def test_comma_separated_and_blank_parts() -> None:
    gates = parse_gates(["new-country, property:imei,", " "])
    assert [g.text for g in gates] == ["new-country", "property:imei"]


def test_help_documents_every_gate() -> None:
    from analyzer.gates import _KINDS

    for kind in _KINDS:
        assert f"  {kind}" in GATE_HELP, kind
    assert "0 no gate hit, 1 a gate hit, 2 usage or data error" in GATE_HELP
