"""What durability-aware analysis adds to ``detente analyze`` on ``ceasefire-2025``.

``detente.assess.assess`` simulates every deal the analysis puts forward (the four solutions,
each sweetener, the most robust frontier deal; each distinct deal once) with the durability
model. Target: the added time stays under 2 s on one core (no executor). Times are medians of
several runs, wall clock and process CPU; on a machine shared with other work the CPU time is
the figure to compare with the target (the wall clock then includes waiting for a core).
``python -m benchmarks assess`` runs it; ``main()`` returns the figures.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from detente import OutcomeSpace
from detente.analysis import analyze
from detente.assess import DEFAULT_PATHS, assess
from detente.scenario import load_scenario

console = Console()

REPEATS = 5
TARGET_SECONDS = 2.0


def main(repeats: int = REPEATS) -> dict[str, Any]:
    """Time ``assess`` on ``ceasefire-2025``'s analysis; print the table and PASS/FAIL."""
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    result = analyze(space, rng=0)
    assess(result, paths=DEFAULT_PATHS, seed=0)  # warm caches (presets, calibration files)
    wall, cpu = [], []
    deals = 0
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        answer = assess(result, paths=DEFAULT_PATHS, seed=0)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        deals = len(
            {tuple(a.deal.items()) for a in answer.solutions.values() if a is not None}
            | {
                tuple(r.assessment.deal.items())
                for rows in answer.sweeteners.values()
                for r in rows
            }
            | ({tuple(answer.robust.deal.items())} if answer.robust is not None else set())
        )
    figures: dict[str, Any] = {
        "deals": deals,
        "paths": DEFAULT_PATHS,
        "wall_s": statistics.median(wall),
        "cpu_s": statistics.median(cpu),
    }
    verdict = "PASS" if figures["cpu_s"] < TARGET_SECONDS else "FAIL"
    table = Table(title=f"Durability-aware analysis, ceasefire-2025 (median of {repeats} runs)")
    for column in ("deals simulated", "paths each", "wall", "CPU", "target", ""):
        table.add_column(column, justify="right")
    table.add_row(
        str(deals),
        f"{DEFAULT_PATHS:,}",
        f"{figures['wall_s']:.2f} s",
        f"{figures['cpu_s']:.2f} s",
        f"< {TARGET_SECONDS:g} s",
        verdict,
    )
    console.print(table)
    figures["verdict"] = verdict
    return figures


if __name__ == "__main__":
    main()
