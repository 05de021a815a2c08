#!/usr/bin/env python3
"""Convert Natural Earth country shapes (npm ``world-atlas``, TopoJSON) into the report's map.

Run once when the geometry should change; the output is committed:

    mkdir /tmp/wa && cd /tmp/wa && npm pack world-atlas && tar xzf world-atlas-*.tgz
    python scripts/build_world_map.py /tmp/wa/package/countries-50m.json

Writes ``analyzer/data/world/countries.json``: an SVG ``viewBox`` and, per country, its ISO 3166-1
alpha-2 code, name, a simplified SVG path in the Equal Earth projection and a label point (for
countries too small to see, the report draws a dot there). ISO numeric codes are mapped to alpha-2
with Debian's ``iso-codes`` table (``/usr/share/iso-codes/json/iso_3166-1.json``), because GeoIP
databases speak alpha-2.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

Points = list[tuple[float, float]]
OUT = Path(__file__).resolve().parent.parent / "analyzer" / "data" / "world" / "countries.json"
ISO_TABLE = Path("/usr/share/iso-codes/json/iso_3166-1.json")
WIDTH = 1000.0
TOLERANCE = 0.6  # Douglas-Peucker tolerance in output units (the map is 1000 units wide)
MIN_RING_AREA = 1.5  # square units; smaller islands vanish unless they are all a country has
# Features without a numeric code in Natural Earth; GeoIP databases use these codes for them.
UNNUMBERED = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO", "Siachen Glacier": "IN"}

# Equal Earth projection (Šavrič, Patterson, Jenny 2018).
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2
X_MAX = 2.7066297319215575  # x at longitude 180, latitude 0
Y_MAX = 1.3173627591574133  # y at latitude 90


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    denominator = 3 * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2))
    x = 2 * math.sqrt(3) * lam * math.cos(theta) / denominator
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    scale = WIDTH / (2 * X_MAX)
    return (x + X_MAX) * scale, (Y_MAX - y) * scale


def decode_arcs(topology: dict[str, Any]) -> list[Points]:
    """Arcs in longitude/latitude, simplified (shared borders stay shared)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(simplify(points, TOLERANCE * 360 / WIDTH))
    return arcs


def split_at_antimeridian(ring: Points) -> list[Points]:
    """Rings that cross 180° (Chukotka, Fiji) drawn as two pieces, one at each map edge.

    The ring is made continuous in longitude, then clipped to the map once as it is and once
    shifted by a full turn each way. Rings around a pole (Antarctica) do not close when
    unwrapped and are kept as they are.
    """
    if all(abs(a[0] - b[0]) <= 180 for a, b in itertools.pairwise(ring)):
        return [ring]
    unwrapped = [ring[0]]
    for lon, lat in ring[1:]:
        previous = unwrapped[-1][0]
        while lon - previous > 180:
            lon -= 360
        while previous - lon > 180:
            lon += 360
        unwrapped.append((lon, lat))
    if abs(unwrapped[-1][0] - unwrapped[0][0]) > 180:
        return [ring]
    pieces = []
    for shift in (0, 360, -360):
        piece = clip(clip([(lon + shift, lat) for lon, lat in unwrapped], 180.0), -180.0)
        if len(piece) >= 3:
            pieces.append(piece)
    return pieces


def clip(ring: Points, edge: float) -> Points:
    """Sutherland-Hodgman against one meridian: keep the side towards longitude 0."""

    def inside(point: tuple[float, float]) -> bool:
        return point[0] <= edge if edge > 0 else point[0] >= edge

    out: Points = []
    for current, following in zip(ring, ring[1:] + ring[:1], strict=True):
        if inside(current):
            out.append(current)
        if inside(current) != inside(following):
            (x1, y1), (x2, y2) = current, following
            out.append((edge, y1 + (y2 - y1) * (edge - x1) / (x2 - x1)))
    return out


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker on one arc; its end points stay, so shared borders still meet."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        best, index = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if norm == 0:
                distance = math.hypot(px - x1, py - y1)
            else:
                distance = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm
            if distance > best:
                best, index = distance, i
        if best > tolerance and index > 0:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring_points(ring: list[int], arcs: list[Points]) -> Points:
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def area(points: list[tuple[float, float]]) -> float:
    pairs = zip(points, points[1:] + points[:1], strict=True)
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs)) / 2


def path_of(rings: list[list[tuple[float, float]]]) -> str:
    parts = []
    for points in rings:
        rounded: list[tuple[float, float]] = []
        for x, y in points:
            p = (round(x, 1), round(y, 1))
            if not rounded or rounded[-1] != p:
                rounded.append(p)
        if len(rounded) < 3:
            continue
        parts.append("M" + " ".join(f"{_num(x)} {_num(y)}" for x, y in rounded) + "Z")
    return "".join(parts)


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def build(topology: dict[str, Any], iso: dict[str, tuple[str, str]]) -> dict[str, Any]:
    arcs = decode_arcs(topology)
    countries: dict[str, dict[str, Any]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        numeric = geometry.get("id")
        code = iso[numeric][0] if numeric in iso else UNNUMBERED.get(name)
        if not code or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            print(f"skipped: {numeric} {name}", file=sys.stderr)
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [
            [equal_earth(lon, lat) for lon, lat in piece]
            for polygon in polygons
            for ring in polygon
            for piece in split_at_antimeridian(ring_points(ring, arcs))
        ]
        entry = countries.setdefault(
            code, {"id": code, "name": iso[numeric][1] if numeric in iso else name, "rings": []}
        )
        entry["rings"].extend(rings)
    out = []
    for code in sorted(countries):
        entry = countries[code]
        rings = entry["rings"]
        largest = max(rings, key=area)
        kept = [r for r in rings if area(r) >= MIN_RING_AREA] or [largest]
        cx = sum(x for x, _ in largest) / len(largest)
        cy = sum(y for _, y in largest) / len(largest)
        out.append(
            {
                "id": code,
                "name": entry["name"],
                "d": path_of(kept),
                "label": [round(cx, 1), round(cy, 1)],
                # Too small to see or to hover: the report marks it with a dot as well.
                "small": area(largest) < 12,
            }
        )
    height = round(2 * Y_MAX * WIDTH / (2 * X_MAX), 1)
    # The globe's outline (the sea): the two edge meridians, as the projection curves them.
    edge = [equal_earth(180, lat) for lat in range(-90, 91, 5)]
    edge += [equal_earth(-180, lat) for lat in range(90, -91, -5)]
    return {
        "viewBox": f"0 0 {int(WIDTH)} {height}",
        "outline": path_of([edge]),
        "projection": "Equal Earth",
        "source": "Natural Earth 1:50m admin-0 countries, via npm world-atlas 2.0.2",
        "attribution": "Map: Natural Earth (public domain), via world-atlas by Mike Bostock (ISC)",
        "countries": out,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path, help="world-atlas countries-50m.json (or -110m)")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()
    table = json.loads(ISO_TABLE.read_text())["3166-1"]
    iso = {row["numeric"]: (row["alpha_2"], row.get("common_name", row["name"])) for row in table}
    world = build(json.loads(args.topojson.read_text()), iso)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(world, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{args.output}: {len(world['countries'])} countries, {args.output.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
