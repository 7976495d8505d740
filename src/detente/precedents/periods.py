"""Covariate effects that change with time: the ceasefire model fitted period by period.

The single-ratio Cox model (:mod:`.model`) assumes proportional hazards. The record does not
bear it out: the Schoenfeld-residual test (lifelines' ``proportional_hazard_test``, rank
transform) rejects it for ``written``, ``mediated``, ``implementation`` and the ``timing``
codes, and the Kaplan-Meier curves show why: a written text or an agreed implementation
mechanism protects a ceasefire in its first weeks, and the curves close up later. So each
covariate gets its own coefficient in each period (to 30 days, 31 to 90, after 90 by default):
every ceasefire is split into one episode per period it reaches (``(start, stop]``, the event
only in the episode where it ends), the covariate columns are copied into the columns of the
episode's period, and lifelines' ``CoxTimeVaryingFitter`` fits the counting-process partial
likelihood (Efron ties) with one baseline hazard. The single-ratio model is this model with
equal coefficients in every period; the likelihood-ratio test between the two is recorded.

A ceasefire that ends on the day it starts (``days`` 0) is counted as ending half-way through
that day (0.5), since an episode must have a positive length; the breaks fall on whole days, so
no ceasefire changes period by it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import DetenteError
from detente.piecewise import PiecewiseCox, period_labels
from detente.precedents.model import (
    COVARIATES,
    ETHPRIO_SOURCE,
    FOLLOW_UP_END,
    _indicators,
    design_matrix,
    survival_data,
)
from detente.precedents.records import ethprio_ceasefires, read_ethprio_rows

__all__ = [
    "BREAKS",
    "expanded_names",
    "fit_ethprio_periods",
    "fit_period_model",
    "shipped_period_model",
    "split_episodes",
]

#: Days at which the effects change: the first month, the first three months, after.
BREAKS = (30.0, 90.0)
#: A ceasefire ending on its first day ends at this time in the split data.
SAME_DAY = 0.5


def expanded_names(covariates: Sequence[str], breaks: Sequence[float]) -> list[str]:
    """The fitted columns, period by period: ``written@0-30 d``, ..., ``ddr@after 90 d``."""
    return [f"{name}@{label}" for label in period_labels(breaks) for name in covariates]


def split_episodes(
    x: np.ndarray, days: np.ndarray, event: np.ndarray, breaks: Sequence[float] = BREAKS
) -> pd.DataFrame:
    """One row per ceasefire and period it reaches: ``id, period, start, stop, event`` + columns.

    Args:
        x: covariates, one row per ceasefire ``(n, p)``.
        days: time to the end or to censoring (positive).
        event: whether the ceasefire ended at ``days``.
        breaks: the days at which the periods change.

    The episode of period ``k`` runs over ``(b_k, min(days, b_{k+1})]`` and exists when
    ``days > b_k``; it carries the event when the ceasefire ends in it. Its expanded covariates
    are ``x`` in period ``k``'s block and 0 elsewhere (``expanded_names``).
    """
    x = np.asarray(x, dtype=float)
    days = np.asarray(days, dtype=float)
    ended = np.asarray(event, dtype=bool)
    edges = np.array([0.0, *breaks, np.inf])
    periods = len(edges) - 1
    reached = days[:, None] > edges[None, :-1]  # (n, periods)
    row, period = np.nonzero(reached)
    start = edges[period]
    stop = np.minimum(days[row], edges[period + 1])
    last = days[row] <= edges[period + 1]
    expanded = np.zeros((len(row), periods * x.shape[1]))
    columns = period[:, None] * x.shape[1] + np.arange(x.shape[1])[None, :]
    np.put_along_axis(expanded, columns, x[row], axis=1)
    frame = pd.DataFrame(
        expanded, columns=expanded_names([f"x{j}" for j in range(x.shape[1])], breaks)
    )
    frame.insert(0, "event", (last & ended[row]).astype(int))
    frame.insert(0, "stop", stop)
    frame.insert(0, "start", start)
    frame.insert(0, "period", period)
    frame.insert(0, "id", row)
    return frame


def _ph_test(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Schoenfeld-residual test of the single-ratio model, per covariate (rank transform)."""
    from lifelines import CoxPHFitter  # noqa: PLC0415 - optional 'precedents' extra
    from lifelines.statistics import proportional_hazard_test  # noqa: PLC0415

    fitter = CoxPHFitter().fit(frame, duration_col="days", event_col="event")
    test = proportional_hazard_test(fitter, frame, time_transform="rank").summary
    return {
        str(name): {"statistic": float(row["test_statistic"]), "p": float(row["p"])}
        for name, row in test.iterrows()
    }


