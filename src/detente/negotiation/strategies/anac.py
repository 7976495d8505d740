"""Agents of the ANAC competitions, written from their published descriptions.

Each is a :class:`~detente.negotiation.components.BOA` composition of a bidding strategy, an
acceptance strategy and an opponent model, as the BOA framework decomposes them (Baarslag et
al. 2014). Where a description leaves a detail open, the choice made here is named in the
class's docstring; no code of the original agents was used.

- HardHeaded, winner of ANAC 2011: van Krimpen, T., Looije, D., Hajizadeh, S. (2013).
  HardHeaded. In *Complex Automated Negotiations: Theories, Models, and Software
  Competitions*, SCI 435, Springer, 223-227.
- AgentK, winner of ANAC 2010: Kawaguchi, S., Fujita, K., Ito, T. (2012). AgentK:
  Compromising strategy based on estimated maximum utility for automated negotiating agents.
  In *New Trends in Agent-Based Complex Automated Negotiations*, SCI 383, Springer, 137-144.
- Nice Tit-for-Tat, ANAC 2011: Baarslag, T., Hindriks, K., Jonker, C. (2013). A tit for tat
  negotiation strategy for real-time bilateral negotiations. In *Complex Automated
  Negotiations*, SCI 435, Springer, 229-233.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from detente.errors import DetenteError
from detente.negotiation.components import (
    BOA,
    AcceptanceStrategy,
    ACCombi,
    ACNext,
    BiddingStrategy,
    FrequencyOpponentModel,
    OpponentModel,
    TimeDependentBidding,
)
from detente.negotiation.strategies._base import register
from detente.space import meets

__all__ = ["AgentK", "AgentKAcceptance", "AgentKBidding", "HardHeaded", "NiceTitForTat"]


@register
class HardHeaded(BOA):
    """ANAC 2011 winner: concedes very late towards a floor, bids what the opponent likes.

    Bidding: the time-dependent target ``max - (max - min) t^(1/e)`` with a very small ``e``
    (it holds near its best until the very end), ``min`` never below ``floor``; its bids only
    go down. Among the deals worth between the target and ``target + band`` it offers the one
    its frequency model (issue weights that grow by ``learning_rate`` when the opponent keeps
    an issue unchanged, option values from counts) rates best for the opponent. Acceptance:
    ``AC_next``, an offer worth at least its own next bid. Its first bid is its best deal.
    """

    name: ClassVar[str] = "hardheaded"
    family: ClassVar[str] = "anac"
    source: ClassVar[str] = (
        "van Krimpen, Looije & Hajizadeh (2013), HardHeaded, in Complex Automated "
        "Negotiations, SCI 435"
    )
    parameters: ClassVar[dict[str, float]] = {
        "e": 0.05,
        "floor": 0.6,
        "band": 0.02,
        "learning_rate": 0.2,
    }

    def check_parameters(self) -> None:
        """``e`` and the learning rate are positive, the band not negative."""
        p = self.params
        if not (p["e"] > 0 and p["learning_rate"] > 0 and p["band"] >= 0):
            raise DetenteError("hardheaded: e, learning_rate > 0 and band >= 0", field="strategies")

    def components(self) -> tuple[BiddingStrategy, AcceptanceStrategy, OpponentModel | None]:
        """Time-dependent bidding with a floor, ``AC_next``, the frequency model."""
        p = self.params
        return (
            TimeDependentBidding(p["e"], floor=p["floor"], band=p["band"]),
            ACNext(),
            FrequencyOpponentModel(p["learning_rate"]),
        )


class AgentKBidding(BiddingStrategy):
    """AgentK's target from the estimated best offer the opponent will make.

    With ``mu`` and ``sigma`` the mean and standard deviation of the utilities (to this party)
    of the offers received, the opponent's offers are taken as uniform on an interval of width
    ``d = sqrt(12) sigma``, and the best utility it is expected to offer is
    ``emax = mu + (1 - mu) d`` (at most the party's best). The target is
    ``tau(t) = max - (max - emax) t^alpha``, never below the reservation value or the worst
    utility. The bid is the opponent's best earlier offer when it is worth the target;
    otherwise a deal drawn at random among those worth between the target and
    ``target + band`` (AgentK searched the space at random above its target).
    """

    def __init__(self, alpha: float, band: float) -> None:
        self.alpha, self.band = alpha, band

    def setup(self) -> None:
        """Read the party's best and lowest utilities."""
        view = self.view
        self.best = view.best
        lowest = float(view.sorted_utility[0]) if view.order.size else 0.0
        self.lowest = min(max(view.reservation, lowest), self.best)
        self.walks = not view.order.size or self.best < view.reservation
        self.best_offer = -1  #: the opponent's best offer so far (an acceptable one)

    def estimated_max(self) -> float:
        """``emax = mu + (1 - mu) sqrt(12) sigma`` of the offers received (``max`` before any)."""
        received = self.owner.received_utilities
        if not received:
            return self.best
        values = np.asarray(received)
        mu = float(values.mean())
        width = math.sqrt(12.0 * float(values.var()))
        return min(mu + (1.0 - mu) * width, self.best)

    def target(self, time: float) -> float:
        """``tau(t) = max - (max - emax) t^alpha``, at least the lowest acceptable utility."""
        emax = self.estimated_max()
        return float(max(self.best - (self.best - emax) * time**self.alpha, self.lowest))

    def bid(self, time: float) -> int:
        """The opponent's best offer if worth the target, else a random deal above it."""
        if self.walks:
            return -1
        view = self.view
        target = self.target(time)
        offers = self.owner.received_offers
        if offers:
            mine = view.utility[offers]
            ok = view.allowed[offers] & (mine >= target)
            if ok.any():
                return int(offers[int(np.argmax(np.where(ok, mine, -np.inf)))])
        first = min(view.at_least(target), view.order.size - 1)
        stop = max(view.at_least(target + self.band), first + 1)
        return int(view.order[int(self.owner.rng.integers(first, stop))])


class AgentKAcceptance(AcceptanceStrategy):
    """Accept an offer worth the target; below it, at random, likelier late and near the best.

    Below the target ``tau`` an offer worth ``u`` is accepted with probability
    ``t^alpha / 5 + (u - emax) + (u - tau)`` (none when that is not positive).
    """

    def accepts(self, time: float, offer: int, next_bid: int) -> bool:
        """Certain above the target, random below it."""
        bidding = self.owner.bidding
        assert isinstance(bidding, AgentKBidding)
        utility = float(self.view.utility[offer])
        target = bidding.target(time)
        if meets(utility, target):
            return True
        chance = (
            time**bidding.alpha / 5.0 + (utility - bidding.estimated_max()) + (utility - target)
        )
        return chance > 0 and bool(self.owner.rng.random() < chance)


@register
class AgentK(BOA):
    """ANAC 2010 winner: compromises towards the best offer it expects from the opponent.

    It estimates the best utility the opponent will offer from the mean and spread of its
    offers so far and lowers its target towards that estimate as the deadline nears
    (``alpha`` sets the speed; the published agent tuned it during the session, here it is a
    parameter). It accepts any offer worth its target, and offers below it with a probability
    that grows with time and with the offer's closeness to the estimate and to the target.
    """

    name: ClassVar[str] = "agentk"
    family: ClassVar[str] = "anac"
    source: ClassVar[str] = (
        "Kawaguchi, Fujita & Ito (2012), AgentK: compromising strategy based on estimated "
        "maximum utility, in New Trends in Agent-Based Complex Automated Negotiations, SCI 383"
    )
    parameters: ClassVar[dict[str, float]] = {"alpha": 3.0, "band": 0.05}

    def check_parameters(self) -> None:
        """``alpha`` is positive, the band not negative."""
        if not (self.params["alpha"] > 0 and self.params["band"] >= 0):
            raise DetenteError("agentk: alpha > 0 and band >= 0", field="strategies")

    def components(self) -> tuple[BiddingStrategy, AcceptanceStrategy, OpponentModel | None]:
        """AgentK's bidding and acceptance; no opponent model of preferences."""
        return AgentKBidding(self.params["alpha"], self.params["band"]), AgentKAcceptance(), None


class NiceTitForTatBidding(BiddingStrategy):
    """Concede towards the estimated Nash point as far as the opponent conceded towards it.

    The Nash point is estimated with the opponent model: the deal maximising
    ``(u - r) * u_opp`` among the ``limit`` deals most valuable to the party. With ``first``
    and ``best`` the party's utilities of the opponent's first and best offers so far, the
    opponent has conceded the share ``c = (best - first) / (nash - first)`` (clipped to
    [0, 1]) of the way to the Nash point; the party's target concedes the same share of its
    own way, ``max - c (max - nash)``, and never goes below the Nash point: it answers
    concession with concession and never retaliates. Among the deals worth between the target
    and ``target + band`` it offers the one the model rates best for the opponent.
    """

    def __init__(self, band: float, limit: int = 1 << 14) -> None:
        self.band, self.limit = band, limit

    def setup(self) -> None:
        """Read the party's best utility; no Nash estimate yet."""
        view = self.view
        self.best = view.best
        self.walks = not view.order.size or self.best < view.reservation
        self._nash: tuple[int, float] | None = None  # (offers seen, own utility of the estimate)

    def nash_utility(self) -> float:
        """The party's utility of the estimated Nash point (its best before any offer)."""
        model = self.owner.model
        if model is None or not model.observed:
            return self.best
        if self._nash is None or self._nash[0] != model.observed:
            view = self.view
            candidates = view.order[-self.limit :]
            gain = view.sorted_utility[-self.limit :] - view.reservation
            product = gain * model.estimate(candidates)
            self._nash = (
                model.observed,
                float(view.sorted_utility[-self.limit :][int(np.argmax(product))]),
            )
        return self._nash[1]

    def target(self, time: float) -> float:
        """``max - c (max - nash)``: the opponent's share of concession, mirrored."""
        received = self.owner.received_utilities
        nash = max(self.nash_utility(), self.view.reservation)
        if len(received) < 2 or nash >= self.best:
            return self.best
        first, best = received[0], max(received)
        share = 1.0 if nash <= first else min(max((best - first) / (nash - first), 0.0), 1.0)
        return self.best - share * (self.best - nash)

    def bid(self, time: float) -> int:
        """The deal in the target band that the model rates best for the opponent."""
        if self.walks:
            return -1
        view = self.view
        target = self.target(time)
        first = min(view.at_least(target), view.order.size - 1)
        model = self.owner.model
        if model is None or not model.observed:
            return int(view.order[first])
        stop = min(view.at_least(target + self.band), first + 64)
        candidates = view.order[first : max(stop, first + 1)]
        return int(candidates[int(np.argmax(model.estimate(candidates)))])


@register
class NiceTitForTat(BOA):
    """ANAC 2011: tit for tat towards the Nash point, with a frequency model; never retaliates.

    It concedes towards its estimate of the Nash point in proportion to the opponent's own
    concession (see :class:`NiceTitForTatBidding`) and accepts with ``AC_combi``: an offer worth
    its next bid, or, from time ``T``, one as good as the best received in the time left (the
    published agent weighed the chance of a better offer; the opponent model here is the
    frequency model in place of its Bayesian one).
    """

    name: ClassVar[str] = "nice-tit-for-tat"
    family: ClassVar[str] = "anac"
    source: ClassVar[str] = (
        "Baarslag, Hindriks & Jonker (2013), A tit for tat negotiation strategy for real-time "
        "bilateral negotiations, in Complex Automated Negotiations, SCI 435"
    )
    parameters: ClassVar[dict[str, float]] = {"band": 0.02, "T": 0.98}

    def check_parameters(self) -> None:
        """The band is not negative; ``T`` lies in [0, 1]."""
        if not (self.params["band"] >= 0 and 0.0 <= self.params["T"] <= 1.0):
            raise DetenteError("nice-tit-for-tat: band >= 0 and 0 <= T <= 1", field="strategies")

    def components(self) -> tuple[BiddingStrategy, AcceptanceStrategy, OpponentModel | None]:
        """Nash-directed tit for tat, ``AC_combi``, the frequency model."""
        return (
            NiceTitForTatBidding(self.params["band"]),
            ACCombi(self.params["T"]),
            FrequencyOpponentModel(),
        )
