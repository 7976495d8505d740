"""The expected-utility model against the published EC emissions curve; the compromise model."""

from __future__ import annotations

import numpy as np
import pytest

from detente.forecast import run_bdm, run_compromise, run_smp
from detente.forecast.bdm import bdm_round
from detente.forecast.inputs import Stakeholders

PUBLISHED_MEAN = [7.4, 7.4, 7.5, 7.6, 7.3, 7.3, 7.4, 7.5, 7.6, 7.3, 7.2]


def _mean_by_round(result, data: Stakeholders) -> np.ndarray:  # type: ignore[no-untyped-def]
    w = data.capability * data.salience[:, 0]
    return np.asarray((result.history[:, :, 0] * w).sum(axis=1) / w.sum())


def test_bdm_follows_the_published_ec_emissions_curve(ec: Stakeholders) -> None:
    result = run_bdm(ec)
    assert result.iterations == 10
    means = _mean_by_round(result, ec)
    assert np.max(np.abs(means - PUBLISHED_MEAN)) <= 0.1
    assert result.outcome[0] == pytest.approx(means[-1])


def test_bdm_on_the_mirrored_scale_follows_the_mirrored_curve(ec: Stakeholders) -> None:
    """Which end of the 4-10 scale is 'low' must not matter: x -> 14 - x mirrors the curve."""
    mirrored = Stakeholders(
        "mirrored", ec.actors, ec.dimensions, ec.capability, 14 - ec.position, ec.salience
    )
    result = run_bdm(mirrored)
    means = _mean_by_round(result, mirrored)
    assert np.max(np.abs(means - (14 - np.array(PUBLISHED_MEAN)))) <= 0.1
    np.testing.assert_allclose(result.history, 14 - run_bdm(ec).history, atol=1e-9)


def test_pairwise_normalisation_is_a_real_alternative(ec: Stakeholders) -> None:
    """Normalising P by the pair's votes alone is documented as missing the published curve."""
    means = _mean_by_round(run_bdm(ec, pairwise=True), ec)
    assert np.max(np.abs(means - PUBLISHED_MEAN)) > 0.1


def test_bdm_offers_name_real_actors_and_kinds(ec: Stakeholders) -> None:
    result = run_bdm(ec, rounds=3)
    assert result.challenges
    for c in result.challenges:
        assert c.kind in {"confrontation", "compromise", "capitulation"}
        assert c.challenger in ec.actors
        assert c.target in ec.actors
        assert c.challenger != c.target
        assert c.dimension == "emissions"
        assert 0.0 <= c.probability <= 1.0
        assert c.probability == pytest.approx(_pairwise_p(ec, result, c), abs=1e-12)
        assert c.adopted_by_target is True
        i = ec.actors.index(c.target)
        assert result.history[c.turn, i, 0] == c.target_offer[0]  # type: ignore[index]


def _pairwise_p(data: Stakeholders, result, c) -> float:  # type: ignore[no-untyped-def]
    """P_j = sum_k pos(v_k(x_j, x_i)) / sum_k |v_k(x_j, x_i)|, by loops over the voters."""
    x = result.history[c.turn - 1, :, 0]
    span = float(np.ptp(data.position[:, 0]))
    risk = result.risk[c.turn - 1]
    j, i = data.actors.index(c.challenger), data.actors.index(c.target)
    support = total = 0.0
    for k in range(len(x)):
        r_k = (1 - risk[k] / 3) / (1 + risk[k] / 3)
        d_kj, d_ki = abs(x[k] - x[j]) / span, abs(x[k] - x[i]) / span
        v = data.capability[k] * data.salience[k, 0] / 100 * (d_ki**r_k - d_kj**r_k)
        support, total = support + max(v, 0.0), total + abs(v)
    return support / total


