"""A Boulware strategy that never concedes below a floor: a detente strategy plugin."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.negotiation.strategies import TimeDependent

__all__ = ["FloorBoulware"]


class FloorBoulware(TimeDependent):
    """Concede late, as Boulware does, but never below ``floor`` (e = 0.2, floor = 0.6)."""

    name: ClassVar[str] = "floor-boulware"
    family: ClassVar[str] = "time-dependent"
    source: ClassVar[str] = "Faratin, Sierra & Jennings (1998), with a fixed floor"
    parameters: ClassVar[dict[str, float]] = {"e": 0.2, "floor": 0.6}

    def target_array(self, times: np.ndarray) -> np.ndarray:
        """The Boulware targets, raised to the floor."""
        return super().target_array(times).clip(min=self.params["floor"])

    def target(self, time: float) -> float:
        """The Boulware target, raised to the floor."""
        return max(super().target(time), self.params["floor"])
