"""Allowed-countries policies: which destination countries a researcher or a build accepts.

A policy is a small TOML file (format in docs/diff.md)::

    [policy]
    name = "eu-plus-us"
    extends = "eu-adequacy"      # optional: a shipped policy name or a path (relative to this file)
    allowed = ["US"]             # ISO 3166-1 alpha-2 codes added to what is extended
    excluded = ["GB"]            # codes removed again
    allow_unknown = false        # a server whose country is unknown counts as outside (default)

    [policy.conditions.US]       # optional: a country allowed only on a condition
    condition = "only organisations certified under the EU-US Data Privacy Framework"
    source = "https://www.dataprivacyframework.gov/list"   # optional

A condition does not change whether a country is allowed (a finding there is not "outside the
policy"); reports and diffs print it beside every finding that goes there, so a reader checks
it (is this company certified?). Conditions are inherited through ``extends``; a country
``excluded`` loses its condition; ``condition = ""`` removes an inherited one.

Shipped policies live in ``analyzer/data/policies/<name>.toml`` and are selected by name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.errors import LeakmapError
from analyzer.files import read_bounded

SHIPPED_DIR = Path(__file__).parent / "data" / "policies"
MAX_POLICY_BYTES = 256 * 1024
MAX_EXTENDS_DEPTH = 8
_KEYS = frozenset(
    {
        "name",
        "description",
        "source",
        "as_of",
        "extends",
        "allowed",
        "excluded",
        "allow_unknown",
        "conditions",
    }
)
_CONDITION_KEYS = frozenset({"condition", "source"})
MAX_CONDITION_CHARS = 500

# ISO 3166-1 alpha-2, officially assigned codes, plus XK (Kosovo), which GeoIP databases use.
_ISO_TEXT = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW XK
"""
ISO_COUNTRIES = frozenset(_ISO_TEXT.split())


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition on an allowed country: ``text`` for the reader, ``source`` where it is set."""

    text: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """A set of allowed destination countries; everything else is outside the policy."""

    name: str
    countries: frozenset[str]
    allow_unknown: bool = False
    description: str | None = None
    source: str | None = None
    as_of: str | None = None
    origin: str | None = field(default=None, compare=False)  # file path or "shipped:<name>"
    # (country, condition) pairs, sorted: countries allowed only on a condition.
    conditions: tuple[tuple[str, Condition], ...] = ()

    def allows(self, country: str | None) -> bool:
        """True when a server in ``country`` is within the policy (None: country unknown)."""
        if not country:
            return self.allow_unknown
        return country.upper() in self.countries

    def condition(self, country: str | None) -> str | None:
        """The condition on an allowed ``country`` ("only organisations certified under ..."),
        or None when it is allowed without one (or not allowed at all)."""
        if not country:
            return None
        code = country.upper()
        return next((c.text for cc, c in self.conditions if cc == code), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "countries": sorted(self.countries),
            "allow_unknown": self.allow_unknown,
            "description": self.description,
            "source": self.source,
            "as_of": self.as_of,
            "conditions": {
                cc: {"condition": c.text, "source": c.source} for cc, c in self.conditions
            },
        }


def shipped_policies() -> list[str]:
    """Names of the policies that ship with leakmap (selectable by name)."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.toml"))


def load_policy(path_or_name: str | Path) -> Policy:
    """Load a policy from a TOML file, or a shipped one by name (``eu-adequacy``)."""
    return _load(path_or_name, base=Path.cwd(), seen=())


def _resolve(path_or_name: str | Path, base: Path) -> Path:
    text = str(path_or_name).strip()
    if not text:
        raise LeakmapError("empty policy name")
    candidate = Path(text).expanduser()
    if not candidate.is_absolute():
        candidate = base / candidate
    if candidate.is_file():
        return candidate
    shipped = SHIPPED_DIR / f"{text}.toml"
    if "/" not in text and "\\" not in text and shipped.is_file():
        return shipped
    names = ", ".join(shipped_policies()) or "none"
    raise LeakmapError(f"no policy file {text!r} and no shipped policy of that name ({names})")


