"""Summary metrics of a session: agreement, rounds, utilities, distances, social welfare.

Distances are Euclidean in utility space: to the Nash point (the bargaining solution of
``detente.analysis``) and to the nearest point of the Pareto frontier. A session without
agreement is measured at the disagreement point (every party's reservation value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from detente.analysis import bargaining_solutions, pareto_frontier
from detente.negotiation._order import space_first
from detente.negotiation.trace import Trace
from detente.space import OutcomeSpace

__all__ = ["Benchmarks", "SessionMetrics", "benchmarks_of", "session_metrics"]


@dataclass(frozen=True, eq=False)
class Benchmarks:
    """The reference points of a scenario, computed once for many sessions.

    Attributes:
        frontier: ``(k, n_parties)`` utilities of the Pareto frontier.
        nash: ``(n_parties,)`` utilities of the Nash solution; ``None`` when the ZOPA is empty.
    """

    frontier: np.ndarray
    nash: np.ndarray | None

    def nash_distance(self, utilities: np.ndarray) -> float:
        """Distance from ``utilities`` to the Nash point (NaN without one)."""
        if self.nash is None:
            return math.nan
        return math.sqrt(
            math.fsum((float(a) - float(b)) ** 2 for a, b in zip(utilities, self.nash, strict=True))
        )

    def pareto_distance(self, utilities: np.ndarray) -> float:
        """Distance from ``utilities`` to the nearest frontier point (NaN without a frontier).

        Squares are summed party by party (element-wise, exactly rounded), so the result does
        not depend on the SIMD path or memory alignment of the machine that computes it.
        """
        if self.frontier.shape[0] == 0:
            return math.nan
        squared = np.zeros(self.frontier.shape[0])
        for p in range(self.frontier.shape[1]):
            squared += (self.frontier[:, p] - float(utilities[p])) ** 2
        return math.sqrt(float(squared.min()))


def benchmarks_of(space: OutcomeSpace) -> Benchmarks:
    """The Pareto frontier and Nash point of ``space``."""
    frontier = pareto_frontier(space)
    nash = bargaining_solutions(space, frontier)["nash"]
    point = None
    if nash.outcome is not None or nash.options is not None:
        point = np.array([nash.utilities[p] for p in space.party_names])
    return Benchmarks(frontier=frontier.utilities, nash=point)


@dataclass(frozen=True)
class SessionMetrics:
    """How a session ended, and how good its outcome is.

    Attributes:
        agreement: whether the parties agreed.
        rounds: rounds played.
        utilities: each party's payoff (discounted utility of the agreement, else reservation).
        welfare: the sum of the payoffs.
        nash_distance: distance of the payoffs to the Nash point (NaN with an empty ZOPA).
        pareto_distance: distance of the payoffs to the Pareto frontier.
        advantages: each party's payoff minus its reservation value.
        agreement_time: relative time of the accepted offer, in [0, 1] (NaN without one).
    """

    agreement: bool
    rounds: int
    utilities: dict[str, float]
    welfare: float
    nash_distance: float
    pareto_distance: float
    advantages: dict[str, float] = field(default_factory=dict)
    agreement_time: float = math.nan


def session_metrics(
    space: OutcomeSpace, trace: Trace, benchmarks: Benchmarks | None = None
) -> SessionMetrics:
    """Summary metrics of ``trace``, a session on ``space`` (``benchmarks``: computed if not given).

    The time of agreement is the relative time of the accepted offer; the advantage of a party
    is its payoff minus its reservation value. The old order ``(trace, space)`` still works,
    with a :class:`DeprecationWarning`, until the next release.
    """
    space, trace = space_first(space, trace, "session_metrics")
    if benchmarks is None:
        benchmarks = benchmarks_of(space)
    payoffs = np.array(trace.final_utilities)
    return SessionMetrics(
        agreement=trace.agreement is not None,
        rounds=trace.rounds,
        utilities=dict(zip(trace.parties, map(float, payoffs), strict=True)),
        welfare=math.fsum(trace.final_utilities),
        nash_distance=benchmarks.nash_distance(payoffs),
        pareto_distance=benchmarks.pareto_distance(payoffs),
        advantages={
            p: float(u) - float(r)
            for p, u, r in zip(trace.parties, payoffs, space.reservation, strict=True)
        },
        agreement_time=(float(trace.offer_times[-1]) if trace.agreement is not None else math.nan),
    )
