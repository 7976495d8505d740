"""Period-specific effects: episode splitting, the fit, and the numpy model it ships as."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, CoxTimeVaryingFitter

from detente.errors import DetenteError
from detente.piecewise import PiecewiseCox, period_labels, period_of_days, reweight
from detente.precedents import COVARIATES
from detente.precedents.model import design_matrix, survival_data
from detente.precedents.periods import (
    BREAKS,
    SAME_DAY,
    expanded_names,
    fit_period_model,
    shipped_period_model,
    split_episodes,
)
from detente.precedents.validation import Validation, out_of_sample
from tests.precedents.support import synthetic

NAMES = [c.name for c in COVARIATES]
#: The implementation mechanism's true hazard ratio in each period of the synthetic records.
TRUE_RATIOS = (0.4, 1.0, 2.0)


def brute_split(x: np.ndarray, days: np.ndarray, event: np.ndarray, breaks) -> list[tuple]:
    """The episodes, one ceasefire and one period at a time."""
    edges = [0.0, *breaks, float("inf")]
    out = []
    for i in range(len(days)):
        for k in range(len(edges) - 1):
            if days[i] <= edges[k]:
                break
            stop = min(days[i], edges[k + 1])
            ends_here = bool(event[i]) and days[i] <= edges[k + 1]
            expanded = [0.0] * (x.shape[1] * (len(edges) - 1))
            for j in range(x.shape[1]):
                expanded[k * x.shape[1] + j] = float(x[i, j])
            out.append((i, k, edges[k], stop, int(ends_here), *expanded))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_episode_splitting_against_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    x = rng.integers(0, 2, (n, 3)).astype(float)
    # durations on and around the breaks, and far beyond them
    days = rng.choice([0.5, 1, 29, 30, 31, 89, 90, 91, 400, 5000], n).astype(float)
    event = rng.integers(0, 2, n).astype(bool)
    breaks = (30.0, 90.0) if seed % 2 else (7.0, 30.0, 90.0)
    got = split_episodes(x, days, event, breaks)
    expected = brute_split(x, days, event, breaks)
    assert [tuple(r) for r in got.itertuples(index=False)] == expected
    # every ceasefire keeps its time at risk and its event
    at_risk = (got["stop"] - got["start"]).groupby(got["id"]).sum()
    assert at_risk.tolist() == list(days)
    assert got.groupby("id")["event"].sum().tolist() == event.astype(int).tolist()


def test_the_split_data_give_the_single_ratio_fit() -> None:
    """Equal coefficients in every period: the split data's fit is CoxPHFitter's on the whole."""
    records, _ = synthetic(800, seed=3)
    data = survival_data(records)
    used = data[data["usable"]]
    x = design_matrix(used, np.zeros(len(NAMES)))[:, [0, 8, 9]]  # written, mediated, impl.
    days = np.where(used["days"] == 0, SAME_DAY, used["days"].to_numpy(dtype=float))
    event = used["event"].to_numpy(dtype=bool)
    long = split_episodes(x, days, event)
    long = long[["id", "start", "stop", "event"]].assign(
        **{f"c{j}": x[long["id"], j] for j in range(3)}
    )
    split = CoxTimeVaryingFitter().fit(
        long, id_col="id", start_col="start", stop_col="stop", event_col="event"
    )
    whole = pd.DataFrame(x, columns=["c0", "c1", "c2"]).assign(days=days, event=event)
    plain = CoxPHFitter().fit(whole, duration_col="days", event_col="event")
    assert split.params_.to_numpy() == pytest.approx(plain.params_.to_numpy(), abs=1e-5)
    assert split.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-8)


def changing_effects(n: int, seed: int) -> pd.DataFrame:
    """Synthetic records whose implementation mechanism has ``TRUE_RATIOS`` by period.

    Durations by inversion of a piecewise-linear cumulative hazard (baseline 1/100 a day).
    """
    records, _ = synthetic(n, seed)
    rng = np.random.default_rng(seed + 100)
    has = (records["implement"] == 1).to_numpy()
    ratio = np.where(has[:, None], np.asarray(TRUE_RATIOS)[None, :], 1.0) / 100.0
    edges = np.array([0.0, *BREAKS])
    widths = np.diff(edges)
    reached = np.concatenate([np.zeros((n, 1)), np.cumsum(ratio[:, :-1] * widths, axis=1)], 1)
    target = rng.exponential(size=n)
    k = (target[:, None] >= reached).sum(axis=1) - 1
    rows = np.arange(n)
    days = np.floor(edges[k] + (target - reached[rows, k]) / ratio[rows, k]) + 1
    # a third start late enough to be censored at the end of follow-up, in any period
    late = rng.uniform(size=n) < 1 / 3
    follow_up = pd.Timestamp("2014-12-31")
    start = records["start"].where(~late, follow_up - pd.to_timedelta(rng.integers(1, 400, n), "D"))
    end = start + pd.to_timedelta(days, "D")
    return records.assign(start=start, year=start.dt.year, end=end.where(end <= follow_up))


@pytest.fixture(scope="module")
def model() -> PiecewiseCox:
    return fit_period_model(changing_effects(1500, seed=5))


@pytest.mark.slow  # fits the period model (about 10 s of CPU)
def test_the_fit_recovers_effects_that_change_with_time(model: PiecewiseCox) -> None:
    j = model.covariates.index("implementation")
    ratios = model.hazard_ratios()["implementation"]
    se = np.sqrt(np.diag(np.asarray(model.covariance))).reshape(model.beta().shape)[:, j]
    for (hr, low, high), truth, s in zip(ratios, TRUE_RATIOS, se, strict=True):
        assert abs(np.log(hr) - np.log(truth)) < 4 * s
        assert low < hr < high
    # the single-ratio model is rejected: its proportional-hazards test and the likelihood ratio
    assert model.tests["proportional_hazards"]["implementation"]["p"] < 0.01
    assert model.tests["likelihood_ratio"]["df"] == 2 * len(NAMES)
    assert model.tests["likelihood_ratio"]["p"] < 0.01
    assert model.provenance["events"] == sum(model.provenance["events_by_period"])


@pytest.mark.slow  # fits the period model (about 10 s of CPU)
def test_survival_against_a_plain_sum_over_event_times(model: PiecewiseCox) -> None:
    x = np.array([model.means, model.at_risk_means[2]])
    x[0, model.covariates.index("implementation")] = 1.0
    days = [0, 5, 30, 31, 90, 200, 4000]
    got = model.survival(x, days)
    beta = model.beta()
    jumps = np.diff(np.asarray(model.cumulative_hazard), prepend=0.0)
    for r in range(2):
        for c, day in enumerate(days):
            total = 0.0
            for t, jump in zip(model.times, jumps, strict=True):
                if t <= day:
                    k = 0 if t <= 30 else 1 if t <= 90 else 2
                    linear = x[r] @ beta[k] - np.asarray(model.centre) @ beta.ravel()
                    total += jump * np.exp(linear)
            assert got[r, c] == pytest.approx(np.exp(-total), rel=1e-9)
    medians = model.median_days(x)
    for r, median in enumerate(medians):
        if median is not None:
            assert model.survival(x[r : r + 1], [median])[0, 0] <= 0.5


@pytest.mark.slow  # fits the period model (about 10 s of CPU)
def test_period_ratios_bend_the_population_onto_a_profile(model: PiecewiseCox) -> None:
    """The population's curve, its hazard multiplied by ``r_k``, meets ``S(t | x)`` at the cuts."""
    horizon = 365
    days = np.arange(1, horizon + 1)
    times = np.asarray(model.times)
    pop = np.concatenate([[1.0], model.population])[np.searchsorted(times, days, side="right")]
    x = np.array(model.means)
    x[model.covariates.index("implementation")] = 1.0
    ratios = model.period_ratios(x[None, :], horizon)
    bent = reweight(pop, ratios[0], model.breaks)
    expected = model.survival(x[None, :], [30, 90, horizon])[0]
    assert bent[[29, 89, horizon - 1]] == pytest.approx(expected, rel=1e-9)
    # a period wholly beyond the horizon has ratio 1
    assert model.period_ratios(x[None, :], 20)[0, 1:] == pytest.approx([1.0, 1.0])


