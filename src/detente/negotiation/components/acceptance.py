"""Acceptance strategies: when to take an offer (Baarslag, Hindriks & Jonker 2014).

The conditions of *Effective acceptance conditions in automated negotiation* (Decision Support
Systems 60, 2014): ``AC_next(a, b)`` accepts an offer worth at least ``a`` times the party's
next bid plus ``b``; ``AC_const(c)`` one worth at least ``c``; ``AC_time(T)`` any offer from
time ``T``; ``AC_combi(T)`` is ``AC_next`` or, from time ``T``, an offer at least as good as
the best of the earlier offers received in the last ``1 - t`` of the session (its ``MAX^W``
variant, the window as long as the time left; with no earlier offer in the window, no).
:class:`ACTarget` accepts what the bidding strategy aims at (the rule of Faratin et al.'s
time-dependent tactics). Every comparison of a utility with a level goes through
:func:`detente.space.meets`, the acceptance rule of the ZOPA (equal up to rounding counts).
"""

from __future__ import annotations

import math

from detente.negotiation.components.boa import AcceptanceStrategy
from detente.space import meets

__all__ = ["ACCombi", "ACConst", "ACNext", "ACTarget", "ACTime", "AnyOf"]


class ACNext(AcceptanceStrategy):
    """Accept when ``a * u(offer) + b >= u(next bid)`` (or when the party would walk away)."""

    def __init__(self, a: float = 1.0, b: float = 0.0) -> None:
        self.a, self.b = a, b

    def accepts(self, time: float, offer: int, next_bid: int) -> bool:
        """Compare with the party's next bid."""
        if next_bid < 0:
            return True  # it would walk away: an acceptable offer beats that
        utility = self.view.utility
        return meets(self.a * float(utility[offer]) + self.b, float(utility[next_bid]))


class ACTarget(AcceptanceStrategy):
    """Accept an offer worth at least the bidding strategy's current target."""

    def accepts(self, time: float, offer: int, next_bid: int) -> bool:
        """Compare with the target."""
        return meets(float(self.view.utility[offer]), self.owner.bidding.target(time))


class ACConst(AcceptanceStrategy):
    """Accept an offer worth at least ``c``."""

    def __init__(self, c: float) -> None:
        self.c = c

    def accepts(self, time: float, offer: int, next_bid: int) -> bool:
        """Compare with the constant."""
        return meets(float(self.view.utility[offer]), self.c)


class ACTime(AcceptanceStrategy):
    """Accept any offer from relative time ``T`` (the reservation value is checked apart)."""

    def __init__(self, T: float) -> None:
        self.T = T

    def accepts(self, time: float, offer: int, next_bid: int) -> bool:
        """Whether the time has come."""
        return time >= self.T


class ACCombi(AcceptanceStrategy):
    """``AC_next``, or from time ``T`` an offer as good as the best of the last ``1 - t``."""

    def __init__(self, T: float = 0.98, a: float = 1.0, b: float = 0.0) -> None:
        self.T = T
        self.next = ACNext(a, b)

    def setup(self) -> None:
        """Reset the inner ``AC_next``."""
        self.next.reset(self.owner)

    def accepts(self, time: float, offer: int, next_bid: int) -> bool:
        """``AC_next`` or, late, the best recent offer."""
        if self.next.accepts(time, offer, next_bid):
            return True
        if time < self.T:
            return False
        best = self.owner.best_received(time - (1.0 - time))
        return best > -math.inf and meets(float(self.view.utility[offer]), best)


class AnyOf(AcceptanceStrategy):
    """Accept when any of ``conditions`` accepts."""

    def __init__(self, *conditions: AcceptanceStrategy) -> None:
        self.conditions = conditions

    def setup(self) -> None:
        """Reset every condition."""
        for condition in self.conditions:
            condition.reset(self.owner)

    def accepts(self, time: float, offer: int, next_bid: int) -> bool:
        """Any condition."""
        return any(c.accepts(time, offer, next_bid) for c in self.conditions)
