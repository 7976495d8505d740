"""Utilities on a binary grid, so that every sum is exact whatever its order.

Floating-point addition is not associative: ``(a + b) + c`` and ``a + (b + c)`` can differ in the
last bit, so two deals with the same utility could compare as different (or one could seem to
dominate the other) depending on the order in which their per-issue terms were added. The
analysis therefore rounds each per-issue table entry to a multiple of ``2**-50`` (at most
``4.5e-16`` away from the stated value, the size of ordinary float rounding). Sums of such
numbers below 8 are exact in float64, and a party's utility never exceeds 1 by more than a
rounding error, so the issue-by-issue merge, the enumeration and every brute-force check agree
bit for bit, and "deals with the same utility vector" has one meaning. Rule-based parties keep the
outcome space's own utilities (one number per deal, no summation order involved).
"""

from __future__ import annotations

import numpy as np

from detente.space import OutcomeSpace

__all__ = ["GRID", "TOLERANCE", "exact_tables", "exact_utilities", "thresholds"]

#: Spacing of the grid per-issue utilities are rounded to.
GRID = 2.0**-50

#: A deal within this distance below a reservation value still counts as acceptable: values
#: written in decimal (0.6 = 0.22 x 0.7 + ...) are not exact in binary, and a deal worth exactly
#: the reservation value must not be lost to the last bit.
TOLERANCE = 1e-9


def thresholds(space: OutcomeSpace) -> np.ndarray:
    """``(n_parties,)`` utilities from which each party accepts: ``r_p - TOLERANCE``."""
    return np.asarray(space.reservation - TOLERANCE)


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
