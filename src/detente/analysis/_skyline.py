"""The skyline kernel: distinct non-dominated rows of a utility matrix, vectorised.

Rows are first put in lexicographically decreasing order of their utilities (ties: lower rank
first). After that, a row ``q`` is dropped exactly when some *earlier* row ``p`` has
``p_c >= q_c`` for every column but the first: the order already gives ``p_0 >= q_0``, so either
``p`` dominates ``q`` or the two are equal and ``p`` has the lower rank.

* 1 column: the first row.
* 2 columns: a running maximum (sort and sweep, O(n log n); Kung, Luccio and Preparata 1975).
* 3 columns: batches tested against the 2-D staircase of the rows kept so far by binary
  search, plus a small within-batch comparison (O(n log n + n b)).
* more columns: batched block-nested loops against the rows kept so far.
"""

from __future__ import annotations

import numpy as np

from detente.space import ACCEPT_TOLERANCE

__all__ = ["settle_ties", "skyline"]

_BATCH_3D = 512
_BATCH_ND = 256
_BATCH_TIES = 256


def skyline(utilities: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Indices of the distinct non-dominated rows of ``utilities``.

    Args:
        utilities: ``(n, m)`` float matrix, one row per candidate.
        rank: ``(n,)`` integers; among rows with equal utilities the lowest rank is kept.

    Returns:
        ``int64`` indices into ``utilities``, in lexicographically decreasing order of the rows.
    """
    n, m = utilities.shape
    if n == 0:
        return np.empty(0, dtype=np.int64)
    keys = [rank, *(-utilities[:, c] for c in range(m - 1, -1, -1))]
    order = np.lexsort(keys).astype(np.int64)
    if m == 1:
        return order[:1]
    if m == 2:
        b = utilities[order, 1]
        keep = np.ones(n, dtype=bool)
        keep[1:] = b[1:] > np.maximum.accumulate(b[:-1])
        return order[keep]
    rows = utilities[order]
    keep = _sweep3(rows[:, 1], rows[:, 2]) if m == 3 else _block_nested_loops(rows)
    return np.asarray(order[keep])


def _sweep3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows not weakly dominated in ``(a, b)`` by an earlier row."""
    n = len(a)
    keep = np.zeros(n, dtype=bool)
    stair_a = np.empty(0)  # ascending
    stair_b = np.empty(0)  # strictly descending
    for start in range(0, n, _BATCH_3D):
        ba = a[start : start + _BATCH_3D]
        bb = b[start : start + _BATCH_3D]
        pos = np.searchsorted(stair_a, ba, side="left")
        inside = pos < len(stair_a)
        dominated = np.zeros(len(ba), dtype=bool)
        dominated[inside] = stair_b[pos[inside]] >= bb[inside]
        earlier = np.triu(np.ones((len(ba), len(ba)), dtype=bool), 1)
        pairwise = (ba[:, None] >= ba[None, :]) & (bb[:, None] >= bb[None, :]) & earlier
        dominated |= pairwise.any(axis=0)
        keep[start : start + _BATCH_3D] = ~dominated
        if (~dominated).any():
            stair_a, stair_b = _staircase(
                np.concatenate([stair_a, ba[~dominated]]), np.concatenate([stair_b, bb[~dominated]])
            )
    return keep


def _staircase(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2-D maxima of the points ``(a, b)``, sorted by ``a`` ascending (``b`` descending)."""
    order = np.lexsort((-b, -a))
    sa, sb = a[order], b[order]
    keep = np.ones(len(sa), dtype=bool)
    keep[1:] = sb[1:] > np.maximum.accumulate(sb[:-1])
    return sa[keep][::-1].copy(), sb[keep][::-1].copy()


def _block_nested_loops(rows: np.ndarray) -> np.ndarray:
    """Rows (lexicographically decreasing) not weakly dominated in columns 1.. by earlier rows."""
    tail = rows[:, 1:]
    n = len(tail)
    keep = np.zeros(n, dtype=bool)
    kept = np.empty((0, tail.shape[1]))
    for start in range(0, n, _BATCH_ND):
        block = tail[start : start + _BATCH_ND]
        dominated = np.zeros(len(block), dtype=bool)
        for s in range(0, len(kept), 4096):
            ref = kept[s : s + 4096]
            dominated |= (ref[:, None, :] >= block[None, :, :]).all(axis=2).any(axis=0)
        earlier = np.triu(np.ones((len(block), len(block)), dtype=bool), 1)
        pairwise = (block[:, None, :] >= block[None, :, :]).all(axis=2) & earlier
        dominated |= pairwise.any(axis=0)
        keep[start : start + _BATCH_ND] = ~dominated
        kept = np.concatenate([kept, block[~dominated]])
    return keep


def settle_ties(
    utilities: np.ndarray, options: np.ndarray, tolerance: float = ACCEPT_TOLERANCE
) -> np.ndarray:
    """Indices of the skyline rows that survive dominance decided with ``tolerance``.

    ``utilities`` are the distinct, exactly non-dominated rows (the skyline), ``options`` their
    deals' option positions. Utilities are sums of rounded decimals, so two deals worth the same
    on paper can differ in the last bits, and one can seem to beat the other by 1e-16. With the
    tolerance ``t`` acceptance uses, ``p`` dominates ``q`` when ``p_c >= q_c - t`` for every
    party and ``p_c > q_c + t`` for one; ``p`` and ``q`` are tied when every ``|p_c - q_c| <= t``.
    A row dominated by another is dropped; of tied rows, the deal with the lowest outcome index
    stays.

    Only rows with a value less than ``t`` from a different value of the same column (a *near
    tie*) can be affected: a dominating or tied skyline row is below the other in some column
    (else it would dominate it exactly) and within ``t`` there. So the pairwise comparison runs
    on those rows alone, usually none or a handful.

    Returns:
        ``int64`` row indices, in their original order.
    """
    n, m = utilities.shape
    suspect = np.zeros(n, dtype=bool)
    for c in range(m):
        values, inverse = np.unique(utilities[:, c], return_inverse=True)
        near = np.zeros(len(values), dtype=bool)
        close = np.diff(values) <= tolerance
        near[:-1] |= close
        near[1:] |= close
        suspect |= near[inverse.reshape(-1)]
    rows = np.flatnonzero(suspect)
    keep = np.ones(n, dtype=bool)
    if len(rows) < 2:  # a tie needs a pair
        return np.flatnonzero(keep)
    u = utilities[rows]
    dominated = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(rows), _BATCH_TIES):
        q = u[start : start + _BATCH_TIES]
        at_least = (u[:, None, :] >= q[None, :, :] - tolerance).all(axis=2)
        above = (u[:, None, :] > q[None, :, :] + tolerance).any(axis=2)
        dominated[start : start + _BATCH_TIES] = (at_least & above).any(axis=0)
    # ties among the survivors: the lowest outcome index (lexicographic options) stays
    alive = np.flatnonzero(~dominated)
    order = alive[np.lexsort(options[rows[alive]].T[::-1])]
    kept: list[int] = []
    for k in order:
        if kept and (np.abs(u[kept] - u[k]) <= tolerance).all(axis=1).any():
            dominated[k] = True
        else:
            kept.append(int(k))
    keep[rows[dominated]] = False
    return np.flatnonzero(keep)
