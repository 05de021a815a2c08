"""Import notes: what an imported file holds that cannot reach detection as it is.

A report that reads "nothing sent" where something was sent is the worst failure leakmap can
have, so whatever an importer cannot take whole (a body an exporter left out or mangled, a
response marked base64 that is not) is said in a note, stored with the session
(``sessions.notes``, one note a line) and listed among the report's analysis notes.

Notes are grouped by kind, so that a file with 10,000 such entries gives one line with a count
and the first few entries, not 10,000 lines.
"""

from __future__ import annotations

from urllib.parse import urlsplit

EXAMPLES = 3  # entries named for a note that many entries share
URL_CHARS = 80  # of an entry's URL in a note; the query string is never shown


class ImportNotes:
    """Collects notes of one file; :meth:`lines` gives them, one kind per line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._where: dict[str, list[str]] = {}
        self._counts: dict[str, int] = {}
        # Steps the file itself carries as (epoch seconds, label): leakmap's own HAR export.
        self.steps: list[tuple[float, str]] = []
        # The session's app, app_version and device, as leakmap's own HAR export names them.
        self.session_fields: dict[str, str] = {}

    def add(self, message: str, where: str | None = None) -> None:
        """Note ``message`` (what happened and what leakmap did) about ``where`` (an entry)."""
        count = self._counts.get(message, 0)
        self._counts[message] = count + 1
        places = self._where.setdefault(message, [])
        if where and len(places) < EXAMPLES:
            places.append(where)

    def __len__(self) -> int:
        return len(self._counts)

    def lines(self) -> list[str]:
        out = []
        for message, count in self._counts.items():
            places = self._where[message]
            if count == 1 and places:
                out.append(f"{self.source}: {places[0]}: {message}")
            elif count == 1:
                out.append(f"{self.source}: {message}")
            else:
                shown = ", ".join(places)
                more = f", e.g. {shown}" if shown else ""
                out.append(f"{self.source}: {message} ({count} times{more})")
        return out


def entry_ref(number: int, method: object = None, url: object = None) -> str:
    """``entry 3 (POST https://host/path)``: the entry's number and its URL without the query
    (query strings carry the personal values a report masks)."""
    if not isinstance(url, str) or not url:
        return f"entry {number}"
    shown = url.split("?", 1)[0].split("#", 1)[0]
    if "://" in url:
        try:
            parts = urlsplit(url)
            shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
        except ValueError:
            pass
    shown = "".join(ch if ch.isprintable() else "?" for ch in shown)
    if len(shown) > URL_CHARS:
        shown = shown[: URL_CHARS - 1] + "…"
    verb = f"{method} " if isinstance(method, str) and method.isprintable() and method else ""
    return f"entry {number} ({verb[:20]}{shown})"
