"""The skyline kernel: distinct non-dominated rows of a utility matrix, vectorised.

Values of a column less than the acceptance tolerance apart are first put in one class (so
rounding in the last bits decides nothing). Rows are then put in lexicographically decreasing
order of their utilities (ties: lower rank first). After that, a row ``q`` is dropped exactly
when some *earlier* row ``p`` has ``p_c >= q_c`` for every column but the first: the order
already gives ``p_0 >= q_0``, so either ``p`` dominates ``q`` or the two are equal and ``p`` has
the lower rank.

* 1 column: the first row.
* 2 columns: a running maximum (sort and sweep, O(n log n); Kung, Luccio and Preparata 1975).
* 3 columns: batches tested against the 2-D staircase of the rows kept so far by binary
  search, plus a small within-batch comparison (O(n log n + n b)).
* more columns: batched block-nested loops against the rows kept so far.
"""

from __future__ import annotations

import numpy as np

from detente.space import ACCEPT_TOLERANCE

__all__ = ["skyline", "tie_classes"]

_BATCH_3D = 512
_BATCH_ND = 256


def skyline(
    utilities: np.ndarray, rank: np.ndarray, tolerance: float = ACCEPT_TOLERANCE
) -> np.ndarray:
    """Indices of the distinct non-dominated rows of ``utilities``, up to ``tolerance``.

    Utilities are sums of rounded decimals: two deals worth the same on paper (0.3 + 0.6 and
    0.4 + 0.5) can differ in the last bits, and one would seem to beat the other by 1e-16. So
    dominance is decided with the tolerance acceptance uses: in each column, values less than
    ``tolerance`` apart (chained: each within ``tolerance`` of the next) count as equal
    (:func:`tie_classes`), and rows equal in every column are one point, kept at its lowest
    rank.

    Args:
        utilities: ``(n, m)`` float matrix, one row per candidate.
        rank: ``(n,)`` integers; among rows with equal utilities the lowest rank is kept.
        tolerance: values closer than this are equal (``0``: exact comparison).

    Returns:
        ``int64`` indices into ``utilities``, in lexicographically decreasing order of the rows.
    """
    n, m = utilities.shape
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if tolerance > 0 and n > 1:
        utilities = _classes_where_near(utilities, tolerance)
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


def _classes_where_near(utilities: np.ndarray, tolerance: float) -> np.ndarray:
    """``utilities`` with each column holding a near tie replaced by its tie classes.

    A column whose distinct values are all more than ``tolerance`` apart is left as it is
    (comparing its values is comparing its classes), which spares the usual case the work.
    """
    gaps = np.diff(np.sort(utilities, axis=0), axis=0)
    near = np.flatnonzero(((gaps > 0) & (gaps <= tolerance)).any(axis=0))
    if not len(near):
        return utilities
    out = utilities.copy()
    for c in near:
        out[:, c] = tie_classes(utilities[:, c], tolerance)
    return out


def tie_classes(values: np.ndarray, tolerance: float) -> np.ndarray:
    """Each value's class, numbered in increasing order: values within ``tolerance`` share one.

    Sorted values open a new class wherever the gap to the previous one exceeds ``tolerance``,
    so the classes keep the order of the values and a class is wider than ``tolerance`` only
    when a chain of values each closer than it to the next spans more.
    """
    order = np.argsort(values, kind="stable")
    opens = np.ones(len(values), dtype=bool)
    opens[1:] = np.diff(values[order]) > tolerance
    out = np.empty(len(values))
    out[order] = np.cumsum(opens) - 1
    return out


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
