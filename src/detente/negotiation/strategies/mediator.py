"""The single-negotiating-text mediator (the broker's method of Camp David, 1978)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.negotiation._arena import Arena
from detente.negotiation.strategies._base import Mediator, register

__all__ = ["SingleText"]

#: Cost added for each red line of another party that a change would cross.
RED_LINE_COST = 10.0


@register
class SingleText(Mediator):
    """Drafts one text and revises it toward the change that costs the others least.

    The first draft takes the middle option of every issue. Each round, every party that does
    not accept names the single change it needs most; the mediator applies the request whose
    cost to the other parties (the sum of their utility losses, plus a large penalty for each
    red line crossed) is least, ties going to the larger gain of the requester, then to the
    lower party. It reads every party's utilities (the parties' stated positions).
    """

    name: ClassVar[str] = "single-text"
    family: ClassVar[str] = "mediator"
    source: ClassVar[str] = (
        "Raiffa (1982), The Art and Science of Negotiation, ch. 14 (single negotiating text); "
        "Fisher & Ury (1981), Getting to Yes"
    )

    def reset(
        self,
        arena: Arena,
        party: int,
        rng: np.random.Generator | np.random.SeedSequence,
        discounts: tuple[float, ...],
        turns: int | None = None,
    ) -> None:
        """Start a session (a mediator has no party of its own; ``party`` is ignored)."""
        self.arena = arena
        self.rng = rng
        self.discounts = discounts
        self.turns = turns

    def first_text(self) -> np.ndarray:
        """The middle option of every issue."""
        return np.asarray(self.arena.space.cardinalities // 2, dtype=np.int64)

    def revise(self, text: np.ndarray, requests: list[tuple[int, int] | None]) -> np.ndarray:
        """Apply the request that costs the other parties least (see the class docstring)."""
        asked = [(q, change) for q, change in enumerate(requests) if change is not None]
        if not asked:
            return text
        space = self.arena.space
        rows = np.vstack([text[None, :], np.repeat(text[None, :], len(asked), axis=0)])
        for k, (_, (issue, option)) in enumerate(asked, start=1):
            rows[k, issue] = option
        utility = space.utilities_of_options(rows)
        crossings = (~space.allowed[:, np.arange(space.n_issues), rows]).sum(axis=2).T
        parties = np.array([q for q, _ in asked])
        loss = np.clip(utility[0] - utility[1:], 0.0, None) + RED_LINE_COST * np.clip(
            crossings[1:] - crossings[0], 0, None
        )
        own = np.zeros_like(loss, dtype=bool)
        own[np.arange(len(asked)), parties] = True
        cost = np.where(own, 0.0, loss).sum(axis=1)
        gain = utility[np.arange(1, len(asked) + 1), parties] - utility[0, parties]
        best = int(np.lexsort((parties, -gain, cost))[0])
        return np.asarray(rows[best + 1])
