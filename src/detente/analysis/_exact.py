"""Utilities on a binary grid, so that every sum is exact whatever its order.

Floating-point addition is not associative: ``(a + b) + c`` and ``a + (b + c)`` can differ in the
last bit, so two deals with the same utility could compare as different (or one could seem to
dominate the other) depending on the order in which their per-issue terms were added. The
analysis therefore rounds each per-issue table entry to a multiple of ``2**-44`` (at most
``2.8e-14`` away from the stated value). Sums of such numbers below ``2**9`` are exact in
float64, so the issue-by-issue merge, the enumeration and every brute-force check agree bit for
bit, and "deals with the same utility vector" has one meaning. Rule-based parties keep the
outcome space's own utilities (one number per deal, no summation order involved).
"""

from __future__ import annotations

import numpy as np

from detente.space import OutcomeSpace

__all__ = ["GRID", "exact_tables", "exact_utilities"]

#: Spacing of the grid per-issue utilities are rounded to.
GRID = 2.0**-44


def exact_tables(space: OutcomeSpace) -> np.ndarray:
    """The space's per-issue tables rounded to multiples of :data:`GRID`."""
    out = np.round(space.tables / GRID) * GRID
    out.flags.writeable = False
    return out


def exact_utilities(space: OutcomeSpace, options: np.ndarray) -> np.ndarray:
    """Utilities ``(n, n_parties)`` of an option matrix, additive parties summed exactly."""
    matrix = np.atleast_2d(np.asarray(options, dtype=np.int64))
    tables = exact_tables(space)
    out = np.zeros((space.n_parties, len(matrix)))
    for i in range(space.n_issues):  # loop over issues, not deals
        out += tables[:, i, matrix[:, i]]
    if not space.all_additive:
        rules = ~space.additive
        out[rules] = space.utilities_of_options(matrix).T[rules]
    return np.ascontiguousarray(out.T)
