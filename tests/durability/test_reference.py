"""Reference classes: the scenario's context picks the population, every output names it."""

from __future__ import annotations

import json
from dataclasses import replace
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
from detente.durability.mechanisms import apply_mechanisms, load_mechanisms, resolve_mechanism
from detente.durability.reference import (
    COVARIATE_OF,
    FITTED_SOURCE,
    MODEL_BAND,
    SIMULATION_BAND,
    fitted_effects,
    fitted_mechanisms,
    informative,
    record_covariates,
    record_estimates,
    record_model,
    record_presets,
    with_record_effects,
)
from detente.durability.results import DurabilityResult, wilson_band
from detente.errors import DetenteError
from detente.piecewise import reweight
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
    survival, lower, upper = (np.asarray(v) for v in (result.survival, result.lower, result.upper))
    assert np.all(lower <= survival)
    assert np.all(survival <= upper)
    # wider than the simulation's own band would be, computed independently
    wilson = wilson_band(survival, result.paths)
    assert (upper - lower)[364] > (wilson[1] - wilson[0])[364] + 0.02
    assert answer.to_dict()["band"] == MODEL_BAND
    assert answer.to_dict()["reference_class"]["fitted"] is True  # type: ignore[index]
    # a class without a fitted model keeps the simulation band
    plain = run(space, "nash", contexts=["civil"], paths=2000, days=365, seed=4)
    assert plain.band == SIMULATION_BAND
    again = wilson_band(np.asarray(plain.result.survival), plain.result.paths)
    assert np.allclose(plain.result.lower, again[0])
    assert np.allclose(plain.result.upper, again[1])


@pytest.fixture(scope="module")
def population() -> DurabilityResult:
    """The calibration's reference deal in the during-war class: the record's population."""
    return simulate(apply_contexts(default_parameters(), ["ongoing"]), paths=4000, rng=11)


PROFILES = [
    ((), ()),
    ((), ("written",)),
    (("monitoring",), ("written", "bilateral")),
    (("monitoring", "commission", "hotline"), ("written", "bilateral", "mediated")),
    (("peacekeepers",), ("written", "multilateral", "mediated")),
]


@pytest.mark.parametrize(("mechanisms", "terms"), PROFILES)
def test_the_fitted_effects_reproduce_the_fitted_model(
    population: DurabilityResult, mechanisms: tuple[str, ...], terms: tuple[str, ...]
) -> None:
    """The simulated population, bent by a profile's fitted effects, is the model's curve of it.

    In this class the record's mechanisms change nothing in the simulation (their effect is
    the fitted one), so the reference deal with them is the population's curve; the fitted
    model's survival of the same covariates lies within the band, and within 0.02 of the curve.
    """
    result = with_record_effects(replace(population, mechanisms=mechanisms), terms, rng=0)
    x = record_covariates(mechanisms, terms)
    expected = record_model().survival(x[None, :], [30, 90, 365])[0]
    for day, value in zip((30, 90, 365), expected, strict=True):
        assert result.lower[day - 1] <= value <= result.upper[day - 1], day
        assert result.holding_at(day) == pytest.approx(value, abs=0.02), day
    assert result.median_days is None or result.survival[result.median_days - 1] <= 0.5
    assert result.collapses == round(result.paths * (1 - result.final))


def test_the_record_s_mechanisms_change_nothing_in_the_simulation() -> None:
    pool = record_presets(load_mechanisms())
    params = apply_contexts(default_parameters(), ["ongoing"])
    for name in fitted_mechanisms():
        applied = apply_mechanisms(params, [name], pool)
        assert applied.model_dump(exclude={"mechanisms"}) == params.model_dump(
            exclude={"mechanisms"}
        )
        assert resolve_mechanism(name, pool).source == FITTED_SOURCE
    assert resolve_mechanism("dmz", pool) == resolve_mechanism("dmz")  # not in the record
    # coded by the record, but its fit cannot tell the effect from none: the published size
    assert resolve_mechanism("peacekeepers", pool) == resolve_mechanism("peacekeepers")


def test_only_mechanisms_the_record_tells_from_none_take_the_fitted_effect() -> None:
    ratios = record_model().hazard_ratios()
    expected = {
        name
        for name, covariate in COVARIATE_OF.items()
        if any(not low <= 1 <= high for _, low, high in ratios[covariate])
    }
    assert set(fitted_mechanisms()) == expected == {"monitoring", "commission", "hotline"}
    # outside enforcement's first-month interval is 0.95-3.61: peacekeepers keep Fortna's size
    assert not informative("state_enforcement")
    assert informative("implementation")
    shown = record_estimates(["peacekeepers", "monitoring", "dmz"])
    assert set(shown) == {"peacekeepers"}
    assert "not simulated" in shown["peacekeepers"]
    assert shown["peacekeepers"].endswith("(state enforcement)")
    with_peacekeepers = record_covariates(("peacekeepers",), ())
    assert np.array_equal(with_peacekeepers, record_covariates((), ()))


