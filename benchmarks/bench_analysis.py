"""Deal-space analysis against NegMAS 0.16, side by side in one run.

* exact Pareto frontier vs NegMAS's MOBANOS sampler (issue-by-issue merge, 2 parties) on random
  additive scenarios of 10^10 and 10^20 outcomes, and on fully opposed (zero-sum) domains where
  every outcome is Pareto-optimal (10^4; 10^6 for detente alone);
* frontier + the four solutions + ZOPA estimate at 10^10: time and peak traced memory;
* 3 parties, 8 issues x 8 options (1.7 x 10^7 outcomes): frontier + solutions;
* frontier + Nash vs NegMAS ``pareto_frontier`` + ``nash_points`` at 10^4, 10^5 and 10^6.

Times are medians of repeated runs (wall clock, so expect noise on a shared machine); memory is
the peak traced by ``tracemalloc`` (numpy and Python allocations). Each row with a target of
issue 5 says PASS or FAIL against it. Where both detente and NegMAS compute a frontier, their
sizes must agree (random real-valued scenarios have no tied utility vectors, so NegMAS's
outcomes and detente's distinct vectors count the same); a disagreement fails the run after
the table is printed. ``python -m benchmarks analysis`` runs it; ``main()`` returns the figures.
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from detente import OutcomeSpace
from detente.analysis import bargaining_solutions, pareto_frontier, zopa
from detente.scenario.model import Scenario

console = Console()


def random_tables(
    parties: int, issues: int, options: int, *, seed: int, zero_sum: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Values (best option 1 per issue) and weights (summing to 1) of random additive parties."""
    rng = np.random.default_rng(seed)
    values = rng.random((parties, issues, options))
    weights = rng.random((parties, issues)) + 0.05
    if zero_sum:  # u_B = 1 - u_A: values span [0, 1] exactly, same weights
        low = values[0].min(axis=1, keepdims=True)
        high = values[0].max(axis=1, keepdims=True)
        values[0] = (values[0] - low) / (high - low)
        values[1] = 1.0 - values[0]
        weights[1] = weights[0]
    values /= values.max(axis=2, keepdims=True)
    weights /= weights.sum(axis=1, keepdims=True)
    return values, weights


def detente_space(
    values: np.ndarray, weights: np.ndarray, reservation: float = 0.0
) -> OutcomeSpace:
    parties, issues, options = values.shape
    issue_list = [
        {"name": f"i{i}", "options": [f"o{k}" for k in range(options)]} for i in range(issues)
    ]
    party_list = [
        {
            "name": f"p{p}",
            "reservation_value": reservation,
            "preferences": {
                "issues": {
                    f"i{i}": {
                        "weight": float(weights[p, i]),
                        "values": {f"o{k}": float(values[p, i, k]) for k in range(options)},
                    }
                    for i in range(issues)
                }
            },
        }
        for p in range(parties)
    ]
    scenario = Scenario.model_validate(
        {"name": "bench", "issues": issue_list, "parties": party_list}
    )
    return OutcomeSpace.from_scenario(scenario)


def negmas_ufuns(values: np.ndarray, weights: np.ndarray) -> tuple[list[Any], list[Any]]:
    from negmas import make_issue  # noqa: PLC0415 - benchmark-only dependency
    from negmas.preferences import LinearAdditiveUtilityFunction  # noqa: PLC0415

    parties, n_issues, options = values.shape
    issues = [
        make_issue(values=[f"o{k}" for k in range(options)], name=f"i{i}") for i in range(n_issues)
    ]
    ufuns = [
        LinearAdditiveUtilityFunction(
            values={
                f"i{i}": {f"o{k}": float(values[p, i, k]) for k in range(options)}
                for i in range(n_issues)
            },
            weights={f"i{i}": float(weights[p, i]) for i in range(n_issues)},
            issues=issues,
            reserved_value=0.0,
        )
        for p in range(parties)
    ]
    return ufuns, issues


