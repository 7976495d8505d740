"""Context presets (kind of war, era, how it ended, agreement type); the commitment problem."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from detente.cli import app
from detente.durability import default_parameters, simulate
from detente.durability.calibration import CalibrationReport, load_targets, verify
from detente.durability.contexts import ContextEffect, Dimension, apply_contexts, load_contexts
from detente.durability.parameters import ParameterError, validate_parameters
from detente.durability.simulate import Constants

from .conftest import build, quiet


@pytest.fixture(scope="module")
def report() -> CalibrationReport:
    return verify(paths=4000)


def _model(report: CalibrationReport, target: str, day: int) -> float:
    return next(c.model for c in report.checks if c.target == target and c.day == day)


# --- context presets: data and application -------------------------------------------------


def test_every_dimension_has_presets_with_sources() -> None:
    contexts = load_contexts()
    assert {c.dimension for c in contexts} == set(Dimension)
    for context in contexts:
        assert context.source.strip()
        assert context.what.strip()
    targets = load_targets()
    calibrated = {c.name for c in contexts if "calibrated" in c.what}
    assert calibrated == {t.context for t in targets.contexts}


def test_contexts_change_the_documented_numbers_in_a_fixed_order() -> None:
    base = default_parameters()
    first = base.parties[0]
    params = apply_contexts(base, ["Definitive", "government_victory"])
    assert params.contexts == ("victory", "definitive")
    party = params.parties[0]
    assert party.alternative == pytest.approx(first.alternative - 0.15 - 0.02)
    assert party.incident_rate == 0.0
    assert party.drift == pytest.approx(first.drift + 0.00008)
    assert params.false_report_rate == pytest.approx(base.false_report_rate * 0.25)
    truce = apply_contexts(base, ["coh", "truce", "post-1989"])
    assert truce.contexts == ("post-1989", "truce", "cessation")
    assert truce.parties[1].incident_rate == pytest.approx(first.incident_rate * 2.0 * 2.8 * 1.3)
    assert apply_contexts(base, []).contexts == ()
    assert apply_contexts(base, ["truce", "truce"]).contexts == ("truce",)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["truce", "victory"], "both of dimension 'ending'"),
        (["preliminary", "cessation"], "both of dimension 'agreement'"),
        (["armistice"], "unknown context 'armistice'"),
    ],
)
def test_bad_contexts_are_refused(names: list[str], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        apply_contexts(default_parameters(), names)


@pytest.mark.parametrize(
    ("effect", "message"),
    [
        ({"field": "trust_gain", "op": "add", "value": 0.1}, "unknown parameter 'trust_gain'"),
        ({"field": "drift", "op": "scale", "value": -1.0}, "must not be negative"),
    ],
)
def test_bad_context_effects_are_refused(effect: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ContextEffect.model_validate(effect)


def test_contexts_apply_once() -> None:
    once = apply_contexts(default_parameters(), ["truce"])
    with pytest.raises(ParameterError, match="already applied"):
        apply_contexts(once, ["definitive"])


# --- context presets: calibration ------------------------------------------------------------


def test_context_targets_are_met(report: CalibrationReport) -> None:
    checks = [c for c in report.checks if c.target.startswith("context ") or " vs " in c.target]
    assert len(checks) == 18
    failing = [c for c in checks if not c.ok]
    assert not failing, failing


@pytest.mark.parametrize("day", [365, 1826])
def test_endings_are_ordered_truce_settlement_victory(report: CalibrationReport, day: int) -> None:
    truce = _model(report, "context truce", day)
    settlement = _model(report, "context settlement", day)
    victory = _model(report, "context victory", day)
    assert truce > settlement + 0.1 > victory + 0.1


def test_interstate_cease_fires_fail_almost_half_by_ten_years(report: CalibrationReport) -> None:
    # Fortna (2003, 2004): "almost half" were followed by renewed war (read at 10 years)
    check = next(c for c in report.checks if c.target == "context interstate")
    assert (check.day, check.expected) == (3652, 0.45)
    assert 0.38 <= check.model <= 0.5
    # fewer unordered incidents: fewer early failures than civil-war cease-fires
    assert _model(report, "context interstate", 3652) > 0.38
    early = simulate(apply_contexts(default_parameters(), ["interstate"]), paths=4000, days=90)
    civil = _model(report, "fortna-civil", 90)
    assert 1 - early.holding_at(90) < civil
    both = apply_contexts(default_parameters(), ["post-1989", "interstate", "truce"])
    assert both.contexts == ("interstate", "post-1989", "truce")  # war applies first


def test_post_1989_failures_come_early(report: CalibrationReport) -> None:
    median = _model(report, "context post-1989 median failed day", 1826)
    assert abs(median - 239) <= 60
    assert _model(report, "context post-1989", 365) > _model(report, "fortna-civil", 365)


def test_fortna_relative_risks(report: CalibrationReport) -> None:
    victory = _model(report, "victory vs truce hazard ratio", 1826)
    settlement = _model(report, "settlement vs truce hazard ratio", 1826)
    assert victory <= 0.15  # a clear victory cuts the risk by 85% or more
    assert 0.25 <= settlement <= 0.6  # a peace agreement by about 60%
    # independently: the same ratio from the two runs' survival curves
    params = default_parameters()
    runs = {
        name: simulate(apply_contexts(params, [name]), paths=4000, days=1826, rng=20_250_311)
        for name in ("truce", "settlement")
    }
    expected = math.log(runs["settlement"].holding_at(1826)) / math.log(
        runs["truce"].holding_at(1826)
    )
    assert settlement == pytest.approx(expected)


def test_agreement_types_are_ordered(report: CalibrationReport) -> None:
    # Clayton & Sticher: definitive outlasts preliminary, which outlasts a bare cessation
    assert _model(report, "preliminary vs cessation hazard ratio", 365) < 0.97
    assert _model(report, "definitive vs preliminary hazard ratio", 365) < 0.97
    params = default_parameters()
    held = [
        simulate(apply_contexts(params, [name]), paths=3000, days=1826, rng=4).holding_at(1826)
        for name in ("cessation", "preliminary", "definitive")
    ]
    assert held[0] < held[1] < held[2]


# --- the commitment problem -------------------------------------------------------------------


def _first_breaking_day(delta: float, day: int, patience: float, surplus: float) -> int | None:
    """Brute force over days: the first ``t < day`` with ``delta patience^(day - t) > surplus``."""
    for t in range(1, day):
        if delta * patience ** (day - t) > surplus:
            return t
    return None


@pytest.mark.parametrize(
    ("delta", "day", "patience"),
    [(0.5, 200, 0.99), (0.3, 400, 0.995), (0.25, 60, 0.999), (1.0, 30, 1.0)],
)
def test_a_side_facing_a_sharp_drop_in_power_fights_first(
    delta: float, day: int, patience: float
) -> None:
    # quiet(): deal 0.7 against 0.5, full trust, nothing random: the surplus is 0.2
    raw = quiet()
    raw["parties"][0] |= {"power_shift": delta, "power_shift_day": day, "patience": patience}
    result = simulate(build(raw), paths=500, days=day + 100, rng=1)
    expected = _first_breaking_day(delta, day, patience, 0.2)
    assert expected is not None
    assert expected < day  # before the shift, never after
    survival = np.asarray(result.survival)
    if expected > 1:
        assert survival[expected - 2] == 1.0
    assert survival[expected - 1] == 0.0
    assert result.causes["defection: p0"] == 1.0


@pytest.mark.parametrize(("delta", "day"), [(0.0, 100), (0.19, 100), (0.5, 0)])
def test_with_stable_power_or_a_small_shift_no_side_ever_breaks(delta: float, day: int) -> None:
    raw = quiet()
    for party in raw["parties"]:
        party |= {"power_shift": delta, "power_shift_day": day, "patience": 1.0}
    result = simulate(build(raw), paths=500, days=400, rng=1)
    assert result.final == 1.0
    assert result.collapses == 0


def test_the_shift_premium_equation() -> None:
    raw = quiet()
    raw["parties"][1] |= {"power_shift": 0.4, "power_shift_day": 10, "patience": 0.9}
    premium = Constants.of(build(raw)).shift_premium(15)
    t = np.arange(1, 16)
    expected = np.where(t < 10, 0.4 * 0.9 ** (10 - t), 0.0)
    np.testing.assert_allclose(premium[:, 1], expected)
    np.testing.assert_array_equal(premium[:, 0], 0.0)


def test_a_coming_shift_lowers_survival_under_the_calibrated_model() -> None:
    base = default_parameters()
    raw = base.model_dump()
    raw["parties"][0].update(power_shift=0.08, power_shift_day=365)
    shifted = validate_parameters(raw)
    before = simulate(base, paths=3000, days=365, rng=2)
    after = simulate(shifted, paths=3000, days=365, rng=2)
    assert after.holding_at(364) < before.holding_at(364)
    assert after.causes["defection: A"] > before.causes["defection: A"]


# --- command line -----------------------------------------------------------------------------


def test_cli_context_option_and_list() -> None:
    runner = CliRunner()
    args = ["durability", "ceasefire-2025", "--paths", "2000", "--days", "365", "--json"]
    plain = json.loads(runner.invoke(app, args).output)
    truce = json.loads(runner.invoke(app, [*args, "--context", "truce"]).output)
    victory = json.loads(runner.invoke(app, [*args, "--context", "victory,definitive"]).output)
    # the scenario's war context (ongoing) comes first, the others after it
    assert plain["contexts"] == ["ongoing"]
    assert truce["contexts"] == ["ongoing", "truce"]
    assert victory["contexts"] == ["ongoing", "victory", "definitive"]
    assert truce["survival"][-1] < plain["survival"][-1] < victory["survival"][-1]
    out = runner.invoke(app, ["durability", "ceasefire-2025", "--list-contexts"]).output
    assert "cessation" in out
    assert "definitive" in out
    text = runner.invoke(app, [*args[:-1], "--context", "settlement"]).output
    assert "Context: ongoing, settlement" in text
    bad = runner.invoke(app, [*args, "--context", "truce,victory"])
    assert bad.exit_code == 2
    assert "choose one" in bad.output
    assert "Traceback" not in bad.output


def test_cli_power_shift() -> None:
    runner = CliRunner()
    args = ["durability", "ceasefire-2025", "--paths", "1000", "--days", "200", "--json"]
    plain = json.loads(runner.invoke(app, args).output)
    shifted = json.loads(runner.invoke(app, [*args, "--power-shift", "Russia=0.5@150"]).output)
    assert shifted["survival"][-1] == 0.0 < plain["survival"][-1]
    assert shifted["causes"]["defection: Russia"] == 1.0
    for bad in ("Atlantis=0.1@10", "Russia=lots@10", "Russia=0.1", "Russia=-1@10"):
        out = runner.invoke(app, [*args, "--power-shift", bad])
        assert out.exit_code == 2, bad
        assert "power" in out.output, out.output
        assert "Traceback" not in out.output