def fit_period_model(
    records: pd.DataFrame,
    *,
    breaks: Sequence[float] = BREAKS,
    follow_up_end: dt.date = FOLLOW_UP_END,
    provenance: Mapping[str, Any] | None = None,
) -> PiecewiseCox:
    """Fit the period-specific model to ETH/PRIO ceasefire records (rules of :mod:`.model`).

    Raises:
        DetenteError: too few ended ceasefires in a period to fit.
    """
    from lifelines import CoxTimeVaryingFitter  # noqa: PLC0415 - optional 'precedents' extra

    data = survival_data(records, follow_up_end)
    used = data[data["usable"]]
    values, unknown = _indicators(used)
    means = np.nanmean(np.where(unknown, np.nan, values), axis=0)
    x = design_matrix(used, means)
    names = [c.name for c in COVARIATES]
    days = np.where(used["days"].to_numpy(dtype=float) == 0, SAME_DAY, used["days"])
    event = used["event"].to_numpy(dtype=bool)
    long = split_episodes(x, days, event, breaks)
    columns = expanded_names(names, breaks)
    long.columns = [*long.columns[:5], *columns]
    events = long.groupby("period")["event"].sum()
    if len(events) <= len(breaks) or int(events.min()) < 2 * len(names):
        raise DetenteError(f"too few ended ceasefires in a period to fit ({events.tolist()})")

    def fit(frame: pd.DataFrame) -> Any:
        return CoxTimeVaryingFitter().fit(
            frame, id_col="id", start_col="start", stop_col="stop", event_col="event"
        )

    keys = long[["id", "start", "stop", "event"]]
    fitter = fit(pd.concat([keys, long[columns]], axis=1))
    single = fit(pd.concat([keys, pd.DataFrame(x[long["id"]], columns=names)], axis=1))
    statistic = 2.0 * (fitter.log_likelihood_ - single.log_likelihood_)
    freedom = len(columns) - len(names)
    from scipy.stats import chi2  # noqa: PLC0415 - a dependency of lifelines

    whole = pd.DataFrame(x, columns=names).assign(days=days, event=event.astype(int))
    at_risk = np.stack([x[long["id"][long["period"] == k]].mean(axis=0) for k in events.index])
    baseline = fitter.baseline_cumulative_hazard_.iloc[:, 0]
    model = PiecewiseCox(
        covariates=tuple(names),
        breaks=tuple(float(b) for b in breaks),
        coefficients=tuple(
            tuple(float(v) for v in row)
            for row in fitter.params_.to_numpy().reshape(-1, len(names))
        ),
        covariance=tuple(
            tuple(float(v) for v in row) for row in fitter.variance_matrix_.to_numpy()
        ),
        means=tuple(float(v) for v in means),
        centre=tuple(float(v) for v in fitter._norm_mean),  # noqa: SLF001 - lifelines' centring
        at_risk_means=_rows(at_risk),
        times=tuple(float(t) for t in baseline.index),
        cumulative_hazard=tuple(float(v) for v in baseline),
        population=(),
        tests={},
        provenance={},
    )
    population = model.survival(x, model.times).mean(axis=0)
    years = used["year"].dropna()
    facts = {
        "ceasefires": len(records),
        "used": len(used),
        "events": int(event.sum()),
        "events_by_period": [int(e) for e in events],
        "years": [int(years.min()), int(years.max())],
        "follow_up_end": follow_up_end.isoformat(),
        **(provenance or {}),
    }
    tests = {
        "proportional_hazards": _ph_test(whole),
        "likelihood_ratio": {
            "statistic": float(statistic),
            "df": freedom,
            "p": float(chi2.sf(statistic, freedom)),
        },
    }
    return dataclasses.replace(
        model, population=tuple(float(v) for v in population), tests=tests, provenance=facts
    )


def _rows(matrix: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in matrix)


def fit_ethprio_periods(
    path: str | Path, *, version: str = "1989-2014", follow_up_end: dt.date = FOLLOW_UP_END
) -> PiecewiseCox:
    """Fit the period model to an ETH/PRIO CF file, recording its provenance (and SHA-256).

    Raises:
        DetenteError: the file is not a valid ETH/PRIO CF file (see ``read_ethprio_rows``).
    """
    from lifelines import __version__ as lifelines_version  # noqa: PLC0415 - optional extra

    rows = read_ethprio_rows(path)
    return fit_period_model(
        ethprio_ceasefires(rows),
        follow_up_end=follow_up_end,
        provenance={
            "source": ETHPRIO_SOURCE,
            "version": version,
            "file": Path(path).name,
            "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
            "rows": len(rows),
            "fitted_with": f"lifelines {lifelines_version} CoxTimeVaryingFitter (Efron ties), "
            "episodes split at the breaks",
            "start": "in effect, else declared; a missing day is the 15th",
            "censoring": f"no recorded end: right-censored at {follow_up_end.isoformat()}",
            "same_day": f"a ceasefire ending on its first day ends at day {SAME_DAY}",
        },
    )


def shipped_period_model() -> PiecewiseCox:
    """The period model fitted to the ETH/PRIO 1989-2014 release, as shipped with detente."""
    text = resources.files("detente.precedents").joinpath("fitted_periods.json").read_text("utf-8")
    return PiecewiseCox.from_json(text, "detente/precedents/fitted_periods.json")
