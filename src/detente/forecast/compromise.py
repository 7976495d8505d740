"""The compromise model (baseline): capability x salience weighted mean position per dimension."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from detente.forecast.inputs import Stakeholders
from detente.forecast.result import Forecast
from detente.forecast.smp import weighted_outcome

__all__ = ["run_compromise"]


def run_compromise(
    data: Stakeholders, *, progress: Callable[[int, int], None] | None = None
) -> Forecast:
    """Outcome per dimension ``sum_i c_i s_i x_i / sum_i c_i s_i``; no one moves, no turns.

    ``progress`` is called once, with ``(1, 1)``, when the outcome is computed.
    """
    cap = np.asarray(data.capability, dtype=float)
    n = len(cap)
    if progress is not None:
        progress(1, 1)
    return Forecast(
        model="compromise",
        name=data.name,
        actors=data.actors,
        dimensions=data.dimensions,
        history=np.asarray(data.position, dtype=float)[None, :, :].copy(),
        risk=np.zeros((0, n)),
        challenges=(),
        stop_ratios=(),
        stop_reason="closed form (no bargaining)",
        outcome=weighted_outcome(np.asarray(data.position, dtype=float), cap, data.salience),
        disclaimer=data.disclaimer,
        dimension_labels=data.dimension_labels,
    )
