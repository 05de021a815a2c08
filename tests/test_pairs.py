"""Name-value pair objects and value wrappers: values named by the data beside them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from analyzer.decode.fields import Field
from analyzer.detect import Detector
from analyzer.detect.pairs import named_fields


def body_flow(body: object) -> SimpleNamespace:
    return SimpleNamespace(
        id=1,
        url="https://collect.example.net/v1/logs",
        request_headers=[],
        request_body=json.dumps(body).encode(),
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type="application/json",
    )


def found(body: object) -> set[tuple[str, str]]:
    return {(f.property, f.path) for f in Detector().detect(body_flow(body))}


def test_otlp_attributes_are_read_under_their_key() -> None:
    body = {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [
                        {"key": "os.version", "value": {"stringValue": "15.2"}},
                        {"key": "device.model.identifier", "value": {"stringValue": "SM-G991U"}},
                        {"key": "shelf.colour", "value": {"stringValue": "15.2"}},
                    ]
                }
            }
        ]
    }
    got = found(body)
    base = "resourceLogs.0.resource.attributes"
    assert ("osVersion", f"{base}.0.value.stringValue") in got
    assert ("model", f"{base}.1.value.stringValue") in got
    assert not any(path.startswith(f"{base}.2") for _, path in got)


def test_name_value_lists_and_wrappers() -> None:
    got = found(
        {
            "params": [{"name": "carrier_name", "value": "Vodafone"}],
            "traits": {"$osVersion": {"value": "11.4", "set_at": 1700000000}},
        }
    )
    assert ("carrier", "params.0.value") in got
    assert ("osVersion", "traits.$osVersion.value") in got


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        # A wrapper names its value by its own key; "v" alone wraps nothing.
        ([Field("body", "a.value", "value", "7", "json", parent="a")], "a"),
        ([Field("body", "0.v", "v", "7", "json")], "v"),
        # A pair whose name is no field name (spaces, punctuation) keeps its value's own key.
        (
            [
                Field("body", "x.key", "key", "not a name!", "json", parent="x"),
                Field("body", "x.value", "value", "7", "json", parent="x"),
            ],
            "value",
        ),
    ],
)
def test_names_given_by_the_data_or_left_alone(fields: list[Field], key: str) -> None:
    renamed = named_fields(fields)
    assert [f.path for f in renamed] == [f.path for f in fields]
    assert renamed[-1].key == key
