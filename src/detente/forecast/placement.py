"""From a negotiation scenario to stakeholder data: issues become dimensions, parties actors.

The forecast models need every actor's position and salience on each dimension, on 0-100, and its
capability. A scenario gives options and each party's values of them, so each issue's options are
placed on a 0-100 line by one rule (``docs/explanation/forecast.md``, "Forecast from a scenario"):

* **declared**: the options carry a ``position`` (every option of the issue, or none);
* **numeric**: an integer or real issue keeps its own scale, ``low`` at 0 and ``high`` at 100;
* **axis**: otherwise the options are placed along the main axis of the parties' disagreement,
  the first principal component of the option x party table of weighted values ``w_p v_p(o)``,
  rescaled to 0-100, oriented so that the first party whose values vary along the axis prefers the
  low end; options the parties value alike land close together;
* **order**: if every party values every option of the issue alike, the options are spaced evenly
  in the order the scenario lists them.

A party's position is the place of its best option (the mean place of its best options when it
has several), its salience 100 times its normalised weight of the issue, and its capability its
``clout``, by default :data:`DEFAULT_CLOUT` of its role.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.errors import UnsupportedError
from detente.forecast.inputs import StakeholderError, Stakeholders
from detente.scenario.model import (
    AdditivePreferences,
    NumericIssue,
    OptionValue,
    Role,
    normalized_weights,
)
from detente.space import OutcomeSpace

__all__ = ["DEFAULT_CLOUT", "IssueLine", "Placement", "place"]

#: Capability of a party without a declared ``clout``, by role. Belligerents decide whether the
#: guns fall silent, so they carry full weight; a mediator or guarantor sways the terms through
#: what it offers or withholds, at half that weight; any other party (every GENIUS negotiator)
#: counts as a full party. Only ratios matter to the models.
DEFAULT_CLOUT: dict[Role, float] = {
    Role.BELLIGERENT: 100.0,
    Role.MEDIATOR: 50.0,
    Role.GUARANTOR: 50.0,
    Role.OTHER: 100.0,
}
#: A principal axis whose singular value is below this carries no disagreement (values alike).
_FLAT = 1e-12


@dataclass(frozen=True, eq=False)
class IssueLine:
    """Where one issue's options lie on the 0-100 line, and by which rule.

    Attributes:
        issue: the issue's name.
        rule: ``"declared"``, ``"numeric"``, ``"axis"`` or ``"order"`` (module docstring).
        positions: place of each option, in the issue's order, shape ``(n_options,)``.
        options: the options (names, or grid values of a numeric issue), in the same order.
        labels: their readable labels.
        fit: share of the variance of the parties' weighted values along the line (1 when one
            line says everything; ``None`` for declared and numeric lines, which are not fitted).
    """

    issue: str
    rule: str
    positions: np.ndarray
    options: tuple[OptionValue, ...]
    labels: tuple[str, ...]
    fit: float | None = None


@dataclass(frozen=True, eq=False)
class Placement:
    """The scenario as stakeholder data, with the lines that placed each issue's options.

    Attributes:
        stakeholders: actors (the parties), dimensions (the issues), positions, saliences and
            capabilities, ready for any forecast model.
        lines: one :class:`IssueLine` per issue, in the scenario's order.
        clout_declared: per party, whether its capability was declared (else set by role).
    """

    stakeholders: Stakeholders
    lines: tuple[IssueLine, ...]
    clout_declared: tuple[bool, ...]


def _axis(values: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Scores of the options on the first principal axis of ``values`` (options x parties).

    Oriented so that the first party whose values vary along the axis prefers low scores; None
    when no party's values vary.
    """
    centred = values - values.mean(axis=0, keepdims=True)
    _, sigma, vt = np.linalg.svd(centred, full_matrices=False)
    if sigma.size == 0 or sigma[0] <= _FLAT * max(1.0, float(np.abs(values).max())):
        return None
    direction = vt[0]
    first = int(np.flatnonzero(np.abs(direction) > _FLAT)[0])
    if direction[first] > 0:  # the first party's values rise along the axis: turn it round
        direction = -direction
    scores = centred @ direction
    return scores, float(sigma[0] ** 2 / (sigma**2).sum())


