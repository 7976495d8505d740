"""Reference classes: the scenario's context picks the population, every output names it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from detente.cli import app
from detente.durability import (
    apply_contexts,
    default_parameters,
    reference_class,
    run,
    scenario_contexts,
    simulate,
)
from detente.durability.calibration import load_targets
from detente.durability.reference import (
    MODEL_BAND,
    SIMULATION_BAND,
    fitted_effects,
    with_model_uncertainty,
)
from detente.durability.results import wilson_band
from detente.errors import DetenteError
from detente.scenario import ScenarioContext, builtin_names, load_scenario
from detente.scenario.formats.native import dump_native, load_native
from detente.space import OutcomeSpace

runner = CliRunner()
FITTED = Path(__file__).resolve().parents[2] / "src" / "detente" / "precedents" / "fitted.json"
#: The days of the ETH/PRIO Kaplan-Meier figures shipped in calibration.yaml.
DAYS = (30, 90, 365, 1825)


def _ongoing_target() -> dict[int, float]:
    target = next(c for c in load_targets().contexts if c.context == "ongoing")
    return {p.day: 1.0 - p.failed for p in target.points}


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_names_its_reference_class(name: str) -> None:
    args = ["durability", name, "--paths", "200", "--days", "30"]
    data = json.loads(runner.invoke(app, [*args, "--json"]).output)
    scenario = load_scenario(name)
    expected = reference_class(scenario_contexts(scenario.context), scenario.context)
    assert data["reference_class"] == expected.to_dict()
    assert data["reference"].startswith(f"Reference class: {expected.label}")
    text = runner.invoke(app, args).output
    assert "Reference class:" in text


def test_ceasefire_2025_is_an_ongoing_interstate_war_in_the_nearest_class() -> None:
    scenario = load_scenario("ceasefire-2025")
    assert (scenario.context.war, scenario.context.conflict) == ("ongoing", "interstate")
    found = reference_class(scenario_contexts(scenario.context), scenario.context)
    assert found.name == "ethprio-during-war"
    assert found.fitted
    assert "nearest class" in found.note


@pytest.mark.parametrize(
    ("war", "conflict", "given", "contexts", "name"),
    [
        ("ended", "civil", [], [], "fortna-civil"),
        ("ended", "interstate", [], ["interstate"], "fortna-interstate"),
        ("ongoing", "civil", [], ["ongoing"], "ethprio-during-war"),
        ("ongoing", "civil", ["truce"], ["ongoing", "truce"], "ethprio-during-war"),
        # a war preset given by name overrides the scenario's
        ("ongoing", "interstate", ["civil"], ["civil"], "fortna-civil"),
        ("ended", "civil", ["interstate-war"], ["interstate-war"], "fortna-interstate"),
    ],
)
def test_the_context_maps_to_its_class(
    war: str, conflict: str, given: list[str], contexts: list[str], name: str
) -> None:
    context = ScenarioContext.model_validate({"war": war, "conflict": conflict})
    names = scenario_contexts(context, given)
    assert names == contexts
    found = reference_class(names, context)
    assert found.name == name
    assert bool(found.note) == (name == "ethprio-during-war" and conflict == "interstate")
    assert scenario_contexts(None, given) == given


def test_the_context_field_is_validated_documented_and_round_trips(tmp_path: Path) -> None:
    assert ScenarioContext() == ScenarioContext(war="ended", conflict="civil")  # the default
    with pytest.raises(ValidationError, match="war"):
        ScenarioContext.model_validate({"war": "paused"})
    scenario = load_scenario("ceasefire-2025")
    path = tmp_path / "s.yaml"
    path.write_text(dump_native(scenario), encoding="utf-8")
    assert load_native(path).context == scenario.context
    bad = path.read_text(encoding="utf-8").replace("conflict: interstate", "conflict: border")
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DetenteError, match="context"):
        load_native(path)
    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "docs/reference/scenario.schema.json").read_text()
    )
    assert set(schema["$defs"]["ScenarioContext"]["properties"]) >= {"war", "conflict"}


def test_the_shipped_kaplan_meier_figures_agree_with_the_shipped_fit() -> None:
    """The figures in calibration.yaml against the Cox fit's average ceasefire, independently.

    ``exp(-H0(t))`` at the covariate means is the fit's survival of the average ceasefire,
    which the docs show within 0.02 of the Kaplan-Meier curve of the same data.
    """
    fitted = json.loads(FITTED.read_text(encoding="utf-8"))
    times = np.asarray(fitted["times"])
    cum = np.asarray(fitted["cumulative_hazard"])
    target = _ongoing_target()
    for day in DAYS:
        model = float(np.exp(-cum[np.searchsorted(times, day, side="right") - 1]))
        assert target[day] == pytest.approx(model, abs=0.02), day


def test_the_during_war_class_reproduces_the_kaplan_meier_figures() -> None:
    """The calibrated baseline in the ``ongoing`` context: within 0.04 at every figure."""
    result = simulate(
        apply_contexts(default_parameters(), ["ongoing"]), paths=4000, days=1825, rng=11
    )
    for day, holding in _ongoing_target().items():
        assert result.holding_at(day) == pytest.approx(holding, abs=0.04), day


@pytest.fixture(scope="module")
def space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))


def test_model_uncertainty_widens_the_band(space: OutcomeSpace) -> None:
    answer = run(space, "nash", paths=2000, days=365, seed=4)
    assert answer.band == MODEL_BAND
    result = answer.result
    # the simulation's own band, computed independently, lies inside the widened one
    wilson = wilson_band(np.asarray(result.survival), result.paths)
    assert np.all(np.asarray(result.lower) <= wilson[0] + 1e-12)
    assert np.all(np.asarray(result.upper) >= wilson[1] - 1e-12)
    width = np.asarray(result.upper) - np.asarray(result.lower)
    assert width[364] > (wilson[1] - wilson[0])[364] + 0.02
    assert answer.to_dict()["band"] == MODEL_BAND
    assert answer.to_dict()["reference_class"]["fitted"] is True  # type: ignore[index]
    # a class without a fitted model keeps the simulation band
    plain = run(space, "nash", contexts=["civil"], paths=2000, days=365, seed=4)
    assert plain.band == SIMULATION_BAND
    again = wilson_band(np.asarray(plain.result.survival), plain.result.paths)
    assert np.allclose(plain.result.lower, again[0])
    assert np.allclose(plain.result.upper, again[1])


def test_the_model_band_follows_proportional_hazards(space: OutcomeSpace) -> None:
    """A deal whose covariates sit at the mean has no model uncertainty; one away from it has."""
    answer = run(space, "nash", contexts=["civil"], paths=500, days=60, seed=2)
    widened = with_model_uncertainty(answer.result, rng=1)
    assert widened.survival == answer.result.survival
    assert np.all(np.asarray(widened.lower) <= np.asarray(answer.result.lower))
    # the bound at a day is a quantile of lower ** risk over the draws: brute force on one day
    fitted = json.loads(FITTED.read_text(encoding="utf-8"))
    beta = np.asarray(fitted["coefficients"])
    draws = np.random.default_rng(1).multivariate_normal(
        beta, np.asarray(fitted["covariance"]), size=2000
    )
    names = fitted["covariates"]
    offset = np.zeros(len(names))
    present = {"implementation": "monitoring" in answer.result.mechanisms}
    present["state_enforcement"] = "peacekeepers" in answer.result.mechanisms
    for covariate, has in present.items():
        j = names.index(covariate)
        offset[j] = float(has) - fitted["centre"][j]
    risk = np.exp((draws - beta) @ offset)
    day = 59
    expected = min(np.quantile(answer.result.lower[day] ** risk, 0.025), answer.result.lower[day])
    assert widened.lower[day] == pytest.approx(expected, rel=1e-12)


def test_same_seed_same_result(space: OutcomeSpace) -> None:
    first = run(space, "nash", paths=300, days=90, seed=8).to_dict()
    assert run(space, "nash", paths=300, days=90, seed=8).to_dict() == first
    assert run(space, "nash", paths=300, days=90, seed=9).to_dict()["lower"] != first["lower"]


def test_fitted_effects_name_their_source() -> None:
    effects = fitted_effects(["monitoring", "peacekeepers", "dmz"])
    assert set(effects) == {"monitoring", "peacekeepers"}
    assert effects["monitoring"] == "ETH/PRIO fit HR 1.11 (0.87-1.43, implementation)"
    assert effects["peacekeepers"] == "ETH/PRIO fit HR 1.43 (0.89-2.30, state enforcement)"


def test_the_comparison_labels_each_effect_by_its_source(space: OutcomeSpace) -> None:
    answer = run(space, "nash", compare=True, paths=200, days=60, seed=1)
    assert answer.comparison is not None
    assert answer.comparison.baseline.result == answer.result  # the widened band
    basis = {row.mechanisms: row.effect_size for row in answer.comparison.rows}
    assert basis[("peacekeepers",)] == (
        "calibrated to published figures (HR 0.45 at 1 y, HR 0.56 at 5 y); "
        "ETH/PRIO fit HR 1.43 (0.89-2.30, state enforcement), not simulated"
    )
    assert basis[("dmz",)] == "direction published, size judgement"  # not in the record
    every = next(r for r in answer.comparison.rows if len(r.mechanisms) > 1)
    assert every.effect_size.startswith("combination")
    assert "ETH/PRIO" not in every.effect_size
    plain = run(space, "nash", contexts=["civil"], compare=True, paths=200, days=60, seed=1)
    assert plain.comparison is not None
    assert all("ETH/PRIO" not in r.effect_size for r in plain.comparison.rows)


def test_analyze_and_brief_name_the_same_class(space: OutcomeSpace) -> None:
    from detente.analysis import analyze  # noqa: PLC0415 - only this test needs it
    from detente.assess import assess  # noqa: PLC0415

    assessment = assess(analyze(space), paths=200, seed=0)
    answer = run(space, "nash", paths=200, seed=0)
    assert assessment.reference == answer.reference
