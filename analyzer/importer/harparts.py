"""Request parts that a HAR entry may give only in its structured lists (HAR 1.2 section 4.2.2).

HAR 1.2 lists a request's query in ``queryString`` and its cookies in ``cookies`` beside the
``url`` and ``headers`` that should carry them too; some exporters fill only the lists. Insomnia
writes ``url`` as the request's base URL and its parameters only in ``queryString``, and the
cookies of its cookie jar only in ``cookies`` (Kong/insomnia ``packages/insomnia/src/common/
har.ts``, ``exportHarRequest``); HTTP clients that generate HAR for code snippets (httpsnippet)
do the same. What the lists hold beyond the URL and headers is added to them here, so that the
decoder reads it where the phone sent it, and the caller notes that it was rebuilt.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit, urlunsplit

from analyzer.importer.harbody import form_part

MAX_ITEMS = 10_000  # of one list; more are left out, with a note


def _pairs(items: Any) -> tuple[list[tuple[str, str]], int]:
    """(name, value) of a HAR list of ``{name, value}`` objects, and how many were left out."""
    if not isinstance(items, list):
        return [], 0
    out = []
    for item in items[:MAX_ITEMS]:
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
            value = item.get("value")
            out.append((item["name"], "" if value is None else str(value)))
    return out, max(len(items) - MAX_ITEMS, 0)


def url_with_query_string(url: str, query_string: Any) -> tuple[str, list[str]]:
    """``url`` with the ``queryString`` parameters it lacks appended, and notes.

    A parameter counts as present when its name is in the URL's query, as written or
    percent-decoded (Chrome lists names as in the URL, Firefox decoded). Names and values are
    percent-encoded unless they already are (:func:`~analyzer.importer.harbody.form_part`).
    """
    pairs, left_out = _pairs(query_string)
    notes = []
    if left_out:
        notes.append(f"queryString with more than {MAX_ITEMS} parameters: the rest left out")
    if not pairs:
        return url, notes
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, notes
    present = set()
    for name, _value in parse_qsl(parts.query, keep_blank_values=True):
        present.add(name)
    present |= {piece.split("=", 1)[0] for piece in parts.query.split("&")}
    missing = [
        (name, value)
        for name, value in pairs
        if name not in present and unquote_plus(name) not in present
    ]
    if not missing:
        return url, notes
    added = "&".join(f"{form_part(name)}={form_part(value)}" for name, value in missing)
    query = f"{parts.query}&{added}" if parts.query else added
    if parts.query:
        notes.append("query parameters listed only in queryString: added to the URL")
    else:
        notes.append("query given only in queryString (the URL has none): rebuilt from it")
    rebuilt = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    return rebuilt, notes


def cookie_header(
    headers: tuple[tuple[bytes, bytes], ...], cookies: Any
) -> tuple[tuple[tuple[bytes, bytes], ...], list[str]]:
    """``headers`` with a ``Cookie`` header built from ``cookies`` where they have none, and
    notes. Cookies are written ``name=value; name=value`` as sent (RFC 6265 section 5.4)."""
    pairs, left_out = _pairs(cookies)
    notes = []
    if left_out:
        notes.append(f"cookies list with more than {MAX_ITEMS} cookies: the rest left out")
    if not pairs or any(name.lower() == b"cookie" for name, _ in headers):
        return headers, notes
    value = "; ".join(f"{name}={value}" for name, value in pairs)
    notes.append("cookies given only in the cookies list (no Cookie header): header rebuilt")
    return (*headers, (b"Cookie", value.encode("utf-8", "surrogatepass"))), notes
