"""Time-dependent concession: Boulware, Linear and Conceder, and the hard-liner.

The target utility at relative time ``t`` in [0, 1] is (Faratin, Sierra & Jennings 1998)::

    target(t) = max - (max - min) * t ** (1 / e)

with ``max`` the party's best utility and ``min`` the larger of its reservation value and its
worst utility (``Pmin`` of GENIUS and NegMAS: the curve spans the utilities the party can
actually be offered, so a reservation value below every deal does not speed concession up).
``e < 1`` concedes late (Boulware), ``e = 1`` linearly, ``e > 1`` early (Conceder). With one
other party the offer is the deal worth the least to the party among those worth at least the
target: one ``searchsorted`` in the party's sorted utilities. An offer is accepted when it is
worth at least the target.

With two or more other parties an offer must suit all of them at once, and a deal picked on
the party's own curve alone seldom does: on ``ceasefire-2025`` four such parties reach no
agreement in 100 rounds although 1,136 deals suit everyone. There (``informed = 1``, the
default) the party offers, among the deals worth at least its target, the one that leaves the
others the largest smallest margin over their reservation values, reading their stated
positions (complete information, as the ``rubinstein`` player and the single-text mediator
read them), ties going to the deal worth the least to itself. Its concession and acceptance
stay those of the curve, and its play still depends on time alone. ``informed = 0`` offers on
its own curve alone, as GENIUS's time-dependent agents do.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.errors import DetenteError
from detente.negotiation.strategies._base import Strategy, register
from detente.negotiation.timing import relative_time, round_at
from detente.space import meets

__all__ = ["Boulware", "Conceder", "HardLiner", "Linear", "TimeDependent", "concession_target"]


def concession_target(time: float, best: float, worst: float, exponent: float) -> float:
    """``best - (best - worst) * time ** (1 / exponent)`` (Faratin et al. 1998)."""
    return float(best - (best - worst) * time ** (1.0 / exponent))


class TimeDependent(Strategy):
    """Concede along ``target(t) = max - (max - min) t^(1/e)``; ``e`` is the parameter."""

    family: ClassVar[str] = "time-dependent"
    source: ClassVar[str] = (
        "Faratin, Sierra & Jennings (1998), Negotiation decision functions for autonomous "
        "agents, Robotics and Autonomous Systems 24(3-4)"
    )

    def check_parameters(self) -> None:
        """The exponent must be positive."""
        if not self.params["e"] > 0:
            raise DetenteError(f"{self.name}: e must be > 0", field="strategies")
        if self.params.get("informed", 0.0) not in {0.0, 1.0}:
            raise DetenteError(f"{self.name}: informed must be 0 or 1", field="strategies")

    def setup(self) -> None:
        """Read the best and lowest utilities; plan every turn when the deadline is known.

        With a deadline in rounds the targets of all turns are computed at once and their
        offers found with one vectorised ``searchsorted``.
        """
        view = self.view
        self._best = view.best
        lowest = float(view.sorted_utility[0]) if view.order.size else 0.0
        self._worst = min(max(view.reservation, lowest), self._best)
        self._inverse = 1.0 / self.params["e"]
        self._walk = not view.order.size or not meets(self._best, view.reservation)
        # with two or more others, offer the deal worth the target that suits them best
        self._for_others: np.ndarray | None = None
        if self.params.get("informed", 0.0) and self.arena.utilities.shape[1] > 2:
            self._for_others = self.arena.best_for_others(view.party)
        self._plan: tuple[list[float], list[int]] | None = None
        self._planned: tuple[np.ndarray, np.ndarray] | None = None
        if self.turns is not None and not self._walk:
            times = relative_time(np.arange(self.turns), self.turns)
            targets = self.target_array(times)
            positions = np.minimum(view.sorted_utility.searchsorted(targets), view.order.size - 1)
            if self._for_others is not None:
                positions = self._for_others[positions]
            offers = view.order[positions]
            self._planned = (offers, targets)
            self._plan = (targets.tolist(), offers.tolist())
            self._rounds = self.turns

    def plan_arrays(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The offers and targets of every round (see :meth:`Strategy.plan_arrays`).

        ``None`` with a deadline in seconds, or when a subclass reacts to the session.
        """
        if self.turns is None or not self.plays_as(TimeDependent, "target"):
            return None
        if self._planned is None:  # walks away at its first turn, accepts nothing
            return np.full(self.turns, -1, dtype=np.int64), np.full(self.turns, np.inf)
        return self._planned

    def target(self, time: float) -> float:
        """The utility the party asks for at relative ``time``."""
        if self._plan is not None:
            return self._plan[0][round_at(time, self._rounds)]
        return float(self._best - (self._best - self._worst) * time**self._inverse)

    def target_array(self, times: np.ndarray) -> np.ndarray:
        """:meth:`target` of many times at once.

        Powers are taken with Python's ``math`` rather than numpy's vectorised ``power``,
        whose last bit may depend on the CPU's SIMD path: the same plan on every worker.
        """
        span = self._best - self._worst
        inverse = self._inverse
        best = self._best
        return np.array([best - span * t**inverse for t in times.tolist()])

    def propose(self, time: float) -> int:
        """The least valuable deal worth at least the target; -1 when none beats walking away.

        With two or more others, the deal worth at least the target that suits them best (see
        the module docstring).
        """
        if self._walk:
            return -1
        if self._plan is not None:
            return self._plan[1][round_at(time, self._rounds)]
        view = self.view
        k = min(view.at_least(self.target(time)), view.order.size - 1)
        if self._for_others is not None:
            k = int(self._for_others[k])
        return int(view.order[k])

    def accepts(self, time: float, offer: int) -> bool:
        """Accept an offer worth at least the current target (:func:`~detente.space.meets`)."""
        return meets(float(self.view.utility[offer]), self.target(time))


@register
class Boulware(TimeDependent):
    """Concede late: holds near its best until close to the deadline (e = 0.2)."""

    name: ClassVar[str] = "boulware"
    parameters: ClassVar[dict[str, float]] = {"e": 0.2, "informed": 1.0}


@register
class Linear(TimeDependent):
    """Concede at a constant rate from best to reservation value (e = 1)."""

    name: ClassVar[str] = "linear"
    parameters: ClassVar[dict[str, float]] = {"e": 1.0, "informed": 1.0}


@register
class Conceder(TimeDependent):
    """Concede early, then hold (e = 2)."""

    name: ClassVar[str] = "conceder"
    parameters: ClassVar[dict[str, float]] = {"e": 2.0, "informed": 1.0}


@register
class HardLiner(Strategy):
    """Always offers its best deal and accepts nothing less (the limit e -> 0)."""

    name: ClassVar[str] = "hardliner"
    family: ClassVar[str] = "time-dependent"
    source: ClassVar[str] = "Faratin, Sierra & Jennings (1998), the limit e -> 0"

    def propose(self, time: float) -> int:
        """The party's best deal; -1 when even that is below its reservation value."""
        view = self.view
        if not view.order.size or not meets(view.best, view.reservation):
            return -1
        return int(view.order[-1])

    def accepts(self, time: float, offer: int) -> bool:
        """Accept only a deal as good as its best."""
        return meets(float(self.view.utility[offer]), self.view.best)

    def plan_arrays(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Its best deal and its best utility in every round (see :meth:`Strategy.plan_arrays`)."""
        if self.turns is None or not self.plays_as(HardLiner):
            return None
        offers = np.full(self.turns, self.propose(0.0), dtype=np.int64)
        return offers, np.full(self.turns, self.view.best)
