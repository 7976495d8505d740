"""Calibration: target figures as data, a verification of the model against them, and a fit.

``calibration.yaml`` holds the targets (failure shares by day for reference curves, and hazard
ratios of mechanisms with a tolerated range); :func:`verify` runs the model and reports every
residual; :func:`fit` searches the free parameters of the baseline (a compass search on common
random numbers, so the objective is smooth in the parameters).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detente._rng import RNGLike
from detente.durability.contexts import apply_contexts
from detente.durability.mechanisms import apply_mechanisms
from detente.durability.parameters import ParameterError, Parameters, default_parameters
from detente.durability.results import DurabilityResult
from detente.durability.simulate import root_seed, simulate

__all__ = [
    "CalibrationCheck",
    "CalibrationReport",
    "Targets",
    "effect_basis",
    "fit",
    "load_targets",
    "verify",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CurvePoint(_Frozen):
    """Share of ceasefires failed by ``day``."""

    day: int = Field(ge=1)
    failed: float = Field(ge=0.0, le=1.0)
    tolerance: float = Field(gt=0.0, le=1.0)


class Curve(_Frozen):
    """A reference survival curve."""

    name: str
    label: str
    fitted: bool
    points: tuple[CurvePoint, ...]


class EffectTarget(_Frozen):
    """A mechanism's hazard ratio at ``day``: a point (optional) and a tolerated range."""

    mechanism: str
    day: int = Field(ge=1)
    hazard_ratio: float | None = None
    low: float = 0.0
    high: float
    source: str


class MedianTarget(_Frozen):
    """Median day of collapse among the failures."""

    value: float = Field(gt=0.0)
    tolerance: float = Field(gt=0.0)


class ContextTarget(_Frozen):
    """Failure shares of the baseline in a context preset (``contexts.yaml``)."""

    context: str
    source: str
    points: tuple[CurvePoint, ...] = Field(min_length=1)
    median_failed_day: MedianTarget | None = None


class ContextEffectTarget(_Frozen):
    """Hazard ratio of one context against another at ``day``: a point and a range."""

    context: str
    reference: str
    day: int = Field(ge=1)
    hazard_ratio: float | None = None
    low: float = 0.0
    high: float
    source: str


class LevelPoint(CurvePoint):
    """A failure share that may be shown without being required (``fitted: false``)."""

    fitted: bool = True


class MechanismContextTarget(_Frozen):
    """Failure shares with a mechanism applied in a context preset."""

    mechanism: str
    context: str
    source: str
    points: tuple[LevelPoint, ...] = Field(min_length=1)


class Targets(_Frozen):
    """Every calibration target."""

    curves: tuple[Curve, ...]
    effects: tuple[EffectTarget, ...]
    contexts: tuple[ContextTarget, ...] = ()
    context_effects: tuple[ContextEffectTarget, ...] = ()
    mechanism_contexts: tuple[MechanismContextTarget, ...] = ()

    @property
    def horizon(self) -> int:
        """Longest day any target needs."""
        days = [p.day for c in self.curves for p in c.points] + [e.day for e in self.effects]
        days += [p.day for c in self.contexts for p in c.points]
        days += [p.day for c in self.mechanism_contexts for p in c.points]
        return max(days + [e.day for e in self.context_effects])


def load_targets() -> Targets:
    """The targets shipped in ``calibration.yaml``."""
    text = resources.files("detente.durability").joinpath("calibration.yaml").read_text("utf-8")
    try:
        return Targets.model_validate(yaml.safe_load(text))
    except ValidationError as exc:  # pragma: no cover - the shipped file is tested
        raise ParameterError(str(exc), source="calibration.yaml") from None


@dataclass(frozen=True)
class CalibrationCheck:
    """One target against the model."""

    target: str
    day: int
    expected: float
    low: float
    high: float
    model: float
    fitted: bool

    @property
    def residual(self) -> float:
        """Model minus target (for a range without a point: 0 inside the range)."""
        if math.isnan(self.expected):
            return max(self.model - self.high, self.low - self.model, 0.0)
        return self.model - self.expected

    @property
    def ok(self) -> bool:
        """Whether the model is within the tolerated range."""
        return self.low <= self.model <= self.high