def test_reweight_against_closed_forms() -> None:
    rng = np.random.default_rng(0)
    curve = np.cumprod(1 - rng.uniform(0, 0.02, 200))
    assert reweight(curve, np.ones(3), BREAKS) == pytest.approx(curve)
    assert reweight(curve, np.full(3, 2.5), BREAKS) == pytest.approx(curve**2.5)  # PH: S^r
    ratios = np.array([0.5, 1.5, 3.0])
    got = reweight(curve, ratios, BREAKS)
    hazard, total = 0.0, []
    previous = 0.0
    for day, s in enumerate(curve, start=1):
        step = -np.log(s) - previous
        previous = -np.log(s)
        hazard += ratios[0 if day <= 30 else 1 if day <= 90 else 2] * step
        total.append(np.exp(-hazard))
    assert got == pytest.approx(total)
    # draws broadcast over the leading axis; a curve at 0 stays at 0
    many = reweight(np.append(curve, 0.0), np.stack([ratios, ratios / 10]), BREAKS)
    assert many.shape == (2, 201)
    assert many[:, -1].tolist() == [0.0, 0.0]


def test_period_labels_and_days() -> None:
    assert period_labels(BREAKS) == ("0-30 d", "31-90 d", "after 90 d")
    assert period_of_days([0, 30, 30.5, 90, 91], BREAKS).tolist() == [0, 0, 1, 1, 2]
    assert expanded_names(["a"], BREAKS) == ["a@0-30 d", "a@31-90 d", "a@after 90 d"]


