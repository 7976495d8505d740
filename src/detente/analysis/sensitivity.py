"""Sensitivity: do the recommended deals survive errors in the weights and reservations?

Weights and reservation values are guesses. Each Monte Carlo draw replaces every additive
party's weights by a Dirichlet draw centred on them, ``w' ~ Dirichlet(concentration * w)``
(mean ``w``; larger concentration, smaller spread), and every reservation value by
``r' = clip(r + U(-range, +range), 0, 1)``. A deal *stays acceptable* in a draw when every party's
perturbed utility reaches its perturbed reservation value. The draws are computed for all deals
at once (an einsum over draws, deals, parties and issues), with one seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from detente._rng import RNGLike, as_generator
from detente.analysis._exact import TOLERANCE, exact_utilities
from detente.analysis.pareto import ParetoFrontier
from detente.analysis.solutions import Solution, describe_deal
from detente.scenario.model import AdditivePreferences, issue_value_table, normalized_weights
from detente.space import OutcomeSpace

__all__ = ["Sensitivity", "sensitivity"]

_CELLS = 1 << 23


@dataclass(frozen=True)
class Sensitivity:
    """Probability that deals stay acceptable to every party under perturbed preferences.

    Attributes:
        concentration: Dirichlet concentration of the weights.
        reservation_range: half-width of the uniform perturbation of reservation values.
        samples: Monte Carlo draws.
        solutions: for each solution with a deal, the probability it stays acceptable.
        by_party: for each solution, each party's probability of still accepting it.
        robust_deal: the frontier deal most likely to stay acceptable.
        robust_probability: its probability.
        candidates: how many frontier deals were compared.
    """

    concentration: float
    reservation_range: float
    samples: int
    solutions: dict[str, float]
    by_party: dict[str, dict[str, float]]
    robust_deal: dict[str, str] | None
    robust_probability: float
    candidates: int


def _value_tables(space: OutcomeSpace) -> tuple[np.ndarray, np.ndarray]:
    """Unweighted values ``(parties, issues, max_options)`` and weights ``(parties, issues)``."""
    values = np.zeros(space.tables.shape)
    weights = np.zeros((space.n_parties, space.n_issues))
    names = list(space.issue_names)
    for p, party in enumerate(space.scenario.parties):
        prefs = party.preferences
        if not isinstance(prefs, AdditivePreferences):
            continue
        weights[p] = normalized_weights(prefs, names)
        for i, issue in enumerate(space.scenario.issues):
            row = issue_value_table(prefs.issues[issue.name], issue)
            values[p, i, : len(row)] = row
    return values, weights


def _draw_weights(
    weights: np.ndarray,
    additive: np.ndarray,
    concentration: float,
    samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    out = np.zeros((samples, *weights.shape))
    for p in range(weights.shape[0]):  # loop over parties, not draws
        positive = np.flatnonzero(weights[p] > 0)
        if not additive[p] or len(positive) == 0:
            continue
        out[:, p, positive] = rng.dirichlet(concentration * weights[p, positive], size=samples)
    return out


def sensitivity(
    space: OutcomeSpace,
    frontier: ParetoFrontier,
    solutions: Mapping[str, Solution],
    *,
    concentration: float = 50.0,
    reservation_range: float = 0.05,
    samples: int = 2000,
    max_candidates: int = 5000,
    rng: RNGLike = None,
) -> Sensitivity:
    """Probability that each solution, and each frontier deal, stays acceptable to all.

    Args:
        space: the outcome space.
        frontier: its Pareto frontier (the candidates for the most robust deal; the rows in the
            ZOPA when there are any, evenly thinned to ``max_candidates``).
        solutions: the bargaining solutions to assess.
        concentration: Dirichlet concentration of the weights (``inf`` keeps them fixed).
        reservation_range: half-width of the uniform perturbation of reservation values.
        samples: Monte Carlo draws.
        max_candidates: cap on the frontier deals compared.
        rng: seed or generator.
    """
    generator = as_generator(rng)
    values, weights = _value_tables(space)
    if np.isinf(concentration):
        drawn = np.broadcast_to(weights, (samples, *weights.shape))
    else:
        drawn = _draw_weights(weights, space.additive, concentration, samples, generator)
    noise = generator.uniform(-reservation_range, reservation_range, (samples, space.n_parties))
    reservations = np.clip(space.reservation + noise, 0.0, 1.0) - TOLERANCE

    pool = frontier.options
    inside = frontier.in_zopa(space)
    if inside.any():
        pool = pool[inside]
    if len(pool) > max_candidates:
        pool = pool[np.linspace(0, len(pool) - 1, max_candidates).round().astype(np.int64)]
    named = [s for s in solutions.values() if s.options is not None]
    solution_rows = np.array([s.options for s in named], dtype=np.int64).reshape(-1, space.n_issues)
    candidates = np.concatenate([solution_rows, pool])

    fixed = exact_utilities(space, candidates)  # rule-based parties keep their utilities
    cols = np.arange(space.n_issues)
    accepted = np.zeros((len(candidates), space.n_parties))
    everyone = np.zeros(len(candidates))
    step = max(1, _CELLS // max(1, samples * space.n_parties * space.n_issues))
    for start in range(0, len(candidates), step):  # chunks of deals, all draws at once
        rows = candidates[start : start + step]
        v = values[:, cols, rows].transpose(1, 0, 2)  # (deals, parties, issues)
        u = np.einsum("spi,dpi->sdp", drawn, v)
        rule = ~space.additive
        u[:, :, rule] = fixed[start : start + step][None, :, rule]
        ok = u >= reservations[:, None, :]
        accepted[start : start + step] = ok.mean(axis=0)
        everyone[start : start + step] = ok.all(axis=2).mean(axis=0)

    k = len(named)
    by_solution = {s.name: float(everyone[j]) for j, s in enumerate(named)}
    by_party = {
        s.name: dict(zip(space.party_names, map(float, accepted[j]), strict=True))
        for j, s in enumerate(named)
    }
    robust_deal = None
    robust_probability = 0.0
    if len(pool):
        best = k + int(np.argmax(everyone[k:]))
        robust_deal = describe_deal(space, candidates[best])
        robust_probability = float(everyone[best])
    return Sensitivity(
        concentration=concentration,
        reservation_range=reservation_range,
        samples=samples,
        solutions=by_solution,
        by_party=by_party,
        robust_deal=robust_deal,
        robust_probability=robust_probability,
        candidates=len(pool),
    )