def test_the_band_by_brute_force(population: DurabilityResult) -> None:
    """The lower bound at a day: a quantile over draws of the coefficients, day by day."""
    base = replace(population, mechanisms=("monitoring",), days=60, **_cut(population, 60))
    terms = ("written", "bilateral")
    widened = with_record_effects(base, terms, rng=1)
    model = record_model()
    x = record_covariates(base.mechanisms, terms)
    ratios = model.period_ratios(x[None, :], 60)[0]
    beta = model.beta()
    draws = np.random.default_rng(1).multivariate_normal(
        beta.ravel(), np.asarray(model.covariance), size=2000
    )
    lower = np.asarray(base.lower)
    values = []
    for b in draws.reshape(2000, *beta.shape):
        r = [ratios[k] * np.exp((x - model.at_risk_means[k]) @ (b[k] - beta[k])) for k in range(3)]
        hazard, previous = 0.0, 0.0
        for day in range(1, 60):  # to day 59
            step = -np.log(lower[day - 1]) - previous
            previous = -np.log(lower[day - 1])
            hazard += r[0 if day <= 30 else 1] * step
        values.append(np.exp(-hazard))
    point = reweight(lower, ratios, model.breaks)[58]
    expected = min(np.quantile(values, 0.025), point, widened.survival[58])
    assert widened.lower[58] == pytest.approx(expected, rel=1e-9)


def _cut(result: DurabilityResult, days: int) -> dict[str, tuple[float, ...]]:
    return {k: getattr(result, k)[:days] for k in ("survival", "lower", "upper")}


def test_same_seed_same_result(space: OutcomeSpace) -> None:
    first = run(space, "nash", paths=300, days=90, seed=8).to_dict()
    assert run(space, "nash", paths=300, days=90, seed=8).to_dict() == first
    assert run(space, "nash", paths=300, days=90, seed=9).to_dict()["lower"] != first["lower"]


def test_fitted_effects_name_their_source() -> None:
    effects = fitted_effects(["monitoring", "peacekeepers", "dmz"])
    assert set(effects) == {"monitoring"}
    assert effects["monitoring"] == (
        "fitted (ETH/PRIO CF, period-specific): HR 0.69 (0.45-1.03) 0-30 d, "
        "1.53 (0.86-2.71) 31-90 d, 1.73 (1.13-2.66) after 90 d (implementation)"
    )


def test_the_comparison_labels_each_effect_by_its_source(space: OutcomeSpace) -> None:
    answer = run(space, "nash", compare=True, paths=200, days=60, seed=1)
    assert answer.comparison is not None
    assert answer.comparison.baseline.result == answer.result
    basis = {row.mechanisms: row.effect_size for row in answer.comparison.rows}
    assert basis[("hotline",)] == fitted_effects(["hotline"])["hotline"]
    assert basis[("peacekeepers",)].endswith(record_estimates(["peacekeepers"])["peacekeepers"])
    assert basis[("dmz",)] == "direction published, size judgement"  # not in the record
    every = next(r for r in answer.comparison.rows if len(r.mechanisms) > 1)
    assert every.effect_size.startswith("combination")
    # each row is its simulation bent by its own profile, against the bent baseline
    row = next(r for r in answer.comparison.rows if r.mechanisms == ("peacekeepers",))
    assert row.holding == row.result.holding_at(60)
    assert row.change == pytest.approx(row.holding - answer.result.holding_at(60))
    plain = run(space, "nash", contexts=["civil"], compare=True, paths=200, days=60, seed=1)
    assert plain.comparison is not None
    assert all("ETH/PRIO" not in r.effect_size for r in plain.comparison.rows)
    assert dict(plain.comparison.rows[0].result.causes)  # the causes keep their shares


def test_analyze_and_brief_name_the_same_class(space: OutcomeSpace) -> None:
    from detente.analysis import analyze  # noqa: PLC0415 - only this test needs it
    from detente.assess import assess  # noqa: PLC0415

    assessment = assess(analyze(space), paths=200, seed=0)
    answer = run(space, "nash", paths=200, seed=0)
    assert assessment.reference == answer.reference
