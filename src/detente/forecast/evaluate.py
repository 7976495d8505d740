"""Test the models on real decisions: the DEU III data set of EU legislative decisions.

DEU III (Arregui & Perarnaud 2021, doi:10.34810/data53) records, per contested issue, the
positions (``p*`` columns) and saliences (``s*``) of the Commission, the Parliament and the member
states on 0-100, the reference point (``rp``) and the outcome (``out``). The public copy read here
carries each actor's GDP weight on its second row, used as capability. Each model forecasts every
issue with a recorded outcome; the errors are absolute differences on the 0-100 scale.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

import numpy as np

from detente.compute import Executor, LocalExecutor
from detente.errors import FormatError
from detente.files import read_bytes
from detente.forecast.bdm import run_bdm
from detente.forecast.compromise import run_compromise
from detente.forecast.inputs import StakeholderError, Stakeholders, _number
from detente.forecast.result import Forecast
from detente.forecast.smp import run_smp

__all__ = [
    "MODELS",
    "DecisionIssue",
    "Evaluation",
    "ForecastModel",
    "ModelError",
    "evaluate",
    "read_deu3",
]


class ForecastModel(Protocol):
    """A forecasting model: stakeholders in, a forecast out, progress as ``(done, planned)``."""

    def __call__(
        self, data: Stakeholders, *, progress: Callable[[int, int], None] | None = None
    ) -> Forecast:
        """Forecast ``data``."""
        ...


#: The models, by name, as the CLI offers them.
MODELS: dict[str, ForecastModel] = {
    "smp": run_smp,
    "bdm": run_bdm,
    "compromise": run_compromise,
}
#: The same models without the per-turn records the evaluation does not read (same positions).
_POSITIONS_ONLY: dict[str, Callable[[Stakeholders], Forecast]] = {
    "smp": partial(run_smp, record=False),
    "bdm": partial(run_bdm, record=False),
    "compromise": run_compromise,
}


@dataclass(frozen=True, eq=False)
class DecisionIssue:
    """One DEU III issue: the actors that took a position, and what was decided.

    Attributes:
        issue: the issue identifier (``isnr``).
        actors: codes of the actors with a recorded position (``com``, ``ep``, ``at``...).
        capability: their GDP weights.
        position: their positions on 0-100.
        salience: their saliences on 0-100 (0 when not recorded).
        reference_point: the reference point (status quo), if recorded.
        outcome: the recorded outcome on 0-100.
    """

    issue: str
    actors: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    reference_point: float | None
    outcome: float


@dataclass(frozen=True)
class ModelError:
    """How far one model's forecasts fall from the recorded outcomes (0-100 scale)."""

    model: str
    mean_absolute_error: float
    median_absolute_error: float
    issues: int


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Every model's forecast of every issue, and the error table.

    Attributes:
        source: the data file.
        issues: issue identifiers, in file order.
        outcomes: recorded outcomes, shape ``(I,)``.
        forecasts: per model, the forecasts, shape ``(I,)``.
        errors: per model, the mean and median absolute error.
    """

    source: str
    issues: tuple[str, ...]
    outcomes: np.ndarray
    forecasts: dict[str, np.ndarray]
    errors: tuple[ModelError, ...]


def _cell(text: str, *, source: Path | str, field: str, line: int) -> float | None:
    text = text.strip()
    return _number(text, source=source, field=field, line=line) if text else None


def read_deu3(path: str | Path) -> list[DecisionIssue]:
    """Read the DEU III table (tab-separated; row 2 = GDP weights); issues with an outcome only."""
    source = Path(path)
    text = read_bytes(source).decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    if len(rows) < 3:
        raise FormatError("expected a header row, a GDP row and issue rows", source=source)
    header = rows[0]
    for needed in ("isnr", "rp", "out"):
        if needed not in header:
            raise StakeholderError(f"missing column {needed!r}", source=source, line=1)
    codes = [h[1:] for h in header if h.startswith("s") and "p" + h[1:] in header]
    if len(codes) < 2:
        raise StakeholderError("needs p*/s* columns for at least two actors", source=source)
    gdp = {}
    for c in codes:
        value = _cell(rows[1][header.index("p" + c)], source=source, field=f"GDP {c}", line=2)
        if value is None or value <= 0:
            raise StakeholderError("GDP weight must be positive", source=source, field=c, line=2)
        gdp[c] = value
    issues = [
        issue
        for line, row in enumerate(rows[2:], start=3)
        if any(cell.strip() for cell in row)
        and (issue := _issue(row, header, codes, gdp, (source, line))) is not None
    ]
    if not issues:
        raise StakeholderError("no issue with a recorded outcome", source=source)
    return issues


def _issue(
    row: list[str],
    header: list[str],
    codes: list[str],
    gdp: dict[str, float],
    where: tuple[Path, int],
) -> DecisionIssue | None:
    source, line = where
    if len(row) < len(header):
        raise StakeholderError(
            f"row has {len(row)} columns, the header {len(header)}", source=source, line=line
        )

    def cell(column: str) -> float | None:
        return _cell(row[header.index(column)], source=source, field=column, line=line)

    outcome = cell("out")
    if outcome is None:
        return None
    present, pos, sal = [], [], []
    for c in codes:
        x = cell("p" + c)
        if x is not None:
            present.append(c)
            pos.append(x)
            sal.append(cell("s" + c) or 0.0)
    return DecisionIssue(
        issue=row[header.index("isnr")].strip() or f"line {line}",
        actors=tuple(present),
        capability=np.array([gdp[c] for c in present]),
        position=np.array(pos),
        salience=np.array(sal),
        reference_point=cell("rp"),
        outcome=outcome,
    )


def forecast_issue(issue: DecisionIssue, model: str) -> float:
    """One model's forecast of one issue (0-100).

    Actors with zero salience carry no weight in any model and are left out; with fewer than two
    actors left, every model returns the compromise (nothing to bargain over).
    """
    keep = issue.salience > 0
    if keep.sum() < 2:
        w = issue.capability * issue.salience
        w = w if w.sum() > 0 else issue.capability
        return float((w * issue.position).sum() / w.sum())
    data = Stakeholders(
        name=issue.issue,
        actors=tuple(a for a, k in zip(issue.actors, keep, strict=True) if k),
        dimensions=("issue",),
        capability=issue.capability[keep],
        position=issue.position[keep][:, None],
        salience=issue.salience[keep][:, None],
    )
    return float(_POSITIONS_ONLY[model](data).outcome[0])


def _task(task: tuple[DecisionIssue, str]) -> float:
    return forecast_issue(*task)


def evaluate(
    path: str | Path,
    models: tuple[str, ...] = tuple(MODELS),
    *,
    executor: Executor | None = None,
) -> Evaluation:
    """Forecast every DEU III issue with a recorded outcome with each model; tabulate errors.

    Issues are independent tasks mapped over ``executor`` (serial by default); the models are
    deterministic, so the table does not depend on the executor.
    """
    issues = read_deu3(path)
    outcomes = np.array([i.outcome for i in issues])
    runner = executor or LocalExecutor(workers=1)
    tasks = [(issue, m) for m in models for issue in issues]
    values = np.array(list(runner.map(_task, tasks))).reshape(len(models), len(issues))
    forecasts = dict(zip(models, values, strict=True))
    errors = tuple(
        ModelError(
            model=m,
            mean_absolute_error=float(np.abs(f - outcomes).mean()),
            median_absolute_error=float(np.median(np.abs(f - outcomes))),
            issues=len(issues),
        )
        for m, f in forecasts.items()
    )
    return Evaluation(
        source=str(path),
        issues=tuple(i.issue for i in issues),
        outcomes=outcomes,
        forecasts=forecasts,
        errors=errors,
    )
