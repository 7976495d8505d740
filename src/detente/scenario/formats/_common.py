"""Helpers shared by the GENIUS and GeniusWeb readers and writers."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from detente.errors import RepairWarning, ScenarioError
from detente.scenario.model import (
    LinearFunction,
    NumericIssue,
    Party,
    PiecewiseLinearFunction,
)

__all__ = [
    "WEIGHT_SUM_TOLERANCE",
    "clipped_line",
    "clipped_line_function",
    "number",
    "repair",
    "safe_file_stem",
    "unique_stems",
    "validate_party",
    "warn_if_not_normalised",
]

#: Weights summing to 1 within this tolerance are taken as normalised without a warning.
WEIGHT_SUM_TOLERANCE = 1e-6


def repair(source: str | Path, what: str) -> None:
    """Report a repaired quirk of ``source`` as a :class:`RepairWarning`."""
    warnings.warn(f"{source}: repaired: {what}", RepairWarning, stacklevel=3)


def number(text: str | None, source: str | Path, field: str) -> float:
    """A finite number from attribute/JSON text, or a ``ScenarioError`` naming the field."""
    try:
        value = float(text) if text is not None else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise ScenarioError(f"expected a number, got {text!r}", source=source, field=field)
    return value


def validate_party(raw: dict[str, Any], source: str | Path, field: str = "") -> None:
    """Validate one party on its own, so that errors name the file it came from."""
    try:
        Party.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(x) for x in first["loc"] if x not in {"additive", "rules", "linear"}]
        where = ".".join(x for x in [field, *loc] if x) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ScenarioError(message, source=source, field=where) from None


def warn_if_not_normalised(weights: dict[str, float], source: str | Path) -> None:
    """Warn when weights do not sum to 1 (they are normalised on use)."""
    total = math.fsum(weights.values())
    if total > 0 and abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        repair(source, f"weights sum to {total:.6g}, not 1: normalised")


def warn_if_peak_below_one(peak: float, issue: str, source: str | Path) -> None:
    """Warn when an issue's best value scores below 1 (rescaled to 1 by the model)."""
    if 0 < peak < 1 - WEIGHT_SUM_TOLERANCE:
        repair(
            source,
            f"the values of issue {issue!r} peak at {peak:.6g}, not 1: rescaled so that the "
            "best value scores 1 (detente's utility definition)",
        )


def clipped_line(offset: float, slope: float, x0: float, issue: NumericIssue) -> dict[str, Any]:
    """A value function ``clip(offset + slope * (x - x0), 0, 1)`` over ``issue``'s range.

    A line that stays in [0, 1] over the range is a ``linear`` function; one that GENIUS would
    clip becomes ``piecewise`` with breakpoints where the line leaves [0, 1].
    """
    low, high = issue.low, issue.high

    def at(x: float) -> float:
        return offset + slope * (x - x0)

    inside = 0.0 <= at(low) <= 1.0 and 0.0 <= at(high) <= 1.0
    if inside or high == low:
        return {
            "kind": "linear",
            "at_low": min(max(at(low), 0.0), 1.0),
            "at_high": min(max(at(high), 0.0), 1.0),
        }
    points = {low: min(max(at(low), 0.0), 1.0), high: min(max(at(high), 0.0), 1.0)}
    if slope != 0:
        for level in (0.0, 1.0):
            x = x0 + (level - offset) / slope
            if low < x < high:
                points[x] = level
    return {"kind": "piecewise", "points": sorted(points.items())}


def clipped_line_function(
    function: LinearFunction | PiecewiseLinearFunction, issue: NumericIssue
) -> tuple[float, float] | None:
    """``(offset at low, slope)`` of the clipped line equal to ``function`` scaled to peak 1.

    ``None`` when no clipped line matches (a general piecewise-linear function).
    """
    low, high = issue.low, issue.high
    best = function.maximum(low, high)
    scale = best if best > 0 else 1.0
    if isinstance(function, LinearFunction):
        a, b = (float(v) for v in function(np.array([low, high]), low, high) / scale)
        return a, ((b - a) / (high - low) if high > low else 0.0)
    xs = sorted({low, high, *(x for x, _ in function.points if low < x < high)})
    ys = function(np.array(xs), low, high) / scale
    candidates = [(float(ys[0]), 0.0)]  # a constant, or the line through a sloped segment
    for k in range(len(xs) - 1):
        width = xs[k + 1] - xs[k]
        if ys[k + 1] != ys[k] and width > 1e-12 * (high - low):  # skip slivers: no slope there
            slope = float((ys[k + 1] - ys[k]) / width)
            candidates.append((float(ys[k] + slope * (low - xs[k])), slope))
    candidates.sort(key=lambda c: c[1] == 0.0)
    for offset, slope in candidates:
        line = _function(clipped_line(offset, slope, low, issue))
        breaks = [p[0] for p in line.points] if isinstance(line, PiecewiseLinearFunction) else []
        check = np.array(sorted({*xs, *breaks}))
        gap = np.abs(line(check, low, high) - function(check, low, high) / scale)
        if float(gap.max()) <= 1e-9:
            return offset, slope
    return None


def _function(raw: dict[str, Any]) -> LinearFunction | PiecewiseLinearFunction:
    if raw["kind"] == "linear":
        return LinearFunction.model_validate(raw)
    return PiecewiseLinearFunction.model_validate(raw)


_UNSAFE = re.compile(r"[^\w.-]+")


def safe_file_stem(name: str) -> str:
    """A file name stem made of ``name``'s letters, digits, ``.``, ``_`` and ``-``."""
    return _UNSAFE.sub("_", name).strip("._") or "unnamed"


def unique_stems(names: list[str], taken: set[str]) -> list[str]:
    """Safe, distinct file stems for ``names``, avoiding those in ``taken`` (case-insensitive)."""
    seen = {t.lower() for t in taken}
    out = []
    for name in names:
        stem = safe_file_stem(name)
        candidate, k = stem, 2
        while candidate.lower() in seen:
            candidate, k = f"{stem}-{k}", k + 1
        seen.add(candidate.lower())
        out.append(candidate)
    return out
