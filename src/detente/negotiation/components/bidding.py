"""Bidding strategies: what to offer, as a function of time and of the opponent model."""

from __future__ import annotations

import numpy as np

from detente.errors import DetenteError
from detente.negotiation.components.boa import BiddingStrategy

__all__ = ["TimeDependentBidding"]


class TimeDependentBidding(BiddingStrategy):
    """Concede along ``target(t) = max - (max - min) (k + (1 - k) t^(1/e))`` (Faratin et al. 1998).

    ``max`` is the party's best utility and ``min`` the largest of its reservation value, its
    worst utility and ``floor`` (never above ``max``); ``k`` is the share conceded at once. The
    bid is the least valuable deal worth at least the target, as in
    :class:`~detente.negotiation.strategies.TimeDependent`; with an opponent model that has
    seen an offer and ``band > 0``, it is instead the deal the model values most for the other
    side among those worth between the target and ``target + band`` (at most ``window`` of
    them, the least valuable to the party first).

    Args:
        e: the concession exponent (``e < 1``: Boulware, ``e > 1``: Conceder).
        floor: the least utility the party ever aims at.
        k: the share of the range conceded at time 0.
        band: width of the utility band the opponent model chooses in (0: no choice).
        window: the most deals scored per bid.
    """

    def __init__(
        self, e: float, *, floor: float = 0.0, k: float = 0.0, band: float = 0.0, window: int = 64
    ) -> None:
        if not e > 0 or not 0.0 <= k <= 1.0 or band < 0 or window < 1:
            raise DetenteError(
                "time-dependent bidding needs e > 0, 0 <= k <= 1, band >= 0 and window >= 1",
                field="strategies",
            )
        self.e, self.floor, self.k, self.band, self.window = e, floor, k, band, window

    def setup(self) -> None:
        """Read the party's best and lowest utilities."""
        view = self.view
        self.best = view.best
        lowest = float(view.sorted_utility[0]) if view.order.size else 0.0
        self.worst = min(max(view.reservation, lowest, self.floor), self.best)
        self.walks = not view.order.size or self.best < view.reservation

    def target(self, time: float) -> float:
        """``max - (max - min) (k + (1 - k) t^(1/e))``."""
        share = self.k + (1.0 - self.k) * time ** (1.0 / self.e)
        return float(self.best - (self.best - self.worst) * share)

    def bid(self, time: float) -> int:
        """The least valuable deal worth the target, or the model's choice in the band."""
        if self.walks:
            return -1
        view = self.view
        target = self.target(time)
        first = min(view.at_least(target), view.order.size - 1)
        model = self.owner.model
        if self.band <= 0 or model is None or not model.observed:
            return int(view.order[first])
        stop = min(view.at_least(target + self.band), first + self.window)
        candidates = view.order[first : max(stop, first + 1)]
        return int(candidates[int(np.argmax(model.estimate(candidates)))])
