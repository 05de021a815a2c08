"""The live analysis: new rows of the store -> findings placed on the map, filed by step.

The same parts as the report, one flow at a time: the detector
(:class:`analyzer.detect.Detector`), GeoIP (:class:`analyzer.geo.GeoResolver`) and the owner
map (:class:`analyzer.owners.OwnerMap`). What the page gets is already safe to show: values are
masked with the report's :func:`analyzer.detect.mask_value` (so is every personal value of the
flow inside a key path), texts are capped at :data:`MAX_TEXT` characters. Nothing is dropped
silently: what the decoders could not read becomes a note, and so does a flow the analysis
failed on.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, NamedTuple

from analyzer.detect import Detector, Finding, mask_value
from analyzer.live.state import LiveState
from analyzer.store.marks import MarkInfo
from analyzer.vocabulary import label

log = logging.getLogger(__name__)

MAX_TEXT = 200  # characters of a host, key path or value shown
MAX_PLACES = 10_000  # hosts whose owner is remembered; WebSocket flows whose place is
PLAINTEXT_SCHEMES = frozenset({"http", "ws"})


class Place(NamedTuple):
    """Where a flow went: what a finding of it is shown with."""

    host: str
    server_ip: str | None
    country: str | None
    org: str | None
    local: bool
    owner: str | None
    owner_country: str | None
    plaintext: bool
    started: float | None


class LiveAnalysis:
    """Feeds a :class:`LiveState` from store rows.

    ``geo`` needs ``lookup(ip)`` (a GeoResolver), ``owners`` ``lookup(host)`` (an OwnerMap).
    Every ``add_*`` method takes rows as :class:`analyzer.live.tail.StoreTail` returns them and
    changes the state in one step, so a reader never sees half a batch.
    """

    def __init__(self, state: LiveState, detector: Detector, geo: Any, owners: Any) -> None:
        self.state = state
        self.detector = detector
        self.geo = geo
        self.owners = owners
        self.analysed_until: float | None = None  # latest start of an analysed flow
        self._owners: dict[str, tuple[str | None, str | None]] = {}
        self._websockets: OrderedDict[int, Place] = OrderedDict()

    def set_marks(self, marks: list[MarkInfo]) -> bool:
        """Take the session's marks; True when they changed (then the page is told)."""
        if not self.state.marks_differ(marks):
            return False
        with self.state.changing():
            return self.state.set_marks(marks, self.analysed_until)

    def add_flows(self, rows: Iterable[Any]) -> int:
        """Analyse flows (columns of :data:`analyzer.live.tail.FLOW_COLUMNS`); returns how many
        findings they gave."""
        results = []
        for row in rows:
            place = self._place(row)
            found, notes = self._detect(row, (), place)
            results.append((place, found, notes))
            if row.websocket:
                self._remember(row.id, place)
        return self._publish(results, flows=True)

    def add_messages(self, rows: Iterable[Any], places: dict[int, Any]) -> int:
        """Analyse the phone's WebSocket messages, each with its flow's place; ``places`` holds
        flow rows (:meth:`StoreTail.flow_places`) for flows this analysis has not seen."""
        results = []
        for row in rows:
            place = self._websockets.get(row.flow_id)
            if place is None and row.flow_id in places:
                place = self._place(places[row.flow_id])
                self._remember(row.flow_id, place)
            if place is None:
                place = Place("(unknown)", None, None, None, False, None, None, False, None)
            flow = _MessageFlow(row.flow_id)
            found, notes = self._detect(flow, (row,), place)
            results.append((place, found, notes))
        return self._publish(results, flows=False)

    def unknown_websocket_flows(self, rows: Iterable[Any]) -> list[int]:
        """Flow ids of messages whose flow this analysis does not know (look them up)."""
        return sorted({r.flow_id for r in rows if r.flow_id and r.flow_id not in self._websockets})

    def add_tls_failures(self, rows: Iterable[Any]) -> None:
        rows = list(rows)
        if not rows:
            return
        with self.state.changing():
            for row in rows:
                host = row.sni or row.server_ip or "(unknown)"
                info = self.geo.lookup(row.server_ip) if row.server_ip else None
                self.state.add_tls_failure(
                    {
                        "host": _cap(host),
                        "server_ip": row.server_ip,
                        "reason": _cap(row.reason or row.error or "TLS handshake failed"),
                        "side": row.side,
                        "country": info.country if info else None,
                        "time": row.timestamp,
                    }
                )

    # --- internals ------------------------------------------------------------------------------

    def _place(self, row: Any) -> Place:
        host = row.host or row.sni or row.server_ip or "(unknown)"
        info = self.geo.lookup(row.server_ip) if row.server_ip else None
        owner, owner_country = self._owner(host)
        return Place(
            host=_cap(host) or "",
            server_ip=row.server_ip,
            country=info.country if info else None,
            org=_cap(info.org) if info else None,
            local=bool(info and info.local),
            owner=_cap(owner),
            owner_country=owner_country,
            plaintext=(row.scheme or "").lower() in PLAINTEXT_SCHEMES,
            started=row.timestamp_start,
        )

    def _owner(self, host: str) -> tuple[str | None, str | None]:
        known = self._owners.get(host)
        if known is None:
            found = self.owners.lookup(host) if not host.startswith("(") else None
            known = (found.name, found.country) if found else (None, None)
            if len(self._owners) >= MAX_PLACES:
                self._owners.clear()
            self._owners[host] = known
        return known

    def _remember(self, flow_id: int, place: Place) -> None:
        self._websockets[flow_id] = place
        self._websockets.move_to_end(flow_id)
        if len(self._websockets) > MAX_PLACES:
            self._websockets.popitem(last=False)

    def _detect(
        self, flow: Any, messages: tuple[Any, ...], place: Place
    ) -> tuple[list[Finding], list[str]]:
        try:
            found = self.detector.detect(flow, messages)
            notes = list(self.detector.last_notes)
        except Exception as error:  # a detector bug must not end the live view
            log.debug("live analysis failed on flow %s", flow.id, exc_info=True)
            return [], [f"live analysis failed ({type(error).__name__}); see the report"]
        return found, notes

    def _publish(self, results: list[tuple[Place, list[Finding], list[str]]], flows: bool) -> int:
        count = 0
        if not results:
            return 0  # nothing new: readers are not woken
        with self.state.changing():
            for place, found, notes in results:
                if flows:
                    self.state.add_flow(place.host, place.country)
                    if place.started is not None and (
                        self.analysed_until is None or place.started > self.analysed_until
                    ):
                        self.analysed_until = place.started
                else:
                    self.state.messages += 1
                for note in notes:
                    self.state.add_note(_cap(f"{place.host}: {note}", 2 * MAX_TEXT) or "")
                values = tuple({f.value for f in found if f.value and len(f.value) >= 3})
                for finding in found:
                    self.state.add_finding(_shown(finding, place, values))
                    count += 1
        return count


