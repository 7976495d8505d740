"""An independent checker of the RFC 7946 rules a GeoJSON export of incidents must keep.

Written from the RFC's text, not from the exporter: a FeatureCollection of Features (section
3.3) each with ``geometry`` (a geometry object or null) and ``properties`` (an object or null)
members (3.2), an ``id`` that is a string or a number (3.2), positions of two or three numbers
with longitude first (3.1.1) inside WGS 84's bounds (4), no ``crs`` member (4, the 2008
format's crs is gone), a ``bbox`` of 2n numbers if any (5), and coordinates to no more decimal
places than needed (11.2: 6 places are about 10 cm).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

GEOMETRIES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
#: Array depth of each geometry type's ``coordinates`` (a position is depth 1).
DEPTH = {
    "Point": 1,
    "MultiPoint": 2,
    "LineString": 2,
    "MultiLineString": 3,
    "Polygon": 3,
    "MultiPolygon": 4,
}


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _decimals(x: float) -> int:
    exponent = Decimal(repr(x)).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _positions(c: Any, depth: int, where: str, problems: list[str], decimals: int) -> None:
    if depth == 1:
        if not (isinstance(c, list) and len(c) in {2, 3} and all(_is_number(v) for v in c)):
            problems.append(f"{where}: a position is 2 or 3 numbers")
            return
        lon, lat = c[0], c[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(f"{where}: [{lon}, {lat}] is not longitude, latitude in WGS 84")
        if any(_decimals(v) > decimals for v in c[:2]):
            problems.append(f"{where}: more than {decimals} decimal places")
        return
    if not isinstance(c, list) or not c:
        problems.append(f"{where}: expected a non-empty array")
        return
    for i, item in enumerate(c):
        _positions(item, depth - 1, f"{where}[{i}]", problems, decimals)


def _geometry(g: Any, where: str, problems: list[str], decimals: int) -> None:
    if g is None:
        return
    if not isinstance(g, dict) or g.get("type") not in GEOMETRIES:
        problems.append(f"{where}: not a geometry object")
        return
    _positions(g.get("coordinates"), DEPTH[g["type"]], f"{where}.coordinates", problems, decimals)


def rfc7946_problems(doc: Any, *, decimals: int = 6) -> list[str]:
    """Every way ``doc`` breaks the rules above (empty when it keeps them)."""
    problems: list[str] = []
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return ["the document is not a FeatureCollection"]
    if "crs" in doc:
        problems.append("a crs member (RFC 7946 has none)")
    bbox = doc.get("bbox")
    if bbox is not None and not (
        isinstance(bbox, list) and len(bbox) in {4, 6} and all(map(_is_number, bbox))
    ):
        problems.append("bbox is not 2n numbers")
    features = doc.get("features")
    if not isinstance(features, list):
        return [*problems, "features is not an array"]
    for n, f in enumerate(features):
        where = f"features[{n}]"
        if not isinstance(f, dict) or f.get("type") != "Feature":
            problems.append(f"{where}: not a Feature")
            continue
        if "geometry" not in f or "properties" not in f:
            problems.append(f"{where}: lacks a geometry or properties member")
        if f.get("properties") is not None and not isinstance(f["properties"], dict):
            problems.append(f"{where}.properties: not an object or null")
        if "id" in f and not (isinstance(f["id"], str) or _is_number(f["id"])):
            problems.append(f"{where}.id: not a string or number")
        if "crs" in f:
            problems.append(f"{where}: a crs member (RFC 7946 has none)")
        _geometry(f.get("geometry"), f"{where}.geometry", problems, decimals)
    return problems
