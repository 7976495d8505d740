"""Precedent search and the out-of-sample check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.errors import DetenteError
from detente.precedents import (
    deal_features,
    find_precedents,
    load_ethprio,
    load_pax,
    out_of_sample,
)
from detente.precedents.model import fit_ceasefire_model, survival_data
from detente.precedents.search import load_features
from detente.precedents.validation import calibration
from tests.precedents.support import synthetic

DATA = Path(__file__).resolve().parents[1] / "data" / "precedents"
WANTED = ("written", "bilateral", "mediated", "implementation", "international_mission")


def product_limit(days: np.ndarray, events: np.ndarray) -> dict[float, float]:
    """Kaplan-Meier by hand: S just after each distinct event time."""
    out, s = {}, 1.0
    for t in np.unique(days[events]):
        at_risk = (days >= t).sum()
        s *= 1 - ((days == t) & events).sum() / at_risk
        out[float(t)] = s
    return out


@pytest.fixture(scope="module")
def records():
    return load_ethprio(DATA / "ethprio-sample.csv")


@pytest.fixture(scope="module")
def pax():
    return load_pax(DATA / "pax-sample.csv")


def test_a_deal_becomes_a_profile_of_features() -> None:
    features = load_features()
    profile = deal_features(
        features,
        mechanisms=["peacekeepers", "snapback", "ddr"],
        context=["written", "multilateral"],
    )
    assert {k for k, v in profile.items() if v} == {
        "written",
        "multilateral",
        "international_mission",
        "outside_enforcement",
        "ddr",
    }


def test_similarity_is_the_share_of_known_features_in_agreement(records, pax) -> None:
    profile = dict.fromkeys(WANTED, True)
    result = find_precedents(records, profile, pax=pax, threshold=0.4)
    got = [(p.country, p.year, p.similarity) for p in result.precedents]
    # worked out by hand from the fixture (9 features; see the fixture's codes)
    assert got == [
        ("Atlantis", 2000, 0.889),
        ("Lemuria", 1995, 0.667),
        ("Lemuria", 2010, 0.444),
        ("Atlantis", 2001, 0.333),
        ("Atlantis", 2002, 0.2),
    ]
    first = result.precedents[0]
    assert first.matched == WANTED
    assert first.missing == ()
    assert (first.days, first.end, first.ended_codes, first.pax_ids) == (
        36.0,
        "2000-04-20",
        (4,),
        (501,),
    )
    third = result.precedents[2]
    assert third.missing == ("bilateral", "international_mission")
    assert result.compared == 5
    assert result.features == {f.name: f.name in WANTED for f in load_features()}
    # the matched set: similarity >= 0.4 and usable (the 1995 one ends before it starts)
    assert result.matched == 2
    assert result.curve is not None
    assert result.curve.days == (0.0, 28.0, 36.0)
    assert result.curve.survival == (1.0, 0.5, 0.0)
    assert result.curve.median_days == 28.0


def test_without_pax_its_provisions_are_unknown(records) -> None:
    result = find_precedents(records, dict.fromkeys(WANTED, True), threshold=0.99, limit=1)
    (first,) = result.precedents
    # six features known from ETH/PRIO's codes, all in agreement; the PA-X ones unknown
    assert first.similarity == 1.0
    assert first.matched == ("written", "bilateral", "mediated", "implementation")
    assert result.matched == 1
    assert result.curve is not None
    assert result.curve.survival == (1.0, 0.0)


def test_an_empty_matched_set_has_no_curve(records) -> None:
    profile = dict.fromkeys(("multilateral", "ddr", "outside_enforcement"), True)
    result = find_precedents(records, profile, threshold=0.9)
    assert result.matched == 0
    assert result.curve is None


def test_bad_profile_and_threshold(records) -> None:
    with pytest.raises(DetenteError, match="unknown feature 'monitors'"):
        find_precedents(records, {"monitors": True})
    with pytest.raises(DetenteError, match="threshold"):
        find_precedents(records, {}, threshold=1.5)


def test_the_matched_curve_is_the_product_limit_estimate(records, pax) -> None:
    synthetic_records, _ = synthetic(400, seed=3)
    synthetic_records["location"] = "Nowhere"
    synthetic_records["actors"] = "A; B"
    synthetic_records["pax_ids"] = [()] * len(synthetic_records)
    synthetic_records["ended"] = [(-1,)] * len(synthetic_records)
    profile = {"written": True, "bilateral": True, "implementation": True}
    result = find_precedents(synthetic_records, profile, threshold=0.6)
    assert result.curve is not None
    data = survival_data(synthetic_records)
    features = load_features()
    wanted = np.array([profile.get(f.name, False) for f in features])
    rows = []
    for r in data.itertuples():
        have = [
            None if r.written == -1 else r.written in (1, 2),
            r.side == 2,
            r.side == 3,
            r.mediator_nego == 1,
            r.implement == 1,
            None,
            r.enforcement == 1,
            None,
            None,
        ]
        known = [h for h in have if h is not None]
        agree = sum(h == w for h, w in zip(have, wanted, strict=True) if h is not None)
        rows.append(agree / len(known) >= 0.6 and r.usable)
    chosen = np.array(rows)
    assert result.matched == chosen.sum()
    expected = product_limit(data["days"][chosen].to_numpy(), data["event"][chosen].to_numpy())
    got = dict(zip(result.curve.days, result.curve.survival, strict=True))
    for t, s in expected.items():
        assert got[t] == pytest.approx(s)
    assert all(
        lo <= s <= hi
        for lo, s, hi in zip(
            result.curve.lower, result.curve.survival, result.curve.upper, strict=True
        )
    )


def test_calibration_of_a_model_on_its_own_data() -> None:
    records, _ = synthetic(1500, seed=11)
    model = fit_ceasefire_model(records)
    groups = {
        "all": np.ones(len(records), dtype=bool),
        "none": np.zeros(len(records), dtype=bool),
    }
    rows = calibration(model, records, groups, horizons=(0.5, 30, 365))
    assert [r.group for r in rows] == ["all"] * 3  # an empty group is left out
    first = rows[0]
    assert (first.observed, first.observed_low, first.observed_high) == (1.0, 1.0, 1.0)
    for row in rows[1:]:
        # in sample, a well-specified Cox model is calibrated on average
        assert row.observed_low - 0.02 <= row.predicted <= row.observed_high + 0.02


def test_out_of_sample_on_synthetic_records() -> None:
    records, _ = synthetic(2000, seed=5)
    check = out_of_sample(records, split_year=2002)
    assert check.fitted + check.tested == 2000
    assert 0.55 < check.concordance < 0.75
    assert {r.group for r in check.rows} >= {"all", "lowest third of risk", "written"}
