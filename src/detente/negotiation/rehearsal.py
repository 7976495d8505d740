"""A rehearsal of the talks: one session with every party of the scenario seated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.negotiation.protocols import Progress, negotiate
from detente.negotiation.seating import StrategyChoice
from detente.negotiation.trace import Trace
from detente.space import OutcomeSpace

__all__ = ["Rehearsal", "rehearse"]


@dataclass(frozen=True)
class Rehearsal:
    """How the talks went when every party sat at the table.

    Attributes:
        agreement: ``{issue: option}`` of the deal agreed, or ``None``.
        rounds: the rounds played.
        strategies: ``{party: strategy spec}`` for every party of the scenario.
        roles: ``{party: role}``.
        result: ``"agreement"``, ``"walk-away"``, ``"deadline"`` or ``"impasse"``.
        utilities: each party's payoff (its utility of the agreement, else its reservation
            value).
        protocol: the protocol played.
        chair: the party that chaired the single text, else ``None``.
        trace: the session, offer by offer.
    """

    agreement: dict[str, Any] | None
    rounds: int
    strategies: dict[str, str]
    roles: dict[str, str]
    result: str
    utilities: dict[str, float]
    protocol: str
    chair: str | None
    trace: Trace

    def summary(self) -> dict[str, Any]:
        """``{"agreement": {issue: option} | None, "rounds": n, "strategies": {party: name}}``."""
        return {
            "agreement": self.agreement,
            "rounds": self.rounds,
            "strategies": dict(self.strategies),
        }


def rehearse(
    space: OutcomeSpace,
    strategies: StrategyChoice = None,
    *,
    protocol: str = "alternating",
    deadline: int = 100,
    seed: int | np.random.Generator | None = 0,
    progress: Progress | None = None,
) -> Rehearsal:
    """Rehearse the talks on ``space`` with every party seated.

    Args:
        space: the scenario's outcome space.
        strategies: ``None`` (each role's default, see
            :data:`~detente.negotiation.seating.ROLE_DEFAULTS`), a list cycled over the
            parties, or a mapping from party names and roles to strategies.
        protocol: ``"alternating"`` or ``"single-text"`` (the scenario's mediator chairs).
        deadline: the deadline in rounds.
        seed: the root seed (same seed, same rehearsal).
        progress: called with ``(rounds played, deadline)`` as the talks advance (see
            :func:`~detente.negotiation.protocols.negotiate`).

    Raises:
        DetenteError: bad strategies, protocol or deadline (see :func:`negotiate`).
    """
    trace = negotiate(
        space, strategies, protocol=protocol, rounds=deadline, seed=seed, progress=progress
    )
    return Rehearsal(
        agreement=trace.agreement_deal,
        rounds=trace.rounds,
        strategies=dict(zip(trace.parties, trace.strategies, strict=True)),
        roles=dict(zip(trace.parties, trace.roles, strict=True)),
        result=trace.result,
        utilities=dict(zip(trace.parties, trace.final_utilities, strict=True)),
        protocol=trace.protocol,
        chair=trace.chair,
        trace=trace,
    )
