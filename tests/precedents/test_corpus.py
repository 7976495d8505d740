"""The loaders and the fitted model against figures computed independently from the real files.

The files are the shared corpus of ceasefire records (../shared/corpus/ceasefire beside the
repository; see its SOURCES.md). They are not redistributed: without them these tests skip.
The independent figures are computed here with the csv module and plain Python.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from detente.precedents import (
    fit_ethprio_file,
    load_ethprio,
    load_pax,
    load_ucdp_agreements,
    shipped_model,
)
from detente.precedents.model import survival_data
from detente.precedents.periods import fit_ethprio_periods, shipped_period_model
from detente.precedents.records import agreement_durations

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "ceasefire"
ETHPRIO = CORPUS / "ethprio-ceasefires-1989-2014.csv"
PAX = CORPUS / "pax-v9-agreements.csv"
FORTNA = CORPUS / "fortna-civil-war-ceasefires.dta"
UCDP = CORPUS / "ucdp-peace-agreements-22.1.csv"

pytestmark = pytest.mark.skipif(
    not ETHPRIO.exists(), reason=f"the shared ceasefire corpus is not at {CORPUS}"
)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return list(csv.DictReader(handle))


def plain_date(year: str, month: str, day: str) -> dt.date | None:
    y, m, d = int(year), int(month), int(day)
    if y <= 0 or not 1 <= m <= 12:
        return None
    last = (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(d if 1 <= d <= 31 else 15, last))


@pytest.fixture(scope="module")
def ceasefires() -> dict[tuple[str, str], dict[str, object]]:
    """Per ceasefire: earliest start (in effect, else declared), earliest end, two codes."""
    out: dict[tuple[str, str], dict[str, object]] = defaultdict(
        lambda: {"effect": [], "declared": [], "end": [], "implement": set(), "written": set()}
    )
    for row in rows(ETHPRIO):
        c = out[row["cc"], row["cf_id"]]
        for key, parts in (
            ("effect", ("cf_effect_yr", "cf_effect_month", "cf_effect_day")),
            ("declared", ("cf_dec_yr", "cf_dec_month", "cf_dec_day")),
            ("end", ("end_yr", "end_month", "end_day")),
        ):
            date = plain_date(*(row[p] for p in parts))
            if date is not None:
                c[key].append(date)  # type: ignore[union-attr]
        c["implement"].add(row["implement"])  # type: ignore[union-attr]
        c["written"].add(row["written"])  # type: ignore[union-attr]
    return out


def test_counts_of_the_1989_2014_file(ceasefires) -> None:
    table = rows(ETHPRIO)
    countries = {r["cc"] for r in table}
    conflicts = {r["ucdp_acd_id"] for r in table} - {"-1"}
    records = load_ethprio(ETHPRIO)
    assert len(table) == 3302
    assert len(records) == len(ceasefires) == 1842
    assert records["cc"].nunique() == len(countries) == 65
    assert len({c for cs in records["conflicts"] for c in cs}) == len(conflicts) == 103


def durations(ceasefires, key: str) -> dict[str, list[int]]:
    """Days from start to a recorded end, per code of ``key`` (codes constant per ceasefire)."""
    out: dict[str, list[int]] = defaultdict(list)
    for c in ceasefires.values():
        start = min(c["effect"]) if c["effect"] else min(c["declared"], default=None)
        if start is None or not c["end"]:
            continue
        days = (min(c["end"]) - start).days
        if days >= 0:
            (code,) = c[key]
            out[code].append(days)
    return out


def test_medians_by_mechanism_and_by_written(ceasefires) -> None:
    by_mechanism = durations(ceasefires, "implement")
    by_written = durations(ceasefires, "written")
    data = survival_data(load_ethprio(ETHPRIO))
    ended = data[data["usable"] & data["event"]]
    every = [d for ds in by_mechanism.values() for d in ds]
    assert ended["days"].median() == statistics.median(every) == 13  # about two weeks
    for code, days in by_mechanism.items():
        assert ended.loc[ended["implement"] == int(code), "days"].median() == statistics.median(
            days
        )
    assert statistics.median(by_mechanism["1"]) == 77.5  # about 2.5 months with a mechanism
    assert statistics.median(by_mechanism["0"]) == 10  # 10 days without
    written = by_written["1"] + by_written["2"]
    assert ended.loc[ended["written"].isin([1, 2]), "days"].median() == statistics.median(written)
    assert statistics.median(written) == 70  # about 2 months when written
    assert statistics.median(by_written["0"]) == 9  # 9 days when not


def test_pax_ceasefire_stage_shares() -> None:
    table = [r for r in rows(PAX) if r["Stage"] == "Cea"]
    assert len(table) == 463

    def share(column: str) -> float:
        return round(100 * sum(int(r[column] or 0) > 0 for r in table) / len(table), 1)

    assert (share("ImPK"), share("ImUN"), share("SsrDdr")) == (35.6, 21.4, 24.8)
    pax = load_pax(PAX)
    stage = pax[pax["Stage"] == "Cea"]
    loaded = [round(100 * (stage[c] > 0).mean(), 1) for c in ("ImPK", "ImUN", "SsrDdr")]
    assert loaded == [35.6, 21.4, 24.8]


@pytest.mark.slow
def test_the_shipped_model_is_the_fit_of_the_file() -> None:
    refit = fit_ethprio_file(ETHPRIO)
    shipped = shipped_model()
    assert refit.provenance["sha256"] == shipped.provenance["sha256"]
    assert refit.coefficients == pytest.approx(shipped.coefficients, rel=1e-6)
    assert refit.cumulative_hazard == pytest.approx(shipped.cumulative_hazard, rel=1e-6)


@pytest.mark.slow
def test_the_shipped_period_model_is_the_fit_of_the_file() -> None:
    refit = fit_ethprio_periods(ETHPRIO)
    shipped = shipped_period_model()
    assert refit.provenance["sha256"] == shipped.provenance["sha256"]
    assert np.asarray(refit.coefficients) == pytest.approx(
        np.asarray(shipped.coefficients), rel=1e-6
    )
    assert refit.population == pytest.approx(shipped.population, rel=1e-6)


def test_the_fitted_model_beside_the_published_effects() -> None:
    """Where the ETH/PRIO fit agrees with published effects, and where it does not.

    - Written ceasefires last longer (hazard ratio below 1), in the direction of Clayton &
      Sticher's ordering of more formal ceasefires outlasting bare cessations.
    - An agreed implementation mechanism: the UCDP peace-agreement figure is HR 0.63
      (0.43-0.93, ../shared/DURABILITY.md); for ceasefires during civil conflict, once written,
      side, class, timing and mediation are held fixed, ETH/PRIO shows no lower hazard: the
      interval lies above 0.63 and includes 1. The raw medians (76 vs 9 days) differ because
      mechanisms come with written, bilateral ceasefires.
    - Outside (state) enforcement, the nearest to peacekeepers: no protective effect either
      (interval includes 1), as for Fortna's peacekeepers before her controls (below).
    """
    ratios = shipped_model().hazard_ratios()
    _, _, high = ratios["written"]
    assert high < 1
    _, low, high = ratios["implementation"]
    assert 0.63 < low < 1 < high
    _, low, high = ratios["state_enforcement"]
    assert low < 1 < high


@pytest.mark.parametrize(
    ("follow_up_end", "agreements", "events", "expected"),
    [
        # the published window: the 1975-2011 release (Högbladh 2012); ../shared/DURABILITY.md
        # quotes HR 0.63 (0.43-0.93) for an implementation commission and 0.66 for DDR
        (
            dt.date(2011, 12, 31),
            303,
            112,
            {"co_impl": (0.64, 0.42, 0.96), "ddr": (0.65, 0.42, 1.0)},
        ),
        # v22.1 followed to its end: ten more years of agreements and of ends
        (
            dt.date(2021, 12, 31),
            369,
            129,
            {"co_impl": (0.73, 0.51, 1.05), "ddr": (0.79, 0.54, 1.17)},
        ),
    ],
)
def test_ucdp_agreement_hazard_ratios_by_follow_up(
    follow_up_end: dt.date, agreements: int, events: int, expected: dict[str, tuple]
) -> None:
    """The published UCDP figures are reproduced when follow-up ends with the 2011 release.

    Counted independently with the csv module: an agreement ends when coded ``ended`` with an
    end date by the end of follow-up; every other agreement signed by then is censored there.
    """
    end = follow_up_end.isoformat()
    table = [r for r in rows(UCDP) if r["pa_date"] <= end]
    timed = [r for r in table if not (r["ended"] == "True" and not r["duration"])]
    assert len(timed) == agreements
    assert sum(r["ended"] == "True" and r["duration"] <= end for r in timed) == events
    data = agreement_durations(load_ucdp_agreements(UCDP), follow_up_end)
    assert (len(data), int(data["event"].sum())) == (agreements, events)
    for column, (hr, low, high) in expected.items():
        frame = data[["days", "event", column]].astype(float)
        fit = CoxPHFitter().fit(frame, duration_col="days", event_col="event").summary.loc[column]
        got = (fit["exp(coef)"], fit["exp(coef) lower 95%"], fit["exp(coef) upper 95%"])
        assert got == pytest.approx((hr, low, high), abs=0.01), column


def test_fortnas_peacekeeping_hazard_ratio_from_her_file() -> None:
    """Fortna (2008): peacekeepers cut the risk of renewed war by 50-75% (HR 0.25-0.5).

    From her file, with how the war ended as the only controls (victory, treaty), the hazard
    ratio of peacekeepers is about 0.66: a cut of about a third, smaller than her 50-75% with
    her fuller controls; without controls it is about 1 (peacekeepers go to the harder cases,
    her selection argument). Victory and treaty match her figures closely.
    """
    spells = pd.read_stata(FORTNA)
    spells = spells[spells["_st"] == 1][["_t0", "_t", "_d", "pk_dum", "victory", "treaty"]]

    def fit(columns: list[str]) -> pd.DataFrame:
        frame = spells[["_t0", "_t", "_d", *columns]].dropna()
        cox = CoxPHFitter().fit(frame, duration_col="_t", event_col="_d", entry_col="_t0")
        return cox.summary

    raw = fit(["pk_dum"])
    assert raw.loc["pk_dum", "exp(coef)"] == pytest.approx(1.08, abs=0.01)
    controlled = fit(["pk_dum", "victory", "treaty"])
    assert controlled.loc["pk_dum", "exp(coef)"] == pytest.approx(0.66, abs=0.01)
    assert controlled.loc["victory", "exp(coef)"] < 0.2  # "at least 85%" lower: HR <= 0.15-0.2
    assert controlled.loc["treaty", "exp(coef)"] == pytest.approx(0.47, abs=0.01)  # about 60%


def test_durability_s_during_war_targets_are_the_kaplan_meier_of_the_file() -> None:
    """calibration.yaml's ``ongoing`` figures: lifelines' Kaplan-Meier of the shipped fit's data."""
    from lifelines import KaplanMeierFitter  # noqa: PLC0415 - only this test needs it

    from detente.durability.calibration import load_targets  # noqa: PLC0415

    data = survival_data(load_ethprio(ETHPRIO))
    used = data[data["usable"]]
    curve = KaplanMeierFitter().fit(used["days"].astype(float), used["event"])
    target = next(c for c in load_targets().contexts if c.context == "ongoing")
    for point in target.points:
        holding = float(curve.survival_function_at_times(point.day).iloc[0])
        assert 1.0 - point.failed == pytest.approx(holding, abs=5e-4), point.day
