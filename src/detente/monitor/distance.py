"""Great-circle distances on the mean Earth sphere, and the bounding box that prefilters them.

A search for the points within ``d`` metres of a point runs in two steps: a database query
keeps the rows inside a latitude/longitude box that surely contains the circle
(:func:`bounding_box`), then :func:`haversine_m` keeps those truly within ``d``. The box
follows Matuschek, "Finding Points Within a Distance of a Latitude/Longitude Using Bounding
Coordinates" (2011): the circle of angular radius ``r = d / R`` spans ``lat +- r`` in latitude
and ``lon +- asin(sin r / cos lat)`` in longitude; a circle over a pole spans every longitude,
and one across the antimeridian gives two longitude ranges.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

__all__ = ["EARTH_RADIUS_M", "BoundingBox", "bounding_box", "haversine_m"]

#: The mean radius of the Earth, R1 = (2a + b) / 3 of the WGS 84 ellipsoid (Moritz, "Geodetic
#: Reference System 1980", Bulletin Geodesique 54, 1980), in metres. On this sphere distances
#: differ from the ellipsoid's geodesics by at most about 0.5 %.
EARTH_RADIUS_M = 6_371_008.8
#: Added to the box on every side (degrees), so rounding never drops a point on its edge.
_MARGIN_DEG = 1e-9

Floats = npt.NDArray[np.float64]


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> Floats:
    """Great-circle distance in metres between points given in degrees (broadcast).

    The haversine form (Sinnott, "Virtues of the Haversine", Sky and Telescope 68, 1984) is
    well conditioned for the short distances that duplicate reports are apart.
    """
    p1, l1, p2, l2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lat1, lon1, lat2, lon2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


@dataclasses.dataclass(frozen=True)
class BoundingBox:
    """A latitude range and one or two longitude ranges (two across the antimeridian).

    Attributes:
        lat_min: southern edge in degrees.
        lat_max: northern edge in degrees.
        lon_ranges: ``(west, east)`` pairs in degrees, each with ``west <= east``.
    """

    lat_min: float
    lat_max: float
    lon_ranges: tuple[tuple[float, float], ...]


def bounding_box(lat: float, lon: float, distance_m: float) -> BoundingBox:
    """The smallest latitude/longitude box holding every point within ``distance_m`` of a point.

    Args:
        lat: latitude of the centre in degrees.
        lon: longitude of the centre in degrees, in [-180, 180].
        distance_m: the radius in metres (non-negative).
    """
    r = distance_m / EARTH_RADIUS_M
    if r >= math.pi:  # the circle covers the whole sphere
        return BoundingBox(-90.0, 90.0, ((-180.0, 180.0),))
    lat_r = math.radians(lat)
    lat_min = math.degrees(lat_r - r) - _MARGIN_DEG
    lat_max = math.degrees(lat_r + r) + _MARGIN_DEG
    if lat_min <= -90.0 or lat_max >= 90.0:  # a pole is inside: every longitude
        return BoundingBox(max(lat_min, -90.0), min(lat_max, 90.0), ((-180.0, 180.0),))
    dlon = math.degrees(math.asin(min(1.0, math.sin(r) / math.cos(lat_r)))) + _MARGIN_DEG
    west, east = lon - dlon, lon + dlon
    if west < -180.0:
        ranges: tuple[tuple[float, float], ...] = ((west + 360.0, 180.0), (-180.0, east))
    elif east > 180.0:
        ranges = ((west, 180.0), (-180.0, east - 360.0))
    else:
        ranges = ((west, east),)
    return BoundingBox(lat_min, lat_max, ranges)
