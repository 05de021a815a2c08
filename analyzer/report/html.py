"""The self-contained HTML report: one file, inline CSS, SVG and script, nothing loaded.

Everything captured is hostile, so the page is built with autoescaping on, never puts a captured
string into a URL, an id or a script, and carries a Content-Security-Policy that allows only its
own inline style and script (by hash) and nothing from any network. Other reports (the diff)
reuse this by extending ``base.html.j2`` and calling :func:`render_page`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from analyzer import __version__
from analyzer.summary import words
from analyzer.summary.common import place_order

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ASSETS = Path(__file__).resolve().parent / "assets"
WORLD = Path(__file__).resolve().parent.parent / "data" / "world" / "countries.json"

# Bounds of the page, whatever the session: the JSON and CSV keep everything.
MAX_DESTINATION_ROWS = 2000  # destination rows
MAX_ROWS = 2000  # rows of the plaintext, TLS-failure and connection tables
MAX_HOSTS_PER_SECTION = 40  # evidence host groups shown per (property, country)
MAX_HOST_GROUPS = 2000  # evidence host groups in the whole page
MAX_EXAMPLES = 3000  # example requests in the whole page (at least one per group while it lasts)
PAGE_SIZE = 25
MAX_STEPS = 200  # steps shown (each with its table); the JSON keeps all
# Shading of the map: how many distinct personal properties a country received.
BUCKETS = ((1, 1), (2, 2), (3, 4), (5, 8), (9, math.inf))
# A host or company name segment longer than this (between dots, hyphens or spaces) may break
# anywhere: the last resort, so that one hostile 200-character label cannot widen a table.
LONG_SEGMENT = 40


def content_security_policy(style: str, script: str) -> str:
    """Only this page's own inline style and script run; nothing is fetched, framed or sent."""
    return (
        "default-src 'none'; "
        f"style-src '{_sha256(style)}'; "
        f"script-src '{_sha256(script)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_time
    env.filters["size"] = format_bytes
    env.filters["country"] = country_name
    env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else ("" if n is None else n)
    env.filters["plural"] = words.plural
    env.filters["label"] = words.property_label
    env.filters["describe"] = words.property_description
    env.filters["name"] = breakable
    env.globals["country_name"] = country_name
    return env


def breakable(text: object) -> Markup:
    """A host or company name, escaped, that wraps only after its dots and hyphens (``<wbr>``)
    and at spaces, never inside a word; a segment longer than ``LONG_SEGMENT`` characters gets
    the class ``long`` (the CSS lets it break anywhere, as a last resort)."""
    raw = "" if text is None else str(text)
    escaped = str(escape(raw))  # entities (&amp; &lt; &#34;) hold no dots or hyphens
    html = escaped.replace(".", ".<wbr>").replace("-", "-<wbr>")
    longest = max((len(part) for part in re.split(r"[.\-\s]", raw)), default=0)
    css = "nm long" if longest > LONG_SEGMENT else "nm"
    return Markup(f'<span class="{css}">{html}</span>')


def render_page(
    template: str,
    context: dict[str, Any],
    *,
    styles: tuple[str, ...] = ("base.css",),
    scripts: tuple[str, ...] = ("base.js",),
) -> str:
    """Render ``template`` with the named assets inlined and a CSP that admits only them."""
    style = "\n".join(_asset(name) for name in styles)
    script = "\n".join(_asset(name) for name in scripts)
    return (
        environment()
        .get_template(template)
        .render(
            **context,
            style=Markup(style),
            script=Markup(script),
            csp=content_security_policy(style, script),
            tool_version=__version__,
        )
    )


def render_html(report: dict[str, Any]) -> str:
    """The session report page of a report dict from :func:`analyzer.summary.build_report`."""
    destinations = report["destinations"]
    by_owner = report.get("by_owner_country") or {}
    keys = sorted(
        set(report["by_country"]) | set(by_owner),
        key=lambda k: place_order(
            k, len((report["by_country"].get(k) or {}).get("properties", []))
        ),
    )
    country_anchor = {code: f"cty-{n}" for n, code in enumerate(keys, 1)}
    places = [
        {"key": k, "server": report["by_country"].get(k), "owner": by_owner.get(k)} for k in keys
    ]
    evidence = _bounded_evidence(report["evidence"])
    tables = ("plaintext", "tls_failures", "connections", "placeholders")
    return render_page(
        "report.html.j2",
        {
            "r": report,
            "session": report["session"],
            "headline": report["headline"],
            "destinations": destinations[:MAX_DESTINATION_ROWS],
            "destinations_hidden": max(0, len(destinations) - MAX_DESTINATION_ROWS),
            "rows": {key: report.get(key, [])[:MAX_ROWS] for key in tables},
            "rows_hidden": {key: max(0, len(report.get(key, [])) - MAX_ROWS) for key in tables},
            "places": places,
            "steps": (report.get("by_step") or [])[:MAX_STEPS],
            "steps_hidden": max(0, len(report.get("by_step") or []) - MAX_STEPS),
            "evidence": evidence,
            "world": world_map(report),
            "country_anchor": country_anchor,
            "page_size": PAGE_SIZE,
            "generated_at": report.get("generated_at"),
        },
        styles=("base.css", "report.css"),
        scripts=("base.js",),
    )


def world_map(report: dict[str, Any]) -> dict[str, Any]:
    """The map of a report dict: see :func:`map_data` (server view from ``by_country``, owner
    view from ``by_owner_country``)."""
    return map_data(report["by_country"], report.get("by_owner_country") or {})


def map_data(
    by_country: dict[str, dict[str, Any]], by_owner_country: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Countries of the world map with their shading in both views, and the legend.

    ``by_country``/``by_owner_country``: ``{place: {"properties": [...], "flows": n,
    "allowed": bool | None}}`` as the report has them (places are ISO codes, ``local`` and
    ``unknown``). Each country gets ``properties``, ``flows``, ``level`` (0-5, None without
    traffic) and ``outside`` for the server view (the old keys), and ``owner_properties`` and
    ``owner_level`` for the operators' home countries. Places not drawn (``local``,
    ``unknown``, tiny territories) are listed in ``unplaced``/``owner_unplaced``.
    """
    geometry = _world()
    received = {code: entry for code, entry in by_country.items() if entry.get("flows")}
    owned = {
        code: entry
        for code, entry in by_owner_country.items()
        if entry.get("flows") or entry.get("properties")
    }
    shapes = []
    for country in geometry["countries"]:
        entry = received.get(country["id"])
        count = len(entry["properties"]) if entry else 0
        owner = owned.get(country["id"])
        owner_count = len(owner["properties"]) if owner else 0
        shapes.append(
            {
                **country,
                "properties": count,
                "flows": entry["flows"] if entry else 0,
                "level": _level(count) if entry else None,
                "outside": bool(entry and count and entry.get("allowed") is False),
                "owner_properties": owner_count,
                "owner_level": _level(owner_count) if owner else None,
            }
        )
    drawn = {c["id"] for c in geometry["countries"]}
    legend = [
        {
            "level": n + 1,
            "label": str(lo) if lo == hi else (f"{lo}+" if hi == math.inf else f"{lo}–{hi}"),
        }
        for n, (lo, hi) in enumerate(BUCKETS)
    ]
    return {
        "viewBox": geometry["viewBox"],
        "outline": geometry["outline"],
        "attribution": geometry["attribution"],
        "countries": shapes,
        "unplaced": sorted(code for code in received if code not in drawn),
        "owner_unplaced": sorted(code for code in owned if code not in drawn),
        "legend": legend,
    }


def country_name(code: str | None) -> str:
    """A place key's name: "China", "local network", "unknown"."""
    return words.country_name(code)


def format_time(value: str | None) -> str:
    if not value:
        return "–"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def format_bytes(value: int | None) -> str:
    if value is None:
        return "–"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{value} B"  # pragma: no cover - the loop always returns


def _level(count: int) -> int:
    if count == 0:
        return 0
    for n, (lo, hi) in enumerate(BUCKETS, 1):
        if lo <= count <= hi:
            return n
    return len(BUCKETS)


def _bounded_evidence(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evidence trimmed to the page's bounds; counts stay complete, so nothing looks smaller.

    Every section keeps its first hosts (the busiest); examples are shared out evenly, at least
    one per shown host while the page's budget lasts.
    """
    groups_left = MAX_HOST_GROUPS
    wanted = sum(min(len(s["hosts"]), MAX_HOSTS_PER_SECTION) for s in sections)
    # As many examples per group as the budget allows for all of them (at least one).
    per_group = max(1, MAX_EXAMPLES // wanted) if wanted else 1
    examples_left = MAX_EXAMPLES
    out = []
    for section in sections:
        hosts = section["hosts"][: min(MAX_HOSTS_PER_SECTION, groups_left)]
        groups_left -= len(hosts)
        shown = []
        for host in hosts:
            keep = min(len(host["examples"]), per_group, examples_left)
            examples_left -= keep
            shown.append({**host, "examples": host["examples"][:keep]})
        hidden = section["hosts"][len(hosts) :]
        out.append(
            {
                **section,
                "hosts": shown,
                "hosts_hidden": len(hidden),
                "findings_hidden": sum(h["count"] for h in hidden),
            }
        )
    return out


@functools.cache
def _world() -> dict[str, Any]:
    return json.loads(WORLD.read_text(encoding="utf-8"))


@functools.cache
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")
