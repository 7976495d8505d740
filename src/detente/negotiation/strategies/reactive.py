"""Strategies that react to the other side: tit-for-tat, frequency model, random, Rubinstein."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.errors import DetenteError
from detente.negotiation.components.opponent import FrequencyOpponentModel
from detente.negotiation.strategies._base import Strategy, register
from detente.negotiation.strategies.time_dependent import TimeDependent
from detente.space import meets

__all__ = ["FrequencyModel", "RandomBaseline", "Rubinstein", "TitForTat", "rubinstein_share"]


@register
class TitForTat(Strategy):
    """Relative tit-for-tat: concede the same share of its room as the other side just did.

    With ``u`` this party's utility of the offers received, the other side's last move closed
    the share ``c = (u(last) - u(previous)) / (max - u(previous))`` of the gap to this party's
    best. The demand then gives up the same share of its own room,
    ``target <- target - c (target - min)`` (or, after a retraction ``c < 0``, takes back
    ``target - c (max - target)``), less ``kindness * (max - min)``, clipped to ``[min, max]``;
    ``min`` is the reservation value and the first demand is the best deal. ``kindness`` is the
    small unconditional concession that lets two tit-for-tat players meet.
    """

    name: ClassVar[str] = "tit-for-tat"
    family: ClassVar[str] = "behaviour-dependent"
    source: ClassVar[str] = (
        "Faratin, Sierra & Jennings (1998), relative tit-for-tat; Baarslag et al. (2013)"
    )
    parameters: ClassVar[dict[str, float]] = {"kindness": 0.02}

    def setup(self) -> None:
        """Start by demanding the best deal."""
        self._best = self.view.best
        self._worst = min(self.view.reservation, self._best)
        self._target = self._best
        self._received: list[float] = []

    def observe(self, time: float, offer: int, proposer: int) -> None:
        """Remember what the offer is worth to this party, and reciprocate its concession."""
        value = float(self.view.utility[offer])
        self._received.append(value)
        if len(self._received) >= 2:
            previous = self._received[-2]
            gap = self._best - previous
            share = (value - previous) / gap if gap > 0 else 0.0
            target = self._target
            if share >= 0:
                target -= share * (target - self._worst)
            else:
                target -= share * (self._best - target)
            target -= self.params["kindness"] * (self._best - self._worst)
            self._target = min(max(target, self._worst), self._best)

    def propose(self, time: float) -> int:
        """The least valuable deal worth at least the current demand."""
        view = self.view
        if not view.order.size or not meets(self._best, view.reservation):
            return -1
        return int(view.order[min(view.at_least(self._target), view.order.size - 1)])

    def accepts(self, time: float, offer: int) -> bool:
        """Accept an offer worth at least the current demand."""
        return meets(float(self.view.utility[offer]), self._target)


@register
class FrequencyModel(TimeDependent):
    """Opponent modelling: a frequency model of what the other side wants.

    The target follows the time-dependent curve with exponent ``e``. Among the deals worth
    between the target and ``target + band`` to this party, it offers the one the model says
    gives the other side most. The model
    (:class:`~detente.negotiation.components.FrequencyOpponentModel`) counts how often each
    option appears in the offers received; an issue's weight grows each time the other side
    leaves it unchanged between consecutive offers (the frequency model of HardHeaded, van
    Krimpen et al. 2013).
    """

    name: ClassVar[str] = "frequency"
    family: ClassVar[str] = "opponent-modelling"
    source: ClassVar[str] = (
        "van Krimpen, Looije & Hajizadeh (2013), HardHeaded; Baarslag et al. (2016), "
        "Learning about the opponent in automated bilateral negotiation"
    )
    parameters: ClassVar[dict[str, float]] = {"e": 0.5, "band": 0.05}
    #: At most this many candidate deals are scored per offer.
    window: ClassVar[int] = 64

    def setup(self) -> None:
        """Empty model: no option counted, equal issue weights."""
        super().setup()
        self.model = FrequencyOpponentModel(learning_rate=1.0)
        self.model.reset(self.arena, self.view.party)

    def observe(self, time: float, offer: int, proposer: int) -> None:
        """Count the options of the offer and which issues stayed unchanged."""
        self.model.update(time, offer, proposer)

    def estimated(self, candidates: np.ndarray) -> np.ndarray:
        """The model's utility for the other side of each candidate deal."""
        return self.model.estimate(candidates)

    def propose(self, time: float) -> int:
        """The deal in the target band that the model values most for the other side."""
        first = super().propose(time)
        if first < 0 or not self.model.observed:
            return first
        view = self.view
        target = self.target(time)
        k = min(view.at_least(target), view.order.size - 1)
        stop = min(view.at_least(target + self.params["band"]), k + self.window)
        candidates = view.order[k : max(stop, k + 1)]
        return int(candidates[int(np.argmax(self.estimated(candidates)))])