class _MessageFlow:
    """A flow with nothing of its own to decode: its WebSocket messages are analysed alone."""

    __slots__ = ("id",)
    host = url = request_headers = request_body = None
    request_content_encoding = request_content_type = None
    request_body_truncated = False

    def __init__(self, flow_id: int | None) -> None:
        self.id = flow_id


def _shown(finding: Finding, place: Place, flow_values: tuple[str, ...]) -> dict[str, Any]:
    """A finding as the page shows it: masked, capped, placed."""
    path = finding.path or ""
    for value in sorted(flow_values, key=len, reverse=True):  # a longer one may hold another
        path = path.replace(value, mask_value(value))
    return {
        "flow_id": finding.flow_id,
        "started": place.started,
        "property": finding.property,
        "label": label(finding.property),
        "host": place.host,
        "server_ip": place.server_ip,
        "country": place.country,
        "local": place.local,
        "org": place.org,
        "owner": place.owner,
        "owner_country": place.owner_country,
        "location": finding.location,
        "path": _cap(path),
        "encoding": _cap(finding.encoding),
        "method": finding.method,
        "value": _cap(mask_value(finding.value)) if finding.value else "",
        "placeholder": bool(finding.placeholder),
        "plaintext": place.plaintext,
    }


def _cap(text: str | None, size: int = MAX_TEXT) -> str | None:
    if text is None or len(text) <= size:
        return text
    return text[: size - 1] + "…"
