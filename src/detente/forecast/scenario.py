"""Forecast a negotiation scenario and report it as a deal in the scenario's own terms.

:func:`forecast_scenario` places the scenario on 0-100 lines (:mod:`detente.forecast.placement`),
runs every model, maps each model's forecast on each dimension back to the **nearest option**
(ties: the option the parties value most in sum, then the one listed first) and values that deal
for every party: utility, margin over its reservation value, and whether the deal is in the ZOPA.
Where the models' deals part, :mod:`detente.forecast.disagreement` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from defusedxml import ElementTree

from detente.display import HTMLRepr
from detente.errors import DetenteError, FormatError
from detente.forecast.disagreement import DimensionGap, disagreements, model_notes
from detente.forecast.evaluate import MODELS
from detente.forecast.inputs import Stakeholders, builtin_stakeholder_names, load_stakeholders
from detente.forecast.placement import Placement, place
from detente.forecast.result import JSON_DECIMALS, Forecast, forecast_json
from detente.scenario import builtin_names, load_scenario
from detente.scenario.model import OptionValue, Scenario
from detente.space import ACCEPT_TOLERANCE, OutcomeSpace

__all__ = [
    "ForecastDeal",
    "ScenarioForecast",
    "forecast_scenario",
    "load_forecast_input",
    "nearest_options",
    "scenario_forecast_json",
]


@dataclass(frozen=True, eq=False)
class ForecastDeal:
    """One model's forecast as a deal of the scenario.

    Attributes:
        model: the model's name.
        deal: ``{issue: option}``, each dimension's forecast mapped to the nearest option.
        options: the deal's option positions, shape ``(n_issues,)``.
        positions: the model's forecast per dimension on 0-100 (before mapping).
        utilities: ``{party: utility of the deal}``.
        margins: ``{party: utility - reservation value}``.
        acceptable: ``{party: whether the party accepts}`` (utility at least its reservation
            value, within the ZOPA's tolerance, and no red line crossed).
        in_zopa: whether every party accepts the deal.
    """

    model: str
    deal: dict[str, OptionValue]
    options: np.ndarray
    positions: np.ndarray
    utilities: dict[str, float]
    margins: dict[str, float]
    acceptable: dict[str, bool]
    in_zopa: bool


@dataclass(frozen=True, eq=False)
class ScenarioForecast(HTMLRepr):
    """Every model's forecast of a scenario, as positions and as deals, and why they differ.

    Attributes:
        scenario: the scenario's name.
        model: the model reported first (:attr:`deal` and friends read its forecast).
        placement: how the issues and parties were placed on the 0-100 lines.
        forecasts: every model's :class:`~detente.forecast.result.Forecast`, by name.
        deals: every model's :class:`ForecastDeal`, by name.
        disagreements: the dimensions on which the models' forecasts part, with their reasons.
        assumptions: per model, what it assumes and the facts of its run behind every
            dimension (:func:`~detente.forecast.disagreement.model_notes`).
    """

    scenario: str
    model: str
    placement: Placement
    forecasts: dict[str, Forecast]
    deals: dict[str, ForecastDeal]
    disagreements: tuple[DimensionGap, ...]
    assumptions: dict[str, str]

    @property
    def forecast(self) -> Forecast:
        """The main model's forecast (positions, challenges, turns)."""
        return self.forecasts[self.model]

    @property
    def primary(self) -> ForecastDeal:
        """The main model's deal, with utilities and margins."""
        return self.deals[self.model]

    @property
    def deal(self) -> dict[str, OptionValue]:
        """The main model's forecast deal ``{issue: option}``."""
        return self.primary.deal

    @property
    def utilities(self) -> dict[str, float]:
        """Every party's utility of the main model's deal."""
        return self.primary.utilities

    @property
    def margins(self) -> dict[str, float]:
        """Every party's margin over its reservation value in the main model's deal."""
        return self.primary.margins

    @property
    def in_zopa(self) -> bool:
        """Whether every party accepts the main model's deal."""
        return self.primary.in_zopa


def nearest_options(space: OutcomeSpace, placement: Placement, positions: np.ndarray) -> np.ndarray:
    """Per issue, the option whose place is nearest ``positions[i]`` (0-100).

    Ties go to the option with the largest sum of the parties' weighted values, then to the one
    listed first; both keys ignore which end of the line is 0.
    """
    out = np.empty(space.n_issues, dtype=np.int64)
    for i, line in enumerate(placement.lines):  # a loop over issues, not outcomes
        distance = np.abs(line.positions - positions[i])
        nearest = np.isclose(distance, distance.min(), rtol=0.0, atol=1e-9)
        value = space.tables[:, i, : len(line.positions)].sum(axis=0)
        out[i] = int(np.argmax(np.where(nearest, value, -np.inf)))
    return out


def _deal(
    space: OutcomeSpace, model: str, options: np.ndarray, positions: np.ndarray
) -> ForecastDeal:
    utilities = space.utilities_of_options(options[None, :])[0]
    ok = (utilities >= space.reservation - ACCEPT_TOLERANCE) & space.acceptable_options(
        options[None, :]
    )[0]
    names = space.party_names
    return ForecastDeal(
        model=model,
        deal=space.deal(options),
        options=options,
        positions=positions,
        utilities=dict(zip(names, utilities.tolist(), strict=True)),
        margins=dict(zip(names, (utilities - space.reservation).tolist(), strict=True)),
        acceptable=dict(zip(names, ok.tolist(), strict=True)),
        in_zopa=bool(space.in_zopa_options(options[None, :])[0]),
    )


def forecast_scenario(
    space_or_scenario: OutcomeSpace | Scenario,
    *,
    model: str = "smp",
    seed: int | None = None,  # noqa: ARG001 - same call as the other lenses; the models are deterministic
    progress: Callable[[int, int], None] | None = None,
) -> ScenarioForecast:
    """Forecast a scenario with every model; report ``model``'s forecast first.

    Args:
        space_or_scenario: the scenario, or its outcome space.
        model: ``"smp"``, ``"bdm"`` or ``"compromise"``: the model :attr:`ScenarioForecast.deal`
            reads.
        seed: accepted so that every lens is called alike; every forecast model is
            deterministic, so the result is the same for any seed.
        progress: called with ``(done, planned)`` in thousandths of one model's run per
            model, as each model's turns pass (see :func:`run_smp`); it changes nothing in
            the forecast (an exception it raises stops it).

    Raises:
        DetenteError: ``model`` is not one of :data:`~detente.forecast.evaluate.MODELS`.
        UnsupportedError: a party's preferences are rule-based.
        StakeholderError: the scenario has fewer than two parties.
    """
    if model not in MODELS:
        raise DetenteError(f"unknown model {model!r} (choose {', '.join(MODELS)})", field="model")
    space = (
        space_or_scenario
        if isinstance(space_or_scenario, OutcomeSpace)
        else OutcomeSpace.from_scenario(space_or_scenario)
    )
    placement = place(space)
    forecasts = {
        name: run(
            placement.stakeholders,
            progress=None if progress is None else partial(_scaled, progress, k, len(MODELS)),
        )
        for k, (name, run) in enumerate(MODELS.items())
    }
    deals = {
        name: _deal(space, name, nearest_options(space, placement, f.outcome), f.outcome)
        for name, f in forecasts.items()
    }
    return ScenarioForecast(
        scenario=space.scenario.name,
        model=model,
        placement=placement,
        forecasts=forecasts,
        deals=deals,
        disagreements=disagreements(
            placement.stakeholders,
            forecasts,
            {name: d.deal for name, d in deals.items()},
        ),
        assumptions=model_notes(forecasts),
    )


#: Units of progress per model in :func:`forecast_scenario` (thousandths of one model's run).
_PER_MODEL = 1000


def _scaled(
    progress: Callable[[int, int], None], model: int, models: int, done: int, planned: int
) -> None:
    """Report model number ``model``'s ``done`` of ``planned`` as a share of all the models."""
    share = _PER_MODEL * done // planned if planned > 0 else _PER_MODEL
    progress(model * _PER_MODEL + share, models * _PER_MODEL)


# -- input: stakeholder data or a scenario ---------------------------------------------------


def _is_ktab_xml(path: Path) -> bool:
    """Whether an XML file is KTAB's (root ``<Scenario>``) rather than GENIUS's."""
    try:
        return bool(ElementTree.fromstring(path.read_bytes()).tag == "Scenario")
    except Exception:  # noqa: BLE001 - unreadable or malformed: the scenario reader says why
        return False


def _is_stakeholder_yaml(path: Path) -> bool:
    """Whether a YAML file is a stakeholder file (``actors``) rather than a scenario."""
    try:
        raw = yaml.safe_load(path.read_bytes())
    except (OSError, yaml.YAMLError):  # the scenario reader reports it with its line
        return False
    return isinstance(raw, dict) and "actors" in raw and "parties" not in raw


def load_forecast_input(spec: str | Path) -> Stakeholders | Scenario:
    """Read what ``detente forecast`` accepts: stakeholder data or any negotiation scenario.

    KTAB's ``.csv`` and ``.xml`` (root ``<Scenario>``) and native stakeholder YAML (with
    ``actors``) give :class:`~detente.forecast.inputs.Stakeholders`; a native scenario
    (``.yaml``/``.yml``/``.json``), a GENIUS ``.xml`` or folder, a GeniusWeb file or folder, or a
    built-in scenario name give a :class:`~detente.scenario.model.Scenario`. A bare name is a
    built-in scenario first, then a built-in stakeholder file.

    Raises:
        FormatError: the path does not exist or its format is unknown or malformed.
        ScenarioError, StakeholderError: the content is not valid.
    """
    path = Path(spec)
    if not path.exists():
        name = str(spec)
        if name in builtin_names():
            return load_scenario(name)
        if name in builtin_stakeholder_names() or path.suffix.lower() == ".csv":
            return load_stakeholders(name)  # a missing .csv: the reader says it cannot read it
        raise FormatError(
            "no such file, folder or built-in (scenarios: "
            f"{', '.join(builtin_names())}; stakeholder files: "
            f"{', '.join(builtin_stakeholder_names())})",
            source=name,
        )
    suffix = path.suffix.lower()
    if path.is_file() and (
        suffix == ".csv"
        or (suffix == ".xml" and _is_ktab_xml(path))
        or (suffix in {".yaml", ".yml"} and _is_stakeholder_yaml(path))
    ):
        return load_stakeholders(path)
    return load_scenario(path)


# -- JSON ------------------------------------------------------------------------------------


def _round(value: float) -> float:
    return round(float(value), JSON_DECIMALS)


def _deal_json(deal: ForecastDeal, dimensions: tuple[str, ...]) -> dict[str, Any]:
    return {
        "outcome": {d: _round(x) for d, x in zip(dimensions, deal.positions, strict=True)},
        "deal": deal.deal,
        "utilities": deal.utilities,
        "margins": deal.margins,
        "acceptable": deal.acceptable,
        "in_zopa": deal.in_zopa,
    }


def scenario_forecast_json(result: ScenarioForecast) -> dict[str, Any]:
    """The ``--json`` contract of ``detente forecast SCENARIO``.

    The main model's forecast as :func:`~detente.forecast.result.forecast_json` gives it, plus
    the deal (``deal``, ``utilities``, ``margins``, ``acceptable``, ``in_zopa``), the placement of
    every option (``placement``) and party (``clout``), every model's deal (``models``) and the
    dimensions on which they disagree (``disagreements``).
    """
    scenario = result.placement
    data = scenario.stakeholders
    dims = data.dimensions
    primary = result.primary
    return forecast_json(result.forecast) | {
        "scenario": result.scenario,
        "deal": primary.deal,
        "utilities": primary.utilities,
        "margins": primary.margins,
        "acceptable": primary.acceptable,
        "in_zopa": primary.in_zopa,
        "placement": {
            line.issue: {
                "rule": line.rule,
                "fit": line.fit,
                "positions": {
                    str(o): _round(x) for o, x in zip(line.options, line.positions, strict=True)
                },
            }
            for line in scenario.lines
        },
        "clout": {
            actor: {"value": float(c), "declared": declared}
            for actor, c, declared in zip(
                data.actors, data.capability, scenario.clout_declared, strict=True
            )
        },
        "models": {name: _deal_json(d, dims) for name, d in result.deals.items()},
        "assumptions": result.assumptions,
        "disagreements": [asdict(gap) for gap in result.disagreements],
    }
