"""A Cox model of how long ceasefires last, fitted to the ETH/PRIO record.

Time runs from a ceasefire's start (the day it came into effect, else the day it was declared)
to its recorded end. A ceasefire whose end is not recorded is right-censored at the end of the
record's follow-up (31 December 2014 for the 1989-2014 release): the data does not say whether
such a ceasefire held or its end went unrecorded, so this is the optimistic reading, stated in
``docs/explanation/precedents.md``. Ceasefires without a start, with an end year but no month,
or ending before they start are left out of the fit and counted.

Covariates are what a deal and its context decide, as indicators of ETH/PRIO codes
(:data:`COVARIATES`). An unclear code (-1, and enforcement's 3) is unknown: the indicator takes
its mean in the fitted data, so an unclear ceasefire is predicted as an average one on that
point. The fit is lifelines' ``CoxPHFitter`` (Efron ties); predictions need numpy alone, from
the fitted figures shipped in ``fitted.json``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detente._rng import RNGLike, as_generator
from detente.errors import DetenteError
from detente.piecewise import median_days_of
from detente.precedents.records import ethprio_ceasefires, read_ethprio_rows

__all__ = [
    "COVARIATES",
    "CeasefireModel",
    "Covariate",
    "design_matrix",
    "fit_ceasefire_model",
    "fit_ethprio_file",
    "shipped_model",
    "survival_data",
]

#: The end of follow-up of the ETH/PRIO 1989-2014 release.
FOLLOW_UP_END = dt.date(2014, 12, 31)


@dataclass(frozen=True)
class Covariate:
    """An indicator of ETH/PRIO codes: 1 when ``column`` holds one of ``codes``.

    Attributes:
        name: the covariate's name in the model.
        column: the ETH/PRIO column.
        codes: the codes that set the indicator.
        label: what it means, as far as the data's documentation says.
    """

    name: str
    column: str
    codes: tuple[int, ...]
    label: str


_UNDOCUMENTED = "code {} (meaning not documented in the release's labels)"

#: The model's covariates. Meanings are from the value labels of the data's authors
#: (``written``, ``mediator_nego``, ``implement``, ``enforcement``) and the data's description
#: (``side``: unilateral / bilateral / multilateral); the others are named by their codes only.
COVARIATES: tuple[Covariate, ...] = (
    Covariate("written", "written", (1, 2), "a written agreement"),
    Covariate("bilateral", "side", (2,), "bilateral (reference: unilateral)"),
    Covariate("multilateral", "side", (3,), "multilateral (reference: unilateral)"),
    Covariate("class_2", "ceasefire_class", (2,), "class " + _UNDOCUMENTED.format(2)),
    Covariate("class_3", "ceasefire_class", (3,), "class " + _UNDOCUMENTED.format(3)),
    Covariate("timing_1", "timing", (1,), "timing " + _UNDOCUMENTED.format(1)),
    Covariate("timing_2", "timing", (2,), "timing " + _UNDOCUMENTED.format(2)),
    Covariate("timing_3", "timing", (3,), "timing " + _UNDOCUMENTED.format(3)),
    Covariate("mediated", "mediator_nego", (1,), "mediated"),
    Covariate("implementation", "implement", (1,), "an implementation mechanism agreed"),
    Covariate("state_enforcement", "enforcement", (1,), "enforcement by an outside state"),
    Covariate("ngo_enforcement", "enforcement", (2,), "enforcement by an NGO"),
    Covariate("ddr", "ddr", (1,), "DDR " + _UNDOCUMENTED.format(1)),
)

#: Codes that mean "unclear" (the value labels give -1, and 3 for enforcement).
UNCLEAR: dict[str, tuple[int, ...]] = {"enforcement": (-1, 3)}


def _unclear(column: str) -> tuple[int, ...]:
    return UNCLEAR.get(column, (-1,))


def _indicators(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The 0/1 indicators (n, k) and which of them are unknown."""
    values = np.empty((len(records), len(COVARIATES)))
    unknown = np.zeros_like(values, dtype=bool)
    for j, cov in enumerate(COVARIATES):
        column = records[cov.column].to_numpy()
        values[:, j] = np.isin(column, cov.codes)
        unknown[:, j] = np.isin(column, _unclear(cov.column))
    return values, unknown


def design_matrix(records: pd.DataFrame, means: Sequence[float]) -> np.ndarray:
    """The covariate matrix of ``records``; unknown indicators take ``means``."""
    values, unknown = _indicators(records)
    return np.asarray(np.where(unknown, np.asarray(means, dtype=float)[None, :], values))


