"""Why the forecast models disagree: what each assumes, and which actors pull them apart.

Every model's forecast on a dimension is the same weighted mean of the actors' *final* positions
(weights ``c_i s_ik``, :func:`~detente.forecast.smp.weighted_outcome`), so the gap between two
models splits exactly into one term per actor: ``w_ik (x^a_ik - x^b_ik)``, the actor's weight
times the difference of where it ends under each model. :func:`disagreements` reports, for each
dimension on which the models' deals differ (or their forecasts lie :data:`DISAGREEMENT_GAP` or
more apart), that split for the two models farthest apart, and per model what it did on this
dimension (who moved, who held, the offers accepted), computed from the runs;
:func:`model_notes` says once per model what it assumes, with the facts of its run that shape
every dimension (SMP's risk attitudes, the expected-utility model's offers).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from detente.analysis.wording import party_name, verb
from detente.forecast.inputs import Stakeholders
from detente.forecast.result import ONE_POINT, Forecast
from detente.scenario.model import OptionValue

__all__ = [
    "ASSUMPTIONS",
    "DISAGREEMENT_GAP",
    "MOVED",
    "ActorPull",
    "DimensionGap",
    "disagreements",
    "model_notes",
]

#: Forecasts this far apart (0-100) count as a disagreement even when they map to one option.
DISAGREEMENT_GAP = 10.0
#: An actor whose position changes less than this (0-100) on a dimension held its ground.
MOVED = 1.0
#: What each model assumes about how actors move: the mechanism behind its numbers.
ASSUMPTIONS: dict[str, str] = {
    "smp": "actors challenge one another on every dimension at once, third parties vote "
    "Condorcet-style on each challenge with their risk attitudes, and the two sides meet at a "
    "salience-weighted bargain",
    "bdm": "one dimension at a time, an actor accepts an offer backed by an expected-utility "
    "challenge and moves all the way to the proposer (confrontation, capitulation) or part-way "
    "(the compromise rule)",
    "compromise": "nobody bargains: the forecast is the capability x salience weighted mean of "
    "the opening positions",
}


@dataclass(frozen=True)
class ActorPull:
    """One actor's share of the gap between two models on one dimension.

    Attributes:
        actor: the actor.
        weight: its share of the dimension's weight (capability x salience), in [0, 1].
        high: where it ends under the model with the higher forecast (0-100).
        low: where it ends under the model with the lower forecast.
        points: ``weight * (high - low)``: its part of the gap; the parts add up to the gap.
    """

    actor: str
    weight: float
    high: float
    low: float
    points: float


@dataclass(frozen=True)
class DimensionGap:
    """A dimension on which the models disagree, and why.

    Attributes:
        dimension: the dimension (issue).
        outcomes: every model's forecast on 0-100.
        options: every model's option (the forecast mapped to the nearest option).
        high: the model with the highest forecast.
        low: the model with the lowest forecast.
        gap: ``outcomes[high] - outcomes[low]``.
        pulls: every actor's part of the gap, the largest (in absolute value) first.
        reasons: per model, what it did on this dimension (who moved, who held, the offers
            accepted, where the actors meet), from its run.
        summary: one sentence: the gap and the actors that make most of it.
    """

    dimension: str
    outcomes: dict[str, float]
    options: dict[str, OptionValue]
    high: str
    low: str
    gap: float
    pulls: tuple[ActorPull, ...]
    reasons: dict[str, str]
    summary: str


def _weights(data: Stakeholders) -> np.ndarray:
    """Normalised weights per actor and dimension, as :func:`weighted_outcome` uses them."""
    w = data.capability[:, None] * data.salience
    w = np.where(w.sum(axis=0, keepdims=True) > 0, w, data.capability[:, None])
    return np.asarray(w / w.sum(axis=0, keepdims=True))


def _names(actors: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``, with articles where the names take one."""
    named = [party_name(a) for a in actors]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def _movement(result: Forecast, k: int) -> str:
    start, final = result.history[0, :, k], result.final[:, k]
    change = final - start
    order = np.argsort(-np.abs(change), kind="stable")
    movers = [
        f"{party_name(result.actors[i])} moved {start[i]:.1f} → {final[i]:.1f}"
        for i in order[:2]
        if abs(change[i]) >= MOVED
    ]
    if not movers:
        return "nobody moved"
    held = [result.actors[i] for i in range(len(change)) if abs(change[i]) < MOVED]
    return ", ".join(movers) + (f"; {_names(held)} held" if held else "; everyone moved")


