"""The extra held-out set: requests of SDKs outside the tracker examples, from their public docs.

``analyzer/data/eval/sdk_docs.json`` rebuilds requests of vendors that are not among the vendors
of tweasel's tracker examples (Adjust, Branch, OneSignal, Singular, Amplitude, Mixpanel, Segment,
Braze, Facebook app events, ByteDance AppLog, ...) from their public payload documentation: key
names and structure as documented (each request names its source URL), values invented. It
measures name and format detection on spellings nobody tuned the rules to.
``sdk_docs_fresh.json`` is a second such set of 16 other SDKs (Sentry, Datadog, OpenTelemetry,
Snowplow, Countly, Matomo, Airship, Pushwoosh, Kochava, Leanplum, RevenueCat, Adobe Edge,
New Relic, GrowingIO, and public captures of AppDynamics and Celebrus), built after the first
set had been studied, so that unseen vendors can be measured again.

Each request is ``{"vendor", "source", "url", "labels": {key path: property | [properties]}}``
with one body kind: ``"json"`` (any JSON value), ``"form"`` or ``"query"`` (lists of
``[key, value]``), and optional ``"headers"``. A label ``other:<x>`` marks personal data outside
the vocabulary: neither counted nor held against a finding (see ``scoring.AMBIGUOUS``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode, urlsplit

from analyzer.detect.scoring import Case, Label

LOCATIONS = ("query", "body", "header")


SHIPPED = "sdk_docs.json"
FRESH = "sdk_docs_fresh.json"  # the red team's set of issue 13, measured before rules changed


def load_sdk_docs(path: Path | None = None, shipped: str = SHIPPED) -> dict[str, Any]:
    """A held-out set as parsed JSON: ``path``, or else the shipped file named ``shipped``
    (:data:`SHIPPED` or :data:`FRESH` in ``analyzer/data/eval``). Raises ValueError when the
    file is not an object with a list of requests."""
    if path is None:
        text = resources.files("analyzer").joinpath("data/eval", shipped).read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("requests"), list):
        raise ValueError("an SDK documentation set is an object with a list of requests")
    return data


def sdk_docs_corpus(data: dict[str, Any] | None = None) -> Iterator[Case]:
    """One :class:`Case` per documented request; ``flow.carrier`` is the vendor.

    Labels sit at the key path the decoder gives the field: a query or form key, a header name
    in lower case, a dotted JSON path with array indices (``events.0.device_model``); JSON in a
    form field continues the path (``extinfo.4``).
    """
    data = data if data is not None else load_sdk_docs()
    for flow_id, request in enumerate(data["requests"], start=1):
        yield _case(flow_id, request)


def _case(flow_id: int, request: dict[str, Any]) -> Case:
    url = request["url"]
    headers = [list(pair) for pair in request.get("headers", [])]
    body = b""
    content_type = None
    if "json" in request:
        body = json.dumps(request["json"], ensure_ascii=False).encode()
        content_type = "application/json"
    elif "form" in request:
        body = urlencode([tuple(pair) for pair in request["form"]]).encode()
        content_type = "application/x-www-form-urlencoded"
    if "query" in request:
        url += ("&" if "?" in url else "?") + urlencode([tuple(p) for p in request["query"]])
    if content_type:
        headers.append(["Content-Type", content_type])
    header_names = {name.lower() for name, _ in headers}
    query_keys = {key for key, _ in request.get("query", [])}
    labels = []
    for path, props in request["labels"].items():
        top = path.split(".", 1)[0]
        in_query = path in query_keys or top in query_keys  # JSON in a query value continues
        location = "header" if path in header_names else "query" if in_query else "body"
        for prop in [props] if isinstance(props, str) else props:
            labels.append(Label(prop, location, path, prop))
    flow = SimpleNamespace(
        id=flow_id,
        url=url,
        method="POST" if body else "GET",
        host=urlsplit(url).hostname or "",
        request_headers=headers,
        request_body=body,
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type=content_type,
        carrier=request["vendor"],
    )
    return Case(flow, [], labels)
