"""Checking the ceasefire model out of sample: fit on the earlier years, test on the later.

Discrimination is Harrell's concordance index on the later ceasefires (lifelines'
``concordance_index``: the share of comparable pairs the model orders correctly; 0.5 is chance).
Calibration compares, within groups of the later ceasefires, the model's mean predicted survival
with the Kaplan-Meier estimate (and its 95% interval) at fixed days: thirds of predicted risk,
and the groups a mediator asks about (implementation mechanism, written).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detente.precedents.model import (
    FOLLOW_UP_END,
    CeasefireModel,
    design_matrix,
    fit_ceasefire_model,
    survival_data,
)

__all__ = ["CalibrationRow", "Validation", "calibration", "out_of_sample"]

HORIZONS = (30, 90, 365)


@dataclass(frozen=True)
class CalibrationRow:
    """One group at one horizon: observed (Kaplan-Meier) against predicted survival."""

    group: str
    ceasefires: int
    days: int
    observed: float
    observed_low: float
    observed_high: float
    predicted: float


@dataclass(frozen=True)
class Validation:
    """The out-of-sample check.

    Attributes:
        split_year: ceasefires declared before it are fitted, the others tested.
        fitted: ceasefires in the fit.
        tested: ceasefires tested (usable ones).
        concordance_in_sample: Harrell's C on the fitted ceasefires.
        concordance: Harrell's C on the tested ceasefires.
        rows: calibration rows on the tested ceasefires.
    """

    split_year: int
    fitted: int
    tested: int
    concordance_in_sample: float
    concordance: float
    rows: tuple[CalibrationRow, ...]


def calibration(
    model: CeasefireModel,
    records: pd.DataFrame,
    groups: dict[str, np.ndarray],
    horizons: Sequence[int] = HORIZONS,
    follow_up_end: dt.date = FOLLOW_UP_END,
) -> tuple[CalibrationRow, ...]:
    """Kaplan-Meier against the model's mean survival, per group of ``records`` and horizon."""
    from lifelines import KaplanMeierFitter  # noqa: PLC0415 - optional 'precedents' extra

    data = survival_data(records, follow_up_end)
    usable = data["usable"].to_numpy()
    predicted = model.survival(design_matrix(data, model.means), horizons)
    rows = []
    for name, mask in groups.items():
        chosen = mask & usable
        if chosen.sum() == 0:
            continue
        km = KaplanMeierFitter().fit(data["days"][chosen], data["event"][chosen])
        band = km.confidence_interval_survival_function_
        for k, day in enumerate(horizons):
            at = band.index.searchsorted(day, side="right") - 1
            low, high = band.iloc[max(at, 0)] if at >= 0 else (1.0, 1.0)
            rows.append(
                CalibrationRow(
                    group=name,
                    ceasefires=int(chosen.sum()),
                    days=int(day),
                    observed=float(km.survival_function_at_times(day).iloc[0]),
                    observed_low=float(low),
                    observed_high=float(high),
                    predicted=float(predicted[chosen, k].mean()),
                )
            )
    return tuple(rows)


def out_of_sample(
    records: pd.DataFrame, split_year: int = 2005, follow_up_end: dt.date = FOLLOW_UP_END
) -> Validation:
    """Fit on ceasefires declared before ``split_year``; test on the rest."""
    from lifelines.utils import concordance_index  # noqa: PLC0415 - optional 'precedents' extra

    early = (records["year"] < split_year).to_numpy()
    model = fit_ceasefire_model(records[early], follow_up_end=follow_up_end)
    later = records[~early].reset_index(drop=True)
    data = survival_data(later, follow_up_end)
    usable = data["usable"].to_numpy()
    risk = model.risk(design_matrix(data, model.means))
    c_index = concordance_index(data["days"][usable], -risk[usable], data["event"][usable])
    thirds = np.quantile(risk[usable], [1 / 3, 2 / 3])
    groups = {
        "all": np.ones(len(later), dtype=bool),
        "lowest third of risk": risk <= thirds[0],
        "middle third of risk": (risk > thirds[0]) & (risk <= thirds[1]),
        "highest third of risk": risk > thirds[1],
        "implementation mechanism": (later["implement"] == 1).to_numpy(),
        "no implementation mechanism": (later["implement"] == 0).to_numpy(),
        "written": later["written"].isin([1, 2]).to_numpy(),
        "not written": (later["written"] == 0).to_numpy(),
    }
    return Validation(
        split_year=split_year,
        fitted=int(model.provenance["used"]),
        tested=int(usable.sum()),
        concordance_in_sample=model.concordance,
        concordance=float(c_index),
        rows=calibration(model, later, groups, follow_up_end=follow_up_end),
    )
