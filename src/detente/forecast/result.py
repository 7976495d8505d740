"""What every forecasting model returns: a frozen result that the renderers read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.display import HTMLRepr

__all__ = ["HOLDOUT_GAP", "JSON_DECIMALS", "ONE_POINT", "Challenge", "Forecast", "forecast_json"]

#: An actor whose final position lies farther than this (0-100 scale) from the median actor's on
#: a dimension is listed as far from where the others settle.
HOLDOUT_GAP = 10.0
#: Positions in the JSON output are rounded to this many decimals (0-100 scale): far finer than
#: any model's precision (SMP's is 0.01), coarse enough to drop floating-point noise.
JSON_DECIMALS = 10
#: Final positions that span less than this on every dimension (0-100) count as one point.
ONE_POINT = 0.05


@dataclass(frozen=True)
class Challenge:
    """One challenge (SMP) or accepted offer (expected-utility model) in one turn.

    Attributes:
        turn: the turn (1-based) in which it happened.
        challenger: the actor who challenged (SMP) or made the accepted offer (BDM).
        target: the actor challenged, or receiving the offer.
        kind: ``"challenge"`` (SMP), ``"confrontation"``, ``"compromise"`` or
            ``"capitulation"`` (expected-utility model).
        probability: probability that the challenger prevails, as the challenger sees it (BDM:
            the pairwise P of the proposer against the receiver).
        challenger_gain: the challenger's expected gain, as the challenger sees it.
        target_gain: the target's expected gain, as the challenger sees it.
        target_view_probability: the same probability as the target sees it (SMP).
        target_view_challenger_gain: the challenger's gain as the target sees it (SMP).
        target_view_target_gain: the target's gain as the target sees it (SMP).
        dimension: the dimension (expected-utility model, one dimension at a time), else None.
        challenger_offer: the bargain's new position for the challenger (0-100, per dimension;
            SMP), or None.
        target_offer: the bargain's (or accepted offer's) new position for the target.
        adopted_by_challenger: whether the challenger adopted this bargain (SMP).
        adopted_by_target: whether the target adopted it (always true for an accepted offer).
    """

    turn: int
    challenger: str
    target: str
    kind: str
    probability: float
    challenger_gain: float
    target_gain: float
    target_view_probability: float | None = None
    target_view_challenger_gain: float | None = None
    target_view_target_gain: float | None = None
    dimension: str | None = None
    challenger_offer: tuple[float, ...] | None = None
    target_offer: tuple[float, ...] | None = None
    adopted_by_challenger: bool | None = None
    adopted_by_target: bool | None = None


@dataclass(frozen=True, eq=False)
class Forecast(HTMLRepr):
    """A forecast: every actor's position at every turn, the challenges, and where it settles.

    Attributes:
        model: ``"smp"``, ``"bdm"`` or ``"compromise"``.
        name: name of the stakeholder data.
        actors: actor names.
        dimensions: dimension names.
        history: positions on 0-100, shape ``(iterations + 1, N, K)``; row 0 is the input.
        risk: risk attitude of each actor at each turn, shape ``(iterations, N)``
            (SMP: KTAB's R in [-1/2, 1]; expected-utility model: R in [-1, 1], averaged over
            dimensions).
        challenges: the challenges and bargains of every turn.
        stop_ratios: per turn, the change of positions relative to the first turn's change.
        stop_reason: why the run stopped, in words.
        outcome: the forecast per dimension on 0-100 (capability x salience weighted mean of the
            final positions).
        disclaimer: caveat carried over from the stakeholder data.
        position_probability: SMP only: probability that each actor's position prevails in each
            state, shape ``(iterations + 1, N)``; actors sharing a position share its probability.
        dimension_labels: what 0 and 100 mean on each dimension, when the data say.
    """

    model: str
    name: str
    actors: tuple[str, ...]
    dimensions: tuple[str, ...]
    history: np.ndarray
    risk: np.ndarray
    challenges: tuple[Challenge, ...]
    stop_ratios: tuple[float, ...]
    stop_reason: str
    outcome: np.ndarray
    disclaimer: str = ""
    position_probability: np.ndarray | None = None
    dimension_labels: tuple[str, ...] = ()

    @property
    def iterations(self) -> int:
        """Number of turns played."""
        return int(self.history.shape[0]) - 1

    @property
    def final(self) -> np.ndarray:
        """Final positions on 0-100, shape ``(N, K)``."""
        return np.asarray(self.history[-1])

    @property
    def median(self) -> np.ndarray:
        """The median actor's final position per dimension (0-100), beside the model's outcome.

        The outcome weighs every actor by capability x salience, so one strong holdout can pull it
        away from where most actors end; the median shows where they end.
        """
        return np.asarray(np.median(self.final, axis=0))

    @property
    def holdouts(self) -> tuple[tuple[str, ...], ...]:
        """Per dimension, the actors ending more than :data:`HOLDOUT_GAP` from the median."""
        far = np.abs(self.final - self.median[None, :]) > HOLDOUT_GAP
        return tuple(
            tuple(a for a, f in zip(self.actors, far[:, k], strict=True) if f)
            for k in range(len(self.dimensions))
        )

    @property
    def one_point(self) -> tuple[bool, ...]:
        """Per dimension, whether every actor ends at the same position (within :data:`ONE_POINT`).

        The expected-utility model often collapses a dimension this way: its offers move an actor
        all the way to another's position.
        """
        return tuple(bool(v < ONE_POINT) for v in np.ptp(self.final, axis=0))


def forecast_json(result: Forecast) -> dict[str, Any]:
    """The machine-readable form of a forecast (the ``--json`` contract of the CLI)."""
    dims = result.dimensions
    history = np.round(result.history, JSON_DECIMALS)  # drops noise such as 80.58999999999999
    risk1: list[float | None] = (
        result.risk[0].tolist() if result.risk.shape[0] else [None] * len(result.actors)
    )
    return {
        "model": result.model,
        "name": result.name,
        "iterations": result.iterations,
        "actors": list(result.actors),
        "dimensions": list(result.dimensions),
        "risk": dict(zip(result.actors, risk1, strict=True)),
        "history": {
            a: {d: history[:, i, k].tolist() for k, d in enumerate(result.dimensions)}
            for i, a in enumerate(result.actors)
        },
        "final": {
            a: {d: float(history[-1, i, k]) for k, d in enumerate(result.dimensions)}
            for i, a in enumerate(result.actors)
        },
        "outcome": dict(zip(dims, np.round(result.outcome, JSON_DECIMALS).tolist(), strict=True)),
        "median": dict(zip(dims, np.round(result.median, JSON_DECIMALS).tolist(), strict=True)),
        "holdouts": {d: list(result.holdouts[k]) for k, d in enumerate(dims)},
        "one_point": dict(zip(dims, result.one_point, strict=True)),
        "scales": dict(zip(result.dimensions, result.dimension_labels, strict=False)),
        "stop_reason": result.stop_reason,
        "stop_ratios": list(result.stop_ratios),
        "challenges": [
            {k: v for k, v in vars(c).items() if v is not None} for c in result.challenges
        ],
        "disclaimer": result.disclaimer,
    } | (
        {}
        if result.position_probability is None
        else {
            "probability": {
                a: result.position_probability[:, i].tolist() for i, a in enumerate(result.actors)
            }
        }
    )
