"""ZOPA and bargaining solutions by enumerating every deal, straight from the definitions.

The deals are walked in chunks of outcome indices, so memory stays flat and the cost is
O(size x parties) whatever the frontier: nothing here uses the Pareto frontier, which is what
detente's own answers are computed from. Ties are broken as ``DESIGN.md`` says: the larger sum
of utilities, then the lower outcome index; scores and sums within the acceptance tolerance of
each other are ties (rounding in the last bits decides nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from detente.analysis._exact import TOLERANCE, exact_utilities, thresholds
from detente.space import OutcomeSpace

__all__ = ["BruteForce", "brute_force"]

NAMES = ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian")


@dataclass(frozen=True)
class BruteForce:
    """What enumeration says: ZOPA size, each party's ideal in the ZOPA, the solution indices."""

    zopa_count: int
    ideal: np.ndarray
    solutions: dict[str, int | None]


def _blocks(space: OutcomeSpace, chunk: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(indices, utilities) of the ZOPA deals, chunk by chunk, in outcome-index order."""
    floor = thresholds(space)
    red_lines = any(party.red_lines for party in space.scenario.parties)
    for index in space.chunks(chunk):
        options = space.unravel(index)
        u = exact_utilities(space, options)
        ok = (u >= floor).all(axis=1)
        if red_lines:
            ok &= space.acceptable_options(options).all(axis=1)
        yield index[ok], u[ok]


def _scores(name: str, u: np.ndarray, r: np.ndarray, span: np.ndarray) -> np.ndarray:
    g = np.maximum(u - r, 0.0)
    if name == "nash":
        return np.asarray(np.prod(g, axis=1))
    if name == "kalai_smorodinsky":
        ratios = np.where(span > 0, g / np.where(span > 0, span, 1.0), np.inf)
        return np.asarray(ratios.min(axis=1))
    if name == "egalitarian":
        return np.asarray(g.min(axis=1))
    return np.asarray(u.sum(axis=1))


def brute_force(space: OutcomeSpace, chunk: int = 1 << 18) -> BruteForce:
    """Count the ZOPA and find the four solutions by looking at every deal."""
    r = space.reservation
    count = 0
    ideal = np.full(space.n_parties, -np.inf)
    for _, u in _blocks(space, chunk):  # pass 1: size of the ZOPA and the ideal point in it
        count += len(u)
        if len(u):
            ideal = np.maximum(ideal, u.max(axis=0))
    if count == 0:
        return BruteForce(0, ideal, dict.fromkeys(NAMES))
    span = np.maximum(ideal - r, 0.0)
    # pass 2: each criterion's best score; pass 3: of the deals within the tolerance of it, the
    # best sum; then the lowest index of the deals within the tolerance of both
    top = dict.fromkeys(NAMES, -np.inf)
    for _, u in _blocks(space, chunk):
        if len(u):
            for name in NAMES:
                top[name] = max(top[name], float(_scores(name, u, r, span).max()))
    best_total = dict.fromkeys(NAMES, -np.inf)
    for _, u in _blocks(space, chunk):
        for name in NAMES:
            near = _scores(name, u, r, span) >= top[name] - TOLERANCE
            if near.any():
                best_total[name] = max(best_total[name], float(u[near].sum(axis=1).max()))
    found: dict[str, int | None] = dict.fromkeys(NAMES)
    for index, u in _blocks(space, chunk):
        for name in (n for n in NAMES if found[n] is None):
            near = _scores(name, u, r, span) >= top[name] - TOLERANCE
            near &= u.sum(axis=1) >= best_total[name] - TOLERANCE
            hits = np.flatnonzero(near)
            found[name] = int(index[hits[0]]) if len(hits) else None  # index order
    return BruteForce(count, ideal, found)