def survival_data(records: pd.DataFrame, follow_up_end: dt.date = FOLLOW_UP_END) -> pd.DataFrame:
    """``records`` with ``days`` (start to end, or to ``follow_up_end``), ``event`` and ``usable``.

    ``usable`` is False for a ceasefire without a start, with an end year but no month, or that
    ends before it starts (the record is inconsistent); such rows keep ``days`` missing.
    """
    censor = pd.Timestamp(follow_up_end)
    event = records["end"].notna()
    start = records["start"]
    stop = records["end"].where(event, start.where(start > censor, censor))
    days = (stop - records["start"]).dt.days
    usable = records["start"].notna() & ~records["end_year_only"] & (days >= 0)
    return records.assign(days=days.where(usable), event=event.to_numpy(), usable=usable.to_numpy())


@dataclass(frozen=True)
class CeasefireModel:
    """A fitted Cox model: coefficients, baseline cumulative hazard, provenance.

    ``S(t | x) = exp(-H0(t) exp((x - centre) . coefficients))``, ``H0`` a step function that
    jumps at ``times``.

    Attributes:
        covariates: covariate names (:data:`COVARIATES`), in order.
        coefficients: log hazard ratios.
        standard_errors: their standard errors.
        covariance: the coefficients' covariance matrix (rows in covariate order).
        means: each indicator's mean where known (the value of an unknown code).
        centre: the covariate means lifelines centres on.
        times: days at which ``cumulative_hazard`` is given.
        cumulative_hazard: H0 at ``times``.
        concordance: Harrell's C on the fitted data.
        provenance: source, version, file, rows, ceasefires, events, years, follow-up, rules.
    """

    covariates: tuple[str, ...]
    coefficients: tuple[float, ...]
    standard_errors: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    means: tuple[float, ...]
    centre: tuple[float, ...]
    times: tuple[float, ...]
    cumulative_hazard: tuple[float, ...]
    concordance: float
    provenance: Mapping[str, Any]

    def hazard_ratios(self) -> dict[str, tuple[float, float, float]]:
        """Each covariate's hazard ratio with its 95% interval (from the standard errors)."""
        beta, se = np.asarray(self.coefficients), np.asarray(self.standard_errors)
        return {
            name: (float(np.exp(b)), float(np.exp(b - 1.96 * s)), float(np.exp(b + 1.96 * s)))
            for name, b, s in zip(self.covariates, beta, se, strict=True)
        }

    def risk(self, x: np.ndarray) -> np.ndarray:
        """Relative hazard ``exp((x - centre) . beta)`` of each row of ``x``."""
        linear = (x - np.asarray(self.centre)) @ np.asarray(self.coefficients)
        return np.asarray(np.exp(linear), dtype=float)

    def survival(self, x: np.ndarray, days: Sequence[float]) -> np.ndarray:
        """P(still holding after ``days``), shape (rows of ``x``, len(days))."""
        times = np.asarray(self.times)
        cum = np.concatenate([[0.0], np.asarray(self.cumulative_hazard)])
        h0 = cum[np.searchsorted(times, np.asarray(days, dtype=float), side="right")]
        return np.exp(-np.outer(self.risk(x), h0))

    def survival_band(
        self,
        x: np.ndarray,
        days: Sequence[float],
        *,
        draws: int = 1000,
        level: float = 0.95,
        rng: RNGLike = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``level`` band of survival from the coefficients' uncertainty, (rows, days) each.

        Coefficients are drawn from the normal approximation of the fit (``coefficients``,
        ``covariance``); the baseline hazard is kept as fitted, so the band is that of the
        covariate effects alone.
        """
        generator = as_generator(rng)
        betas = generator.multivariate_normal(
            np.asarray(self.coefficients), np.asarray(self.covariance), size=draws
        )
        times = np.asarray(self.times)
        cum = np.concatenate([[0.0], np.asarray(self.cumulative_hazard)])
        h0 = cum[np.searchsorted(times, np.asarray(days, dtype=float), side="right")]
        risk = np.exp((x - np.asarray(self.centre)) @ betas.T)  # (rows, draws)
        curves = np.exp(-risk[:, :, None] * h0[None, None, :])  # (rows, draws, days)
        tail = (1 - level) / 2
        low, high = np.quantile(curves, [tail, 1 - tail], axis=1)
        return np.asarray(low), np.asarray(high)

    def median_days(self, x: np.ndarray) -> list[float | None]:
        """The first day survival is at most one half, per row (None if it never is)."""
        curve = np.exp(-np.outer(self.risk(x), np.asarray(self.cumulative_hazard)))
        return median_days_of(curve, self.times)

    def to_json(self) -> str:
        """The model as JSON (the format of the shipped ``fitted.json``)."""
        return json.dumps(dataclasses.asdict(self), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str | Path = "<model>") -> CeasefireModel:
        """Read a model written by :meth:`to_json`.

        Raises:
            DetenteError: the text is not such a model, or its covariates are not detente's.
        """
        try:
            raw = json.loads(text)
            model = cls(
                covariates=tuple(str(c) for c in raw["covariates"]),
                coefficients=_floats(raw["coefficients"]),
                standard_errors=_floats(raw["standard_errors"]),
                covariance=tuple(_floats(row) for row in raw["covariance"]),
                means=_floats(raw["means"]),
                centre=_floats(raw["centre"]),
                times=_floats(raw["times"]),
                cumulative_hazard=_floats(raw["cumulative_hazard"]),
                concordance=float(raw["concordance"]),
                provenance=dict(raw["provenance"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DetenteError(f"not a fitted ceasefire model: {exc}", source=source) from None
        if model.covariates != tuple(c.name for c in COVARIATES):
            raise DetenteError(
                "the model's covariates are not this version's", source=source, field="covariates"
            )
        return model


def _floats(values: Sequence[Any]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def shipped_model() -> CeasefireModel:
    """The model fitted to the ETH/PRIO 1989-2014 release, as shipped with detente."""
    text = resources.files("detente.precedents").joinpath("fitted.json").read_text("utf-8")
    return CeasefireModel.from_json(text, "detente/precedents/fitted.json")


def fit_ceasefire_model(
    records: pd.DataFrame,
    *,
    follow_up_end: dt.date = FOLLOW_UP_END,
    provenance: Mapping[str, Any] | None = None,
) -> CeasefireModel:
    """Fit the Cox model to ETH/PRIO ceasefire records (see :func:`~.records.load_ethprio`).

    Needs the ``precedents`` extra (lifelines).

    Raises:
        DetenteError: lifelines is not installed, or too few usable ceasefires.
    """
    try:
        from lifelines import CoxPHFitter  # noqa: PLC0415 - optional 'precedents' extra
    except ImportError:  # pragma: no cover - the test environment has the extra
        raise DetenteError("fitting needs lifelines: pip install 'detente[precedents]'") from None
    data = survival_data(records, follow_up_end)
    used = data[data["usable"]]
    if int(used["event"].sum()) < 2 * len(COVARIATES):
        raise DetenteError(f"too few ended ceasefires to fit ({int(used['event'].sum())})")
    values, unknown = _indicators(used)
    means = np.nanmean(np.where(unknown, np.nan, values), axis=0)
    frame = pd.DataFrame(
        design_matrix(used, means), columns=[c.name for c in COVARIATES], index=used.index
    )
    frame["days"] = used["days"].astype(float)
    frame["event"] = used["event"].astype(int)
    fitter = CoxPHFitter()
    fitter.fit(frame, duration_col="days", event_col="event")
    baseline = fitter.baseline_cumulative_hazard_.iloc[:, 0]
    years = used["year"].dropna()
    facts = {
        "ceasefires": len(records),
        "used": len(used),
        "events": int(used["event"].sum()),
        "years": [int(years.min()), int(years.max())],
        "follow_up_end": follow_up_end.isoformat(),
        **(provenance or {}),
    }
    return CeasefireModel(
        covariates=tuple(frame.columns[:-2]),
        coefficients=tuple(float(v) for v in fitter.params_),
        standard_errors=tuple(float(v) for v in fitter.standard_errors_),
        covariance=tuple(_floats(row) for row in fitter.variance_matrix_.to_numpy()),
        means=tuple(float(v) for v in means),
        centre=tuple(float(v) for v in fitter._norm_mean),  # noqa: SLF001 - lifelines' centring
        times=tuple(float(t) for t in baseline.index),
        cumulative_hazard=tuple(float(v) for v in baseline),
        concordance=float(fitter.concordance_index_),
        provenance=facts,
    )


#: What the shipped model cites.
ETHPRIO_SOURCE = (
    "ETH/PRIO Civil Conflict Ceasefire dataset: Clayton, Nygård, Strand, Rustad et al. (2022), "
    "Journal of Conflict Resolution, doi:10.1177/00220027221129195"
)


def fit_ethprio_file(
    path: str | Path, *, version: str = "1989-2014", follow_up_end: dt.date = FOLLOW_UP_END
) -> CeasefireModel:
    """Fit the model to an ETH/PRIO CF file, recording its provenance (with the file's SHA-256).

    Raises:
        DetenteError: the file is not a valid ETH/PRIO CF file (see ``read_ethprio_rows``).
    """
    from lifelines import __version__ as lifelines_version  # noqa: PLC0415 - optional extra

    rows = read_ethprio_rows(path)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return fit_ceasefire_model(
        ethprio_ceasefires(rows),
        follow_up_end=follow_up_end,
        provenance={
            "source": ETHPRIO_SOURCE,
            "version": version,
            "file": Path(path).name,
            "sha256": digest,
            "rows": len(rows),
            "fitted_with": f"lifelines {lifelines_version} CoxPHFitter (Efron ties)",
            "start": "in effect, else declared; a missing day is the 15th",
            "censoring": f"no recorded end: right-censored at {follow_up_end.isoformat()}",
        },
    )
