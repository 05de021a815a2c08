"""The tracker-examples corpus: tweasel's labelled real values, embedded at their key paths.

tweasel's ``adapterExamples`` (CC0, see ``benchmarks/data/tracker-examples``) label values that
Android and iOS tracking SDKs really sent: ``{"vendor/endpoint": {"property/location/key-path":
[values...]}}``. :func:`tracker_corpus` rebuilds requests from them for name and format detection
without a profile; :func:`vendor_of` names the vendor of an endpoint, for leave-one-vendor-out
folds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from analyzer.detect.placeholders import placeholder
from analyzer.detect.scoring import Case, Label
from analyzer.vocabulary import canonical_property

SHIPPED = "data/eval/tracker-examples/adapterExamples-dev.trimmed.json"


def load_examples(path: Path | None = None) -> dict[str, dict[str, list[Any]]]:
    """tweasel's adapter examples: the trimmed copy shipped with leakmap, or the file at ``path``.

    Raises ValueError when the file is not ``{"vendor/endpoint": {"prop/location/path": [...]}}``.
    """
    if path is None:
        text = resources.files("analyzer").joinpath(SHIPPED).read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and all(k.count("/") >= 2 for k in v) for v in data.values()
    ):
        raise ValueError(
            "not an adapterExamples file ({endpoint: {property/location/path: [...]}})"
        )
    return data


def vendor_of(endpoint: str) -> str:
    """The vendor of an examples endpoint: ``"google/app-measurement"`` -> ``"google"``."""
    return endpoint.split("/", 1)[0]


def key_paths_by_vendor(examples: dict[str, dict[str, list[Any]]]) -> dict[str, list[str]]:
    """``{vendor: [key paths its labels name]}`` (the keys the vendor's SDKs send)."""
    out: dict[str, list[str]] = defaultdict(list)
    for endpoint, labelled in examples.items():
        for spec in labelled:
            out[vendor_of(endpoint)].append(spec.split("/", 2)[2])
    return dict(out)


TRACKHAR_NAMES = {"idfa": "advertisingId", "idfv": "developerScopedId"}
SAMPLES_PER_FIELD = 5
# Example values that carry no personal value ("carrier": "none", "hl": "auto"): not labels.
PLACEHOLDERS = frozenset({"", "none", "null", "unknown", "auto", "undefined", "n/a"})


def _our_property(name: str) -> str:
    return TRACKHAR_NAMES.get(name) or canonical_property(name) or f"other:{name}"


def tracker_corpus(examples: dict[str, dict[str, list[Any]]]) -> Iterator[Case]:
    """One request per endpoint and sample round, every labelled key path filled with a value.

    Key paths with ``*`` become one-element lists; JSONPath filters (``$[?...]``) and values
    that are objects, lists or empty are left out (there is no single value to find).
    """
    flow_id = 0
    for endpoint, labelled in examples.items():
        by_place: dict[tuple[str, str], list[tuple[str, list[Any]]]] = defaultdict(list)
        for spec, values in labelled.items():
            name, location, path = spec.split("/", 2)
            if path.startswith("$"):
                continue
            prop = _our_property(name)
            usable = [
                v
                for v in values
                if isinstance(v, str | int | float)
                and str(v).strip().lower() not in PLACEHOLDERS
                and placeholder(prop, _as_text(v)) is None
            ]
            if usable:
                by_place[(location, path)].append((prop, usable))
        rounds = max((len(v[0][1]) for v in by_place.values()), default=0)
        for index in range(min(SAMPLES_PER_FIELD, rounds)):
            flow_id += 1
            body: dict[str, Any] = {}
            query: list[tuple[str, str]] = []
            headers: list[list[str]] = []
            cookies: list[str] = []
            labels: list[Label] = []
            for (location, path), props in by_place.items():
                values = props[0][1]
                if index >= len(values):
                    continue
                value = values[index]
                text = _as_text(value)
                concrete = path.replace("*", "0")
                if location == "body":
                    if not put_path(body, path.split("."), value):
                        continue
                elif location == "query":
                    query.append((path, text))
                elif location == "header":
                    headers.append([path, text])
                elif location == "cookie":
                    cookies.append(f"{path}={text}")
                else:
                    continue
                for prop, prop_values in props:
                    if value in prop_values:
                        labels.append(Label(prop, location, concrete, prop))
            if cookies:
                headers.append(["Cookie", "; ".join(cookies)])
            url = f"https://{endpoint.split('/')[0]}.example/{endpoint.split('/')[1]}"
            if query:
                url += "?" + urlencode(query)
            flow = SimpleNamespace(
                id=flow_id,
                url=url,
                method="POST",
                host="tracker.example",
                request_headers=[*headers, ["Content-Type", "application/json"]],
                request_body=json.dumps(body).encode() if body else b"",
                request_body_truncated=False,
                request_content_encoding=None,
                request_content_type="application/json",
                carrier=endpoint,
            )
            yield Case(flow, [], labels)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def put_path(target: dict[str, Any], keys: list[str], value: Any) -> bool:
    node: Any = target
    for position, key in enumerate(keys):
        last = position == len(keys) - 1
        if key == "*":
            continue
        wrap = position + 1 < len(keys) and keys[position + 1] == "*"
        if last:
            if not isinstance(node, dict) or key in node:
                return False
            node[key] = value
            return True
        if not isinstance(node, dict):
            return False
        if wrap:
            holder = node.setdefault(key, [{}])
            if not isinstance(holder, list):
                return False
            node = holder[0]
        else:
            node = node.setdefault(key, {})
    return False