def _rescale(scores: np.ndarray) -> np.ndarray:
    """Scores to 0-100 (they differ: centred scores on an axis with variance are not all 0)."""
    low, high = float(scores.min()), float(scores.max())
    return np.asarray((scores - low) / (high - low) * 100.0)


def _positions(space: OutcomeSpace, i: int) -> tuple[str, np.ndarray, float | None]:
    """Rule, places and fit of issue ``i``'s options (module docstring)."""
    issue = space.scenario.issues[i]
    n = int(space.cardinalities[i])
    if isinstance(issue, NumericIssue):
        span = issue.high - issue.low
        places = (issue.grid - issue.low) / span * 100.0 if span > 0 else np.full(n, 50.0)
        return "numeric", np.asarray(places, dtype=float), None
    if issue.options[0].position is not None:
        return "declared", np.array([float(o.position or 0.0) for o in issue.options]), None
    if n == 1:
        return "order", np.array([50.0]), None
    axis = _axis(space.tables[:, i, :n].T)
    if axis is None:
        return "order", np.linspace(0.0, 100.0, n), None
    scores, fit = axis
    return "axis", _rescale(scores), fit


def _line(space: OutcomeSpace, i: int) -> IssueLine:
    issue = space.scenario.issues[i]
    rule, positions, fit = _positions(space, i)
    return IssueLine(
        issue=issue.name,
        rule=rule,
        positions=positions,
        options=tuple(issue.values),
        labels=tuple(issue.labels),
        fit=fit,
    )


def _labels(space: OutcomeSpace, lines: tuple[IssueLine, ...]) -> tuple[str, ...]:
    out = []
    for issue, line in zip(space.scenario.issues, lines, strict=True):
        low = line.labels[int(np.argmin(line.positions))]
        high = line.labels[int(np.argmax(line.positions))]
        out.append(f"{issue.label or issue.name}: 0 = {low}, 100 = {high}")
    return tuple(out)


def place(space: OutcomeSpace) -> Placement:
    """Place every issue's options on a 0-100 line and every party on each line.

    Raises:
        UnsupportedError: a party's preferences are rule-based (no per-issue values to place).
        StakeholderError: the scenario has fewer than two parties.
    """
    scenario = space.scenario
    for party in scenario.parties:
        if not isinstance(party.preferences, AdditivePreferences):
            raise UnsupportedError(
                f"party {party.name!r} has rule-based preferences; the forecast models need "
                "per-issue values (linear-additive preferences)",
                source=scenario.name,
                field=f"parties.{party.name}.preferences",
            )
    if space.n_parties < 2:
        raise StakeholderError(
            "a forecast needs at least two parties", source=scenario.name, field="parties"
        )
    lines = tuple(_line(space, i) for i in range(space.n_issues))
    position = np.empty((space.n_parties, space.n_issues))
    for i, line in enumerate(lines):
        table = space.tables[:, i, : len(line.positions)]
        best = np.isclose(table, table.max(axis=1, keepdims=True), rtol=0.0, atol=1e-12)
        position[:, i] = (best * line.positions).sum(axis=1) / best.sum(axis=1)
    salience = 100.0 * np.array(
        [
            normalized_weights(p.preferences, list(space.issue_names))
            for p in scenario.parties
            if isinstance(p.preferences, AdditivePreferences)
        ]
    )
    capability = np.array([p.clout or DEFAULT_CLOUT[p.role] for p in scenario.parties])
    data = Stakeholders(
        name=scenario.name,
        actors=space.party_names,
        dimensions=space.issue_names,
        capability=capability,
        position=np.clip(position, 0.0, 100.0),
        salience=salience * (100.0 / np.maximum(salience.sum(axis=1, keepdims=True), 100.0)),
        description=scenario.title or scenario.description,
        disclaimer=scenario.disclaimer.strip(),
        dimension_labels=_labels(space, lines),
    )
    return Placement(
        stakeholders=data,
        lines=lines,
        clout_declared=tuple(p.clout is not None for p in scenario.parties),
    )
