"""mitmproxy dumps (.mitm/.flows): every flow format version mitmproxy 12 reads, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analyzer.errors import LeakmapError
from analyzer.importer.notes import ImportNotes
from analyzer.store import records as rec


def mitm_records(path: Path, notes: ImportNotes) -> Iterator[rec.Record | None]:
    """Records of a dump, flow by flow (None for a flow of a kind not stored, e.g. DNS).

    Raises LeakmapError naming the flow that cannot be read (truncated or corrupt dump)."""
    from mitmproxy import exceptions
    from mitmproxy.io import FlowReader

    index = 0
    skipped: dict[str, int] = {}
    try:
        with open(path, "rb") as handle:
            for index, flow in enumerate(FlowReader(handle).stream(), start=1):  # noqa: B007
                records = list(_flow_records(flow))
                if records == [None]:
                    kind = type(flow).__name__.removesuffix("Flow") or "other"
                    skipped[kind] = skipped.get(kind, 0) + 1
                yield from records
    except exceptions.FlowReadException as error:
        detail = str(error).rstrip(".") or "invalid data"
        raise LeakmapError(
            f"{path}: not a readable mitmproxy dump (flow {index + 1}: {detail}; "
            "truncated, corrupt or not a .mitm file)"
        ) from None
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise LeakmapError(f"{path}: flow {index + 1} cannot be read: {error}") from None
    for kind, count in skipped.items():
        notes.add(
            f"{count} {kind} flow(s) not imported (leakmap stores HTTP, WebSocket, TCP and UDP; "
            "DNS queries carry no request body)"
        )


def _flow_records(flow: Any) -> Iterator[rec.Record | None]:
    from mitmproxy import http, tcp, udp

    if isinstance(flow, http.HTTPFlow):
        yield rec.from_http_flow(flow)
        if flow.websocket is not None:
            for message in flow.websocket.messages:
                yield rec.websocket_record(flow.id, message)
    elif isinstance(flow, tcp.TCPFlow | udp.UDPFlow):
        yield rec.from_stream_flow(flow)
    else:  # DNS flows and kinds leakmap does not store: counted and noted
        yield None
