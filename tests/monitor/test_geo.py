"""GeoJSON geometry validation and marker placement."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detente.monitor.db import normalise_url
from detente.monitor.errors import InputError
from detente.monitor.geo import representative_point, validate_geometry

RING = [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]


@pytest.mark.parametrize(
    ("geometry", "field"),
    [
        ([], "geometry"),
        ({"type": "Feature"}, "geometry"),
        ({"type": "Point", "coordinates": [1]}, "geometry.coordinates"),
        ({"type": "Point", "coordinates": [True, 1]}, "geometry.coordinates"),
        ({"type": "Point", "coordinates": [0, 95]}, "geometry.coordinates"),
        ({"type": "LineString", "coordinates": "0,0"}, "geometry.coordinates"),
        ({"type": "Polygon", "coordinates": []}, "geometry.coordinates"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            "geometry.coordinates[0]",
        ),
        ({"type": "MultiLineString", "coordinates": [[[0, 0]]]}, "geometry.coordinates[0]"),
        ({"type": "MultiLineString", "coordinates": {}}, "geometry.coordinates"),
        (
            {"type": "MultiPolygon", "coordinates": [[RING], [[[0, 0]]]]},
            "geometry.coordinates[1][0]",
        ),
    ],
)
def test_invalid_geometries_name_the_field(geometry: Any, field: str) -> None:
    with pytest.raises(InputError) as info:
        validate_geometry(geometry)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("geometry", "point"),
    [
        ({"type": "Point", "coordinates": [3, 4]}, (3.0, 4.0)),
        ({"type": "LineString", "coordinates": [[0, 0], [2, 4]]}, (1.0, 2.0)),
        (
            {"type": "MultiLineString", "coordinates": [[[0, 0], [2, 4]], [[9, 9], [9, 8]]]},
            (1.0, 2.0),
        ),
        ({"type": "Polygon", "coordinates": [RING]}, (1.0, 1.0)),
        ({"type": "MultiPolygon", "coordinates": [[RING]]}, (1.0, 1.0)),
    ],
)
def test_valid_geometries_and_their_marker(
    geometry: dict[str, Any], point: tuple[float, float]
) -> None:
    assert validate_geometry({**geometry, "extra": 1}) == geometry  # foreign members dropped
    assert representative_point(geometry) == point


@given(st.floats(-170, 170), st.floats(-80, 80), st.floats(0.01, 5), st.floats(0.01, 5))
def test_rectangle_marker_is_its_centre(lon: float, lat: float, w: float, h: float) -> None:
    ring = [[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]
    x, y = representative_point(validate_geometry({"type": "Polygon", "coordinates": [ring]}))
    assert x == pytest.approx(lon + w / 2)
    assert y == pytest.approx(lat + h / 2)


def test_database_urls(tmp_path: Any) -> None:
    assert normalise_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert normalise_url("postgresql://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    with pytest.raises(InputError, match="not a database URL"):
        normalise_url("::://")
