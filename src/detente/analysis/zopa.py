"""The zone of possible agreement: its size, and how far the parties are from one.

The ZOPA is the set of deals every party accepts: ``u_p >= r_p`` for every party and no red line
crossed. Its size is counted exactly by enumeration up to :data:`EXACT_LIMIT` deals (only deals
that cross no red line are walked; for additive preferences the issues are split in two and the
two partial sums are broadcast against each other, so no option matrix is built). Beyond that
it is estimated by uniform Monte Carlo over the deals that cross no red line, with a 95% Wilson
score interval (Wilson 1927).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from detente._rng import RNGLike, as_generator
from detente.analysis._exact import TOLERANCE, exact_tables, exact_utilities, thresholds
from detente.analysis.pareto import (
    ParetoFrontier,
    feasible_count,
    feasible_options,
    iter_feasible,
)
from detente.analysis.solutions import describe_deal
from detente.space import OutcomeSpace

__all__ = ["EXACT_LIMIT", "Concessions", "Zopa", "concessions", "zopa"]

#: Spaces with at most this many deals crossing no red line are counted exactly.
EXACT_LIMIT = 10**8

_Z95 = 1.959963984540054
_TAIL = 1 << 15
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Zopa:
    """The size of the zone of possible agreement.

    Attributes:
        count: number of deals in the ZOPA (an ``int`` when exact, a ``float`` estimate if not).
        exact: whether ``count`` was counted rather than estimated.
        outcome_count: number of deals in the space.
        feasible_count: number of deals that cross no red line.
        interval: 95% interval of ``count`` for an estimate; ``(count, count)`` when exact.
        samples: Monte Carlo draws behind an estimate (0 when exact).
    """

    count: int | float
    exact: bool
    outcome_count: int
    feasible_count: int
    interval: tuple[float, float]
    samples: int = 0

    @property
    def fraction(self) -> float:
        """Share of all deals that are in the ZOPA."""
        return float(self.count) / self.outcome_count

    @property
    def empty(self) -> bool:
        """Whether no deal is acceptable to every party (certain only when ``exact``)."""
        return self.count == 0


def _partial_sums(tables: np.ndarray, options: np.ndarray, issues: range) -> np.ndarray:
    """Per-party utility sums over ``issues`` for an option matrix of those issues."""
    out = np.zeros((tables.shape[0], len(options)))
    for col, i in enumerate(issues):  # loop over issues, not deals
        out += tables[:, i, options[:, col]]
    return out.T


def _count_additive(space: OutcomeSpace) -> int:
    opts = feasible_options(space)
    sizes = [len(o) for o in opts]
    split = space.n_issues - 1
    while split > 0 and math.prod(sizes[split - 1 :]) <= _TAIL:
        split -= 1
    tail_issues = range(split, space.n_issues)
    head_issues = range(split)
    tables = exact_tables(space)
    tail = np.zeros((1, space.n_parties))
    for i in tail_issues:
        table = tables[:, i, opts[i]].T
        tail = (tail[:, None, :] + table[None, :, :]).reshape(-1, space.n_parties)
    head_sub = [opts[i] for i in head_issues]
    head_total = math.prod(len(o) for o in head_sub)
    rows = max(1, _BLOCK // len(tail))
    reservation = thresholds(space)
    count = 0
    for start in range(0, head_total, rows):
        rest = np.arange(start, min(start + rows, head_total), dtype=np.int64)
        matrix = np.empty((len(rest), len(head_sub)), dtype=np.int64)
        for col in range(len(head_sub) - 1, -1, -1):
            rest, pos = np.divmod(rest, len(head_sub[col]))
            matrix[:, col] = head_sub[col][pos]
        head = _partial_sums(tables, matrix, head_issues)
        ok = ((head[:, None, :] + tail[None, :, :]) >= reservation).all(axis=2)
        count += int(np.count_nonzero(ok))
    return count


def _count_enumerated(space: OutcomeSpace) -> int:
    count = 0
    for matrix in iter_feasible(space):
        utilities = exact_utilities(space, matrix)
        count += int(np.count_nonzero((utilities >= thresholds(space)).all(axis=1)))
    return count


def wilson_interval(hits: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a binomial proportion."""
    p = hits / n
    denom = 1 + _Z95**2 / n
    centre = (p + _Z95**2 / (2 * n)) / denom
    half = _Z95 * math.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / denom
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return low, high