@register
class RandomBaseline(Strategy):
    """Offers a uniformly random deal it finds acceptable; accepts with a fixed probability."""

    name: ClassVar[str] = "random"
    family: ClassVar[str] = "baseline"
    source: ClassVar[str] = "the usual baseline of ANAC tournaments (Baarslag et al. 2012)"
    parameters: ClassVar[dict[str, float]] = {"accept_probability": 0.5}

    def check_parameters(self) -> None:
        """The probability lies in [0, 1]."""
        if not 0.0 <= self.params["accept_probability"] <= 1.0:
            raise DetenteError("random: accept_probability must be in [0, 1]", field="strategies")

    def setup(self) -> None:
        """Find the deals worth at least the reservation value."""
        self._first = self.view.at_least(self.view.reservation)

    def propose(self, time: float) -> int:
        """A random deal worth at least the reservation value; -1 when there is none."""
        n = self.view.order.size
        if self._first >= n:
            return -1
        return int(self.view.order[int(self.rng.integers(self._first, n))])

    def accepts(self, time: float, offer: int) -> bool:
        """Accept with probability ``accept_probability``."""
        return bool(self.rng.random() < self.params["accept_probability"])


def rubinstein_share(own_discount: float, other_discount: float) -> float:
    """Subgame-perfect share of the first proposer: ``(1 - d2) / (1 - d1 d2)`` (Rubinstein 1982).

    Without discounting on either side the limit is one half.
    """
    denominator = 1.0 - own_discount * other_discount
    if denominator <= 0.0:
        return 0.5
    return (1.0 - other_discount) / denominator


@register
class Rubinstein(Strategy):
    """The subgame-perfect equilibrium strategy of Rubinstein's alternating-offers game.

    A party with discount ``d_i`` facing ``d_j`` asks for ``s_i = (1 - d_j) / (1 - d_i d_j)``:
    it offers its best deal among those giving every other party at least ``d_j s_j`` (what it
    would get by refusing and proposing next round), and accepts any offer worth at least
    ``d_i s_i``. It assumes complete information (it reads the other parties' utilities) and is
    exact for two parties splitting one divisible issue; elsewhere it is a benchmark heuristic.
    """

    name: ClassVar[str] = "rubinstein"
    family: ClassVar[str] = "equilibrium"
    source: ClassVar[str] = (
        "Rubinstein (1982), Perfect equilibrium in a bargaining model, Econometrica 50(1)"
    )

    def setup(self) -> None:
        """Compute the equilibrium offer once (a vectorised pass over the deals)."""
        p = self.view.party
        d_own = self.discounts[p]
        others = [q for q in range(len(self.discounts)) if q != p]
        d_other = min(self.discounts[q] for q in others)
        self._accept_at = d_own * rubinstein_share(d_own, d_other)
        need = d_other * rubinstein_share(d_other, d_own)
        utilities = self.arena.utilities
        feasible = (
            self.view.allowed
            & meets(self.view.utility, self.view.reservation)
            & meets(utilities[:, others], need).all(axis=1)
        )
        if feasible.any():
            own = np.where(feasible, self.view.utility, -np.inf)
            self._offer = int(np.argmax(own))
        elif self.view.order.size and meets(self.view.best, self.view.reservation):
            self._offer = int(self.view.order[-1])
        else:
            self._offer = -1

    def propose(self, time: float) -> int:
        """The equilibrium offer."""
        return self._offer

    def accepts(self, time: float, offer: int) -> bool:
        """Accept an offer worth at least the discounted value of proposing next round."""
        return meets(float(self.view.utility[offer]), self._accept_at)

    def plan_arrays(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The same offer and threshold in every round (see :meth:`Strategy.plan_arrays`)."""
        if self.turns is None or not self.plays_as(Rubinstein):
            return None
        offers = np.full(self.turns, self._offer, dtype=np.int64)
        return offers, np.full(self.turns, self._accept_at)