@dataclass(frozen=True)
class CalibrationReport:
    """Every check, with the run's size and seed."""

    paths: int
    seed: int | None
    checks: tuple[CalibrationCheck, ...]

    @property
    def ok(self) -> bool:
        """Whether every fitted target is met."""
        return all(c.ok for c in self.checks if c.fitted)


def verify(
    params: Parameters | None = None,
    *,
    targets: Targets | None = None,
    paths: int = 4000,
    rng: RNGLike = 20_250_311,
) -> CalibrationReport:
    """Run the model on the reference deal and compare with each target."""
    params = params or default_parameters()
    targets = targets or load_targets()
    horizon = targets.horizon
    seed = root_seed(rng)
    base = simulate(params, paths=paths, days=horizon, rng=seed)
    checks = [
        check
        for curve in targets.curves
        for check in _level_checks(curve.name, curve.points, base, curve.fitted)
    ]
    for effect in targets.effects:
        other = simulate(
            apply_mechanisms(params, [effect.mechanism]), paths=paths, days=effect.day, rng=seed
        )
        checks.append(
            CalibrationCheck(
                target=f"{effect.mechanism} hazard ratio",
                day=effect.day,
                expected=effect.hazard_ratio if effect.hazard_ratio is not None else math.nan,
                low=effect.low,
                high=effect.high,
                model=other.cumulative_hazard_ratio(base, effect.day),
                fitted=True,
            )
        )
    checks += _context_checks(params, targets, paths, seed)
    for target in targets.mechanism_contexts:
        last = max(p.day for p in target.points)
        run = simulate(
            apply_mechanisms(apply_contexts(params, [target.context]), [target.mechanism]),
            paths=paths,
            days=last,
            rng=seed,
        )
        checks += _level_checks(f"{target.mechanism} in {target.context}", target.points, run)
    entropy = seed.entropy if isinstance(seed.entropy, int) else None
    return CalibrationReport(paths=paths, seed=entropy, checks=tuple(checks))


def _level_checks(
    name: str,
    points: Sequence[CurvePoint],
    run: DurabilityResult,
    fitted: bool | None = None,
) -> list[CalibrationCheck]:
    """The failure share of ``run`` at each target point (``fitted``: else each point's own)."""
    return [
        CalibrationCheck(
            target=name,
            day=point.day,
            expected=point.failed,
            low=point.failed - point.tolerance,
            high=point.failed + point.tolerance,
            model=1.0 - run.holding_at(point.day),
            fitted=getattr(point, "fitted", True) if fitted is None else fitted,
        )
        for point in points
    ]


def _context_checks(
    params: Parameters, targets: Targets, paths: int, seed: np.random.SeedSequence
) -> list[CalibrationCheck]:
    """Checks of the context presets: levels where figures exist, ratios where directions do."""
    # contexts compared with one another share one horizon (same random numbers); a context
    # with levels only runs to its own last day
    paired = {n for e in targets.context_effects for n in (e.context, e.reference)}
    own = {c.context: max(p.day for p in c.points) for c in targets.contexts}
    shared = max(
        [e.day for e in targets.context_effects] + [d for n, d in own.items() if n in paired],
        default=1,
    )
    horizons = {name: own[name] for name in own if name not in paired}
    horizons |= dict.fromkeys(paired, shared)
    runs = {
        name: simulate(apply_contexts(params, [name]), paths=paths, days=days, rng=seed)
        for name, days in sorted(horizons.items())
    }
    checks = []
    for target in targets.contexts:
        run = runs[target.context]
        checks += _level_checks(f"context {target.context}", target.points, run, fitted=True)
        if target.median_failed_day is not None:
            median = target.median_failed_day
            last = max(p.day for p in target.points)
            within = simulate(
                apply_contexts(params, [target.context]), paths=paths, days=last, rng=seed
            )
            checks.append(
                CalibrationCheck(
                    target=f"context {target.context} median failed day",
                    day=last,
                    expected=median.value,
                    low=median.value - median.tolerance,
                    high=median.value + median.tolerance,
                    model=within.median_days_to_collapse or math.inf,
                    fitted=True,
                )
            )
    for effect in targets.context_effects:
        checks.append(
            CalibrationCheck(
                target=f"{effect.context} vs {effect.reference} hazard ratio",
                day=effect.day,
                expected=effect.hazard_ratio if effect.hazard_ratio is not None else math.nan,
                low=effect.low,
                high=effect.high,
                model=runs[effect.context].cumulative_hazard_ratio(
                    runs[effect.reference], effect.day
                ),
                fitted=True,
            )
        )
    return checks


