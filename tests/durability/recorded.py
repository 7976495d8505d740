"""The during-war class's answer for a deal, computed step by step (independent of ``run``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from detente.durability import apply_contexts, parameters_for_deal, simulate
from detente.durability.mechanisms import load_mechanisms
from detente.durability.precedents import context_terms
from detente.durability.reference import record_covariates, record_model, record_presets
from detente.piecewise import reweight
from detente.space import OutcomeSpace


def recorded_survival(
    space: OutcomeSpace, deal: Mapping[str, str], *, paths: int, days: int, seed: int
) -> np.ndarray:
    """The deal simulated without the record's mechanisms, bent by their fitted effects.

    The simulation uses the presets with the record's mechanisms switched off; the fitted
    model's period ratios of the deal's covariates multiply each day's hazard.
    """
    pool = record_presets(load_mechanisms())
    model = apply_contexts(parameters_for_deal(space, deal, presets=pool), ["ongoing"])
    alone = simulate(model, paths=paths, days=days, rng=seed)
    x = record_covariates(alone.mechanisms, context_terms(space.scenario))
    fitted = record_model()
    ratios = fitted.period_ratios(x[None, :], days)[0]
    return reweight(np.asarray(alone.survival), ratios, fitted.breaks)
