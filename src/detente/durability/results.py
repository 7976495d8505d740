"""Results of the durability model: frozen dataclasses with plain fields, read by renderers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "SPIRAL",
    "Comparison",
    "ComparisonRow",
    "DurabilityResult",
    "Swap",
    "SweepPoint",
    "SweepResult",
    "defection_cause",
    "wilson_band",
]

#: Cause name of a collapse by escalating retaliation.
SPIRAL = "escalation spiral"


def defection_cause(party: str) -> str:
    """Cause name of a collapse by a party's deliberate defection."""
    return f"defection: {party}"


def wilson_band(share: np.ndarray, n: int, z: float = 1.959963984540054) -> np.ndarray:
    """Wilson score interval ``(2, len(share))`` of binomial proportions over ``n`` trials."""
    p = np.asarray(share, dtype=np.float64)
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # exact at the ends (the formula gives 1 - 2e-16 at p = 1)
    low = np.clip(np.minimum(centre - half, p), 0.0, 1.0)
    return np.stack([low, np.clip(np.maximum(centre + half, p), 0.0, 1.0)])


@dataclass(frozen=True)
class DurabilityResult:
    """Survival of one ceasefire under one set of parameters.

    ``survival[d - 1]`` is the share of simulated paths still holding at the end of day ``d``;
    ``lower``/``upper`` its 95% Wilson band. Collapse shares by cause sum to 1 over collapses.
    """

    parties: tuple[str, ...]
    mechanisms: tuple[str, ...]
    paths: int
    days: int
    seed: int | None
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    median_days: int | None
    """First day on which survival falls to 1/2 or below (``None``: not within the horizon)."""
    median_days_to_collapse: float | None
    """Median day of collapse among the paths that collapsed within the horizon."""
    collapses: int
    causes: dict[str, float]

    def holding_at(self, day: int) -> float:
        """Share holding at the end of ``day`` (1 before day 1)."""
        if day <= 0:
            return 1.0
        return self.survival[min(day, self.days) - 1]

    @property
    def final(self) -> float:
        """Share still holding at the end of the horizon."""
        return self.survival[-1]

    def cumulative_hazard_ratio(self, baseline: DurabilityResult, day: int) -> float:
        """``ln S(day) / ln S0(day)``: the hazard ratio under proportional hazards."""
        mine, theirs = self.holding_at(day), baseline.holding_at(day)
        if theirs >= 1.0:
            return math.nan
        if theirs <= 0.0:  # every baseline path collapsed: its cumulative hazard is infinite
            return math.nan if mine <= 0.0 else 0.0
        if mine <= 0.0:
            return math.inf
        return math.log(mine) / math.log(theirs)


@dataclass(frozen=True)
class ComparisonRow:
    """One mechanism set against the baseline, all runs on the same random numbers."""

    label: str
    mechanisms: tuple[str, ...]
    result: DurabilityResult
    holding: float
    """Share holding at the comparison day."""
    change: float
    """``holding`` minus the baseline's."""
    hazard_ratio: float
    """Cumulative-hazard ratio against the baseline at the comparison day."""
    effect_size: str = ""
    """Where the size of the effect comes from: a published figure, or judgement."""


@dataclass(frozen=True)
class Comparison:
    """What each mechanism adds to a deal: the baseline first, then one row per set."""

    day: int
    baseline: ComparisonRow
    rows: tuple[ComparisonRow, ...]


@dataclass(frozen=True)
class Swap:
    """The deal with one option swapped for another of its issue, on the same random numbers."""

    issue: str
    option: str
    """The option swapped in."""
    replaces: str
    """The deal's option on that issue."""
    mechanisms: tuple[str, ...]
    """Mechanisms in force with the swap."""
    utilities: dict[str, float]
    """Every party's utility of the swapped deal."""
    accepted: bool
    """Every party still accepts it (``u_p >= r_p`` up to rounding, no red line crossed)."""
    result: DurabilityResult
    holding: float
    """Share holding at the comparison day."""
    change: float
    """``holding`` minus the deal's own."""


@dataclass(frozen=True)
class SweepPoint:
    """One point of a parameter grid."""

    values: dict[str, float]
    result: DurabilityResult


@dataclass(frozen=True)
class SweepResult:
    """Survival over a grid of parameter values (every point on the same random numbers)."""

    fields: tuple[str, ...]
    points: tuple[SweepPoint, ...]
