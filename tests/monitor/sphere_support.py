"""A great-circle distance in plain Python, independent of ``detente.monitor.distance``."""

from __future__ import annotations

import math

from detente.monitor.distance import EARTH_RADIUS_M


def vincenty_sphere_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The central angle by Vincenty's atan2 form on the sphere, times the Earth's radius.

    Well conditioned at every distance, unlike the law of cosines (short distances) or the
    haversine (near antipodes).
    """
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.hypot(
        math.cos(p2) * math.sin(dl),
        math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl),
    )
    x = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_M * math.atan2(y, x)
