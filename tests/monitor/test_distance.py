"""Great-circle distance against published values and an independent formula; the box never cuts."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.monitor.distance import EARTH_RADIUS_M, bounding_box, haversine_m
from tests.monitor.sphere_support import vincenty_sphere_m

lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
radii = st.floats(min_value=0, max_value=3_000_000, allow_nan=False)


def test_lax_to_jfk_as_in_the_aviation_formulary() -> None:
    # Williams, Aviation Formulary V1.47, worked example: LAX (33 57N, 118 24W) to JFK
    # (40 38N, 73 47W) is 0.623585 radians, about 2144 nautical miles (arc minutes).
    d = haversine_m(33 + 57 / 60, -(118 + 24 / 60), 40 + 38 / 60, -(73 + 47 / 60))
    assert float(d) / EARTH_RADIUS_M == pytest.approx(0.623585, abs=1e-6)
    assert round(float(d) / EARTH_RADIUS_M * 180 * 60 / math.pi) == 2144


def test_closed_forms() -> None:
    # A degree of a meridian is R * pi / 180; a quarter of the equator is R * pi / 2;
    # antipodes are R * pi apart; a point is 0 from itself.
    assert float(haversine_m(10, 30, 11, 30)) == pytest.approx(
        EARTH_RADIUS_M * math.pi / 180, abs=1e-6
    )
    assert float(haversine_m(0, 0, 0, 90)) == pytest.approx(EARTH_RADIUS_M * math.pi / 2, abs=1e-6)
    assert float(haversine_m(45, 20, -45, -160)) == pytest.approx(
        EARTH_RADIUS_M * math.pi, abs=1e-3
    )
    assert float(haversine_m(48.1, 37.7, 48.1, 37.7)) == 0.0


def test_broadcasts_over_arrays() -> None:
    lat = np.array([45.0, 45.1, 46.0])
    lon = np.array([20.0, 20.0, 21.0])
    got = haversine_m(45.0, 20.0, lat, lon)
    want = [vincenty_sphere_m(45.0, 20.0, a, b) for a, b in zip(lat, lon, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)


@settings(max_examples=300, deadline=None)
@given(lats, lons, lats, lons)
def test_haversine_agrees_with_the_atan2_form(a: float, b: float, c: float, d: float) -> None:
    assert float(haversine_m(a, b, c, d)) == pytest.approx(vincenty_sphere_m(a, b, c, d), abs=1e-3)


def _inside(
    box_lat: tuple[float, float], ranges: tuple[tuple[float, float], ...], lat: float, lon: float
) -> bool:
    return box_lat[0] <= lat <= box_lat[1] and any(w <= lon <= e for w, e in ranges)


@settings(max_examples=500, deadline=None)
@given(lats, lons, radii, st.floats(0, 1, allow_nan=False), st.floats(0, 360, allow_nan=False))
def test_every_point_within_the_distance_is_inside_the_box(
    lat: float, lon: float, radius: float, fraction: float, bearing: float
) -> None:
    # Walk a fraction of the radius from the centre along a bearing (the direct geodesic
    # problem on the sphere): the point is within the radius, so the box must hold it.
    delta, theta, p1 = fraction * radius / EARTH_RADIUS_M, math.radians(bearing), math.radians(lat)
    p2 = math.asin(
        max(
            -1.0,
            min(
                1.0,
                math.sin(p1) * math.cos(delta) + math.cos(p1) * math.sin(delta) * math.cos(theta),
            ),
        )
    )
    l2 = math.radians(lon) + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(p1),
        math.cos(delta) - math.sin(p1) * math.sin(p2),
    )
    lat2 = math.degrees(p2)
    lon2 = (math.degrees(l2) + 540.0) % 360.0 - 180.0
    assert vincenty_sphere_m(lat, lon, lat2, lon2) <= radius * (1 + 1e-9) + 1e-6
    box = bounding_box(lat, lon, radius)
    inside = functools.partial(_inside, (box.lat_min, box.lat_max), box.lon_ranges, lat2)
    assert inside(lon2) or (lon2 == -180.0 and inside(180.0))  # the same meridian


@settings(max_examples=200, deadline=None)
@given(lats, lons, radii)
def test_the_box_is_tight(lat: float, lon: float, radius: float) -> None:
    # Its edges are reached: the northern and southern edges are at the radius along the
    # meridian, and every range stays within [-180, 180].
    box = bounding_box(lat, lon, radius)
    assert box.lat_min <= lat <= box.lat_max
    for west, east in box.lon_ranges:
        assert -180 <= west <= east <= 180
    if box.lat_max < 90:
        assert float(haversine_m(lat, lon, box.lat_max, lon)) == pytest.approx(radius, abs=1.0)
    if box.lat_min > -90:
        assert float(haversine_m(lat, lon, box.lat_min, lon)) == pytest.approx(radius, abs=1.0)


def test_antimeridian_and_pole() -> None:
    across = bounding_box(0.0, 179.99, 5_000)
    assert len(across.lon_ranges) == 2
    assert across.lon_ranges[1][0] == -180.0
    west = bounding_box(0.0, -179.99, 5_000)
    assert len(west.lon_ranges) == 2
    assert west.lon_ranges[0][1] == 180.0
    polar = bounding_box(89.99, 0.0, 5_000)
    assert polar.lon_ranges == ((-180.0, 180.0),)
    assert bounding_box(0, 0, 3 * math.pi * EARTH_RADIUS_M).lat_min == -90.0
