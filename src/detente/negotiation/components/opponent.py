"""Opponent models: what the other side is estimated to want, learnt from its offers.

The frequency model (van Krimpen, Looije & Hajizadeh 2013, the model of HardHeaded; Baarslag et
al. 2016 survey it under "frequency models") estimates the other side's utility of a deal as an
additive function: an option's value is how often the other side offered it, divided by the
count of the issue's most offered option; an issue's weight grows by ``learning_rate`` each
time the other side leaves the issue unchanged between two consecutive offers (an issue it
cares about is one it does not give up), starting from 1, normalised to sum 1.
"""

from __future__ import annotations

import numpy as np

from detente.negotiation._arena import Arena

__all__ = ["FrequencyOpponentModel", "OpponentModel"]


class OpponentModel:
    """The estimated utility, to the other side(s), of any deal.

    :meth:`reset` starts a session; :meth:`update` learns from every offer received;
    :meth:`estimate` scores candidate deals (flat indices) in [0, 1].
    """

    def reset(self, arena: Arena, party: int) -> None:
        """Start a session on ``arena`` as ``party`` (forgets every earlier session)."""
        self.arena = arena
        self.party = party

    def update(self, time: float, offer: int, proposer: int) -> None:
        """Learn from ``offer``, made by ``proposer`` at relative ``time``."""

    def estimate(self, deals: np.ndarray) -> np.ndarray:
        """The estimated utility of each deal of ``deals`` to the other side."""
        raise NotImplementedError

    @property
    def observed(self) -> int:
        """Offers learnt from so far."""
        return 0


class FrequencyOpponentModel(OpponentModel):
    """The frequency model of HardHeaded: option counts and weights of unchanged issues.

    Args:
        learning_rate: what an issue's weight gains each time it stays unchanged between two
            consecutive offers (the initial weights are 1).
    """

    def __init__(self, learning_rate: float = 1.0) -> None:
        self.learning_rate = learning_rate

    def reset(self, arena: Arena, party: int) -> None:
        """No option counted, equal issue weights."""
        super().reset(arena, party)
        space = arena.space
        self._flat = arena.flat_options()
        self._options = arena.options()
        self._counts = np.zeros((space.n_issues, int(space.cardinalities.max())))
        self._unchanged = np.ones(space.n_issues)
        self._previous: np.ndarray | None = None
        self._cols = np.arange(space.n_issues)
        self._weighted: np.ndarray | None = None
        self._seen = 0

    def update(self, time: float, offer: int, proposer: int) -> None:
        """Count the offer's options and which issues stayed unchanged."""
        row = self._options[offer].astype(np.int64)
        self._counts[self._cols, row] += 1.0
        if self._previous is not None:
            self._unchanged += self.learning_rate * (row == self._previous)
        self._previous = row
        self._weighted = None
        self._seen += 1

    @property
    def observed(self) -> int:
        """Offers counted so far."""
        return self._seen

    def weights(self) -> np.ndarray:
        """``(n_issues,)`` estimated issue weights (sum 1)."""
        weights: np.ndarray = self._unchanged / self._unchanged.sum()
        return weights

    def values(self) -> np.ndarray:
        """``(n_issues, max_options)`` estimated option values (each issue's most offered: 1)."""
        peak = self._counts.max(axis=1, keepdims=True)
        return self._counts / np.where(peak > 0, peak, 1.0)

    def estimate(self, deals: np.ndarray) -> np.ndarray:
        """``sum_i weight_i value_i(option_i)`` of each deal (summed issue by issue)."""
        if self._weighted is None:
            self._weighted = (self.values() * self.weights()[:, None]).ravel()
        values = self._weighted[self._flat[deals]].T
        total: np.ndarray = values[0] + 0.0
        for row in values[1:]:
            total += row
        return total
