"""The Cox model of ceasefire duration: censoring rules, recovery of known effects, predictions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from detente.errors import DetenteError
from detente.precedents import (
    COVARIATES,
    CeasefireModel,
    fit_ceasefire_model,
    fit_ethprio_file,
    shipped_model,
)
from detente.precedents.model import design_matrix, survival_data
from detente.precedents.predict import predict_file
from detente.precedents.records import ETHPRIO_CODES, load_ethprio
from tests.precedents.support import synthetic

DATA = Path(__file__).resolve().parents[1] / "data" / "precedents"
NAMES = [c.name for c in COVARIATES]


def test_survival_times_follow_the_stated_rules() -> None:
    data = survival_data(load_ethprio(DATA / "ethprio-sample.csv"))
    got = {(r.cc, r.cf_id): (r.usable, r.event, r.days) for r in data.itertuples()}
    assert got[100, 1] == (True, True, 36)  # 15 March to 20 April 2000
    censored = (dt.date(2014, 12, 31) - dt.date(2001, 6, 1)).days
    assert got[100, 2] == (True, False, censored)
    assert got[200, 1] == (True, True, 28)  # 31 January to 28 February 2010
    assert not got[100, 3][0]  # end year without a month
    assert not got[200, 2][0]  # ends before it starts
    assert np.isnan(got[100, 3][2])


@pytest.fixture(scope="module")
def fitted() -> tuple[CeasefireModel, pd.DataFrame, dict[str, float]]:
    records, truth = synthetic(3000, seed=7)
    return fit_ceasefire_model(records), records, truth


def test_the_fit_recovers_known_hazard_ratios(fitted) -> None:
    model, _, truth = fitted
    for name, value in zip(model.covariates, model.coefficients, strict=True):
        se = model.standard_errors[model.covariates.index(name)]
        assert abs(value - truth.get(name, 0.0)) < 4 * se, name


def test_unclear_codes_take_the_fitted_mean(fitted) -> None:
    model, records, _ = fitted
    x = design_matrix(records, model.means)
    unclear = (records["written"] == -1).to_numpy()
    known = records.loc[~unclear, "written"].isin([1, 2])
    assert model.means[NAMES.index("written")] == pytest.approx(known.mean())
    assert np.all(x[unclear, NAMES.index("written")] == model.means[NAMES.index("written")])


def test_predictions_equal_lifelines_own(fitted) -> None:
    model, records, _ = fitted
    data = survival_data(records)
    frame = pd.DataFrame(design_matrix(data, model.means), columns=NAMES)
    frame["days"], frame["event"] = data["days"].to_numpy(float), data["event"].astype(int)
    reference = CoxPHFitter().fit(frame, "days", "event")
    days = [1, 30, 90, 365, 5000]
    theirs = reference.predict_survival_function(frame[NAMES].iloc[:50], times=days).T
    ours = model.survival(frame[NAMES].to_numpy()[:50], days)
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-9, atol=1e-12)
    medians = reference.predict_median(frame[NAMES].iloc[:50]).to_numpy()
    np.testing.assert_allclose(model.median_days(frame[NAMES].to_numpy()[:50]), medians)


def test_median_is_none_when_survival_stays_above_one_half(fitted) -> None:
    model, _, _ = fitted
    tiny = CeasefireModel(**{**model.__dict__, "cumulative_hazard": (0.01,) * len(model.times)})
    assert tiny.median_days(np.zeros((1, len(NAMES)))) == [None]


def test_hazard_ratios_and_their_intervals(fitted) -> None:
    model, _, _ = fitted
    ratio, low, high = model.hazard_ratios()["implementation"]
    b, s = model.coefficients[NAMES.index("implementation")], model.standard_errors[9]
    assert (ratio, low, high) == pytest.approx(
        (np.exp(b), np.exp(b - 1.96 * s), np.exp(b + 1.96 * s))
    )


def test_too_few_ended_ceasefires(fitted) -> None:
    _, records, _ = fitted
    with pytest.raises(DetenteError, match="too few ended ceasefires"):
        fit_ceasefire_model(records.head(10))


def test_json_round_trip_and_bad_models(fitted) -> None:
    model, _, _ = fitted
    assert CeasefireModel.from_json(model.to_json()) == model
    with pytest.raises(DetenteError, match="not a fitted ceasefire model"):
        CeasefireModel.from_json("{}", "m.json")
    other = json.loads(model.to_json())
    other["covariates"] = ["x", *other["covariates"][1:]]
    with pytest.raises(DetenteError, match="covariates: the model's covariates are not"):
        CeasefireModel.from_json(json.dumps(other), "m.json")


def test_the_shipped_model_states_its_provenance() -> None:
    model = shipped_model()
    facts = model.provenance
    assert facts["rows"] == 3302
    assert facts["ceasefires"] == 1842
    assert facts["years"] == [1989, 2014]
    assert facts["version"] == "1989-2014"
    assert "doi:10.1177/00220027221129195" in facts["source"]
    assert facts["censoring"] == "no recorded end: right-censored at 2014-12-31"
    assert model.covariates == tuple(NAMES)


def test_predict_every_ceasefire_of_a_file_including_unclear_codes() -> None:
    result = predict_file(DATA / "ethprio-sample.csv")
    model = shipped_model()
    assert [(p.cc, p.cf_id) for p in result.predictions] == [
        (100, 1),
        (100, 2),
        (100, 3),
        (200, 1),
        (200, 2),
    ]
    assert result.model.rows == 3302
    assert result.model.years == (1989, 2014)
    records = load_ethprio(DATA / "ethprio-sample.csv")
    expected = model.survival(design_matrix(records, model.means), [30, 90, 365])
    for prediction, row in zip(result.predictions, expected, strict=True):
        assert list(prediction.survival) == ["30", "90", "365"]
        assert list(prediction.survival.values()) == pytest.approx(row, abs=5e-5)
        assert prediction.median_days is None or prediction.median_days > 0


def test_fitting_a_file_records_its_provenance(tmp_path: Path) -> None:
    records, _ = synthetic(600, seed=2)
    path = tmp_path / "my-release.csv"
    start, end = records["start"], records["end"]
    pd.DataFrame(
        {
            "cc": records["cc"],
            "cf_id": 1,
            "location": "Nowhere",
            "actor_name": "A",
            "ucdp_acd_id": -1,
            "pax_id": -1,
            "ended": -1,
            "cf_dec_yr": start.dt.year,
            "cf_dec_month": start.dt.month,
            "cf_dec_day": start.dt.day,
            "cf_effect_yr": start.dt.year,
            "cf_effect_month": start.dt.month,
            "cf_effect_day": start.dt.day,
            "end_yr": end.dt.year.fillna(-1).astype(int),
            "end_month": end.dt.month.fillna(-1).astype(int),
            "end_day": end.dt.day.fillna(-1).astype(int),
            **{c: records[c] for c in ETHPRIO_CODES},
        }
    ).to_csv(path, index=False)
    model = fit_ethprio_file(path, version="test release")
    facts = model.provenance
    assert facts["file"] == "my-release.csv"
    assert facts["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (facts["rows"], facts["ceasefires"], facts["version"]) == (600, 600, "test release")
    assert facts["events"] == int(records["end"].notna().sum())
    same = fit_ceasefire_model(records)
    assert model.coefficients == pytest.approx(same.coefficients)


def test_the_covariance_gives_the_standard_errors(fitted) -> None:
    model, _, _ = fitted
    covariance = np.asarray(model.covariance)
    np.testing.assert_allclose(np.sqrt(np.diag(covariance)), model.standard_errors)
    np.testing.assert_allclose(covariance, covariance.T)


def test_the_band_of_coefficient_uncertainty(fitted) -> None:
    model, records, _ = fitted
    x = design_matrix(records.head(20), model.means)
    days = [30, 365]
    low, high = model.survival_band(x, days, draws=400, rng=1)
    point = model.survival(x, days)
    assert low.shape == high.shape == point.shape
    assert np.all(low <= point + 1e-12)
    assert np.all(point <= high + 1e-12)
    again = model.survival_band(x, days, draws=400, rng=1)
    np.testing.assert_array_equal(low, again[0])
    # with four times the covariance (half the data), the band is about twice as wide
    scaled = tuple(tuple(4 * v for v in row) for row in model.covariance)
    wider = CeasefireModel(**{**model.__dict__, "covariance": scaled})
    w_low, w_high = wider.survival_band(x, days, draws=400, rng=1)
    ratio = np.median((w_high - w_low) / (high - low))
    assert 1.7 < ratio < 2.3