def _evidence(result: Forecast, weights: np.ndarray, k: int) -> str:
    """What ``result``'s model did on dimension ``k``, in words, from the run."""
    if result.model == "compromise" or not result.iterations:
        i = int(np.argmax(weights[:, k]))
        actor = result.actors[i]
        return (
            f"{party_name(actor)} {verb(actor, 'carries', 'carry')} the largest weight "
            f"({weights[i, k]:.0%}) at {result.history[0, i, k]:.1f}"
        )
    parts = [_movement(result, k)]
    kinds = Counter(c.kind for c in result.challenges if c.dimension == result.dimensions[k])
    if kinds:  # the expected-utility model's accepted offers (SMP's span every dimension)
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        parts.append(f"offers accepted: {listed}")
    if result.one_point[k]:
        at = float(result.final[0, k])
        owners = [
            a
            for a, x in zip(result.actors, result.history[0, :, k], strict=True)
            if abs(x - at) < ONE_POINT
        ]
        whose = f", the opening position of {_names(owners)}" if owners else ""
        parts.append(f"every actor ends at {at:.1f}{whose}")
    return "; ".join(parts)


def model_notes(forecasts: dict[str, Forecast]) -> dict[str, str]:
    """Per model, what it assumes and, from its run, the facts that shape every dimension.

    SMP: its turns and the range of the risk attitudes (turn 1) that weigh every vote; the
    expected-utility model: its rounds and the offers accepted, by kind.
    """
    notes = {}
    for name, result in forecasts.items():
        facts = []
        if result.iterations:
            facts.append(f"{result.iterations} {'rounds' if name == 'bdm' else 'turns'}")
        if name == "smp" and result.risk.shape[0]:
            risk = result.risk[0]
            hi, lo = int(np.argmax(risk)), int(np.argmin(risk))
            facts.append(
                f"risk attitudes from {party_name(result.actors[hi])} ({risk[hi]:+.2f}, the most "
                f"risk-accepting) to {party_name(result.actors[lo])} ({risk[lo]:+.2f})"
            )
        kinds = Counter(c.kind for c in result.challenges if c.dimension is not None)
        if kinds:
            facts.append(
                "offers accepted: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            )
        assumption = ASSUMPTIONS.get(name, name)
        notes[name] = assumption + (f" (here: {'; '.join(facts)})" if facts else "")
    return notes


def _summary(gap: DimensionGap) -> str:
    head = (
        f"{gap.dimension}: {gap.high} forecasts {gap.outcomes[gap.high]:.1f} "
        f"({gap.options[gap.high]}), {gap.low} {gap.outcomes[gap.low]:.1f} "
        f"({gap.options[gap.low]}), {gap.gap:.1f} points apart"
    )
    top = [p for p in gap.pulls[:2] if abs(p.points) >= 0.05]
    if not top:
        return head + "."
    parts = [
        f"{party_name(p.actor)} {verb(p.actor, 'accounts', 'account')} for {p.points:+.1f} "
        f"(at {p.high:.1f} under {gap.high}, "
        f"{p.low:.1f} under {gap.low}; weight {p.weight:.0%})"
        for p in top
    ]
    return f"{head}; " + "; ".join(parts) + "."


def disagreements(
    data: Stakeholders,
    forecasts: dict[str, Forecast],
    deals: dict[str, dict[str, OptionValue]],
) -> tuple[DimensionGap, ...]:
    """The dimensions on which the models disagree, each with its split and reasons.

    Args:
        data: the stakeholder data every model ran on.
        forecasts: every model's forecast, by model name.
        deals: every model's deal ``{dimension: option}``, by model name.
    """
    weights = _weights(data)
    names = list(forecasts)
    out = []
    for k, dimension in enumerate(data.dimensions):
        outcomes = {m: float(forecasts[m].outcome[k]) for m in names}
        options = {m: deals[m][dimension] for m in names}
        high = max(names, key=lambda m: outcomes[m])
        low = min(names, key=lambda m: outcomes[m])
        gap = outcomes[high] - outcomes[low]
        if len(set(map(str, options.values()))) == 1 and gap < DISAGREEMENT_GAP:
            continue
        x_high, x_low = forecasts[high].final[:, k], forecasts[low].final[:, k]
        points = weights[:, k] * (x_high - x_low)
        pulls = tuple(
            ActorPull(
                actor=data.actors[i],
                weight=float(weights[i, k]),
                high=float(x_high[i]),
                low=float(x_low[i]),
                points=float(points[i]),
            )
            for i in np.argsort(-np.abs(points), kind="stable")
        )
        reasons = {m: _evidence(forecasts[m], weights, k) for m in names}
        found = DimensionGap(dimension, outcomes, options, high, low, gap, pulls, reasons, "")
        out.append(replace(found, summary=_summary(found)))
    return tuple(out)
