"""``--fail-on`` gates: expressions evaluated against a ``leakmap.diff/2`` dict, for CI.

Three families (the full list, with examples, is ``GATE_HELP`` and docs/diff.md):

- ``new-...`` gates compare: they fire on what the NEW session does that the OLD one did not
  (after matching renamed CDN hosts by registrable domain and owner);
- ``before-consent[:PROPERTY]`` compares the sessions' steps: it fires when a property leaves
  the new version before consent that did not leave the old one before consent (both sessions
  need marks; the consent rule is the report's, docs/report.md);
- the others are absolute rules on the NEW session alone (``property:imei`` fires whenever the
  new version sends the IMEI, whether or not the old one did).

Exit codes of ``leakmap diff``: 0 no gate hit, 1 at least one gate hit, 2 usage or data error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from analyzer.errors import LeakmapError
from analyzer.policy import ISO_COUNTRIES

EXIT_OK = 0
EXIT_GATE_HIT = 1
EXIT_USAGE = 2
MAX_GATES = 200

GATE_HELP = """\
Gates (--fail-on, repeatable, or comma-separated):
  new-country[:CC]      a country receives traffic that did not before
  new-owner[:NAME]      a new owner (company) receives traffic
  new-domain[:DOMAIN]   a new registrable domain receives traffic
  new-host              a new host name (strict: also fires on renamed CDN hosts)
  new-property[:NAME]   a property is sent that the old version never sent
  new-finding           a property reaches a country/destination it did not reach before
  new-plaintext         a destination is contacted over plain HTTP that was not before
  new-unhashed          a property that was only sent hashed is now sent recoverable
  new-blind-spot        a new host's traffic was not inspected (TLS failure, non-HTTP)
  new-outside-policy    a new finding goes to a country outside --policy
  before-consent[:NAME] a property leaves before consent that did not before (needs
                        marks in both sessions: leakmap mark, or import --marks)
  any-change            anything added, removed or changed except volume
  property:NAME         the new version sends NAME (imei, email, advertisingId, ...)
  country:CC            the new version sends anything to a server in CC (ISO code)
  owner:NAME            the new version sends anything to owner NAME
  plaintext             the new version sends anything over plain HTTP
  outside-policy        the new version sends a property outside --policy
  blind-spot            some traffic of the new version was not inspected
