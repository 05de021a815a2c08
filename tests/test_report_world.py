"""The world map: the shipped geometry, and the script that converts Natural Earth into it."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import sys
from pathlib import Path
from types import ModuleType

from analyzer.report.html import WORLD, country_name

ROOT = Path(__file__).resolve().parent.parent
PATH_SYNTAX = re.compile(r"^(M[-\d. ]+Z)+$")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_world_map", ROOT / "scripts" / "build_world_map.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_world_map"] = module
    spec.loader.exec_module(module)
    return module


def test_shipped_map_is_small_complete_and_attributed() -> None:
    assert WORLD.stat().st_size < 300_000
    world = json.loads(WORLD.read_text())
    codes = [c["id"] for c in world["countries"]]
    assert len(codes) == len(set(codes)) > 200
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in codes)
    # Where app traffic often goes, including places too small for a 1:110m map.
    assert {"CN", "US", "SG", "HK", "DE", "IE", "NL", "JP", "IN", "RU", "TW", "MO"} <= set(codes)
    # Islands smaller than the map's resolution have no outline: the report draws a dot.
    assert all(PATH_SYNTAX.match(c["d"]) or (c["small"] and not c["d"]) for c in world["countries"])
    assert "Natural Earth" in world["attribution"]
    assert "public domain" in " ".join((WORLD.parent / "README.md").read_text().split())
    assert country_name("SG") == "Singapore"
    assert country_name("ZZ") == "ZZ"  # codes without a shape stay readable
    assert country_name(None) == "unknown"


def test_no_shape_runs_across_the_map() -> None:
    # A ring crossing the antimeridian drawn naively shows as a line across the whole map.
    world = json.loads(WORLD.read_text())
    for country in world["countries"]:
        if country["id"] == "AQ" or not country["d"]:
            continue  # Antarctica's southern edge is the pole line, which spans the map
        for ring in country["d"].strip("MZ").split("ZM"):
            numbers = [float(n) for n in ring.split()]
            xs = numbers[0::2]
            steps = [abs(b - a) for a, b in itertools.pairwise(xs)]
            assert max(steps, default=0) < 500, country["id"]


def _topology(arcs: list[list[list[int]]], geometries: list[dict]) -> dict:
    return {
        "type": "Topology",
        "transform": {"scale": [1, 1], "translate": [0, 0]},
        "arcs": arcs,
        "objects": {"countries": {"type": "GeometryCollection", "geometries": geometries}},
    }


def test_conversion_of_a_small_topology() -> None:
    build = _script()
    # A square around (10, 10) and an island ring crossing 180 degrees (as Fiji's does).
    square = [[5, 5], [10, 0], [0, 10], [-10, 0], [0, -10]]
    # 178 -> 180 = -180 -> -178 -> -180 = 180 -> 178, as Natural Earth writes Fiji.
    fiji = [[178, -16], [2, 0], [-360, 0], [2, -2], [-2, 0], [360, 0], [-2, 2]]
    topology = _topology(
        [square, fiji],
        [
            {"type": "Polygon", "id": "276", "arcs": [[0]], "properties": {"name": "Germany"}},
            {"type": "Polygon", "id": "242", "arcs": [[1]], "properties": {"name": "Fiji"}},
            {"type": "Polygon", "arcs": [[0]], "properties": {"name": "Kosovo"}},
        ],
    )
    iso = {"276": ("DE", "Germany"), "242": ("FJ", "Fiji")}
    world = build.build(topology, iso)
    by_code = {c["id"]: c for c in world["countries"]}
    assert set(by_code) == {"DE", "FJ", "XK"}
    assert PATH_SYNTAX.match(by_code["DE"]["d"])
    # Fiji becomes two pieces, one at each edge of the map, and nothing in between.
    pieces = by_code["FJ"]["d"].count("M")
    assert pieces == 2
    xs = [float(n) for n in re.split(r"[MZ ]+", by_code["FJ"]["d"]) if n][0::2]
    assert min(xs) < 20 and max(xs) > 980
    assert not [x for x in xs if 20 < x < 980]
    assert world["viewBox"].startswith("0 0 1000 ")


def test_split_keeps_polar_rings_whole() -> None:
    build = _script()
    antarctica = [(-180.0, -80.0), (0.0, -70.0), (180.0, -80.0), (180.0, -90.0),
                  (-180.0, -90.0), (-180.0, -80.0)]
    assert build.split_at_antimeridian(antarctica) == [antarctica]
    plain = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]
    assert build.split_at_antimeridian(plain) == [plain]
