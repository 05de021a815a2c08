"""The report's headline: the answer in numbers and in sentences a journalist can quote.

"The IMEI went to servers in Singapore run by Example Cloud, a company based in China." One
sentence per property (the most widely sent first), built from counted findings only (delivered,
not placeholders); then what was sent but not delivered, and the placeholders, each apart.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from analyzer.summary.common import LOCAL, UNKNOWN, is_counted, place_key, place_order
from analyzer.summary.views import countries_only, place_counts
from analyzer.summary.words import (
    capitalise,
    country_in_prose,
    join_words,
    places_in_prose,
    plural,
    property_in_prose,
    property_label,
)

MAX_SENTENCES = 10  # property sentences; the rest is summed up in one more


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """Numbers and sentences of a report dict (needs its ``findings``, ``by_country``,
    ``by_owner_country``, ``destinations``, ``tls_failures``, ``connections``, ``notes``,
    ``policy``, ``placeholders`` and ``consent``)."""
    findings = report["findings"]
    counted_properties: set[str] = set()
    counted = not_delivered = placeholders = plaintext = 0
    for finding in findings:  # one pass: a session can have millions
        if finding.get("placeholder"):
            placeholders += 1
        elif is_counted(finding):
            counted += 1
            counted_properties.add(finding["property"])
            plaintext += bool(finding.get("plaintext"))
        else:
            not_delivered += 1
    servers = place_counts(report["by_country"])
    owners = place_counts(report["by_owner_country"])
    policy = report["policy"]
    blind = {t["host"] for t in report["tls_failures"]} | {c["host"] for c in report["connections"]}
    return {
        # Places (ISO codes, "local", "unknown") that received personal data, most first.
        "countries": sorted(servers, key=lambda c: place_order(c, servers[c])),
        "country_properties": servers,
        "server_countries": len(countries_only(servers)),
        "owner_countries": sorted(owners, key=lambda c: place_order(c, owners[c])),
        "owner_country_properties": owners,
        "operator_countries": len(countries_only(owners)),
        "properties": len(counted_properties),
        "findings": counted,
        "not_delivered": not_delivered,
        "placeholders": placeholders,
        "destinations": sum(1 for d in report["destinations"] if d["properties"]),
        "destinations_total": len(report["destinations"]),
        "plaintext_leaks": plaintext,
        "tls_failure_hosts": len({t["host"] for t in report["tls_failures"]}),
        # Hosts whose traffic was not inspected: TLS refused, or not HTTP at all.
        "blind_spots": len(blind),
        "analysis_notes": len(report["notes"]),
        "outside_policy": policy["findings_outside"] if policy else None,
        "conditional": policy["findings_conditional"] if policy else None,
        "sentences": sentences(findings),
        "summary": summary_sentence(servers, owners),
        "before_consent": _before_consent_sentence(report.get("consent")),
    }


def summary_sentence(servers: dict[str, int], owners: dict[str, int]) -> str:
    """ "Personal data went to servers in 4 countries, run by companies based in 2 countries.\""""
    if not servers:
        return "No personal data was found in the inspected traffic."
    codes = countries_only(servers)
    where = []
    if codes:
        where.append("servers in " + plural(len(codes), "country", "countries"))
    if LOCAL in servers:
        where.append("servers on the local network")
    if UNKNOWN in servers:
        where.append("servers whose country GeoIP does not know")
    text = "Personal data went to " + join_words(where)
    owner_codes = countries_only(owners)
    if owner_codes:
        text += ", run by companies based in " + plural(len(owner_codes), "country", "countries")
        if UNKNOWN in owners:
            text += " (and by operators leakmap could not identify)"
    elif owners:
        text += "; leakmap could not identify the companies that run them"
    return text + "."


