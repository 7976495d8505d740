"""Predicted survival of any ceasefire coded in ETH/PRIO's columns, from the shipped model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from detente.precedents.model import CeasefireModel, design_matrix, shipped_model
from detente.precedents.records import ethprio_ceasefires, read_ethprio_rows

__all__ = ["CeasefirePrediction", "ModelSummary", "PredictionResult", "predict_file"]

HORIZONS = (30, 90, 365)


@dataclass(frozen=True)
class ModelSummary:
    """Which model made the predictions: its source, the rows and years it was fitted to."""

    source: str
    rows: int | None
    years: tuple[int, int]
    covariates: tuple[str, ...]


@dataclass(frozen=True)
class CeasefirePrediction:
    """One ceasefire's chance of still holding after 30, 90 and 365 days, and its median."""

    cc: int
    cf_id: int
    survival: dict[str, float]
    median_days: float | None


@dataclass(frozen=True)
class PredictionResult:
    """Predictions for every ceasefire (``cc`` + ``cf_id``) of a file."""

    model: ModelSummary
    predictions: tuple[CeasefirePrediction, ...]


def predict_file(path: str | Path, model: CeasefireModel | None = None) -> PredictionResult:
    """Predict every ceasefire of an ETH/PRIO-style CSV file (one row per ceasefire and actor).

    Only the keys and design columns are read (any year; -1 codes are unknown and take the
    fitted mean). The default model is the one shipped (:func:`shipped_model`).

    Raises:
        DetenteError: a column is missing or a code is invalid (naming file, column and row).
    """
    fitted = model if model is not None else shipped_model()
    records = ethprio_ceasefires(read_ethprio_rows(path, dates=False))
    x = design_matrix(records, fitted.means)
    survival = fitted.survival(x, HORIZONS)
    medians = fitted.median_days(x)
    years = fitted.provenance["years"]
    predictions = tuple(
        CeasefirePrediction(
            cc=int(cc),
            cf_id=int(cf),
            survival={str(h): round(float(p), 4) for h, p in zip(HORIZONS, row, strict=True)},
            median_days=median,
        )
        for cc, cf, row, median in zip(
            records["cc"], records["cf_id"], survival, medians, strict=True
        )
    )
    summary = ModelSummary(
        source=str(fitted.provenance.get("source", "")),
        rows=fitted.provenance.get("rows"),
        years=(int(years[0]), int(years[1])),
        covariates=fitted.covariates,
    )
    return PredictionResult(model=summary, predictions=predictions)
