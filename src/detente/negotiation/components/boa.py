"""Strategies composed of a bidding strategy, an acceptance strategy and an opponent model.

The BOA architecture (Baarslag, Hindriks, Hendrikx, Dirkzwager & Jonker 2014, Decoupling
negotiating agents to explore the space of negotiation strategies, in *Novel Insights in
Agent-based Complex Automated Negotiation*, Springer) splits a negotiating agent into what it
bids, when it accepts, and what it believes the other side wants; NegMAS calls these
components. A :class:`BOA` strategy names its three parts in :meth:`BOA.components`; every
session it resets them, feeds the opponent model every offer received, bids what the bidding
strategy says and accepts what the acceptance strategy accepts, given the bid it would make
next (computed once per turn).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.negotiation.components.opponent import OpponentModel
from detente.negotiation.strategies._base import Strategy

__all__ = ["BOA", "AcceptanceStrategy", "BiddingStrategy", "Component"]


class Component:
    """A part of a :class:`BOA` strategy, reset at the start of every session."""

    def reset(self, owner: BOA) -> None:
        """Start a session for ``owner`` (forgets every earlier session), then :meth:`setup`."""
        self.owner = owner
        self.view = owner.view
        self.setup()

    def setup(self) -> None:
        """Prepare for a session (tables read from ``self.view``)."""


class BiddingStrategy(Component):
    """What to offer: :meth:`bid` at a relative time, given the owner's opponent model."""

    def target(self, time: float) -> float:
        """The utility the bids aim at, at relative ``time``."""
        raise NotImplementedError

    def bid(self, time: float) -> int:
        """The deal (flat index) to offer at ``time``; -1 to walk away."""
        raise NotImplementedError

    def sent(self, time: float, offer: int) -> None:
        """Called once ``offer`` has been proposed (for strategies that remember their bids)."""


class AcceptanceStrategy(Component):
    """When to accept: :meth:`accepts` an offer, knowing the bid the owner would make next."""

    def accepts(self, time: float, offer: int, next_bid: int) -> bool:
        """Whether to accept ``offer`` at ``time`` (``next_bid``: -1 when it would walk away)."""
        raise NotImplementedError


class BOA(Strategy):
    """A strategy made of a bidding strategy, an acceptance strategy and an opponent model.

    Subclasses implement :meth:`components` from their parameters. The offers received are
    kept (``received_offers``, ``received_times``, ``received_utilities``: their utility to
    this party) for the components that compare with them.
    """

    family: ClassVar[str] = "boa"
    source: ClassVar[str] = (
        "Baarslag, Hindriks, Hendrikx, Dirkzwager & Jonker (2014), Decoupling negotiating agents "
        "to explore the space of negotiation strategies"
    )

    def components(self) -> tuple[BiddingStrategy, AcceptanceStrategy, OpponentModel | None]:
        """The bidding strategy, acceptance strategy and opponent model (or ``None``)."""
        raise NotImplementedError

    def setup(self) -> None:
        """Make and reset the components."""
        self.bidding, self.acceptance, self.model = self.components()
        self.received_offers: list[int] = []
        self.received_times: list[float] = []
        self.received_utilities: list[float] = []
        self._next: tuple[float, int] | None = None
        if self.model is not None:
            self.model.reset(self.arena, self.view.party)
        self.bidding.reset(self)
        self.acceptance.reset(self)

    def observe(self, time: float, offer: int, proposer: int) -> None:
        """Keep the offer and teach it to the opponent model."""
        self.received_offers.append(offer)
        self.received_times.append(time)
        self.received_utilities.append(float(self.view.utility[offer]))
        if self.model is not None:
            self.model.update(time, offer, proposer)
        self._next = None

    def next_bid(self, time: float) -> int:
        """The bid the party makes at ``time`` (computed once per turn)."""
        if self._next is None or self._next[0] != time:
            self._next = (time, self.bidding.bid(time))
        return self._next[1]

    def propose(self, time: float) -> int:
        """The bidding strategy's bid."""
        bid = self.next_bid(time)
        self._next = None
        if bid >= 0:
            self.bidding.sent(time, bid)
        return bid

    def accepts(self, time: float, offer: int) -> bool:
        """The acceptance strategy's answer, given the next bid."""
        return self.acceptance.accepts(time, offer, self.next_bid(time))

    def best_received(self, since: float = 0.0) -> float:
        """The best utility to this party of the earlier offers received from time ``since``.

        The last offer received (the one being answered) is left out; ``-inf`` when no earlier
        offer came at or after ``since``.
        """
        times = np.asarray(self.received_times[:-1])
        values = np.asarray(self.received_utilities[:-1])
        recent = values[times >= since]
        return float(recent.max()) if recent.size else -np.inf