def _load(path_or_name: str | Path, base: Path, seen: tuple[Path, ...]) -> Policy:
    path = _resolve(path_or_name, base).resolve()
    if path in seen:
        raise LeakmapError(f"policy {path}: 'extends' forms a cycle")
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise LeakmapError(f"policy {path}: 'extends' nested deeper than {MAX_EXTENDS_DEPTH}")
    data = _read_toml(path)
    table = data.get("policy")
    if not isinstance(table, dict):
        raise LeakmapError(f"policy {path}: missing [policy] table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        # A misspelt key ("allow" for "allowed") must not silently allow nothing.
        raise LeakmapError(f"policy {path}: unknown key(s) {', '.join(unknown)}")

    countries: set[str] = set()
    allow_unknown = False
    conditions: dict[str, Condition] = {}
    extends = table.get("extends")
    if extends is not None:
        if not isinstance(extends, str):
            raise LeakmapError(f"policy {path}: 'extends' must be a policy name or file path")
        parent = _load(extends, base=path.parent, seen=(*seen, path))
        countries |= parent.countries
        allow_unknown = parent.allow_unknown
        conditions.update(parent.conditions)
    countries |= _codes(table, "allowed", path)
    excluded = _codes(table, "excluded", path)
    countries -= excluded
    conditions = {cc: c for cc, c in conditions.items() if cc not in excluded}
    for code, condition in _conditions(table, path).items():
        if condition is None:
            conditions.pop(code, None)
        elif code not in countries:
            raise LeakmapError(
                f"policy {path}: a condition on {code}, which the policy does not allow "
                "(add it to 'allowed')"
            )
        else:
            conditions[code] = condition
    if "allow_unknown" in table:
        if not isinstance(table["allow_unknown"], bool):
            raise LeakmapError(f"policy {path}: 'allow_unknown' must be true or false")
        allow_unknown = table["allow_unknown"]
    if extends is None and "allowed" not in table:
        raise LeakmapError(f"policy {path}: no 'allowed' list of country codes")

    shipped = path.parent == SHIPPED_DIR.resolve()
    return Policy(
        name=_text(table, "name", path) or path.stem,
        countries=frozenset(countries),
        allow_unknown=allow_unknown,
        description=_text(table, "description", path),
        source=_text(table, "source", path),
        as_of=_text(table, "as_of", path),
        origin=f"shipped:{path.stem}" if shipped else str(path),
        conditions=tuple(sorted(conditions.items())),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    raw = read_bounded(path, MAX_POLICY_BYTES, f"policy {path}")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LeakmapError(f"policy {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise LeakmapError(f"policy {path} is not valid TOML: {error}") from None


def _codes(table: dict[str, Any], key: str, path: Path) -> set[str]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise LeakmapError(f"policy {path}: {key!r} must be a list of country codes")
    codes = {v.strip().upper() for v in values}
    bad = sorted(c for c in codes if c not in ISO_COUNTRIES)
    if bad:
        raise LeakmapError(
            f"policy {path}: unknown country code(s) in {key!r}: {', '.join(bad)} "
            "(use ISO 3166-1 alpha-2, e.g. DE, GB, GR)"
        )
    return codes


def _conditions(table: dict[str, Any], path: Path) -> dict[str, Condition | None]:
    """``[policy.conditions.CC]`` tables: CC -> its condition (None: remove an inherited one)."""
    raw = table.get("conditions", {})
    if not isinstance(raw, dict):
        raise LeakmapError(f"policy {path}: 'conditions' must be tables [policy.conditions.CC]")
    out: dict[str, Condition | None] = {}
    for key, entry in raw.items():
        code = str(key).strip().upper()
        if code not in ISO_COUNTRIES:
            raise LeakmapError(
                f"policy {path}: unknown country code {key!r} in 'conditions' "
                "(use ISO 3166-1 alpha-2, e.g. US)"
            )
        if not isinstance(entry, dict) or "condition" not in entry:
            raise LeakmapError(f'policy {path}: [policy.conditions.{code}] needs condition = "..."')
        unknown = sorted(set(entry) - _CONDITION_KEYS)
        if unknown:
            raise LeakmapError(
                f"policy {path}: unknown key(s) {', '.join(unknown)} in [policy.conditions.{code}]"
            )
        text = _text(entry, "condition", path) or ""
        text = " ".join(text.split())
        if len(text) > MAX_CONDITION_CHARS:
            raise LeakmapError(
                f"policy {path}: the condition on {code} is longer than {MAX_CONDITION_CHARS} "
                "characters"
            )
        out[code] = Condition(text, _text(entry, "source", path)) if text else None
    return out


def _text(table: dict[str, Any], key: str, path: Path) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise LeakmapError(f"policy {path}: {key!r} must be a string")
    return value


__all__ = ["ISO_COUNTRIES", "Condition", "Policy", "load_policy", "shipped_policies"]