def zopa(
    space: OutcomeSpace,
    *,
    frontier: ParetoFrontier | None = None,
    exact_limit: int = EXACT_LIMIT,
    samples: int = 100_000,
    rng: RNGLike = None,
) -> Zopa:
    """Count (or estimate) the deals acceptable to every party.

    Args:
        space: the outcome space.
        frontier: its Pareto frontier, if known: when no frontier row is acceptable to everyone
            the ZOPA is certainly empty (a ZOPA deal is weakly dominated by a frontier row, which
            is then acceptable too), so the count is exact at no cost.
        exact_limit: count exactly when at most this many deals cross no red line.
        samples: Monte Carlo draws for an estimate.
        rng: seed or generator for the estimate.
    """
    total = space.size
    feasible = feasible_count(space)
    exact_zero = feasible == 0 or (frontier is not None and not frontier.in_zopa(space).any())
    if exact_zero or feasible <= exact_limit:
        count = 0
        if not exact_zero:
            count = _count_additive(space) if space.all_additive else _count_enumerated(space)
        return Zopa(count, True, total, feasible, (float(count), float(count)))  # noqa: FBT003
    generator = as_generator(rng)
    opts = feasible_options(space)
    sizes = np.array([len(o) for o in opts], dtype=np.int64)
    hits = 0
    for start in range(0, samples, _BLOCK):
        n = min(_BLOCK, samples - start)
        positions = generator.integers(0, sizes, size=(n, space.n_issues), dtype=np.int64)
        matrix = np.empty_like(positions)
        for i, o in enumerate(opts):
            matrix[:, i] = o[positions[:, i]]
        utilities = exact_utilities(space, matrix)
        hits += int(np.count_nonzero((utilities >= thresholds(space)).all(axis=1)))
    low, high = wilson_interval(hits, samples)
    return Zopa(
        hits / samples * feasible,
        False,  # noqa: FBT003
        total,
        feasible,
        (low * feasible, high * feasible),
        samples,
    )


@dataclass(frozen=True)
class Concessions:
    """How far the parties are from a ZOPA (all zero when one exists).

    Attributes:
        by_party: for each party, the smallest drop in its reservation value that would open a
            ZOPA if the others held firm; ``None`` when no drop of that party alone suffices.
        joint: the smallest drop that opens a ZOPA when every party concedes the same amount;
            ``None`` when no deal crosses no red line.
        joint_deal: the deal that opens at that joint drop, ``{issue: option}``.
        joint_options: its option positions.
    """

    by_party: dict[str, float | None]
    joint: float | None
    joint_deal: dict[str, str] | None
    joint_options: tuple[int, ...] | None


def _gap(shortfall: float) -> float:
    return 0.0 if shortfall <= TOLERANCE else shortfall


def concessions(space: OutcomeSpace, frontier: ParetoFrontier) -> Concessions:
    """The smallest concessions in utility that would open a ZOPA.

    Computed on the frontier: a deal that satisfies some parties is weakly dominated by a
    frontier row that satisfies them too and gives everyone at least as much.
    """
    u = frontier.utilities
    r = space.reservation
    by_party: dict[str, float | None] = {}
    for p, name in enumerate(space.party_names):
        others = np.delete(np.arange(space.n_parties), p)
        ok = (u[:, others] >= thresholds(space)[others]).all(axis=1)
        by_party[name] = _gap(float(r[p] - u[ok, p].max())) if ok.any() else None
    if len(frontier) == 0:
        return Concessions(by_party, None, None, None)
    shortfall = (r - u).max(axis=1)
    shortfall = np.where(shortfall <= TOLERANCE, 0.0, shortfall)
    best = int(np.lexsort((frontier.lex_rank(), -u.sum(axis=1), shortfall))[0])
    options = frontier.options[best]
    return Concessions(
        by_party,
        float(shortfall[best]),
        describe_deal(space, options),
        tuple(int(k) for k in options),
    )
