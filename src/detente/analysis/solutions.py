"""Bargaining solutions over the ZOPA, computed from the Pareto frontier.

Definitions (``DESIGN.md``), over the ZOPA (deals with ``u_p >= r_p`` for every party and no red
line crossed), gains ``g_p = u_p - r_p``:

* Nash (1950): maximise ``prod_p g_p``.
* Kalai-Smorodinsky (1975): maximise ``min_p g_p / (ideal_p - r_p)``, ``ideal_p`` being p's best
  utility in the ZOPA (a party whose ideal equals its reservation value is left out of the min).
* Egalitarian (Kalai 1977): maximise ``min_p g_p``.
* Utilitarian: maximise ``sum_p u_p``.

Ties go to the larger sum of utilities, then to the lower outcome index; scores and sums
within ``ACCEPT_TOLERANCE`` of each other are ties, so rounding in the last bits of two deals
worth the same on paper decides nothing. Each criterion is
monotone under Pareto dominance and the tie-break strictly prefers a dominating deal, so the
answer always lies on the frontier: searching the frontier is exact and scales with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from detente.analysis.pareto import ParetoFrontier, pareto_frontier
from detente.space import ACCEPT_TOLERANCE, OutcomeSpace

__all__ = ["SOLUTION_NAMES", "Solution", "bargaining_solutions", "describe_deal"]

SOLUTION_NAMES = ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian")


@dataclass(frozen=True)
class Solution:
    """One bargaining solution.

    Attributes:
        name: ``"nash"``, ``"kalai_smorodinsky"``, ``"egalitarian"`` or ``"utilitarian"``.
        outcome: flat index of the deal; ``None`` when the ZOPA is empty (or the space is too
            large to number, in which case ``options`` still names the deal).
        deal: ``{issue: option name}``; ``None`` when the ZOPA is empty.
        utilities: ``{party: u_p}``.
        gains: ``{party: u_p - r_p}``.
        options: option positions of the deal, one per issue; ``None`` when the ZOPA is empty.
    """

    name: str
    outcome: int | None
    deal: dict[str, str] | None
    utilities: dict[str, float]
    gains: dict[str, float]
    options: tuple[int, ...] | None = None


def describe_deal(space: OutcomeSpace, options: np.ndarray) -> dict[str, str]:
    """``{issue: option name}`` of one row of option positions."""
    return {k: str(v) for k, v in space.deal(np.asarray(options, dtype=np.int64)).items()}


def _nash(gains: np.ndarray) -> np.ndarray:
    return np.asarray(np.prod(gains, axis=1))


def _kalai_smorodinsky(gains: np.ndarray) -> np.ndarray:
    span = gains.max(axis=0)
    ratios = np.where(span > 0, gains / np.where(span > 0, span, 1.0), np.inf)
    return np.asarray(ratios.min(axis=1))


def _egalitarian(gains: np.ndarray) -> np.ndarray:
    return np.asarray(gains.min(axis=1))


_CRITERIA: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "nash": _nash,
    "kalai_smorodinsky": _kalai_smorodinsky,
    "egalitarian": _egalitarian,
}


def _best(score: np.ndarray, totals: np.ndarray, rank: np.ndarray) -> int:
    """Row of the best score; ties (within the tolerance) to the larger sum, then lower rank."""
    near = score >= score.max() - ACCEPT_TOLERANCE
    near &= totals >= totals[near].max() - ACCEPT_TOLERANCE
    rows = np.flatnonzero(near)
    return int(rows[np.argmin(rank[rows])])


def bargaining_solutions(
    space: OutcomeSpace, frontier: ParetoFrontier | None = None
) -> dict[str, Solution]:
    """Nash, Kalai-Smorodinsky, egalitarian and utilitarian solutions (see module docstring).

    Args:
        space: the outcome space.
        frontier: its Pareto frontier (computed when not given).

    Returns:
        The four solutions keyed by name; each has ``outcome=None`` when the ZOPA is empty.
    """
    if frontier is None:
        frontier = pareto_frontier(space)
    zopa = frontier.in_zopa(space)
    utilities = frontier.utilities[zopa]
    options = frontier.options[zopa]
    outcomes = frontier.outcomes[zopa]
    rank = frontier.lex_rank()[zopa]
    gains = utilities - space.reservation
    totals = utilities.sum(axis=1)
    out: dict[str, Solution] = {}
    for name in SOLUTION_NAMES:
        if len(utilities) == 0:
            out[name] = Solution(name=name, outcome=None, deal=None, utilities={}, gains={})
            continue
        score = totals if name == "utilitarian" else _CRITERIA[name](np.maximum(gains, 0.0))
        best = _best(score, totals, rank)
        out[name] = Solution(
            name=name,
            outcome=int(outcomes[best]) if outcomes[best] >= 0 else None,
            deal=describe_deal(space, options[best]),
            utilities=dict(zip(space.party_names, map(float, utilities[best]), strict=True)),
            gains=dict(zip(space.party_names, map(float, gains[best]), strict=True)),
            options=tuple(int(k) for k in options[best]),
        )
    return out
