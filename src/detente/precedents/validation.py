"""Checking the ceasefire models out of sample: fit on the earlier years, test on the later.

Either model is checked: the single-ratio Cox model (``model="cox"``) or the model with
period-specific effects (``model="periods"``, :mod:`.periods`). Discrimination is Harrell's
concordance index on the later ceasefires (lifelines' ``concordance_index``: the share of
comparable pairs the model orders correctly; 0.5 is chance), ordering them by their predicted
survival at one year (for the single-ratio model, the same order as its risk score).
Calibration compares, within groups of the later ceasefires, the model's mean predicted survival
with the Kaplan-Meier estimate (and its 95% interval) at fixed days: thirds of predicted risk,
and the groups a mediator asks about (implementation mechanism, written).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from detente.precedents.model import (
    FOLLOW_UP_END,
    design_matrix,
    fit_ceasefire_model,
    survival_data,
)
from detente.precedents.periods import fit_period_model

__all__ = ["CalibrationRow", "Validation", "calibration", "out_of_sample"]

HORIZONS = (30, 90, 365)


class SurvivalModel(Protocol):
    """What the checks need of a fitted model: the value of unknown codes, and survival."""

    @property
    def means(self) -> tuple[float, ...]:
        """Each indicator's mean where known."""
        ...  # pragma: no cover - a protocol

    def survival(self, x: np.ndarray, days: Sequence[float]) -> np.ndarray:
        """P(still holding after ``days``) of each row of ``x``."""
        ...  # pragma: no cover - a protocol


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
        model: which model was checked (``cox`` or ``periods``).
        split_year: ceasefires declared before it are fitted, the others tested.
        fitted: ceasefires in the fit.
        tested: ceasefires tested (usable ones).
        concordance_in_sample: Harrell's C on the fitted ceasefires.
        concordance: Harrell's C on the tested ceasefires.
        rows: calibration rows on the tested ceasefires.
    """

    model: str
    split_year: int
    fitted: int
    tested: int
    concordance_in_sample: float
    concordance: float
    rows: tuple[CalibrationRow, ...]


def calibration(
    model: SurvivalModel,
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
    records: pd.DataFrame,
    split_year: int = 2005,
    follow_up_end: dt.date = FOLLOW_UP_END,
    *,
    model: Literal["cox", "periods"] = "cox",
) -> Validation:
    """Fit ``model`` on ceasefires declared before ``split_year``; test on the rest."""
    from lifelines.utils import concordance_index  # noqa: PLC0415 - optional 'precedents' extra

    early = (records["year"] < split_year).to_numpy()
    fit = fit_period_model if model == "periods" else fit_ceasefire_model
    fitted = fit(records[early], follow_up_end=follow_up_end)
    later = records[~early].reset_index(drop=True)
    data = survival_data(later, follow_up_end)
    usable = data["usable"].to_numpy()

    def score(frame: pd.DataFrame) -> np.ndarray:
        return fitted.survival(design_matrix(frame, fitted.means), [365])[:, 0]

    def harrell(frame: pd.DataFrame, chosen: np.ndarray) -> float:
        return float(
            concordance_index(frame["days"][chosen], score(frame)[chosen], frame["event"][chosen])
        )

    own = survival_data(records[early].reset_index(drop=True), follow_up_end)
    holding = score(data)
    thirds = np.quantile(holding[usable], [1 / 3, 2 / 3])
    groups = {
        "all": np.ones(len(later), dtype=bool),
        "lowest third of risk": holding > thirds[1],
        "middle third of risk": (holding > thirds[0]) & (holding <= thirds[1]),
        "highest third of risk": holding <= thirds[0],
        "implementation mechanism": (later["implement"] == 1).to_numpy(),
        "no implementation mechanism": (later["implement"] == 0).to_numpy(),
        "written": later["written"].isin([1, 2]).to_numpy(),
        "not written": (later["written"] == 0).to_numpy(),
    }
    return Validation(
        model=model,
        split_year=split_year,
        fitted=int(fitted.provenance["used"]),
        tested=int(usable.sum()),
        concordance_in_sample=harrell(own, own["usable"].to_numpy()),
        concordance=harrell(data, usable),
        rows=calibration(fitted, later, groups, follow_up_end=follow_up_end),
    )
