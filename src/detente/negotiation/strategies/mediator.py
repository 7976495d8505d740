"""The single-negotiating-text mediator (the broker's method of Camp David, 1978)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.negotiation._arena import Arena
from detente.negotiation.strategies._base import Mediator, Stream, register
from detente.space import ACCEPT_TOLERANCE

__all__ = ["SingleText"]


@register
class SingleText(Mediator):
    """Drafts one text and revises it toward the requested change that costs the others least.

    The first draft takes the middle option of every issue. Each round, every party that does
    not accept names the single change it needs most. The mediator looks at every single-issue
    change of the text (every option of every issue) and keeps the *admissible* ones: the new
    text has never been proposed before, and the new option crosses no red line of a party
    other than the one it is for. It then picks, in this order of preference:

    1. a change on the issue a party asked about that helps that party (raises its utility, or
       moves the text off one of its red lines), with any option of the issue, not only the
       one asked for;
    2. failing that, any other change that helps a requesting party (its next most needed);
    3. failing that, a concession: a change on the issue the other parties value least (the
       smallest sum of their utility spreads over its options), the option best for the
       requesting party among those that cross no party's red line.

    Within a tier the change costing the other parties least (the sum of their utility
    losses) wins, ties going to the larger gain of the requester, then to the lower party, issue
    and option. Utilities are sums of floating-point terms, so every comparison is made up to
    rounding (:data:`~detente.space.ACCEPT_TOLERANCE`): a change helps when it raises the
    utility by more than the tolerance, and costs, stakes and gains within the tolerance of the
    best tie (on paper 0.75 - 0.25 and 0.6 - 0.1 are equal; their float differences are not).
    When no admissible change remains, the mediator has no new text and the talks
    end in an impasse. The mediator reads every party's utilities (the parties' stated
    positions), as Raiffa's broker does.
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
        rng: Stream,
        discounts: tuple[float, ...],
        turns: int | None = None,
    ) -> None:
        """Start a session (a mediator has no party of its own; ``party`` is ignored)."""
        self.arena = arena
        self.rng = rng
        self.discounts = discounts
        self.turns = turns
        self._seen: set[int] = set()
        space = arena.space
        self._issues = np.repeat(np.arange(space.n_issues), space.cardinalities)
        self._options = np.concatenate([np.arange(c) for c in space.cardinalities])

    def first_text(self) -> np.ndarray:
        """The middle option of every issue."""
        return np.asarray(self.arena.space.cardinalities // 2, dtype=np.int64)

    def revise(self, text: np.ndarray, requests: list[tuple[int, int] | None]) -> np.ndarray | None:
        """The next text (see the class docstring); ``None`` when no admissible change remains."""
        space = self.arena.space
        self._seen.add(int(space.ravel(text[None, :])[0]))
        moved = self._options != text[self._issues]
        issues, options = self._issues[moved], self._options[moved]
        rows = np.repeat(text[None, :], issues.size, axis=0)
        rows[np.arange(issues.size), issues] = options
        flat = space.ravel(rows)
        fresh = np.array([int(i) not in self._seen for i in flat], dtype=bool)
        if not fresh.any():
            return None
        base = space.utilities_of_options(text[None, :])[0]
        utility = space.utilities_of_options(rows)  # (k, parties)
        allowed = space.allowed[:, issues, options].T  # (k, parties): the new option is allowed
        was_allowed = space.allowed[:, issues, text[issues]].T
        losses = np.clip(base - utility, 0.0, None)
        asked = [(q, change) for q, change in enumerate(requests) if change is not None]
        requesters = [q for q, _ in asked] or list(range(space.n_parties))
        tiers: list[list[tuple[float, float, int, int]]] = [[], [], []]  # key, gain, party, k
        for q in requesters:
            others = np.arange(space.n_parties) != q
            admissible = fresh & allowed[:, others].all(axis=1)
            helps = (allowed[:, q] & ~was_allowed[:, q]) | (
                (allowed[:, q] == was_allowed[:, q]) & (utility[:, q] > base[q] + ACCEPT_TOLERANCE)
            )
            cost = losses[:, others].sum(axis=1)
            gain = utility[:, q] - base[q]
            request = requests[q]
            on_issue = issues == request[0] if request is not None else np.zeros_like(helps)
            first = np.flatnonzero(admissible & helps & on_issue)
            second = np.flatnonzero(admissible & helps)
            for level, picks in ((0, first), (1, second)):
                tiers[level].extend((float(cost[k]), float(gain[k]), q, int(k)) for k in picks)
            stake = self._stake(issues, utility[:, others], base[others])
            third = np.flatnonzero(admissible & allowed[:, q])
            tiers[2].extend((float(stake[issues[k]]), float(gain[k]), q, int(k)) for k in third)
        for found in tiers:
            if found:
                return np.asarray(rows[_best(found)])
        return None

    def _stake(self, issues: np.ndarray, utility: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Per issue, the sum over parties of the spread of their utility over its options."""
        n_issues = self.arena.space.n_issues
        stake = np.zeros(n_issues)
        for i in range(n_issues):  # a loop over issues, not deals
            mine = np.vstack([base[None, :], utility[issues == i]])
            stake[i] = float((mine.max(axis=0) - mine.min(axis=0)).sum())
        return stake


def _best(found: list[tuple[float, float, int, int]]) -> int:
    """The row ``k`` of the best ``(key, gain, party, k)``.

    The least key wins, then the largest gain, then the lowest party and row (issue, then
    option); keys and gains within :data:`~detente.space.ACCEPT_TOLERANCE` of the best tie.
    """
    key, gain, party, row = (np.array(column) for column in zip(*found, strict=True))
    near = key <= key.min() + ACCEPT_TOLERANCE
    near &= gain >= gain[near].max() - ACCEPT_TOLERANCE
    first = np.lexsort((row[near], party[near]))[0]
    return int(row[near][first])