@pytest.mark.slow  # fits the period model (about 10 s of CPU)
def test_json_round_trip_and_bad_models(model: PiecewiseCox) -> None:
    again = PiecewiseCox.from_json(model.to_json())
    assert again == model
    raw = json.loads(model.to_json())
    del raw["population"]
    with pytest.raises(DetenteError, match="not a fitted piecewise model"):
        PiecewiseCox.from_json(json.dumps(raw), "m.json")
    short = dataclasses.replace(model, centre=model.centre[:-1])
    with pytest.raises(DetenteError, match="shape"):
        PiecewiseCox.from_json(short.to_json(), "m.json")


def test_too_few_ended_ceasefires_in_a_period() -> None:
    records, _ = synthetic(200, seed=1)
    with pytest.raises(DetenteError, match="too few ended ceasefires in a period"):
        fit_period_model(records, breaks=(30.0, 5000.0))


def test_the_shipped_period_model_states_its_provenance_and_tests() -> None:
    shipped = shipped_period_model()
    facts = shipped.provenance
    assert facts["file"] == "ethprio-ceasefires-1989-2014.csv"
    assert facts["used"] == 1722
    assert facts["events"] == 987 == sum(facts["events_by_period"])
    assert shipped.covariates == tuple(NAMES)
    assert shipped.breaks == BREAKS
    # the single-ratio model fails the Schoenfeld test where the docs say it does
    ph = shipped.tests["proportional_hazards"]
    assert {n for n, t in ph.items() if t["p"] < 0.05} >= {"written", "mediated", "implementation"}
    assert shipped.tests["likelihood_ratio"]["p"] < 1e-10
    # the model's population curve is the record's Kaplan-Meier (calibration.yaml) within 0.005
    km = {30: 0.622, 90: 0.541, 365: 0.451, 1825: 0.429}
    times = np.asarray(shipped.times)
    for day, holding in km.items():
        at = np.searchsorted(times, day, side="right") - 1
        assert shipped.population[at] == pytest.approx(holding, abs=0.005), day


@pytest.mark.slow  # fits both models (about 15 s of CPU)
def test_out_of_sample_with_effects_that_change_with_time() -> None:
    """Where the effect changes with time, the period model is the better calibrated."""
    records = changing_effects(1500, seed=9)
    # a fifth never end (as many in the record), so both periods of the earlier years hold some
    # ceasefires censored at the end of follow-up
    cured = np.random.default_rng(9).uniform(size=len(records)) < 0.2
    records = records.assign(end=records["end"].mask(cured))
    single = out_of_sample(records, split_year=2002)
    periods = out_of_sample(records, split_year=2002, model="periods")
    assert (single.model, periods.model) == ("cox", "periods")
    assert periods.fitted + periods.tested == 1500

    def error(check: Validation, group: str, day: int) -> float:
        row = next(r for r in check.rows if r.group == group and r.days == day)
        return abs(row.predicted - row.observed)

    for group in ("implementation mechanism", "no implementation mechanism"):
        assert error(periods, group, 30) < error(single, group, 30)
        assert error(periods, group, 30) < 0.05
    assert periods.concordance > 0.5
