"""Limits the model must reach exactly: closed forms, certain survival, lattice first passage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from detente.durability import simulate
from detente.durability.results import SPIRAL, defection_cause
from tests.durability.conftest import build, quiet

values = st.floats(0.0, 1.0, allow_nan=False)
small = st.floats(0.0, 0.1, allow_nan=False)


@given(
    n=st.integers(1, 4),
    deal=values,
    gap=st.floats(1e-3, 0.5),
    strike=small,
    reputation=small,
    trust=values,
    seed=st.integers(0, 2**32),
)
@settings(max_examples=15, deadline=None)
def test_no_incidents_no_drift_and_compliance_worth_more_hold_for_ever(
    *, n: int, deal: float, gap: float, strike: float, reputation: float, trust: float, seed: int
) -> None:
    # comply worth more than break even in the worst case (trust 0 doubles the first strike)
    params = build(
        quiet(n),
        deal_value=deal,
        alternative=deal - gap - 2 * strike,
        first_strike=strike,
        reputation_cost=reputation,
        trust_prior=trust,
        policy="tft",
    )
    result = simulate(params, paths=100, days=200, rng=seed)
    assert result.survival == (1.0,) * 200
    assert result.median_days is None
    assert result.collapses == 0
    assert result.median_days_to_collapse is None


@given(
    n=st.integers(1, 3),
    deal=st.floats(0.3, 1.0),
    rates=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3),
    false_reports=values,
    trust=values,
)
@settings(max_examples=25, deadline=None)
def test_incidents_without_retaliation_or_defection_never_end_it(
    n: int, deal: float, rates: list[float], false_reports: float, trust: float
) -> None:
    raw = quiet(n, false_report_rate=false_reports, escalation_threshold=1)
    for party, rate in zip(raw["parties"], rates, strict=False):
        party["incident_rate"] = rate
    # no retaliation: generous tit-for-tat that forgives everything
    params = build(raw, deal_value=deal, alternative=0.1, forgiveness=1.0, trust_prior=trust)
    assert simulate(params, paths=200, days=120, rng=2).final == 1.0
    # the same incidents answered by tit-for-tat do end it
    answered = build(raw, deal_value=deal, alternative=0.1, policy="tft", trust_prior=0.0)
    if max(rates[:n]) > 0.2 and n > 1:
        assert simulate(answered, paths=200, days=120, rng=2).final < 1.0


def _crossing_day(
    deal: float, alternative: float, drift: float, strike: float, penalty: float
) -> int:
    """First day t >= 1 with alternative + drift t + strike - penalty > deal (trust stays 1)."""
    return max(1, math.floor((deal + penalty - strike - alternative) / drift) + 1)


@given(
    n=st.integers(1, 4),
    deal=st.floats(0.2, 1.0),
    gap=st.floats(0.0, 0.3),
    drift=st.floats(5e-4, 0.02),
    strike=small,
    reputation=small,
    sanction=small,
    detection=values,
    attribution=values,
)
@settings(max_examples=30, deadline=None)
def test_deterministic_drift_collapses_on_the_closed_form_day(
    *,
    n: int,
    deal: float,
    gap: float,
    drift: float,
    strike: float,
    reputation: float,
    sanction: float,
    detection: float,
    attribution: float,
) -> None:
    alternative = deal - gap
    penalty = detection * attribution * (sanction + reputation)
    exact = (deal + penalty - strike - alternative) / drift
    assume(abs(exact - round(exact)) * drift > 1e-5)  # away from float ties
    expected = _crossing_day(deal, alternative, drift, strike, penalty)
    assume(expected <= 300)
    raw = quiet(n, detection=detection, attribution=attribution, misattribution=0.0)
    params = build(
        raw,
        deal_value=deal,
        alternative=alternative,
        drift=drift,
        first_strike=strike,
        reputation_cost=reputation,
        sanction=sanction,
    )
    result = simulate(params, paths=16, days=300, rng=0)
    survival = np.array(result.survival)
    assert (survival[: expected - 1] == 1.0).all()
    assert (survival[expected - 1 :] == 0.0).all()
    assert result.median_days == expected
    assert result.median_days_to_collapse == expected
    assert sum(result.causes[defection_cause(p)] for p in result.parties) == pytest.approx(1.0)


def test_the_party_whose_alternative_overtakes_first_is_the_cause() -> None:
    raw = quiet(2)
    raw["parties"][0].update(drift=0.001, alternative=0.5)  # crosses on day 201
    raw["parties"][1].update(drift=0.002, alternative=0.5)  # crosses on day 101
    params = build(raw)
    result = simulate(params, paths=50, days=400, rng=0)
    assert result.median_days == 101
    assert result.causes == {defection_cause("p0"): 0.0, defection_cause("p1"): 1.0, SPIRAL: 0.0}


def test_phased_terms_deliver_value_linearly() -> None:
    # deal 0.7 of which 0.3 arrives linearly over 100 days; alternative 0.55. With no trust in
    # the promise, the deal is worth 0.4 + 0.003 t on day t, which first beats 0.55 on day 51:
    # breaking wins at once. Full trust counts the promise: the deal is worth 0.7 throughout.
    for trust, alternative, holds in ((0.0, 0.55, False), (0.0, 0.39, True), (1.0, 0.69, True)):
        params = build(
            quiet(1),
            deferred_value=0.3,
            phase_in_days=100,
            alternative=alternative,
            trust_prior=trust,
        )
        result = simulate(params, paths=10, days=200, rng=0)
        assert (result.final == 1.0) is holds
        if not holds:
            assert result.median_days == 1
    # half trust: the deal is worth 0.7 - 0.15 (1 - t / 100); against 0.6 breaking wins
    params = build(
        quiet(1), deferred_value=0.3, phase_in_days=100, alternative=0.6, trust_prior=0.5
    )
    assert simulate(params, paths=10, days=200, rng=0).median_days == 1
    # the side that grants an advance (negative deferred value) counts it with certainty
    params = build(
        quiet(1), deferred_value=-0.1, phase_in_days=100, alternative=0.75, trust_prior=0.0
    )
    result = simulate(params, paths=10, days=200, rng=0)
    assert result.median_days == 51  # 0.7 + 0.1 (1 - t / 100) first falls below 0.75 on day 51


@given(
    lam=st.floats(0.002, 0.05),
    threshold=st.integers(1, 6),
)
@settings(max_examples=8, deadline=None)
def test_a_tit_for_tat_echo_collapses_threshold_days_after_the_first_incident(
    lam: float, threshold: int
) -> None:
    # two TFT parties who never trust: the first incident starts an echo that never stops, so
    # P(holding at day t) = P(no incident in the first t - H days) = (1 - lam)^(2 (t - H)).
    params = build(
        quiet(2, escalation_threshold=threshold),
        incident_rate=lam,
        policy="tft",
        trust_prior=0.0,
    )
    paths, days = 20_000, 120
    result = simulate(params, paths=paths, days=days, rng=3)
    t = np.arange(1, days + 1)
    expected = (1 - lam) ** (2 * np.clip(t - threshold, 0, None))
    got = np.array(result.survival)
    tolerance = 4.5 * np.sqrt(expected * (1 - expected) / paths) + 1e-9
    assert (np.abs(got - expected) <= tolerance).all()
    assert result.causes[SPIRAL] == 1.0


def _lattice_survival(c0: float, drift: float, sigma: float, days: int) -> np.ndarray:
    """Exact survival of the binomial walk m_t = c0 + drift t + sigma (2 K_t - t) <= 0."""
    alive = np.zeros(days + 2)
    alive[0] = 1.0  # probability of K_t = k with no crossing so far
    out = np.empty(days)
    for t in range(1, days + 1):
        nxt = np.zeros_like(alive)
        nxt[: t + 1] += 0.5 * alive[: t + 1]
        nxt[1 : t + 2] += 0.5 * alive[: t + 1]
        k = np.arange(days + 2)
        margin = c0 + drift * t + sigma * (2 * k - t)
        nxt[margin > 0] = 0.0
        alive = nxt
        out[t - 1] = alive.sum()
    return out


@pytest.mark.parametrize(("gap", "drift", "sigma"), [(0.05, 0.0, 0.005), (0.08, -1e-4, 0.006)])
def test_random_walk_first_passage_matches_the_exact_lattice(
    gap: float, drift: float, sigma: float
) -> None:
    days, paths = 250, 40_000
    params = build(quiet(1), alternative=0.7 - gap - 1e-7, drift=drift, volatility=sigma)
    result = simulate(params, paths=paths, days=days, rng=11)
    exact = _lattice_survival(-gap - 1e-7, drift, sigma, days)
    got = np.array(result.survival)
    tolerance = 4.5 * np.sqrt(exact * (1 - exact) / paths) + 1e-9
    assert (np.abs(got - exact) <= tolerance).all()
    assert exact[-1] < 0.9  # the case is not trivial


def test_decision_noise_is_a_logistic_daily_chance() -> None:
    # margin constant at -0.01 with noise 0.01: each day breaks with chance 1 / (1 + e)
    params = build(quiet(1), alternative=0.69, decision_noise=0.01)
    result = simulate(params, paths=50_000, days=3, rng=5)
    daily = 1 / (1 + math.e)
    for day in (1, 2, 3):
        expected = (1 - daily) ** day
        assert abs(result.holding_at(day) - expected) < 4.5 * math.sqrt(expected / 50_000)


@given(
    deal=st.floats(0.2, 1.0),
    war=st.floats(0.0, 1.0),
    delta=st.floats(0.9, 0.999),
    strike=small,
    trust=values,
    detection=values,
    attribution=values,
    sanction=small,
    reputation=small,
)
@settings(max_examples=60, deadline=None)
def test_deliberate_break_is_the_per_day_repeated_game_condition(
    *,
    deal: float,
    war: float,
    delta: float,
    strike: float,
    trust: float,
    detection: float,
    attribution: float,
    sanction: float,
    reputation: float,
) -> None:
    # the notes' values of peace and war; a deliberate break is war (r = 1, not discounted by
    # d a), its one-day gain is the first strike phi (2 - tau): see the mapping table
    v_peace, v_war = deal / (1 - delta), war / (1 - delta)
    gain = (1 - delta) * (v_war - v_peace) + strike * (2 - trust)
    price = detection * attribution * (sanction + reputation)
    assume(abs(gain - price) > 1e-4)  # the kernel compares in float32
    params = build(
        quiet(1, detection=detection, attribution=attribution),
        deal_value=deal,
        alternative=war,
        first_strike=strike,
        trust_prior=trust,
        sanction=sanction,
        reputation_cost=reputation,
        patience=delta,
    )
    result = simulate(params, paths=20, days=1, rng=0)
    assert result.final == (0.0 if gain > price else 1.0)
