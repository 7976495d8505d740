"""Hypothesis properties: invariances, ranges, determinism, and two independent computations."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.forecast import run_bdm, run_compromise, run_smp
from detente.forecast.inputs import Stakeholders
from detente.forecast.smp import (
    challenge_values,
    distances,
    own_gains,
    probability_of_prevailing,
    risk_attitudes,
    utility,
)


@st.composite
def stakeholders(draw: st.DrawFn, max_actors: int = 7, max_dims: int = 3) -> Stakeholders:
    n = draw(st.integers(2, max_actors))
    k = draw(st.integers(1, max_dims))
    coord = st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 2))
    pos = np.array(draw(st.lists(st.lists(coord, min_size=k, max_size=k), min_size=n, max_size=n)))
    shares = draw(
        st.lists(st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k), min_size=n, max_size=n)
    )
    totals = draw(st.lists(st.floats(10, 100), min_size=n, max_size=n))
    sal = np.array([np.array(s) / sum(s) * t for s, t in zip(shares, totals, strict=True)])
    cap = np.array(draw(st.lists(st.floats(0.5, 200), min_size=n, max_size=n)))
    return Stakeholders(
        name="h",
        actors=tuple(f"a{i}" for i in range(n)),
        dimensions=tuple(f"d{j}" for j in range(k)),
        capability=cap,
        position=pos,
        salience=sal,
    )


@settings(max_examples=25, deadline=None)
@given(stakeholders())
def test_smp_positions_stay_in_the_initial_range(data: Stakeholders) -> None:
    result = run_smp(data, max_turns=15)
    lo, hi = data.position.min(axis=0), data.position.max(axis=0)
    assert np.all(result.history >= lo - 0.01)
    assert np.all(result.history <= hi + 0.01)
    assert np.all(np.isfinite(result.outcome))


@settings(max_examples=15, deadline=None)
@given(stakeholders())
def test_smp_is_deterministic(data: Stakeholders) -> None:
    a, b = run_smp(data, max_turns=10), run_smp(data, max_turns=10)
    np.testing.assert_array_equal(a.history, b.history)
    assert a.challenges == b.challenges


@settings(max_examples=30, deadline=None)
@given(stakeholders(max_actors=8))
def test_fast_gain_table_equals_the_general_valuation(data: Stakeholders) -> None:
    """The broadcast table and the per-pair gather compute the same numbers independently."""
    x, s = data.position / 100, data.salience / 100
    sigma = s.sum(axis=1)
    weight = sigma * data.capability
    d = distances(x, s)
    risk = risk_attitudes(data.capability, d)
    u_est = utility(d[None], ((2 * risk[:, None] + risk[None, :]) / 3)[:, :, None])
    table = own_gains(d, risk, u_est, weight, sigma)
    i, j = np.nonzero(~np.eye(len(risk), dtype=bool))
    _, gains, _ = challenge_values(u_est, weight, sigma, challenger=i, target=j, observer=i)
    np.testing.assert_allclose(table[i, j], gains, rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(stakeholders(max_actors=9))
def test_risk_attitudes_span_ktab_range(data: Stakeholders) -> None:
    d = distances(data.position / 100, data.salience / 100)
    risk = risk_attitudes(data.capability, d)
    assert np.all((risk >= -0.5 - 1e-12) & (risk <= 1 + 1e-12))
    if np.ptp(risk) > 0:
        assert risk.max() == 1.0 or np.isclose(risk.max(), 1.0)
        assert np.isclose(risk.min(), -0.5)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.1, 10), min_size=2, max_size=6),
    st.integers(2, 5),
    st.data(),
)
def test_pce_is_a_distribution_and_ignores_constant_shifts(
    weights: list[float], m: int, data: st.DataObject
) -> None:
    w = np.array(weights)
    values = np.array(
        data.draw(
            st.lists(
                st.lists(st.floats(0, 1), min_size=m, max_size=m),
                min_size=len(w),
                max_size=len(w),
            )
        )
    )
    p = probability_of_prevailing(w, values)
    assert np.all(p >= 0)
    assert np.isclose(p.sum(), 1.0)
    shift = np.arange(len(w))[:, None] * 0.25
    np.testing.assert_allclose(probability_of_prevailing(w, values + shift), p, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(stakeholders(), st.floats(0.1, 50))
def test_compromise_ignores_the_capability_unit_and_actor_order(
    data: Stakeholders, factor: float
) -> None:
    base = run_compromise(data).outcome
    scaled = Stakeholders(
        data.name,
        data.actors,
        data.dimensions,
        data.capability * factor,
        data.position,
        data.salience,
    )
    np.testing.assert_allclose(run_compromise(scaled).outcome, base, rtol=1e-9)
    order = np.arange(len(data.actors))[::-1]
    flipped = Stakeholders(
        data.name,
        tuple(data.actors[i] for i in order),
        data.dimensions,
        data.capability[order],
        data.position[order],
        data.salience[order],
    )
    np.testing.assert_allclose(run_compromise(flipped).outcome, base, rtol=1e-9)
    assert np.all(base >= data.position.min(axis=0) - 1e-9)
    assert np.all(base <= data.position.max(axis=0) + 1e-9)


@settings(max_examples=25, deadline=None)
@given(stakeholders(max_dims=2))
def test_bdm_positions_stay_in_range_and_run_is_deterministic(data: Stakeholders) -> None:
    a = run_bdm(data, rounds=5)
    lo, hi = data.position.min(axis=0), data.position.max(axis=0)
    assert np.all(a.history >= lo - 1e-9)
    assert np.all(a.history <= hi + 1e-9)
    np.testing.assert_array_equal(a.history, run_bdm(data, rounds=5).history)
    assert np.all(np.abs(a.risk) <= 1 + 1e-12)


@settings(max_examples=25, deadline=None)
@given(stakeholders(max_dims=1))
def test_bdm_pairwise_probabilities_are_complementary(data: Stakeholders) -> None:
    from detente.forecast.bdm import _probability  # noqa: PLC0415

    x = data.position[:, 0]
    span = float(np.ptp(x)) or 1.0
    d = np.abs(x[:, None] - x[None, :]) / span
    cs = data.capability * data.salience[:, 0] / 100
    p = _probability(d, cs, np.ones(len(x)), pairwise=True)
    different = d > 0
    np.testing.assert_allclose((p + p.T)[different], 1.0, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(stakeholders(max_actors=8, max_dims=2))
def test_bdm_mirrored_inputs_give_mirrored_trajectories(data: Stakeholders) -> None:
    """Which end of a scale is 0 is a labelling choice; x -> 100 - x must mirror every round."""
    mirrored = Stakeholders(
        data.name, data.actors, data.dimensions, data.capability, 100 - data.position, data.salience
    )
    a, b = run_bdm(data, rounds=6), run_bdm(mirrored, rounds=6)
    np.testing.assert_allclose(b.history, 100 - a.history, atol=1e-6)
    np.testing.assert_allclose(b.risk, a.risk, atol=1e-9)
    assert [(c.challenger, c.target, c.kind) for c in b.challenges] == [
        (c.challenger, c.target, c.kind) for c in a.challenges
    ]


@settings(max_examples=30, deadline=None)
@given(stakeholders(max_actors=8, max_dims=1))
def test_bdm_round_is_exactly_mirror_symmetric(data: Stakeholders) -> None:
    """Negation is exact in floating point, so mirrored rounds agree bit for bit."""
    from detente.forecast.bdm import bdm_round  # noqa: PLC0415

    x, s = data.position[:, 0], data.salience[:, 0] / 100
    span = float(np.ptp(x))
    y = -x
    for _ in range(6):
        x, risk_x, offers_x = bdm_round(x, data.capability, s, span)
        y, risk_y, offers_y = bdm_round(y, data.capability, s, span)
        np.testing.assert_array_equal(y, -x)
        np.testing.assert_array_equal(risk_y, risk_x)
        assert offers_y == offers_x


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_bdm_offer_choice_matches_a_brute_force_ranking(
    rows: int, cols: int, data: st.DataObject
) -> None:
    """Most gain to the proposer, then the shortest move, then the lowest index."""
    from detente.forecast.bdm import _best_offer  # noqa: PLC0415

    def grid(values: st.SearchStrategy[float]) -> np.ndarray:
        return np.array(
            data.draw(
                st.lists(
                    st.lists(values, min_size=cols, max_size=cols), min_size=rows, max_size=rows
                )
            )
        )

    mask = grid(st.booleans()).astype(bool)
    gain = grid(st.sampled_from([-1.0, 0.0, 0.5, 2.0]))
    move = grid(st.sampled_from([0.0, 1.0, 3.0]))
    pick = _best_offer(mask, gain, move)
    for r in range(rows):
        options = [(-gain[r, j], move[r, j], j) for j in range(cols) if mask[r, j]]
        if options:
            assert pick[r] == min(options)[2]


@settings(max_examples=15, deadline=None)
@given(stakeholders())
def test_runs_without_records_give_the_same_positions(data: Stakeholders) -> None:
    """The evaluation's lean runs skip only the records, never change a position."""
    for run, lean in (
        (run_smp(data, max_turns=10), run_smp(data, max_turns=10, record=False)),
        (run_bdm(data, rounds=4), run_bdm(data, rounds=4, record=False)),
    ):
        np.testing.assert_array_equal(lean.history, run.history)
        np.testing.assert_array_equal(lean.risk, run.risk)
        assert lean.stop_ratios == run.stop_ratios
        assert lean.challenges == ()
        assert lean.position_probability is None
