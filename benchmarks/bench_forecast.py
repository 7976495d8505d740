"""Speed of the forecasting models: SMP on KTAB's inputs and on synthetic 100-actor cases.

Target (issue 4): SMP with 100 actors x 5 dimensions to convergence (or 100 turns) in under 10 s
on one core. Reported: median seconds per run, turns per second, and PASS or FAIL against the
target. The timed runs are pinned to one core: every thread of the process (numpy's BLAS pool
included) gets the affinity of a single CPU for the duration, and is given back its own afterwards.
"""

from __future__ import annotations

import os
import statistics
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from detente.forecast import Stakeholders, load_stakeholders, run_bdm, run_smp

KTAB = Path(__file__).parents[1] / "tests" / "forecast" / "data" / "ktab" / "inputs"
TARGET_SECONDS = 10.0
TARGET_CASE = "synthetic 100 x 5"


def _threads() -> list[int]:
    try:
        return [int(t.name) for t in Path("/proc/self/task").iterdir()]
    except OSError:  # not Linux: the calling thread only
        return [0]


@contextmanager
def one_core() -> Iterator[str]:
    """Pin every thread of this process to one CPU; yields a description of what was done."""
    if not hasattr(os, "sched_setaffinity"):
        yield "not pinned (no sched_setaffinity on this system)"
        return
    cpu = min(os.sched_getaffinity(0))
    saved = {}
    for tid in _threads():
        try:
            saved[tid] = os.sched_getaffinity(tid)
            os.sched_setaffinity(tid, {cpu})
        except OSError:  # a thread that ended meanwhile
            continue
    try:
        yield f"pinned to CPU {cpu} ({len(saved)} threads)"
    finally:
        for tid, cpus in saved.items():
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:
                continue


def synthetic(actors: int, dimensions: int, seed: int = 20251) -> Stakeholders:
    """Random positions, capabilities and saliences (each actor's saliences add up to 30-100)."""
    rng = np.random.default_rng(seed)
    shares = rng.uniform(0.05, 1.0, (actors, dimensions))
    sal = shares / shares.sum(axis=1, keepdims=True) * rng.uniform(30, 100, (actors, 1))
    return Stakeholders(
        name=f"synthetic-{actors}x{dimensions}",
        actors=tuple(f"A{i:03d}" for i in range(actors)),
        dimensions=tuple(f"D{k}" for k in range(dimensions)),
        capability=rng.uniform(1, 100, actors),
        position=rng.uniform(0, 100, (actors, dimensions)),
        salience=sal,
    )


def _time(func, data: Stakeholders, repeats: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times, turns = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = func(data)
        times.append(time.perf_counter() - start)
        turns = result.iterations
    return statistics.median(times), turns


def main() -> dict[str, dict[str, float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = [
            (path.name, load_stakeholders(path), 5)
            for path in sorted(KTAB.iterdir())
            if path.suffix in {".csv", ".xml"}
        ]
    cases += [
        ("synthetic 100 x 5", synthetic(100, 5), 3),
        ("synthetic 100 x 10", synthetic(100, 10), 3),
    ]
    table = Table(title="SMP (KTAB defaults): median time per run to convergence or 100 turns")
    for column in ("input", "actors x dims", "turns", "median s/run", "turns/s", "target"):
        table.add_column(column, justify="left" if column == "input" else "right")
    figures: dict[str, dict[str, float]] = {}
    console = Console()
    with one_core() as pinning:
        console.print(f"SMP benchmark: {pinning}")
        for name, data, repeats in cases:
            seconds, turns = _time(run_smp, data, repeats)
            figures[name] = {
                "seconds": seconds,
                "turns": turns,
                "turns_per_second": turns / seconds,
            }
            target = ""
            if name.startswith("synthetic"):
                target = "[green]< 10 s[/]" if seconds < TARGET_SECONDS else "[red]over 10 s[/]"
            table.add_row(
                name,
                f"{len(data.actors)} x {len(data.dimensions)}",
                str(turns),
                f"{seconds:.3f}",
                f"{turns / seconds:.1f}",
                target,
            )
        seconds, turns = _time(run_bdm, synthetic(100, 5), 3)
    console.print(table)
    figures["bdm synthetic 100 x 5"] = {"seconds": seconds, "turns": turns}
    console.print(f"expected-utility model, 100 x 5, {turns} rounds: {seconds:.3f} s (median of 3)")
    console.print(verdict(figures[TARGET_CASE]))
    return figures


def verdict(figure: dict[str, float]) -> str:
    """PASS or FAIL of the issue's target: 100 actors x 5 dimensions under 10 s on one core."""
    ok = figure["seconds"] < TARGET_SECONDS
    return (
        f"{'PASS' if ok else 'FAIL'}: SMP 100 actors x 5 dimensions, {figure['turns']:g} turns in "
        f"{figure['seconds']:.2f} s on one core (target < {TARGET_SECONDS:g} s)"
    )


if __name__ == "__main__":
    main()
