"""The exact Pareto frontier, issue by issue for additive preferences.

A deal's utility vector is the sum of one per-issue vector per issue, and the Pareto set of a
Minkowski sum lies inside the sum of the Pareto sets: ``Pareto(A + B) ⊆ Pareto(A) + Pareto(B)``.
So the frontier is built by merging one issue at a time and pruning after every merge with the
skyline kernel; the outcome space itself is never enumerated. Deals that cross a red line are
not on the table: the option a party has red-lined is removed from its issue before the merge
(see ``docs/explanation/analysis.md``). Non-additive (rule-based) preferences fall back to a
chunked skyline over the enumerated deals, which also serves as the cross-check.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from detente.analysis._exact import exact_tables, exact_utilities, thresholds
from detente.analysis._skyline import skyline
from detente.errors import ScenarioError, UnsupportedError
from detente.space import OutcomeSpace

__all__ = ["ENUMERATION_LIMIT", "ParetoFrontier", "feasible_options", "pareto_frontier"]

#: The largest number of deals the enumerating methods will walk through.
ENUMERATION_LIMIT = 10**8

_CHUNK = 1 << 18


@dataclass(frozen=True, eq=False)
class ParetoFrontier:
    """The distinct non-dominated utility vectors of the deals that cross no red line.

    Rows are in lexicographically decreasing order of utilities (first party's best first).

    Attributes:
        utilities: ``(k, n_parties)`` float64, one row per distinct non-dominated vector.
        outcomes: ``(k,)`` int64 flat index of the representative deal of each row (the lowest
            index among the deals with that vector); ``-1`` when the space is too large to number.
        options: ``(k, n_issues)`` int64 option positions of the representative deals.
    """

    utilities: np.ndarray
    outcomes: np.ndarray
    options: np.ndarray

    def __len__(self) -> int:
        """Number of distinct frontier vectors."""
        return int(self.utilities.shape[0])

    def lex_rank(self) -> np.ndarray:
        """Rank of each row's representative deal in outcome-index (lexicographic) order."""
        if len(self) == 0:
            return np.empty(0, dtype=np.int64)
        order = np.lexsort(self.options.T[::-1])
        rank = np.empty(len(self), dtype=np.int64)
        rank[order] = np.arange(len(self))
        return rank

    def in_zopa(self, space: OutcomeSpace) -> np.ndarray:
        """``(k,)`` booleans: the row is acceptable to every party (``u_p >= r_p``)."""
        return np.asarray((self.utilities >= thresholds(space)).all(axis=1))


def feasible_options(space: OutcomeSpace) -> list[np.ndarray]:
    """Per issue, the option positions no party has red-lined."""
    ok = np.asarray(space.allowed.all(axis=0))
    return [np.flatnonzero(ok[i, : int(c)]) for i, c in enumerate(space.cardinalities)]


def feasible_count(space: OutcomeSpace) -> int:
    """Number of deals that cross no red line (exact, any size)."""
    return math.prod(len(o) for o in feasible_options(space))


def iter_feasible(space: OutcomeSpace, chunk_size: int = _CHUNK) -> Iterator[np.ndarray]:
    """Option matrices of every deal that crosses no red line, in outcome-index order."""
    opts = feasible_options(space)
    sub = np.array([len(o) for o in opts], dtype=np.int64)
    total = math.prod(int(c) for c in sub)
    for start in range(0, total, chunk_size):
        rest = np.arange(start, min(start + chunk_size, total), dtype=np.int64)
        matrix = np.empty((len(rest), space.n_issues), dtype=np.int64)
        for i in range(space.n_issues - 1, -1, -1):  # loop over issues, not outcomes
            rest, pos = np.divmod(rest, sub[i])
            matrix[:, i] = opts[i][pos]
        yield matrix


def _empty(space: OutcomeSpace) -> ParetoFrontier:
    return ParetoFrontier(
        utilities=np.empty((0, space.n_parties)),
        outcomes=np.empty(0, dtype=np.int64),
        options=np.empty((0, space.n_issues), dtype=np.int64),
    )


def _finish(space: OutcomeSpace, utilities: np.ndarray, options: np.ndarray) -> ParetoFrontier:
    """Freeze the rows (distinct and non-dominated), first party's best first."""
    order = np.lexsort((-utilities).T[::-1]) if len(utilities) else np.empty(0, dtype=np.int64)
    options = np.ascontiguousarray(options[order])
    utilities = np.ascontiguousarray(utilities[order])
    outcomes = (
        space.ravel(options) if space.indexable else np.full(len(options), -1, dtype=np.int64)
    )
    for array in (options, utilities, outcomes):
        array.flags.writeable = False
    return ParetoFrontier(utilities=utilities, outcomes=outcomes, options=options)


def _merge(space: OutcomeSpace) -> ParetoFrontier:
    opts = feasible_options(space)
    if any(len(o) == 0 for o in opts):
        return _empty(space)
    frontier = np.zeros((1, space.n_parties))
    rank = np.zeros(1, dtype=np.int64)
    steps: list[tuple[np.ndarray, np.ndarray]] = []
    tables = exact_tables(space)
    for i, options in enumerate(opts):
        table = tables[:, i, options].T  # (n_options, n_parties)
        best = skyline(table, options)
        options_i, table = options[best], table[best]
        width = len(options_i)
        candidates = (frontier[:, None, :] + table[None, :, :]).reshape(-1, space.n_parties)
        keys = (rank[:, None] * int(space.cardinalities[i]) + options_i[None, :]).reshape(-1)
        keep = skyline(candidates, keys)
        frontier = candidates[keep]
        # keys order the partial deals as outcome indices do; renumber them 0.. only when the
        # next issue would overflow int64
        rank = keys[keep]
        following = int(space.cardinalities[i + 1]) if i + 1 < space.n_issues else 1
        if len(rank) and int(rank.max()) >= 2**62 // following:
            order = np.argsort(rank, kind="stable")
            rank = np.empty(len(keep), dtype=np.int64)
            rank[order] = np.arange(len(keep))
        steps.append((keep // width, options_i[keep % width]))
    matrix = np.empty((len(frontier), space.n_issues), dtype=np.int64)
    row = np.arange(len(frontier))
    for i in range(space.n_issues - 1, -1, -1):  # backtrack over issues
        parent, option = steps[i]
        matrix[:, i] = option[row]
        row = parent[row]
    # the merged sums are exact (grid values), so they equal exact_utilities bit for bit
    return _finish(space, frontier, matrix)


def _enumerate(space: OutcomeSpace) -> ParetoFrontier:
    count = feasible_count(space)
    if count > ENUMERATION_LIMIT:
        raise UnsupportedError(
            f"{count:.3g} deals to enumerate for a non-additive Pareto frontier; the limit is "
            f"{ENUMERATION_LIMIT:.0e}",
            source=space.scenario.name,
        )
    if count == 0:
        return _empty(space)
    best_u = np.empty((0, space.n_parties))
    best_o = np.empty((0, space.n_issues), dtype=np.int64)
    best_r = np.empty(0, dtype=np.int64)
    start = 0
    for matrix in iter_feasible(space):
        u = exact_utilities(space, matrix)
        r = np.arange(start, start + len(matrix), dtype=np.int64)
        start += len(matrix)
        keep = skyline(u, r)
        u_all = np.concatenate([best_u, u[keep]])
        r_all = np.concatenate([best_r, r[keep]])
        o_all = np.concatenate([best_o, matrix[keep]])
        keep = skyline(u_all, r_all)
        best_u, best_r, best_o = u_all[keep], r_all[keep], o_all[keep]
    return _finish(space, best_u, best_o)


def pareto_frontier(
    space: OutcomeSpace, *, method: Literal["auto", "merge", "enumerate"] = "auto"
) -> ParetoFrontier:
    """The exact Pareto frontier of the deals that cross no red line.

    Args:
        space: the outcome space.
        method: ``"merge"`` (issue by issue; additive preferences only), ``"enumerate"``
            (skyline over every deal; any preferences, up to :data:`ENUMERATION_LIMIT` deals)
            or ``"auto"`` (merge when every party is additive).

    Returns:
        One row per distinct non-dominated utility vector, with its lowest-index deal.

    Raises:
        ScenarioError: ``method="merge"`` with a non-additive party.
        UnsupportedError: enumeration beyond :data:`ENUMERATION_LIMIT`.
    """
    if method == "auto":
        method = "merge" if space.all_additive else "enumerate"
    if method == "merge":
        if not space.all_additive:
            raise ScenarioError(
                "the issue-by-issue frontier needs additive preferences for every party",
                source=space.scenario.name,
            )
        return _merge(space)
    return _enumerate(space)


def opposition(frontier: ParetoFrontier) -> float:
    """Euclidean distance from the ideal point ``(1, ..., 1)`` to the nearest frontier vector.

    The GENIUS measure of how opposed the parties are (0: one deal is ideal for everyone);
    ``nan`` when no deal is feasible.
    """
    if len(frontier) == 0:
        return math.nan
    return float(np.sqrt(((1.0 - frontier.utilities) ** 2).sum(axis=1)).min())
