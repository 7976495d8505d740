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
from detente.space import OutcomeSpace, meets

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
        """The deal crosses none of the party's red lines and gives it its reservation value.

        The acceptance rule of the ZOPA (:func:`detente.space.meets`): every strategy's answer
        goes through it.
        """
        return bool(self.allowed[outcome]) and meets(float(self.utility[outcome]), self.reservation)

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
    _for_others: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _margins: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list, repr=False
    )

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

    def best_for_others(self, party: int) -> np.ndarray:
        """Per position of a party's order, the deal from there on that suits the others best.

        For each position ``k`` of ``views[party].order``, the position from ``k`` on of the
        deal leaving the other parties the largest smallest margin over their reservation
        values (``-inf`` across a red line of one of them), ties to the lowest position.

        So ``order[best_for_others(p)[k]]`` is, among the deals worth at least
        ``sorted_utility[k]`` to ``p``, the one best for the others taken together (the
        egalitarian measure of :mod:`detente.analysis`). Built on first use, one vectorised
        pass: a running maximum from the top of the order down.
        """
        found = self._for_others.get(party)
        if found is not None:
            return found
        deals = self.views[party].order
        least, least_party, second = self._least_margins()
        margin = np.where(least_party[deals] == party, second[deals], least[deals])
        # Read from the top (most valuable to p) down: a position is a record when its margin
        # is at least every margin above it; the best from k on is the last record seen.
        top_down = margin[::-1]
        before = np.maximum.accumulate(np.concatenate(([-np.inf], top_down[:-1])))
        records = np.where(top_down >= before, np.arange(deals.size), 0)
        best = deals.size - 1 - np.maximum.accumulate(records)[::-1]
        best.flags.writeable = False
        self._for_others[party] = best
        return best

    def _least_margins(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per deal, the smallest margin ``u_q - r_q``, the party it is of, and the second.

        Margins are ``-inf`` across a red line. The smallest over every party but ``p`` is
        then one ``where``: O(deals x parties) for all parties at once, not per party.
        """
        if self._margins:
            return self._margins[0]
        least = np.full(self.size, np.inf)
        second = np.full(self.size, np.inf)
        least_party = np.full(self.size, -1, dtype=np.int64)
        for view in self.views:  # a loop over the parties, not the deals
            margin = view.utility - view.reservation
            if view.order.size < self.size:  # the party has red lines
                margin[~view.allowed] = -np.inf
            lower = margin < least
            np.minimum(second, np.where(lower, least, margin), out=second)
            least_party[lower] = view.party
            np.minimum(least, margin, out=least)
        self._margins.append((least, least_party, second))
        return self._margins[0]

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
        column = utilities[:, p]  # contiguous: the table is stored party by party
        ok = allowed[p]
        if ok is None:
            order, sorted_utility = _ascending(column)
            ok = np.broadcast_to(np.True_, column.shape)
        else:
            candidates = np.flatnonzero(ok)
            order, sorted_utility = _ascending(column[candidates])
            order = candidates[order]
        for array in (column, order, sorted_utility):
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


def _ascending(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``values`` in ascending order, ties by position, and the sorted values.

    The order is the one of a stable ``argsort``, found faster: each value's bits (mapped to
    integers that sort as the values do) keep their high part and carry the position in their
    low ``L`` bits, and these keys are sorted as plain numbers (a SIMD sort, several times
    faster than an ``argsort``). Equal values then come out by position; distinct values that
    differ only in the low bits may come out of order, which a check finds and a stable sort
    of the almost sorted result repairs. The result is exactly ``argsort(kind="stable")``.
    """
    n = values.size
    if n < 2:
        return np.arange(n, dtype=np.int64), values.copy()
    width = int(n - 1).bit_length()
    low = np.int64((1 << width) - 1)
    # Few temporaries, updated in place: every fresh array of this size costs page faults.
    keys = np.add(values, 0.0).view(np.int64)  # + 0.0 turns -0.0 into 0.0
    if float(values.min()) < 0.0:
        # A negative float's bits grow as it falls: flip them so that keys rise with values.
        flip = keys >> 63
        flip &= np.int64(0x7FFFFFFFFFFFFFFF)
        keys ^= flip
    keys &= ~low
    keys |= np.arange(n, dtype=np.int64)
    keys.sort()
    keys &= low
    order = keys
    ranked = values[order]
    if bool((ranked[1:] < ranked[:-1]).any()):
        repair = np.argsort(ranked, kind="stable")
        order = order[repair]
        ranked = ranked[repair]
    return order, ranked


def _tables(space: OutcomeSpace) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """Utilities ``(n, n_parties)`` (each party's column contiguous) and red-line masks.

    Additive parties: an outer sum of the per-issue tables, issue by issue (the last issue
    varies fastest, as in the flat numbering), the last sum written straight into the table;
    others through the space's own evaluation. A party without red lines gets no mask.
    """
    n = space.size
    utilities = np.empty((space.n_parties, n)).T
    masks: list[np.ndarray | None] = []
    options: np.ndarray | None = None
    cards = [int(c) for c in space.cardinalities]
    for p in range(space.n_parties):
        column = utilities[:, p]
        if not space.additive[p]:
            if options is None:
                options = space.unravel(np.arange(n, dtype=np.int64))
            column[:] = space.utilities_of_options(options)[:, p]
        else:
            total = np.zeros(1)
            for i, c in enumerate(cards[:-1]):
                total = (total[:, None] + space.tables[p, i, :c][None, :]).ravel()
            last = cards[-1]
            np.add(
                total[:, None], space.tables[p, -1, :last][None, :], out=column.reshape(-1, last)
            )
        allowed = [space.allowed[p, i, :c] for i, c in enumerate(cards)]
        if all(bool(a.all()) for a in allowed):
            masks.append(None)
            continue
        ok = np.ones(1, dtype=bool)
        for a in allowed:
            ok = (ok[:, None] & a[None, :]).ravel()
        masks.append(ok)
    return utilities, masks
