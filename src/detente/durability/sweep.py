"""Mechanism comparisons and parameter sweeps, through the shared executors.

Every run of a comparison or a sweep uses the same seed, so differences between rows come from
the parameters alone (common random numbers), and the result is the same on any executor.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence

from detente._rng import RNGLike
from detente.compute import Executor
from detente.durability.calibration import effect_basis
from detente.durability.mechanisms import (
    Mechanism,
    apply_mechanisms,
    load_mechanisms,
    resolve_mechanism,
)
from detente.durability.parameters import ParameterError, Parameters
from detente.durability.results import (
    Comparison,
    ComparisonRow,
    DurabilityResult,
    SweepPoint,
    SweepResult,
)
from detente.durability.simulate import (
    CHUNK_SIZE,
    Tally,
    _run_chunk,
    chunk_tasks,
    combine,
    root_seed,
)

__all__ = ["compare", "run_many", "sweep"]

_Task = tuple[Parameters, int, int, RNGLike, int]


def _run_whole(task: _Task, progress: Callable[[int], None] | None = None) -> DurabilityResult:
    """One variant, chunk after chunk (``progress`` after each chunk, with its paths)."""
    params, paths, days, seed, chunk_size = task
    root, chunks = chunk_tasks(params, paths, days, seed, chunk_size)
    tallies: list[Tally] = []
    for chunk in chunks:
        tallies.append(_run_chunk(chunk))
        if progress is not None:
            progress(tallies[-1].paths)
    entropy = root.entropy if isinstance(root.entropy, int) and not root.spawn_key else None
    return combine(params, days, entropy, tallies)


def run_many(
    variants: Sequence[Parameters],
    *,
    paths: int,
    days: int,
    rng: RNGLike,
    executor: Executor | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> list[DurabilityResult]:
    """Simulate each parameter set with the same seed; one executor task per set."""
    seed = root_seed(rng)  # resolved once: every variant runs on the same random numbers
    tasks: list[_Task] = [(v, paths, days, seed, chunk_size) for v in variants]
    if executor is None:  # in this process: progress after every chunk, not every variant
        return [_run_whole(task, progress) for task in tasks]
    out = []
    for result in executor.map(_run_whole, tasks):
        out.append(result)
        if progress is not None:
            progress(result.paths)
    return out


def compare(
    params: Parameters,
    sets: Iterable[Sequence[str]] | None = None,
    *,
    day: int | None = None,
    paths: int = 10_000,
    days: int = 365,
    rng: RNGLike = 0,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    presets: Sequence[Mechanism] | None = None,
) -> Comparison:
    """What adding each mechanism set to ``params`` changes, at ``day`` (default: the horizon).

    Args:
        params: the baseline (its own mechanisms stay on in every row).
        sets: mechanism sets to add; default: each preset not yet applied, then all of them.
        day: the day at which shares are compared.
        paths: paths per row.
        days: horizon.
        rng: the seed shared by every row.
        executor: where rows run.
        progress: called with the paths finished after each chunk of a row (after each row
            on an executor).
        presets: mechanism presets to use instead of the built-in ones.
    """
    pool = tuple(presets) if presets is not None else load_mechanisms()
    builtin = pool == load_mechanisms()
    if sets is None:
        rest = [m.name for m in pool if m.name not in params.mechanisms]
        chosen = [[name] for name in rest] + ([rest] if len(rest) > 1 else [])
    else:
        chosen = [[resolve_mechanism(n, pool).name for n in s] for s in sets]
    day = days if day is None else day
    if not 1 <= day <= days:
        raise ParameterError(f"comparison day must be in 1..{days}, got {day}", field="day")
    variants = [params] + [apply_mechanisms(params, s, pool) for s in chosen]
    results = run_many(
        variants, paths=paths, days=days, rng=rng, executor=executor, progress=progress
    )
    base = results[0]

    def row(
        label: str, names: Sequence[str], result: DurabilityResult, effect_size: str = ""
    ) -> ComparisonRow:
        holding = result.holding_at(day)
        return ComparisonRow(
            label=label,
            mechanisms=tuple(names),
            result=result,
            holding=holding,
            change=holding - base.holding_at(day),
            hazard_ratio=result.cumulative_hazard_ratio(base, day),
            effect_size=effect_size,
        )

    baseline = row("as agreed", params.mechanisms, base)
    rows = []
    for names, result in zip(chosen, results[1:], strict=True):
        label = "+ " + " + ".join(resolve_mechanism(n, pool).label for n in names)
        if len(names) > 1 and sets is None:
            label = "+ every other mechanism"
        rows.append(row(label, names, result, effect_basis(names, builtin=builtin)))
    return Comparison(day=day, baseline=baseline, rows=tuple(rows))


def _with_value(params: Parameters, field: str, value: float) -> Parameters:
    party, _, name = field.rpartition(".")
    if name in Parameters.model_fields and not party:
        cast = int(value) if name == "escalation_threshold" else value
        return params.replace(**{name: cast})
    if name not in type(params.parties[0]).model_fields or name == "name":
        raise ParameterError(f"unknown parameter {field!r}", field="grid")
    if not party:
        return params.replace_parties(**{name: value})
    if party not in params.party_names:
        raise ParameterError(f"unknown party {party!r} in {field!r}", field="grid")
    data = params.model_dump()
    for entry in data["parties"]:
        if entry["name"] == party:
            entry[name] = value
    return params.replace(parties=data["parties"])


def sweep(
    params: Parameters,
    grid: Mapping[str, Sequence[float]],
    *,
    paths: int = 10_000,
    days: int = 365,
    rng: RNGLike = 0,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Survival over the Cartesian grid of parameter values, one executor task per point.

    Keys are shared fields (``detection``), party fields applied to every party
    (``incident_rate``) or to one (``Russia.drift``).
    """
    fields = tuple(grid)
    if not fields:
        raise ParameterError("the grid is empty", field="grid")
    points = [dict(zip(fields, combo, strict=True)) for combo in itertools.product(*grid.values())]
    variants = []
    for point in points:
        variant = params
        for field, value in point.items():
            variant = _with_value(variant, field, float(value))
        variants.append(variant)
    results = run_many(
        variants, paths=paths, days=days, rng=rng, executor=executor, progress=progress
    )
    return SweepResult(
        fields=fields,
        points=tuple(
            SweepPoint(values={k: float(v) for k, v in point.items()}, result=result)
            for point, result in zip(points, results, strict=True)
        ),
    )
