"""The cumulative-hazard ratio at the edges: no path holding, every path holding."""

from __future__ import annotations

import math

import pytest

from detente.durability import DurabilityResult


def _holding(share: float) -> DurabilityResult:
    return DurabilityResult(
        parties=("A", "B"),
        mechanisms=(),
        paths=100,
        days=1,
        seed=0,
        survival=(share,),
        lower=(share,),
        upper=(share,),
        median_days=None,
        median_days_to_collapse=None,
        collapses=round(100 * (1 - share)),
        causes={},
    )


@pytest.mark.parametrize(
    ("mine", "baseline", "expected"),
    [
        (0.5, 0.25, math.log(0.5) / math.log(0.25)),
        (0.0, 0.5, math.inf),  # every path of the variant collapsed, not every baseline one
        (0.5, 0.0, 0.0),  # every baseline path collapsed (infinite hazard), not the variant's
        (0.0, 0.0, math.nan),
        (0.5, 1.0, math.nan),  # no baseline hazard to compare with
    ],
)
def test_edges(mine: float, baseline: float, expected: float) -> None:
    ratio = _holding(mine).cumulative_hazard_ratio(_holding(baseline), 1)
    if math.isnan(expected):
        assert math.isnan(ratio)
    else:
        assert ratio == expected
