"""Per-scenario tables every session reads: utilities of every deal, sorted once per party.

Strategies never scan the outcome space: a time-dependent offer is one ``searchsorted`` in the
party's utilities sorted ascending, and a best response is an ``argmax`` over a slice of them.
The tables are built once per :class:`~detente.space.OutcomeSpace` and reused by every session
on it (the tournament and the CLI share them).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from detente.errors import UnsupportedError
from detente.space import OutcomeSpace

__all__ = ["SIMULATION_LIMIT", "Arena", "PartyView", "arena_of"]

#: The largest space simulated with full tables (utilities of every deal in memory).
SIMULATION_LIMIT = 20_000_000


@dataclass(frozen=True, eq=False)
class PartyView:
    """What one party knows of the space: its own utility of every deal, sorted.

    Attributes:
        party: the party's position in the scenario.
        utility: ``(n,)`` the party's utility of every deal (flat index order).
        order: the deals that cross none of the party's red lines, by ascending utility
            (ties by ascending index).
        sorted_utility: ``utility[order]``.
        reservation: the party's reservation value.
        allowed: ``(n,)`` True where the deal crosses none of the party's red lines.
    """

    party: int
    utility: np.ndarray
    order: np.ndarray
    sorted_utility: np.ndarray
    reservation: float
    allowed: np.ndarray

    @property
    def best(self) -> float:
        """The party's best utility over the deals it may propose (0 when there are none)."""
        return float(self.sorted_utility[-1]) if self.order.size else 0.0

    def acceptable(self, outcome: int) -> bool:
        """The deal crosses none of the party's red lines and gives it its reservation value."""
        return bool(self.allowed[outcome]) and float(self.utility[outcome]) >= self.reservation

    def at_least(self, target: float) -> int:
        """Position in :attr:`order` of the first deal worth at least ``target`` (may be n)."""
        return int(self.sorted_utility.searchsorted(target))


@dataclass(frozen=True, eq=False)
class Arena:
    """Every deal's utilities for every party, and each party's sorted view.

    Build with :func:`arena_of` (cached per space).
    """

    space: OutcomeSpace
    utilities: np.ndarray  #: ``(n, n_parties)``
    views: tuple[PartyView, ...]
    _options: list[np.ndarray] = field(default_factory=list, repr=False)  #: built on first use

    @property
    def size(self) -> int:
        """Number of deals."""
        return int(self.utilities.shape[0])

    def options(self) -> np.ndarray:
        """``(n, n_issues)`` option positions of every deal (built on first use)."""
        if not self._options:
            options = self.space.unravel(np.arange(self.size, dtype=np.int64))
            if int(self.space.cardinalities.max()) < 2**15:
                options = options.astype(np.int16)
            options.flags.writeable = False
            self._options.append(options)
        return self._options[0]

    def flat_options(self) -> np.ndarray:
        """``(n, n_issues)`` positions ``issue * max_options + option`` (built on first use)."""
        if len(self._options) < 2:
            self.options()
            width = int(self.space.cardinalities.max())
            offsets = np.arange(self.space.n_issues, dtype=np.int64) * width
            flat = (self._options[0] + offsets).astype(np.int32)
            flat.flags.writeable = False
            self._options.append(flat)
        return self._options[1]


@functools.lru_cache(maxsize=16)
def arena_of(space: OutcomeSpace) -> Arena:
    """The simulation tables of ``space`` (built once, then cached).

    Raises:
        UnsupportedError: the space has more than :data:`SIMULATION_LIMIT` deals.
    """
    if space.size > SIMULATION_LIMIT:
        raise UnsupportedError(
            f"the space has {space.size:,} deals; simulation tables are limited to "
            f"{SIMULATION_LIMIT:,}",
            source=space.scenario.name,
        )
    utilities, allowed = _tables(space)
    views = []
    for p in range(space.n_parties):
        column = np.ascontiguousarray(utilities[:, p])
        ok = np.ascontiguousarray(allowed[:, p])
        if ok.all():
            order = _ascending(column)
        else:
            candidates = np.flatnonzero(ok)
            order = candidates[_ascending(column[candidates])]
        sorted_utility = column[order]
        for array in (column, ok, order, sorted_utility):
            array.flags.writeable = False
        views.append(
            PartyView(
                party=p,
                utility=column,
                order=order,
                sorted_utility=sorted_utility,
                reservation=float(space.reservation[p]),
                allowed=ok,
            )
        )
    utilities.flags.writeable = False
    return Arena(space=space, utilities=utilities, views=tuple(views))


def _ascending(values: np.ndarray) -> np.ndarray:
    """Positions of ``values`` in ascending order, ties by position (deterministic).

    Quicksort when the values are distinct (then the order is unique, whatever the sorting
    path of the CPU), else a stable sort.
    """
    order = np.argsort(values)
    ranked = values[order]
    if ranked.size > 1 and not bool((ranked[1:] > ranked[:-1]).all()):
        order = np.argsort(values, kind="stable")
    return order


def _tables(space: OutcomeSpace) -> tuple[np.ndarray, np.ndarray]:
    """Utilities ``(n, n_parties)`` and red-line masks of every deal, in flat index order.

    Additive parties: an outer sum of the per-issue tables, issue by issue (the last issue
    varies fastest, as in the flat numbering); others through the space's own evaluation.
    """
    n = space.size
    utilities = np.empty((n, space.n_parties))
    allowed = np.empty((n, space.n_parties), dtype=bool)
    options: np.ndarray | None = None
    for p in range(space.n_parties):
        total = np.zeros(1)
        ok = np.ones(1, dtype=bool)
        for i, c in enumerate(space.cardinalities):
            total = (total[:, None] + space.tables[p, i, :c][None, :]).ravel()
            ok = (ok[:, None] & space.allowed[p, i, :c][None, :]).ravel()
        if not space.additive[p]:
            if options is None:
                options = space.unravel(np.arange(n, dtype=np.int64))
            total = space.utilities_of_options(options)[:, p]
        utilities[:, p] = total
        allowed[:, p] = ok
    return utilities, allowed
