"""Report credibility (false reports) and win-stay lose-shift in the simulation kernel."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.durability import apply_mechanisms, default_parameters, simulate
from detente.durability.results import SPIRAL
from detente.durability.simulate import Constants, credibility
from tests.durability.conftest import build, quiet

p01 = st.floats(0.0, 1.0, allow_nan=False)


@given(v=p01, a=p01, f=st.floats(1e-6, 1.0))
@settings(max_examples=200, deadline=None)
def test_credibility_is_bayes_rule(v: float, a: float, f: float) -> None:
    expected = a * v / (a * v + f * (1 - v)) if a * v + f * (1 - v) > 0 else 1.0
    assert float(credibility(v, a, f)) == pytest.approx(expected, abs=1e-12)
    assert float(credibility(v, a, 0.0)) == 1.0  # without false reports every report counts


def test_credibility_falls_with_false_reports_and_rises_with_attribution() -> None:
    f = np.array([0.0, 0.001, 0.01, 0.1])
    low, high = credibility(0.2, 0.3, f), credibility(0.2, 0.8, f)
    assert (np.diff(low) < 0).all()
    assert (high[1:] > low[1:]).all()
    # a = 0.6, v = 0.5, f = 0.004: 0.3 / (0.3 + 0.002)
    assert float(credibility(0.5, 0.6, 0.004)) == pytest.approx(0.3 / 0.302)


def test_monitors_clear_false_reports_before_they_reach_a_party() -> None:
    base = default_parameters().replace_parties(false_reports=0.02)
    monitored = apply_mechanisms(base, ["monitoring"])
    c0, c1 = Constants.of(base), Constants.of(monitored)
    assert c0.false_reports == pytest.approx(0.02 * (1 - 0.5 * (1 - 0.3)))
    assert c1.false_reports == pytest.approx(0.02 * (1 - 0.9 * (1 - 0.05)))
    assert c1.report_hit > c0.report_hit


def test_false_reports_lower_survival_and_monitors_recover_part_of_it() -> None:
    base = default_parameters()
    noisy = base.replace_parties(false_reports=0.02)
    run = {"paths": 8000, "days": 365, "rng": 11}
    clean, doubted = simulate(base, **run).final, simulate(noisy, **run).final
    assert doubted < clean - 0.03
    with_monitors = simulate(apply_mechanisms(base, ["monitoring"]), **run).final
    doubted_monitored = simulate(apply_mechanisms(noisy, ["monitoring"]), **run).final
    assert doubted_monitored > doubted
    assert clean - doubted > with_monitors - doubted_monitored > 0


def test_without_false_reports_the_kernel_is_unchanged() -> None:
    base = default_parameters()
    same = base.replace_parties(false_reports=0.0)
    assert simulate(base, paths=2000, days=200, rng=5) == simulate(
        same, paths=2000, days=200, rng=5
    )


@pytest.mark.parametrize("lam", [0.004, 0.008])
def test_win_stay_lose_shift_ends_an_echo_after_two_days(lam: float) -> None:
    # a lone incident: the victim answers twice (it "won" the first day), the other once, then
    # both stop. With threshold 2 the first incident still ends it, as under tit-for-tat:
    # S(t) = (1 - lam)^(2 (t - 2)), up to incidents on both fronts the same day (lam^2).
    paths, days = 20_000, 120
    raw = quiet(2, escalation_threshold=2)
    result = simulate(
        build(raw, incident_rate=lam, policy="wsls", trust_prior=0.0), paths=paths, days=days, rng=3
    )
    t = np.arange(1, days + 1)
    expected = (1 - lam) ** (2 * np.clip(t - 2, 0, None))
    tolerance = 4.5 * np.sqrt(expected * (1 - expected) / paths) + lam**2 * t + 1e-9
    assert (np.abs(np.array(result.survival) - expected) <= tolerance).all()
    assert result.causes[SPIRAL] == 1.0
    # with threshold 3 a lone incident never ends it; tit-for-tat's echo always does
    raw = quiet(2, escalation_threshold=3)
    wsls = simulate(
        build(raw, incident_rate=lam, policy="wsls", trust_prior=0.0), paths=paths, days=days, rng=3
    )
    tft = simulate(
        build(raw, incident_rate=lam, policy="tft", trust_prior=0.0), paths=paths, days=days, rng=3
    )
    assert wsls.final > 0.97
    assert tft.final < (1 - lam) ** (2 * (days - 3)) + 0.02
