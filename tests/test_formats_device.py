"""Value formats of the device's description (formats_device.py): OS version spellings, screen
sizes as UIKit writes them, a build ID under a model name; and the names that reach them."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from analyzer.detect import Detector
from analyzer.detect.formats_device import model, os_version, resolution

DETECTOR = Detector()


def found(body: Any) -> set[tuple[str, str]]:
    flow = SimpleNamespace(
        id=2,
        url="https://metrics.example.io/v3/session",
        request_headers=[],
        request_body=json.dumps(body).encode(),
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type="application/json",
    )
    return {(f.path, f.property) for f in DETECTOR.detect(flow) if not f.placeholder}


@pytest.mark.parametrize(
    ("value", "props"),
    [
        ("16.7.2", {"osVersion"}),
        ("Version 16.7.2 (Build 20H115)", {"osVersion"}),  # operatingSystemVersionString
        ("Version 17.1", {"osVersion"}),
        ("iOS 15.8", {"osName", "osVersion"}),
        ("Version 77.1 (Build 20H115)", set()),
        ("Version 3.4.1 of the app", set()),
        ("Build 20H115", set()),
    ],
)
def test_os_version_spellings(value: str, props: set[str]) -> None:
    assert {prop for prop, _ in os_version("osVersion", value)} == props


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("{428, 926}", True),  # NSStringFromCGSize
        ("{{0, 0}, {1284, 2778}}", True),  # NSStringFromCGRect: origin, size
        ("{414.0, 896.0}", True),
        ("1284x2778", True),
        ("{{0, 0}, {1284, 2778}", False),  # unbalanced
        ("{320, 50}", False),  # a banner's size: a side under 100
        ("{1284}", False),
        ("{a, b}", False),
    ],
)
def test_resolutions_as_uikit_writes_them(value: str, ok: bool) -> None:
    assert bool(resolution("screenWidth", value)) is ok


def test_a_build_id_under_a_model_name_is_the_os_build() -> None:
    assert model("model", "TP1A.220624.014") == [("osVersion", "TP1A.220624.014")]
    assert model("model", "Pixel 6a") == [("model", "Pixel 6a"), ("manufacturer", "Pixel 6a")]


@pytest.mark.parametrize(
    ("body", "path", "props"),
    [
        (
            {"nativeBounds": "{{0, 0}, {1170, 2532}}"},
            "nativeBounds",
            {"screenWidth", "screenHeight"},
        ),
        ({"screenSize": "{390, 844}"}, "screenSize", {"screenWidth", "screenHeight"}),
        ({"osMajorVersion": "16"}, "osMajorVersion", {"osVersion"}),  # OperatingSystemVersion
        ({"os_version_major": 14}, "os_version_major", {"osVersion"}),
        ({"device": {"model_id": "UQ1A.240205.004"}}, "device.model_id", {"osVersion"}),
    ],
)
def test_names_that_reach_these_forms(body: dict[str, Any], path: str, props: set[str]) -> None:
    assert {prop for p, prop in found(body) if p == path} == props


def test_decoys_of_these_forms() -> None:
    body = {
        "view": {"bounds": "{{0, 0}, {390, 844}}"},  # a view's frame, not the screen
        "frame": "{{0, 0}, {390, 844}}",
        "app_version_major": "16",
        "version_major": 3,
    }
    assert found(body) == set()
