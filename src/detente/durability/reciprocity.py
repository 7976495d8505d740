"""Reciprocity under noise: how often two response policies end up cooperating.

The repeated prisoner's dilemma with implementation errors (Molander 1985; Nowak & Sigmund
1992): each round each player chooses from the other's last move by its policy, then its move is
flipped with probability ``error``. Tit-for-tat pairs spend a quarter of the time in mutual
cooperation at any error rate; generous tit-for-tat (forgiveness 1/3 for the payoffs 3, 0, 5, 1)
recovers from errors. The simulation is vectorised over paths; the test suite checks it against
the exact stationary distribution of the four-state Markov chain and the published shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente._rng import RNGLike, as_generator
from detente.durability.parameters import ParameterError, Policy

__all__ = ["ReciprocityResult", "mutual_cooperation"]


@dataclass(frozen=True)
class ReciprocityResult:
    """Share of rounds in which both players cooperated, after a burn-in."""

    policies: tuple[str, str]
    error: float
    forgiveness: float
    share: float
    rounds: int
    paths: int


def mutual_cooperation(
    first: Policy | str,
    second: Policy | str,
    *,
    error: float,
    forgiveness: float = 1.0 / 3.0,
    paths: int = 20_000,
    rounds: int = 400,
    burn_in: int = 100,
    rng: RNGLike = None,
) -> ReciprocityResult:
    """Estimate the stationary share of mutual cooperation of two policies under noise."""
    if not 0.0 <= error <= 1.0 or not 0.0 <= forgiveness <= 1.0:
        raise ParameterError("error and forgiveness must be probabilities", field="error")
    if not 0 <= burn_in < rounds:
        raise ParameterError("burn_in must be below rounds", field="burn_in")
    policies = (Policy(first), Policy(second))
    gen = as_generator(rng)
    defected = np.zeros((2, paths), dtype=bool)  # last moves (start: both cooperated)
    triggered = np.zeros((2, paths), dtype=bool)
    together = 0
    for t in range(rounds):
        u = gen.random((2, 2, paths))
        intended = np.empty((2, paths), dtype=bool)
        for me, policy in enumerate(policies):
            other = defected[1 - me]
            if policy is Policy.GRIM:
                triggered[me] |= other
                intended[me] = triggered[me]
            elif policy is Policy.GTFT:
                intended[me] = other & (u[0, me] >= forgiveness)
            else:
                intended[me] = other
        defected = intended ^ (u[1] < error)
        if t >= burn_in:
            together += int((~defected[0] & ~defected[1]).sum())
    share = together / ((rounds - burn_in) * paths)
    return ReciprocityResult(
        policies=(policies[0].value, policies[1].value),
        error=error,
        forgiveness=forgiveness,
        share=share,
        rounds=rounds,
        paths=paths,
    )
