"""Validation of GeoJSON geometries (RFC 7946) for sectors of the line."""

from __future__ import annotations

from typing import Any

from detente.monitor.errors import InputError

__all__ = ["representative_point", "validate_geometry"]

_KINDS = {"Point", "LineString", "Polygon", "MultiLineString", "MultiPolygon"}


def _position(p: Any, field: str) -> tuple[float, float]:
    ok = isinstance(p, list) and len(p) in {2, 3}
    ok = ok and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
    if not ok:
        raise InputError("a position is [longitude, latitude]", field=field)
    lon, lat = float(p[0]), float(p[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"position {p} is outside longitude/latitude bounds", field=field)
    return lon, lat


def _line(c: Any, field: str, min_len: int = 2) -> list[tuple[float, float]]:
    if not isinstance(c, list) or len(c) < min_len:
        raise InputError(f"needs a list of at least {min_len} positions", field=field)
    return [_position(p, f"{field}[{i}]") for i, p in enumerate(c)]


def _polygon(c: Any, field: str) -> None:
    if not isinstance(c, list) or not c:
        raise InputError("a polygon is a list of linear rings", field=field)
    for i, ring in enumerate(c):
        pts = _line(ring, f"{field}[{i}]", 4)
        if pts[0] != pts[-1]:
            raise InputError("a linear ring must end where it starts", field=f"{field}[{i}]")


def _list(c: Any, field: str) -> list[Any]:
    if not isinstance(c, list) or not c:
        raise InputError("needs a non-empty list", field=field)
    return c


def validate_geometry(geometry: Any, field: str = "geometry") -> dict[str, Any]:
    """Return ``geometry`` if it is a valid GeoJSON geometry, else raise InputError naming why."""
    if not isinstance(geometry, dict):
        raise InputError("a GeoJSON geometry must be an object", field=field)
    kind = geometry.get("type")
    if kind not in _KINDS:
        raise InputError(f"geometry type must be one of {', '.join(sorted(_KINDS))}", field=field)
    c = geometry.get("coordinates")
    where = f"{field}.coordinates"
    if kind == "Point":
        _position(c, where)
    elif kind == "LineString":
        _line(c, where)
    elif kind == "Polygon":
        _polygon(c, where)
    elif kind == "MultiLineString":
        for i, line in enumerate(_list(c, where)):
            _line(line, f"{where}[{i}]")
    else:
        for i, poly in enumerate(_list(c, where)):
            _polygon(poly, f"{where}[{i}]")
    return {"type": kind, "coordinates": c}


def representative_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """A point to place a marker for the geometry: the mean of its outer positions."""
    c: Any = geometry["coordinates"]
    if geometry["type"] == "Point":
        return float(c[0]), float(c[1])
    while isinstance(c[0][0], list):  # descend to the first list of positions
        c = c[0]
    pts = c[:-1] if geometry["type"] in {"Polygon", "MultiPolygon"} else c
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
