"""Allowed-countries policies: the shipped EU adequacy policy, user files, and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import LeakmapError
from analyzer.policy import ISO_COUNTRIES, load_policy, shipped_policies

_EU_EEA_TEXT = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
_EU_EEA_TEXT += " IS LI NO"
EU_EEA = frozenset(_EU_EEA_TEXT.split())


def _write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_eu_adequacy_is_shipped_and_selectable_by_name() -> None:
    assert "eu-adequacy" in shipped_policies()
    policy = load_policy("eu-adequacy")
    assert policy.name == "eu-adequacy"
    assert policy.countries >= EU_EEA
    for adequate in ("CH", "GB", "JP", "KR", "NZ", "IL", "UY", "AR", "CA"):
        assert policy.allows(adequate), adequate
    for outside in ("CN", "RU", "IN", "SG", "HK"):
        assert not policy.allows(outside), outside
    assert policy.source and policy.source.startswith("https://commission.europa.eu/")
    assert policy.as_of


def test_unknown_country_is_outside_unless_allowed(tmp_path: Path) -> None:
    assert not load_policy("eu-adequacy").allows(None)
    lenient = _write(tmp_path, '[policy]\nextends = "eu-adequacy"\nallow_unknown = true\n')
    assert load_policy(lenient).allows(None)


def test_allows_is_case_insensitive() -> None:
    assert load_policy("eu-adequacy").allows("de")


def test_file_policy_with_extends_allowed_and_excluded(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[policy]\nname = "strict"\nextends = "eu-adequacy"\nallowed = ["sg"]\n'
        'excluded = ["US", "CA"]\n',
    )
    policy = load_policy(str(path))
    assert policy.name == "strict"
    assert policy.allows("SG") and policy.allows("DE")
    assert not policy.allows("US") and not policy.allows("CA")


def test_extends_a_file_relative_to_the_policy(tmp_path: Path) -> None:
    _write(tmp_path, '[policy]\nallowed = ["DE"]\n', "base.toml")
    child = _write(tmp_path, '[policy]\nextends = "base.toml"\nallowed = ["FR"]\n', "child.toml")
    assert load_policy(child).countries == {"DE", "FR"}
    assert load_policy(child).name == "child"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[policy\nallowed = [", "not valid TOML"),
        ('allowed = ["DE"]\n', r"missing \[policy\] table"),
        ('[policy]\nallowed = ["DE", "ZZ"]\n', "unknown country code.*ZZ"),
        ('[policy]\nallowed = ["Germany"]\n', "unknown country code.*GERMANY"),
        ('[policy]\nallow = ["DE"]\n', "unknown key.*allow"),
        ('[policy]\nallowed = "DE"\n', "must be a list"),
        ('[policy]\nname = "x"\n', "no 'allowed' list"),
        ('[policy]\nallowed = []\nallow_unknown = "yes"\n', "true or false"),
        ('[policy]\nextends = "no-such-policy"\n', "no policy file 'no-such-policy'"),
        ('[policy]\nallowed = ["DE"]\n[policy.conditions.US]\ncondition = "x"\n',
         "condition on US, which the policy does not allow"),
        ('[policy]\nallowed = ["US"]\n[policy.conditions.XX]\ncondition = "x"\n',
         "unknown country code 'XX' in 'conditions'"),
        ('[policy]\nallowed = ["US"]\n[policy.conditions.US]\nsource = "x"\n',
         "needs condition"),
        ('[policy]\nallowed = ["US"]\n[policy.conditions.US]\ncondition = "x"\nwhen = "y"\n',
         "unknown key.*when"),
        ('[policy]\nallowed = ["US"]\nconditions = "US"\n', "must be tables"),
        ('[policy]\nallowed = ["US"]\n[policy.conditions.US]\ncondition = 3\n',
         "'condition' must be a string"),
    ],
)
def test_broken_policies_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(LeakmapError, match=message) as caught:
        load_policy(path)
    assert str(path) in str(caught.value) or "no-such-policy" in str(caught.value)


def test_eu_adequacy_allows_the_us_only_on_a_condition() -> None:
    policy = load_policy("eu-adequacy")
    assert policy.allows("US")  # allowed: a finding there is not "outside the policy"
    assert policy.condition("us") == (
        "only organisations certified under the EU-US Data Privacy Framework"
    )
    assert policy.condition("CA") == "only commercial organisations subject to PIPEDA"
    assert policy.condition("DE") is None and policy.condition("CN") is None
    assert policy.as_dict()["conditions"]["US"]["source"].startswith("https://")


def test_conditions_are_inherited_overridden_and_removed(tmp_path: Path) -> None:
    child = _write(
        tmp_path,
        '[policy]\nname = "mine"\nextends = "eu-adequacy"\nexcluded = ["CA"]\n'
        '[policy.conditions.US]\ncondition = ""\n'  # we checked every US company ourselves
        '[policy.conditions.JP]\ncondition = "only private-sector operators"\n',
    )
    policy = load_policy(child)
    assert policy.condition("US") is None and policy.allows("US")
    assert policy.condition("CA") is None and not policy.allows("CA")
    assert policy.condition("JP") == "only private-sector operators"
    inherited = _write(tmp_path, '[policy]\nextends = "eu-adequacy"\n', "inherited.toml")
    assert load_policy(inherited).condition("US") == load_policy("eu-adequacy").condition("US")


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, '[policy]\nextends = "b.toml"\n', "a.toml")
    _write(tmp_path, '[policy]\nextends = "a.toml"\n', "b.toml")
    with pytest.raises(LeakmapError, match="cycle"):
        load_policy(tmp_path / "a.toml")


def test_missing_file_or_name() -> None:
    with pytest.raises(LeakmapError, match="eu-adequacy"):  # the message lists shipped names
        load_policy("/nonexistent/policy.toml")


def test_oversized_and_binary_files(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * 300_000)
    with pytest.raises(LeakmapError, match="larger than"):
        load_policy(big)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00[policy]")
    with pytest.raises(LeakmapError, match="not UTF-8"):
        load_policy(binary)


def test_iso_list_has_every_assigned_code() -> None:
    assert len(ISO_COUNTRIES) == 250  # 249 assigned + XK
    assert {"CN", "GR", "GB", "XK", "TW", "HK"} <= ISO_COUNTRIES
    assert not {"EL", "UK", "EU", "ZZ"} & ISO_COUNTRIES


# --- the policy in a session report (leakmap report --policy), through the real import path -------


def test_session_report_marks_findings_outside_the_policy(tmp_path: Path) -> None:
    import json

    from analyzer.cli import main
    from analyzer.importer import import_files
    from analyzer.store import Store
    from tests.support.diff import HarRequest, write_har
    from tests.support.mmdb import write_country_db

    imei = "356938035643809"
    har = write_har(
        tmp_path / "s.har",
        [
            HarRequest(f"https://log.example.cn/r?imei={imei}", "127.0.0.21"),
            HarRequest(f"https://api.example.de/r?imei={imei}", "127.0.0.22"),
            HarRequest(f"https://api.example.us/r?imei={imei}", "127.0.0.23"),
        ],
    )
    db = tmp_path / "leakmap.db"
    with Store(str(db)) as store:
        import_files(store, [har], session="s")
    geoip = write_country_db(
        tmp_path / "c.mmdb",
        {"127.0.0.21/32": "CN", "127.0.0.22/32": "DE", "127.0.0.23/32": "US"},
    )
    profile = _write(tmp_path, f'[device]\nname = "p"\n[known]\nimei = "{imei}"\n', "p.toml")
    strict = _write(
        tmp_path, '[policy]\nname = "eu-strict"\nextends = "eu-adequacy"\nexcluded = ["US"]\n'
    )
    out = tmp_path / "report.json"
    args = ["--db", str(db), "--geoip-db", str(geoip), "--profile", str(profile)]
    code = main(["report", "s", *args, "--policy", str(strict), "--format", "json", "-o", str(out)])
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["policy"]["name"] == "eu-strict"
    marks = {f["country"]: f["allowed"] for f in report["findings"] if f["property"] == "imei"}
    assert marks == {"CN": False, "DE": True, "US": False}
    page = tmp_path / "report.html"
    assert main(["report", "s", *args, "--policy", "eu-adequacy", "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "outside policy" in text
    # The US is allowed by eu-adequacy only for certified organisations: the report says so
    # beside the finding, and in the summary.
    dpf = "only organisations certified under the EU-US Data Privacy Framework"
    assert f"condition: {dpf}" in text
    assert f"allows United States only on a condition: <strong>{dpf}</strong>" in text
    assert main(["report", "s", *args, "--policy", "eu-adequacy", "--format", "json",
                 "-o", str(out)]) == 0  # fmt: skip
    report = json.loads(out.read_text(encoding="utf-8"))
    conditions = {f["country"]: f["condition"] for f in report["findings"]}
    assert conditions == {"CN": None, "DE": None, "US": dpf}
