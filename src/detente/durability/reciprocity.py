"""Reciprocity under noise: how often two response policies end up cooperating.

The repeated prisoner's dilemma with implementation errors (Molander 1985; Nowak & Sigmund
1992): each round each player chooses from the other's last move by its policy, then its move is
flipped with probability ``error``. Tit-for-tat pairs spend a quarter of the time in mutual
cooperation at any error rate; generous tit-for-tat (forgiveness 1/3 for the payoffs 3, 0, 5, 1)
recovers from errors, and so does win-stay lose-shift (Pavlov: repeat the last move after a
matched round, switch after a mixed one; Nowak & Sigmund 1993). The simulation is vectorised
over paths; :func:`exact_mutual_cooperation` gives the exact stationary share of the four-state
Markov chain, and the test suite checks both against an independent chain and the published
shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente._rng import RNGLike, as_generator
from detente.durability.parameters import ParameterError, Policy

__all__ = ["ReciprocityResult", "exact_mutual_cooperation", "mutual_cooperation"]

_MEMORY_ONE = (Policy.TFT, Policy.GTFT, Policy.WSLS)


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
            elif policy is Policy.WSLS:
                intended[me] = defected[me] ^ other
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


def _defect_chance(policy: Policy, forgiveness: float) -> np.ndarray:
    """P(intending to defect) of a memory-one policy, indexed ``[my last, other's last]``."""
    if policy is Policy.WSLS:
        return np.array([[0.0, 1.0], [1.0, 0.0]])
    answer = 1.0 - forgiveness if policy is Policy.GTFT else 1.0
    return np.array([[0.0, answer], [0.0, answer]])


def exact_mutual_cooperation(
    first: Policy | str, second: Policy | str, *, error: float, forgiveness: float = 1.0 / 3.0
) -> float:
    """Exact stationary share of mutual cooperation of two memory-one policies under noise.

    The state is the pair of last moves; each player intends to defect with the policy's
    chance given that pair, and its move is flipped with probability ``error``. The share is
    the weight of (cooperate, cooperate) in the stationary distribution of the 4 x 4 chain (the
    left eigenvector for eigenvalue 1). Grim trigger is not memory-one under errors (refused).
    """
    if not 0.0 < error < 1.0 or not 0.0 <= forgiveness <= 1.0:
        raise ParameterError("error must be in (0, 1), forgiveness in [0, 1]", field="error")
    policies = (Policy(first), Policy(second))
    if any(p not in _MEMORY_ONE for p in policies):
        raise ParameterError("the exact chain needs memory-one policies", field="policy")
    mine = _defect_chance(policies[0], forgiveness)
    theirs = _defect_chance(policies[1], forgiveness).T  # seen from the second player
    last = np.array([(a, b) for a in (0, 1) for b in (0, 1)])
    p1 = mine[last[:, 0], last[:, 1]] * (1 - 2 * error) + error  # P(first defects next)
    p2 = theirs[last[:, 0], last[:, 1]] * (1 - 2 * error) + error
    chain = np.where(last[None, :, 0] == 1, p1[:, None], 1 - p1[:, None])
    chain *= np.where(last[None, :, 1] == 1, p2[:, None], 1 - p2[:, None])
    values, vectors = np.linalg.eig(chain.T)
    stationary = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
    return float(stationary[0] / stationary.sum())
