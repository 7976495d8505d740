"""A Cox model whose covariate effects change at fixed days (piecewise-constant effects).

``h(t | x) = h0(t) exp(x . beta_k - centre . beta)`` for ``t`` in period ``k``: the periods are
``[0, b_1]``, ``(b_1, b_2]``, ..., ``(b_last, inf)``, each with its own coefficients ``beta_k``;
``centre`` is the mean of the expanded covariates (lifelines' centring of the episode-split
data) and ``h0`` a step function with jumps at ``times``. It is the model that episode
splitting and lifelines' ``CoxTimeVaryingFitter`` fit (``detente.precedents.periods``); this
module needs numpy alone, so durability reads the shipped fit without the ``precedents`` extra.

:func:`reweight` applies period-specific hazard ratios to any survival curve given by day:
each day's cumulative-hazard increment is multiplied by the ratio of the period the day is in.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detente.errors import DetenteError

__all__ = ["PiecewiseCox", "median_days_of", "period_labels", "period_of_days", "reweight"]

#: Survival below this is read as this, so that a curve at 0 keeps a finite cumulative hazard.
_FLOOR = 1e-300


def median_days_of(curve: np.ndarray, times: Sequence[float]) -> list[float | None]:
    """The first of ``times`` each row of ``curve`` is at most one half (None if it never is).

    ``curve`` holds survival, one row a case and one column a day of ``times``.
    """
    below = curve <= 0.5
    first = np.argmax(below, axis=1).tolist()
    hits = np.any(below, axis=1).tolist()
    return [float(times[i]) if hit else None for i, hit in zip(first, hits, strict=True)]


def period_labels(breaks: Sequence[float]) -> tuple[str, ...]:
    """``("0-30 d", "31-90 d", "after 90 d")`` for breaks ``(30, 90)``."""
    edges = [0, *(int(b) for b in breaks)]
    spans = [f"{edges[0]}-{edges[1]} d"] + [
        f"{lo + 1}-{hi} d" for lo, hi in itertools.pairwise(edges[1:])
    ]
    return (*spans, f"after {edges[-1]} d")


def period_of_days(days: np.ndarray | Sequence[float], breaks: Sequence[float]) -> np.ndarray:
    """The period of each time: ``k`` when ``b_k < t <= b_{k+1}`` (period 0 holds day 0)."""
    return np.searchsorted(np.asarray(breaks, dtype=float), np.asarray(days, dtype=float))


def reweight(survival: np.ndarray, ratios: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """``survival`` (by day 1..n, last axis) with period ``k``'s hazard multiplied by ``ratios[k]``.

    ``S'(d) = exp(-sum_{u <= d} r_{k(u)} (H(u) - H(u - 1)))``, ``H = -ln S``, ``H(0) = 0``.
    ``ratios`` has shape ``(..., periods)``; the result broadcasts the leading axes of both.
    A day on which ``survival`` is 0 stays 0, whatever the ratios.
    """
    curve = np.asarray(survival, dtype=float)
    hazard = -np.log(np.clip(curve, _FLOOR, 1.0))
    steps = np.diff(hazard, axis=-1, prepend=0.0)
    period = period_of_days(np.arange(1, curve.shape[-1] + 1), breaks)
    weights = np.asarray(ratios, dtype=float)[..., period]
    bent = np.exp(-np.cumsum(weights * steps, axis=-1))
    return np.asarray(np.where(curve > 0, bent, 0.0))  # no path left stays no path left


@dataclass(frozen=True)
class PiecewiseCox:
    """A fitted Cox model with period-specific coefficients.

    Attributes:
        covariates: covariate names, in order.
        breaks: the days at which the periods change (``(30, 90)``: to 30 days, to 90, after).
        coefficients: log hazard ratios, one row per period.
        covariance: the coefficients' covariance, rows and columns in the order period by
            period, covariates within (``k * len(covariates) + j``).
        means: each indicator's mean where known (the value of an unknown code).
        centre: the mean of the expanded covariates (one block per period), lifelines' centring.
        at_risk_means: per period, the covariates' mean among the ceasefires still holding when
            it starts (the average ceasefire at risk then).
        times: days at which ``cumulative_hazard`` is given.
        cumulative_hazard: the baseline ``H0`` at ``times``.
        population: the model's survival of the population it was fitted to at ``times``
            (the mean of every fitted ceasefire's curve, set apart from the Kaplan-Meier only
            by the model's error).
        tests: the checks behind the model (proportional-hazards test of the single-ratio
            model, likelihood ratio against it).
        provenance: source, version, file, rows, ceasefires, events, years, rules.
    """

    covariates: tuple[str, ...]
    breaks: tuple[float, ...]
    coefficients: tuple[tuple[float, ...], ...]
    covariance: tuple[tuple[float, ...], ...]
    means: tuple[float, ...]
    centre: tuple[float, ...]
    at_risk_means: tuple[tuple[float, ...], ...]
    times: tuple[float, ...]
    cumulative_hazard: tuple[float, ...]
    population: tuple[float, ...]
    tests: Mapping[str, Any]
    provenance: Mapping[str, Any]

    @property
    def periods(self) -> tuple[str, ...]:
        """The periods in words."""
        return period_labels(self.breaks)

    def beta(self) -> np.ndarray:
        """The coefficients as an array ``(periods, covariates)``."""
        return np.asarray(self.coefficients, dtype=float)

    def hazard_ratios(self) -> dict[str, list[tuple[float, float, float]]]:
        """Per covariate, per period: the hazard ratio and its 95% interval."""
        beta = self.beta()
        se = np.sqrt(np.diag(np.asarray(self.covariance))).reshape(beta.shape)
        return {
            name: [
                (float(np.exp(b)), float(np.exp(b - 1.96 * s)), float(np.exp(b + 1.96 * s)))
                for b, s in zip(beta[:, j], se[:, j], strict=True)
            ]
            for j, name in enumerate(self.covariates)
        }

    def log_risk(self, x: np.ndarray) -> np.ndarray:
        """``x . beta_k - centre . beta`` of each row of ``x``, shape ``(rows, periods)``."""
        beta = self.beta()
        offset = float(np.asarray(self.centre) @ beta.ravel())
        return np.asarray(np.atleast_2d(x) @ beta.T - offset)

    def survival(self, x: np.ndarray, days: Sequence[float] | np.ndarray) -> np.ndarray:
        """P(still holding after ``days``), shape ``(rows of x, len(days))``."""
        times = np.asarray(self.times)
        jumps = np.diff(np.asarray(self.cumulative_hazard), prepend=0.0)
        risk = np.exp(self.log_risk(x))[:, period_of_days(times, self.breaks)]
        cum = np.concatenate([np.zeros((risk.shape[0], 1)), np.cumsum(risk * jumps, axis=1)], 1)
        at = np.searchsorted(times, np.asarray(days, dtype=float), side="right")
        return np.asarray(np.exp(-cum[:, at]))

    def period_ratios(self, x: np.ndarray, horizon: float) -> np.ndarray:
        """Each row's hazard against the population's, period by period, ``(rows, periods)``.

        ``r_k = (H(c_k | x) - H(c_{k-1} | x)) / (H_pop(c_k) - H_pop(c_{k-1}))`` with
        ``c_k = min(b_k, horizon)`` (and ``c_last = horizon``): a curve that follows the
        population's and has its hazard multiplied by ``r_k`` in period ``k`` (:func:`reweight`)
        meets ``S(t | x)`` at every break and at the horizon. A period wholly beyond the
        horizon has ratio 1.
        """
        ends = np.minimum([*self.breaks, np.inf], float(horizon))
        cuts = np.concatenate([[0.0], ends])
        mine = -np.log(self.survival(x, cuts))
        times = np.asarray(self.times)
        pop = np.concatenate([[1.0], np.asarray(self.population)])
        theirs = -np.log(pop[np.searchsorted(times, cuts, side="right")])
        step, base = np.diff(mine, axis=1), np.diff(theirs)
        ratios = np.divide(step, base, out=np.ones_like(step), where=base[None, :] > 0)
        return np.asarray(ratios)

    def median_days(self, x: np.ndarray) -> list[float | None]:
        """The first day survival is at most one half, per row (None if it never is)."""
        return median_days_of(self.survival(x, self.times), self.times)

    def to_json(self) -> str:
        """The model as JSON (the format of the shipped ``fitted_periods.json``)."""
        return json.dumps(dataclasses.asdict(self), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str | Path = "<model>") -> PiecewiseCox:
        """Read a model written by :meth:`to_json`.

        Raises:
            DetenteError: the text is not such a model, or its shapes do not agree.
        """
        try:
            raw = json.loads(text)
            model = cls(
                covariates=tuple(str(c) for c in raw["covariates"]),
                breaks=_floats(raw["breaks"]),
                coefficients=tuple(_floats(row) for row in raw["coefficients"]),
                covariance=tuple(_floats(row) for row in raw["covariance"]),
                means=_floats(raw["means"]),
                centre=_floats(raw["centre"]),
                at_risk_means=tuple(_floats(row) for row in raw["at_risk_means"]),
                times=_floats(raw["times"]),
                cumulative_hazard=_floats(raw["cumulative_hazard"]),
                population=_floats(raw["population"]),
                tests=dict(raw["tests"]),
                provenance=dict(raw["provenance"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DetenteError(f"not a fitted piecewise model: {exc}", source=source) from None
        shape = (len(model.breaks) + 1, len(model.covariates))
        size = shape[0] * shape[1]
        if (
            np.shape(model.coefficients) != shape
            or np.shape(model.at_risk_means) != shape
            or np.shape(model.covariance) != (size, size)
            or len(model.centre) != size
            or len(model.means) != shape[1]
            or not len(model.times) == len(model.cumulative_hazard) == len(model.population)
        ):
            raise DetenteError("the model's arrays do not agree in shape", source=source)
        return model


def _floats(values: Sequence[Any]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