def sentences(findings: list[dict[str, Any]]) -> list[str]:
    """One sentence per property sent (counted findings), then not-delivered and placeholder
    lines."""
    servers: dict[str, set[str]] = defaultdict(set)
    operators: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    failed: dict[str, set[str]] = defaultdict(set)
    placeholders: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        prop = finding["property"]
        if finding.get("placeholder"):
            placeholders[prop].add(finding.get("placeholder_kind") or "a placeholder value")
        elif is_counted(finding):
            servers[prop].add(place_key(finding))
            owner_key = place_key(finding, "owner") if finding.get("owner") else UNKNOWN
            operators[prop][owner_key].add(finding.get("owner") or "")
        else:
            failed[prop].add(finding["host"])
    order = sorted(
        servers,
        key=lambda p: (-len(countries_only(servers[p])), -len(operators[p]), _rank(p), p),
    )
    out = [
        property_sentence(prop, servers[prop], operators[prop]) for prop in order[:MAX_SENTENCES]
    ]
    if len(order) > MAX_SENTENCES:
        rest = [property_label(p) for p in order[MAX_SENTENCES:]]
        out.append(
            f"{plural(len(rest), 'more property', 'more properties')} left as well "
            f"({join_words(rest[:6])}{', …' if len(rest) > 6 else ''}): see the matrix."
        )
    for prop in sorted(failed, key=_rank):
        hosts = sorted(failed[prop])
        named = join_words(
            hosts[:3] + ([plural(len(hosts) - 3, "other host")] if len(hosts) > 3 else [])
        )
        out.append(
            f"The phone also tried to send the {property_in_prose(prop)} to {named}, but the "
            "proxy could not reach the server: not delivered."
        )
    for prop in sorted(placeholders, key=_rank):
        kinds = join_words(sorted(placeholders[prop]))
        out.append(
            f"The {property_in_prose(prop)} was sent as {kinds}: a placeholder, not the "
            f"person's value{_placeholder_meaning(prop)}; not counted."
        )
    return out


def property_sentence(prop: str, servers: set[str], operators: dict[str, set[str]]) -> str:
    """ "The IMEI went to servers in Singapore run by Example Cloud, a company based in China."

    ``servers``: place keys of the servers; ``operators``: owner home country (or ``unknown``
    for hosts whose operator leakmap does not know) -> owner names.
    """
    places = places_in_prose(sorted(servers, key=place_order))
    text = f"The {property_in_prose(prop)} went to servers {places}"
    known = {k: {o for o in v if o} for k, v in operators.items() if k != UNKNOWN}
    known = {k: v for k, v in known.items() if v}
    unknown = UNKNOWN in operators
    if known:
        names = sorted(set().union(*known.values()))
        codes = sorted(known, key=place_order)
        if len(names) == 1:
            text += f" run by {names[0]}, a company based in {country_in_prose(codes[0])}"
        elif len(codes) == 1:
            shown = join_words(names[:3]) + (", …" if len(names) > 3 else "")
            text += f" run by companies based in {country_in_prose(codes[0])} ({shown})"
        else:
            text += " run by companies based in " + join_words(
                [country_in_prose(c) for c in codes[:4]]
                + (
                    [plural(len(codes) - 4, "other country", "other countries")]
                    if len(codes) > 4
                    else []
                )
            )
        if unknown:
            text += ", and by operators leakmap could not identify"
    elif unknown:
        text += "; leakmap could not identify who runs them"
    return capitalise(text) + "."


def _before_consent_sentence(consent: dict[str, Any] | None) -> str | None:
    if consent is None:
        return None
    servers = consent["by_country"]
    owners = consent["by_owner_country"]
    props = len(consent["properties"])
    codes = countries_only(servers)
    extra = [places_in_prose([k]) for k in (LOCAL, UNKNOWN) if k in servers]
    if not codes:  # "to servers on the local network", never "to 0 countries"
        where = "servers " + join_words(extra) if extra else "no server"
    else:
        where = plural(len(codes), "country", "countries")
        if extra:
            where += " (and servers " + join_words(extra) + ")"
    prefix = (
        "Before any consent"
        if consent["decision"] is not None
        else "Before any consent (no mark records a consent decision, so the whole session)"
    )
    if not props:
        return f"{prefix}: no personal data left."
    text = f"{prefix}: {plural(props, 'property', 'properties')} to {where}"
    owner_codes = countries_only(owners)
    if owner_codes:
        text += f", run by companies based in {plural(len(owner_codes), 'country', 'countries')}"
    return text + "."


def _placeholder_meaning(prop: str) -> str:
    meaning = {
        "advertisingId": " (ad tracking limited: the user or the system opted out)",
        "macAddress": " (the system hides the real address from apps)",
    }
    return meaning.get(prop, "")


def _rank(prop: str) -> int:
    """Vocabulary order: the report lists properties as the vocabulary does."""
    from analyzer.vocabulary import PROPERTIES

    try:
        return PROPERTIES.index(prop)
    except ValueError:
        return len(PROPERTIES)