Exit codes: 0 no gate hit, 1 a gate hit, 2 usage or data error."""


@dataclass(frozen=True, slots=True)
class Gate:
    kind: str
    arg: str | None
    text: str  # as the user wrote it, normalised


@dataclass(frozen=True, slots=True)
class GateHit:
    gate: str
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.reasons[:10])
        more = f" (+{len(self.reasons) - 10} more)" if len(self.reasons) > 10 else ""
        return f"{self.gate}: {shown}{more}"


# kind -> what its argument is: None (no argument), or "optional:<type>" / "required:<type>"
_KINDS: dict[str, str | None] = {
    "new-country": "optional:country",
    "new-owner": "optional:text",
    "new-domain": "optional:text",
    "new-host": None,
    "new-property": "optional:property",
    "new-finding": None,
    "new-plaintext": None,
    "new-unhashed": None,
    "new-blind-spot": None,
    "new-outside-policy": None,
    "before-consent": "optional:property",
    "any-change": None,
    "property": "required:property",
    "country": "required:country",
    "owner": "required:text",
    "plaintext": None,
    "outside-policy": None,
    "blind-spot": None,
}


def parse_gates(expressions: Iterable[str]) -> list[Gate]:
    """Parse ``--fail-on`` values; an unknown gate or argument is a usage error (exit 2)."""
    gates: list[Gate] = []
    for expression in expressions:
        for part in str(expression).split(","):
            if part.strip():
                gates.append(parse_gate(part))
            if len(gates) > MAX_GATES:
                raise LeakmapError(f"more than {MAX_GATES} --fail-on gates", exit_code=EXIT_USAGE)
    return gates


def parse_gate(expression: str) -> Gate:
    text = expression.strip()
    kind, sep, arg = text.partition(":")
    kind = kind.strip().lower()
    arg = arg.strip()
    if kind not in _KINDS:
        raise LeakmapError(
            f"unknown gate {text!r}; known: {', '.join(_KINDS)} (see leakmap diff --help)",
            exit_code=EXIT_USAGE,
        )
    spec = _KINDS[kind]
    if spec is None:
        if sep:
            raise LeakmapError(f"gate {kind!r} takes no argument", exit_code=EXIT_USAGE)
        return Gate(kind, None, kind)
    need, _, arg_type = spec.partition(":")
    if not arg:
        if need == "required" or sep:
            raise LeakmapError(f"gate {kind!r} needs a value, e.g. {_example(kind)}", EXIT_USAGE)
        return Gate(kind, None, kind)
    value = _ARG_CHECKS[arg_type](kind, arg)
    return Gate(kind, value, f"{kind}:{value}")


def evaluate(gates: Iterable[Gate], diff: dict[str, Any]) -> list[GateHit]:
    """The gates that fire on ``diff``, each with the reasons (hosts, countries, ...) why."""
    gates = list(gates)
    require_policy(gates, bool(diff.get("policy")))
    require_steps(gates, diff)
    hits = []
    for gate in gates:
        reasons = _EVALUATORS[gate.kind](diff, gate.arg)
        if reasons:
            hits.append(GateHit(gate.text, tuple(dict.fromkeys(reasons))))
    return hits


def require_policy(gates: Iterable[Gate], has_policy: bool) -> None:
    """Refuse policy gates without a policy before any analysis runs (usage error, exit 2)."""
    for gate in gates:
        if gate.kind in ("new-outside-policy", "outside-policy") and not has_policy:
            raise LeakmapError(
                f"gate {gate.kind!r} needs a policy: add --policy eu-adequacy or a policy file",
                exit_code=EXIT_USAGE,
            )


def require_steps(gates: Iterable[Gate], diff: dict[str, Any]) -> None:
    """Refuse step gates when a session has no marks: "before consent" means nothing there
    (data error, exit 2)."""
    if not any(gate.kind == "before-consent" for gate in gates):
        return
    before = (diff.get("steps") or {}).get("before_consent") or {}
    for side in ("old", "new"):
        if not (before.get(side) or {}).get("marked"):
            name = diff.get(side) or side
            raise LeakmapError(
                f"gate 'before-consent' needs steps in both sessions: {side} session {name!r} "
                "has no marks (leakmap mark SESSION LABEL --at TIME, or leakmap import --marks)",
                exit_code=EXIT_USAGE,
            )


def exit_code(hits: list[GateHit]) -> int:
    return EXIT_GATE_HIT if hits else EXIT_OK


# --- arguments ---------------------------------------------------------------------------------


def _check_property(kind: str, arg: str) -> str:
    from analyzer.vocabulary import PROPERTIES, canonical_property, closest_property

    canonical = canonical_property(arg)
    if canonical is None:
        guess = closest_property(arg)
        hint = f"did you mean {guess!r}? " if guess else ""
        raise LeakmapError(
            f"gate {kind!r}: unknown property {arg!r}; {hint}known: {', '.join(PROPERTIES)}",
            exit_code=EXIT_USAGE,
        )
    return canonical


def _check_country(kind: str, arg: str) -> str:
    code = arg.upper()
    if code not in ISO_COUNTRIES:
        raise LeakmapError(
            f"gate {kind!r}: unknown country code {arg!r} (use ISO 3166-1 alpha-2, e.g. CN)",
            exit_code=EXIT_USAGE,
        )
    return code


def _check_text(kind: str, arg: str) -> str:
    if len(arg) > 200:
        raise LeakmapError(f"gate {kind!r}: value longer than 200 characters", EXIT_USAGE)
    return arg


_ARG_CHECKS: dict[str, Callable[[str, str], str]] = {
    "property": _check_property,
    "country": _check_country,
    "text": _check_text,
}


def _example(kind: str) -> str:
    return {"property": "property:imei", "country": "country:CN", "owner": "owner:Tencent"}.get(
        kind, f"{kind}:VALUE"
    )


# --- evaluation: each returns the reasons it fires (empty: it does not) ---------------------------


def _added(diff: dict[str, Any], key: str) -> list[Any]:
    return list((diff.get("added") or {}).get(key) or [])


def _changes(diff: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [c for c in diff.get("changed") or [] if isinstance(c, dict) and c.get("kind") == kind]


def _new(diff: dict[str, Any]) -> dict[str, Any]:
    return (diff.get("sessions") or {}).get("new") or {}


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").casefold() == (b or "").casefold()


def _finding_text(f: dict[str, Any]) -> str:
    where = f.get("country") or ("local network" if f.get("local") else "country unknown")
    return f"{f.get('property')} -> {f.get('host')} ({where})"


def _new_country(diff: dict[str, Any], arg: str | None) -> list[str]:
    return [c for c in _added(diff, "countries") if arg is None or c == arg]


def _new_owner(diff: dict[str, Any], arg: str | None) -> list[str]:
    return [o for o in _added(diff, "owners") if arg is None or _same(o, arg)]


def _new_domain(diff: dict[str, Any], arg: str | None) -> list[str]:
    return [d for d in _added(diff, "domains") if arg is None or _same(d, arg)]


def _new_host(diff: dict[str, Any], _arg: str | None) -> list[str]:
    return _added(diff, "hosts")


def _new_property(diff: dict[str, Any], arg: str | None) -> list[str]:
    old = set(((diff.get("sessions") or {}).get("old") or {}).get("properties") or [])
    return [p for p in _new(diff).get("properties") or [] if p not in old and arg in (None, p)]


def _new_finding(diff: dict[str, Any], _arg: str | None) -> list[str]:
    return [_finding_text(f) for f in _added(diff, "findings")]


def _new_plaintext(diff: dict[str, Any], _arg: str | None) -> list[str]:
    return new_plaintext_hosts(diff)


def new_plaintext_hosts(diff: dict[str, Any]) -> list[str]:
    """Destinations the new session reaches over plain HTTP where the old one did not.

    A matched destination that switched from TLS, or a new host that no old destination matched
    (a renamed host keeps the transport of the destination it was matched to).
    """
    reasons = [c["destination"] for c in _changes(diff, "transport") if c.get("new") == "plaintext"]
    matched = {h for c in diff.get("changed") or [] for h in c.get("new_hosts") or []}
    added = set(_added(diff, "hosts"))
    reasons += [
        h for h in _new(diff).get("plaintext_hosts") or [] if h in added and h not in matched
    ]
    return reasons


def _new_unhashed(diff: dict[str, Any], _arg: str | None) -> list[str]:
    return [
        f"{c['property']} -> {c['destination']}"
        for c in _changes(diff, "encoding")
        if c.get("direction") == "hashed->plain"
    ]


def _new_blind_spot(diff: dict[str, Any], _arg: str | None) -> list[str]:
    return [
        str(c.get("host") or c.get("server_ip"))
        for c in _changes(diff, "blind-spot")
        if c.get("change") == "appeared"
    ]


def _new_outside_policy(diff: dict[str, Any], _arg: str | None) -> list[str]:
    return [_finding_text(f) for f in _added(diff, "findings") if f.get("outside_policy")]


def _before_consent(diff: dict[str, Any], arg: str | None) -> list[str]:
    block = ((diff.get("steps") or {}).get("before_consent") or {}).get("added") or {}
    findings = [f for f in block.get("findings") or [] if isinstance(f, dict)]
    reasons = []
    for prop in block.get("properties") or []:
        if arg is not None and prop != arg:
            continue
        mine = [f for f in findings if f.get("property") == prop]
        reasons += [f"{_finding_text(f)} before consent" for f in mine] or [
            f"{prop} before consent"
        ]
    return reasons


def _any_change(diff: dict[str, Any], _arg: str | None) -> list[str]:
    reasons = [
        f"{key} {what}"
        for what in ("added", "removed")
        for key, values in (diff.get(what) or {}).items()
        if values
    ]
    reasons += sorted({str(c.get("kind")) for c in diff.get("changed") or []} - {"volume"})
    before = (diff.get("steps") or {}).get("before_consent") or {}
    for what in ("added", "removed"):
        if (before.get(what) or {}).get("properties"):
            reasons.append(f"before consent: properties {what}")
    return reasons


def _property(diff: dict[str, Any], arg: str | None) -> list[str]:
    return [p for p in _new(diff).get("properties") or [] if p == arg]


def _country(diff: dict[str, Any], arg: str | None) -> list[str]:
    return [c for c in _new(diff).get("countries") or [] if c == arg]


def _owner(diff: dict[str, Any], arg: str | None) -> list[str]:
    return [o for o in _new(diff).get("owners") or [] if _same(o, arg)]


def _plaintext(diff: dict[str, Any], _arg: str | None) -> list[str]:
    return list(_new(diff).get("plaintext_hosts") or [])


def _outside_policy(diff: dict[str, Any], _arg: str | None) -> list[str]:
    return [_finding_text(f) for f in _new(diff).get("outside_policy") or []]


def _blind_spot(diff: dict[str, Any], _arg: str | None) -> list[str]:
    return list(_new(diff).get("blind_spots") or [])


_EVALUATORS: dict[str, Callable[[dict[str, Any], str | None], list[str]]] = {
    "new-country": _new_country,
    "new-owner": _new_owner,
    "new-domain": _new_domain,
    "new-host": _new_host,
    "new-property": _new_property,
    "new-finding": _new_finding,
    "new-plaintext": _new_plaintext,
    "new-unhashed": _new_unhashed,
    "new-blind-spot": _new_blind_spot,
    "new-outside-policy": _new_outside_policy,
    "before-consent": _before_consent,
    "any-change": _any_change,
    "property": _property,
    "country": _country,
    "owner": _owner,
    "plaintext": _plaintext,
    "outside-policy": _outside_policy,
    "blind-spot": _blind_spot,
}

__all__ = [
    "EXIT_GATE_HIT",
    "EXIT_OK",
    "EXIT_USAGE",
    "GATE_HELP",
    "Gate",
    "GateHit",
    "evaluate",
    "exit_code",
    "new_plaintext_hosts",
    "parse_gate",
    "parse_gates",
    "require_policy",
    "require_steps",
]