def timed(func: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time over ``repeats`` runs, and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_memory(func: Callable[[], Any]) -> float:
    """Peak traced memory of one run, in MiB."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def mobanos(ufuns: list[Any]) -> list[Any]:
    from negmas.preferences import MOBANOSParetoSampler  # noqa: PLC0415

    sampler = MOBANOSParetoSampler()
    sampler.init(ufuns[0], ufuns[1])
    return list(sampler.pareto_outcomes())


def negmas_frontier_and_nash(ufuns: list[Any], issues: list[Any]) -> tuple[int, Any]:
    from negmas.preferences import nash_points, pareto_frontier  # noqa: PLC0415

    frontier, _ = pareto_frontier(ufuns, issues=issues)
    return len(frontier), nash_points(ufuns, frontier, issues=issues)


def detente_frontier_and_solutions(space: OutcomeSpace) -> tuple[int, Any]:
    frontier = pareto_frontier(space)
    return len(frontier), bargaining_solutions(space, frontier)


def full_analysis(space: OutcomeSpace) -> Any:
    frontier = pareto_frontier(space)
    return (
        bargaining_solutions(space, frontier),
        zopa(space, frontier=frontier, rng=0),
    )


def verdict(ok: bool) -> str:
    """PASS or FAIL, coloured for the table."""
    return "[green]PASS[/]" if ok else "[bold red]FAIL[/]"


def main() -> dict[str, Any]:
    figures: dict[str, Any] = {}
    rows: list[tuple[str, str, str, str, str, str]] = []
    mismatches: list[str] = []

    def same_size(case: str, ours: int, theirs: int) -> None:
        if ours != theirs:
            mismatches.append(f"{case}: detente {ours} frontier vectors, NegMAS {theirs}")

    # -- 1. MOBANOS on random 2-party scenarios ------------------------------------------
    for issues, options, label in ((10, 10, "1e10"), (20, 10, "1e20")):
        values, weights = random_tables(2, issues, options, seed=issues)
        space = detente_space(values, weights)
        ufuns, _ = negmas_ufuns(values, weights)
        ours, frontier = timed(lambda space=space: pareto_frontier(space), 21)
        theirs, front = timed(lambda ufuns=ufuns: mobanos(ufuns), 21)
        figures[f"frontier_{label}"] = {"detente_s": ours, "mobanos_s": theirs}
        same_size(f"frontier {label} (MOBANOS)", len(frontier), len(front))
        rows.append(
            (
                f"2 parties, random, {label} outcomes: exact frontier",
                f"{ours * 1e3:.2f} ms ({len(frontier)} vectors)",
                f"MOBANOS {theirs * 1e3:.2f} ms ({len(front)} outcomes)",
                f"{theirs / ours:.1f}x",
                "at least 1x",
                verdict(theirs >= ours),
            )
        )
        if label == "1e10":
            elapsed, _ = timed(lambda space=space: full_analysis(space), 7)
            memory = peak_memory(lambda space=space: full_analysis(space))
            figures["full_1e10"] = {"seconds": elapsed, "peak_mib": memory}
            rows.append(
                (
                    "2 parties, 1e10: frontier + 4 solutions + ZOPA estimate",
                    f"{elapsed * 1e3:.0f} ms, {memory:.0f} MiB peak",
                    "",
                    "",
                    "under 1 s and 1 GiB",
                    verdict(elapsed < 1.0 and memory < 1024),
                )
            )

    # -- 2. fully opposed domains: every outcome on the frontier ---------------------------
    for issues, label in ((4, "1e4"), (6, "1e6")):
        values, weights = random_tables(2, issues, 10, seed=100 + issues, zero_sum=True)
        space = detente_space(values, weights)
        ours, frontier = timed(lambda space=space: pareto_frontier(space), 5)
        entry: dict[str, float] = {"detente_s": ours, "frontier": float(len(frontier))}
        theirs_text, ratio_text, target, passed = "not run (quadratic)", "", "O(n log n)", "—"
        if label == "1e4":
            ufuns, _ = negmas_ufuns(values, weights)
            theirs, front = timed(lambda ufuns=ufuns: mobanos(ufuns), 1)
            entry["mobanos_s"] = theirs
            same_size(f"zero-sum {label} (MOBANOS)", len(frontier), len(front))
            theirs_text = f"MOBANOS {theirs:.2f} s ({len(front)} outcomes)"
            ratio_text = f"{theirs / ours:.0f}x"
            target, passed = "at least 100x", verdict(theirs >= 100 * ours)
        figures[f"zero_sum_{label}"] = entry
        rows.append(
            (
                f"2 parties, zero-sum, {label} outcomes: exact frontier",
                f"{ours * 1e3:.1f} ms ({len(frontier):,} vectors)",
                theirs_text,
                ratio_text,
                target,
                passed,
            )
        )

    # -- 3. three parties, 8 issues x 8 options --------------------------------------------
    values, weights = random_tables(3, 8, 8, seed=3)
    space = detente_space(values, weights, reservation=0.3)
    elapsed, (size, _) = timed(lambda: detente_frontier_and_solutions(space), 3)
    figures["three_party_8x8"] = {"seconds": elapsed, "frontier": size}
    rows.append(
        (
            f"3 parties, 8x8 ({space.size:.2g} outcomes): frontier + solutions",
            f"{elapsed:.2f} s ({size:,} vectors)",
            "",
            "",
            "under 10 s",
            verdict(elapsed < 10.0),
        )
    )

    # -- 4. NegMAS pareto_frontier + nash_points -------------------------------------------
    for issues, label in ((4, "1e4"), (5, "1e5"), (6, "1e6")):
        values, weights = random_tables(2, issues, 10, seed=200 + issues)
        space = detente_space(values, weights)
        ufuns, negmas_issues = negmas_ufuns(values, weights)
        ours, (size, _) = timed(lambda space=space: detente_frontier_and_solutions(space), 11)
        repeats = 3 if label != "1e6" else 1
        theirs, (their_size, _) = timed(
            lambda u=ufuns, i=negmas_issues: negmas_frontier_and_nash(u, i), repeats
        )
        ours_mib = peak_memory(lambda space=space: detente_frontier_and_solutions(space))
        theirs_mib = (
            peak_memory(lambda u=ufuns, i=negmas_issues: negmas_frontier_and_nash(u, i))
            if label != "1e6"
            else float("nan")
        )
        same_size(f"frontier + Nash {label} (pareto_frontier)", size, their_size)
        figures[f"negmas_{label}"] = {
            "detente_s": ours,
            "negmas_s": theirs,
            "detente_mib": ours_mib,
            "negmas_mib": theirs_mib,
        }
        rows.append(
            (
                f"2 parties, random, {label}: frontier + Nash",
                f"{ours * 1e3:.2f} ms ({size} vectors), {ours_mib:.1f} MiB",
                f"NegMAS {theirs:.3f} s ({their_size} points)"
                + (f", {theirs_mib:.0f} MiB" if not math.isnan(theirs_mib) else ""),
                f"{theirs / ours:.0f}x",
                "at least 100x" if label == "1e6" else "",
                verdict(theirs >= 100 * ours) if label == "1e6" else "—",
            )
        )

    table = Table(title="detente.analysis vs NegMAS 0.16.0 (medians, one run, same scenarios)")
    for column in ("case", "detente", "peer", "ratio", "target", "result"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    figures["frontier_size_mismatches"] = mismatches
    if mismatches:
        raise AssertionError("frontier sizes disagree: " + "; ".join(mismatches))
    return figures


if __name__ == "__main__":
    main()