def test_bdm_round_keeps_everyone_still_when_all_agree() -> None:
    x = np.full(4, 30.0)
    new, risk, offers = bdm_round(x, np.ones(4), np.full(4, 0.5), span=0.0)
    assert np.array_equal(new, x)
    assert np.array_equal(risk, np.zeros(4))
    assert offers == []


def test_bdm_runs_each_dimension_independently() -> None:
    pos = np.array([[10.0, 90.0], [50.0, 20.0], [80.0, 60.0], [30.0, 40.0]])
    sal = np.array([[40.0, 30.0], [20.0, 60.0], [50.0, 10.0], [30.0, 30.0]])
    cap = np.array([3.0, 1.0, 2.0, 1.5])
    both = run_bdm(Stakeholders("t", ("a", "b", "c", "d"), ("x", "y"), cap, pos, sal))
    for k in range(2):
        alone = run_bdm(
            Stakeholders("t", ("a", "b", "c", "d"), ("x",), cap, pos[:, [k]], sal[:, [k]])
        )
        np.testing.assert_array_equal(both.history[:, :, k], alone.history[:, :, 0])


def test_compromise_is_the_weighted_mean() -> None:
    pos = np.array([[0.0], [100.0], [40.0]])
    sal = np.array([[50.0], [25.0], [100.0]])
    cap = np.array([1.0, 2.0, 0.5])
    result = run_compromise(Stakeholders("t", ("a", "b", "c"), ("x",), cap, pos, sal))
    expected = (1 * 50 * 0 + 2 * 25 * 100 + 0.5 * 100 * 40) / (1 * 50 + 2 * 25 + 0.5 * 100)
    assert result.outcome[0] == pytest.approx(expected)
    assert result.iterations == 0
    assert result.challenges == ()


def test_compromise_with_no_salience_on_a_dimension_weighs_by_capability() -> None:
    pos = np.array([[0.0, 10.0], [100.0, 20.0]])
    sal = np.array([[50.0, 0.0], [50.0, 0.0]])
    result = run_compromise(
        Stakeholders("t", ("a", "b"), ("x", "y"), np.array([1.0, 3.0]), pos, sal)
    )
    assert result.outcome[1] == pytest.approx(17.5)


def _with_a_duplicate() -> Stakeholders:
    """Actors 1 and 2 are identical in every number, so any choice between them is a tie."""
    pos = np.array([[10.0, 20.0], [80.0, 70.0], [80.0, 70.0], [40.0, 90.0], [60.0, 30.0]])
    sal = np.array([[50.0, 30.0], [40.0, 40.0], [40.0, 40.0], [20.0, 60.0], [70.0, 10.0]])
    cap = np.array([30.0, 20.0, 20.0, 50.0, 10.0])
    return Stakeholders("tie", ("a", "b", "b-copy", "c", "e"), ("x", "y"), cap, pos, sal)


def test_smp_tied_targets_go_to_the_lowest_index() -> None:
    from detente.forecast.smp import distances, own_gains, risk_attitudes, utility  # noqa: PLC0415

    data = _with_a_duplicate()
    x, s = data.position / 100, data.salience / 100
    sigma = s.sum(axis=1)
    d = distances(x, s)
    risk = risk_attitudes(data.capability, d)
    u_est = utility(d[None], ((2 * risk[:, None] + risk[None, :]) / 3)[:, :, None])
    table = own_gains(d, risk, u_est, sigma * data.capability, sigma)
    assert table[0].argmax() in {1, 2}
    assert table[0, 1] == table[0, 2]  # a's best target is a tie between the copies
    first = next(c for c in run_smp(data, max_turns=1).challenges if c.challenger == "a")
    assert first.target == "b"


def test_bdm_tied_offers_go_to_the_lowest_index() -> None:
    result = run_bdm(_with_a_duplicate(), rounds=1)
    from_copies = [c for c in result.challenges if c.challenger in {"b", "b-copy"}]
    assert from_copies  # the copies make offers, each one tied with the other's
    assert {c.challenger for c in from_copies} == {"b"}
