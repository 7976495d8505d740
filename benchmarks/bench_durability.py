"""Durability benchmarks: paths x days x parties on one core, and 10^6 paths in bounded memory.

Targets (issue 2): 10^5 paths x 365 days x 2-4 parties under 5 s on one core (no executor, no
pool); 10^6 paths through chunking with peak memory independent of the number of paths and of
the horizon; paths per second reported. Each target is printed with PASS or FAIL at the end
(time on one core is judged on CPU seconds, which a busy shared machine does not inflate;
memory "independent" means within ``MEMORY_SLACK_MIB`` of the smallest run's peak). NegMAS has
no ceasefire-durability model, so there is no peer to compare with.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

from rich.console import Console
from rich.table import Table

from detente.durability import default_parameters, simulate
from detente.durability.parameters import Parameters

REPEATS = 3
TIME_TARGET_S = 5.0
#: Peak memory may differ by this much between runs and still count as "independent"
MEMORY_SLACK_MIB = 1.0


def _params(n_parties: int) -> Parameters:
    names = [chr(ord("A") + k) for k in range(n_parties)]
    return default_parameters(dict.fromkeys(names, 0.70), dict.fromkeys(names, 0.60))


def _median_seconds(run: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    """Median wall and CPU seconds (CPU time is what one core gives on a shared machine)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _peak_mib(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def verdicts(figures: dict[str, float]) -> list[tuple[str, str, bool]]:
    """Each target with what was measured and whether it is met."""
    rows = [
        (
            f"10^5 paths x 365 days x {n} parties under {TIME_TARGET_S:.0f} s on one core",
            f"{figures[f'1e5x365_{n}p_cpu_s']:.2f} s CPU ({figures[f'1e5x365_{n}p_s']:.2f} s wall)",
            figures[f"1e5x365_{n}p_cpu_s"] < TIME_TARGET_S,
        )
        for n in (2, 3, 4)
    ]
    short, long = figures["peak_50000x365_mib"], figures["peak_50000x3650_mib"]
    rows.append(
        (
            "memory independent of the number of days (365 vs 3,650)",
            f"{short:.1f} vs {long:.1f} MiB",
            abs(long - short) < MEMORY_SLACK_MIB,
        )
    )
    million = figures["1e6_peak_mib"]
    rows.append(
        (
            "10^6 paths in bounded memory (vs 50,000 paths)",
            f"{million:.1f} vs {short:.1f} MiB",
            million - short < MEMORY_SLACK_MIB,
        )
    )
    rows.append(
        (
            "paths per second reported (10^6 paths x 365 days)",
            f"{figures['1e6_paths_per_s']:,.0f} paths/s",
            figures["1e6_paths_per_s"] > 0,
        )
    )
    return rows


def main() -> dict[str, float]:
    console = Console()
    figures: dict[str, float] = {}

    table = Table(title="10^5 paths x 365 days on one core (median of 3)")
    for column in ("parties", "wall s", "CPU s", "paths x days / s", "target"):
        table.add_column(column, justify="right")
    for n in (2, 3, 4):
        params = _params(n)
        seconds, cpu = _median_seconds(partial(simulate, params, paths=100_000, days=365, rng=1))
        figures[f"1e5x365_{n}p_s"] = seconds
        figures[f"1e5x365_{n}p_cpu_s"] = cpu
        ok = "[green]< 5 s[/]" if cpu < TIME_TARGET_S else "[red]over 5 s[/]"
        table.add_row(str(n), f"{seconds:.2f}", f"{cpu:.2f}", f"{100_000 * 365 / seconds:,.0f}", ok)
    console.print(table)

    memory = Table(title="Peak traced memory (tracemalloc), 2 parties")
    for column in ("paths", "days", "peak MiB"):
        memory.add_column(column, justify="right")
    params = _params(2)
    for paths, days in ((50_000, 365), (50_000, 3650), (200_000, 365)):
        peak = _peak_mib(partial(simulate, params, paths=paths, days=days, rng=2))
        figures[f"peak_{paths}x{days}_mib"] = peak
        memory.add_row(f"{paths:,}", f"{days:,}", f"{peak:.1f}")
    console.print(memory)

    million = Table(title="10^6 paths x 365 days, 2 parties, chunks of 50,000, one core")
    for column in ("wall s", "CPU s", "paths / s", "peak MiB"):
        million.add_column(column, justify="right")
    seconds, cpu = _median_seconds(lambda: simulate(params, paths=1_000_000, days=365, rng=3), 1)
    # memory in a second, traced run (tracing slows numpy's allocations, so it is not timed)
    peak = _peak_mib(lambda: simulate(params, paths=1_000_000, days=365, rng=3))
    figures["1e6x365_2p_s"] = seconds
    figures["1e6x365_2p_cpu_s"] = cpu
    figures["1e6_paths_per_s"] = 1_000_000 / seconds
    figures["1e6_peak_mib"] = peak
    million.add_row(f"{seconds:.1f}", f"{cpu:.1f}", f"{1_000_000 / seconds:,.0f}", f"{peak:.1f}")
    console.print(million)

    summary = Table(title="Targets")
    for column in ("target", "measured", "verdict"):
        summary.add_column(column)
    passed = 0
    for target, measured, met in verdicts(figures):
        passed += met
        summary.add_row(target, measured, "[green]PASS[/]" if met else "[red]FAIL[/]")
    console.print(summary)
    figures["targets_passed"] = passed
    console.print(figures)
    return figures


if __name__ == "__main__":
    main()