def _loss(params: Parameters, targets: Targets, paths: int, rng: RNGLike) -> float:
    horizon = max(p.day for c in targets.curves if c.fitted for p in c.points)
    result = simulate(params, paths=paths, days=horizon, rng=rng)
    total = 0.0
    for curve in targets.curves:
        if curve.fitted:
            for p in curve.points:
                total += ((1.0 - result.holding_at(p.day) - p.failed) / p.tolerance) ** 2
    return total


def fit(
    free: Mapping[str, tuple[float, float]],
    *,
    params: Parameters | None = None,
    targets: Targets | None = None,
    paths: int = 2000,
    rng: RNGLike = 7,
    iterations: int = 60,
    on_step: Callable[[dict[str, float], float], None] | None = None,
) -> tuple[dict[str, float], float]:
    """Fit party fields ``free`` (name -> (low, high)) to the fitted curves; compass search.

    Every evaluation uses the same random numbers, so the loss changes only with the parameters.

    Returns:
        The best values found and their loss (sum of squared residuals in tolerance units).
    """
    params = params or default_parameters()
    targets = targets or load_targets()
    seed = root_seed(rng)
    names: Sequence[str] = list(free)
    for k, (low, high) in free.items():
        if not low < high:
            raise ParameterError(f"bounds of {k} must have low < high, got {low}, {high}")
    first = params.parties[0]
    x = {k: float(getattr(first, k)) for k in names}
    step = {k: (free[k][1] - free[k][0]) / 4 for k in names}

    def loss_at(values: dict[str, float]) -> float:
        return _loss(params.replace_parties(**values), targets, paths, seed)

    best = loss_at(x)
    for _ in range(iterations):
        trial, value = _better_neighbour(x, best, step, free, loss_at)
        if value < best:
            x, best = trial, value
            if on_step is not None:
                on_step(x, best)
            continue
        step = {k: s / 2 for k, s in step.items()}
        if max(step[k] / (free[k][1] - free[k][0]) for k in names) < 1e-3:
            break
    return x, best


def _better_neighbour(
    x: dict[str, float],
    best: float,
    step: dict[str, float],
    free: Mapping[str, tuple[float, float]],
    loss_at: Callable[[dict[str, float]], float],
) -> tuple[dict[str, float], float]:
    """The first neighbour along an axis with a loss below ``best`` (compass search), else ``x``."""
    for k, size in step.items():
        for sign in (1.0, -1.0):
            trial = dict(x)
            trial[k] = min(max(x[k] + sign * size, free[k][0]), free[k][1])
            value = loss_at(trial)
            if value < best:
                return trial, value
    return x, best


def effect_basis(names: Sequence[str], *, builtin: bool = True) -> str:
    """Where the size of a mechanism set's effect comes from, for a guarantor to read.

    A single built-in preset whose hazard ratio is a calibration target with a point value is
    calibrated to that figure; one with a range only has its direction from the literature and
    its size from judgement; a combination is the model's product, not a published figure.
    """
    if not builtin:
        return "your presets"
    if len(names) != 1:
        return "combination: model, not a published figure"
    points = sorted(
        (e.day, e.hazard_ratio)
        for e in load_targets().effects
        if e.mechanism == names[0] and e.hazard_ratio is not None
    )
    if points:
        figures = ", ".join(f"HR {hr:.2f} at {day / 365.25:.0f} y" for day, hr in points)
        return f"calibrated to published figures ({figures})"
    return "direction published, size judgement"


def describe(report: CalibrationReport) -> list[dict[str, Any]]:
    """Rows of a report, for tables."""
    return [
        {
            "target": c.target,
            "day": c.day,
            "expected": c.expected,
            "range": (c.low, c.high),
            "model": c.model,
            "residual": c.residual,
            "ok": c.ok,
            "fitted": c.fitted,
        }
        for c in report.checks
    ]
