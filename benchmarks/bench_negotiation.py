"""Negotiation simulation against NegMAS 0.16, side by side in one run.

* throughput: Boulware vs Boulware, 100 rounds, on random additive 2-party scenarios of 10^3
  and 10^5 outcomes; negotiation rounds per second including session set-up. detente "cold"
  rebuilds the per-scenario tables (utilities of every deal, sorted) for every session; "warm"
  shares them between sessions as tournaments and repeated runs do. NegMAS builds its
  mechanism and ``BoulwareTBNegotiator`` pair for every session;
* one 1,000-round session between time-dependent strategies on 10^6 outcomes;
* agreements of Boulware vs Conceder with the same deadline on GENIUS domains of the shared
  corpus, against NegMAS's ``BoulwareTBNegotiator`` / ``ConcederTBNegotiator`` (whose curves
  ``1 - t^4`` and ``1 - t^0.25`` are detente's ``e = 0.25`` and ``e = 4``);
* a tournament of 10 strategies (all 100 ordered pairs) x 10 GENIUS domains x 10 repetitions
  on a 2-process pool, and the same on a Dask LocalCluster (results compared); NegMAS sessions
  per second on a sample of the same cells for the ratio.

Times are CPU seconds of this process (``time.process_time``) for single-core figures, so the
load of a shared machine weighs less; tournament times are wall clock.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from benchmarks.bench_analysis import detente_space, negmas_ufuns, random_tables
from detente.compute import DaskExecutor, LocalExecutor
from detente.negotiation import negotiate
from detente.negotiation._arena import arena_of
from detente.negotiation.tournament import run_tournament, same_results
from detente.space import OutcomeSpace

console = Console()

TOURNAMENT_STRATEGIES = [
    "boulware",
    "linear",
    "conceder",
    "hardliner",
    "tit-for-tat",
    "frequency",
    "random",
    "rubinstein",
    "boulware:e=0.1",
    "conceder:e=5",
]


def negmas_session(ufuns: list[Any], issues: list[Any], pair: tuple[str, str], steps: int):
    from negmas.sao import SAOMechanism  # noqa: PLC0415 - benchmark-only dependency
    from negmas.sao.negotiators import (  # noqa: PLC0415
        BoulwareTBNegotiator,
        ConcederTBNegotiator,
        LinearTBNegotiator,
    )

    kinds = {
        "boulware": BoulwareTBNegotiator,
        "conceder": ConcederTBNegotiator,
        "linear": LinearTBNegotiator,
    }
    mechanism = SAOMechanism(issues=issues, n_steps=steps)
    for kind, ufun in zip(pair, ufuns, strict=True):
        mechanism.add(kinds[kind](ufun=ufun))
    mechanism.run()
    return mechanism


def throughput(size_issues: int, repeats_negmas: int, repeats_detente: int) -> dict[str, float]:
    values, weights = random_tables(2, size_issues, 10, seed=size_issues)
    ufuns, issues = negmas_ufuns(values, weights)
    space = detente_space(values, weights)
    rounds = {"negmas": 0, "cold": 0, "warm": 0}
    start = time.process_time()
    for _ in range(repeats_negmas):
        rounds["negmas"] += negmas_session(ufuns, issues, ("boulware", "boulware"), 100).state.step
    negmas_time = time.process_time() - start
    start = time.process_time()
    for seed in range(repeats_detente):
        arena_of.cache_clear()
        rounds["cold"] += negotiate(space, ["boulware", "boulware"], rounds=100, seed=seed).rounds
    cold_time = time.process_time() - start
    arena_of(space)
    start = time.process_time()
    for seed in range(repeats_detente * 10):
        rounds["warm"] += negotiate(space, ["boulware", "boulware"], rounds=100, seed=seed).rounds
    warm_time = time.process_time() - start
    return {
        "outcomes": float(space.size),
        "negmas": rounds["negmas"] / negmas_time,
        "cold": rounds["cold"] / cold_time,
        "warm": rounds["warm"] / warm_time,
        "negmas_rounds": rounds["negmas"] / repeats_negmas,
        "detente_rounds": rounds["cold"] / repeats_detente,
    }


def big_session() -> dict[str, float]:
    values, weights = random_tables(2, 6, 10, seed=6)
    space = detente_space(values, weights)
    arena_of.cache_clear()
    start = time.process_time()
    arena_of(space)
    tables = time.process_time() - start
    start = time.process_time()
    trace = negotiate(space, ["boulware", "conceder"], rounds=1000, seed=0)
    session = time.process_time() - start
    return {"tables": tables, "session": session, "rounds": float(trace.rounds)}


T = TypeVar("T")


def genius_domains(max_size: int = 20_000) -> list[tuple[Path, OutcomeSpace]]:
    """Every two-party additive GENIUS domain of the test corpus up to ``max_size``, smallest first.

    Both this benchmark and the parity benchmark choose their domains from this list.
    """
    import warnings  # noqa: PLC0415

    from detente.errors import DetenteError  # noqa: PLC0415
    from detente.scenario.formats.genius import load_genius  # noqa: PLC0415

    corpus = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus" / "genius"
    found: list[tuple[Path, OutcomeSpace]] = []
    seen: set[str] = set()
    for folder in sorted({p.parent for p in corpus.rglob("*.xml")}):
        if folder.name in seen:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # repaired quirks are reported by the importer
            try:
                scenario = load_genius(folder)
            except DetenteError:
                continue
        if any(p.preferences.kind != "additive" for p in scenario.parties):
            continue
        space = OutcomeSpace.from_scenario(scenario)
        if len(scenario.parties) == 2 and 100 <= space.size <= max_size:
            seen.add(folder.name)
            found.append((folder, space))
    found.sort(key=lambda f: f[1].size)
    return found


def spread(found: list[T], limit: int) -> list[T]:
    """At most ``limit`` items taken evenly from ``found`` (smallest to largest)."""
    step = max(1, len(found) // limit)
    return found[::step][:limit]


def genius_spaces(limit: int = 10, max_size: int = 20_000) -> list[OutcomeSpace]:
    """Two-party additive GENIUS domains of the test corpus, spread over sizes."""
    return [space for _, space in spread(genius_domains(max_size), limit)]


def negmas_from_space(space: OutcomeSpace) -> tuple[list[Any], list[Any]]:
    from negmas import make_issue  # noqa: PLC0415
    from negmas.preferences import LinearAdditiveUtilityFunction  # noqa: PLC0415

    cards = [int(c) for c in space.cardinalities]
    issues = [
        make_issue(values=list(range(c)), name=n)
        for c, n in zip(cards, space.issue_names, strict=True)
    ]
    ufuns = [
        LinearAdditiveUtilityFunction(
            values={
                n: {k: float(space.tables[p, i, k]) for k in range(cards[i])}
                for i, n in enumerate(space.issue_names)
            },
            weights=dict.fromkeys(space.issue_names, 1.0),
            issues=issues,
            reserved_value=float(space.reservation[p]),
        )
        for p in range(space.n_parties)
    ]
    return ufuns, issues


def same_concession(
    space: OutcomeSpace, ufuns: list[Any], mechanism: Any
) -> tuple[int, int, float]:
    """How many of NegMAS's offers ask the proposer's own utility that detente's ask then.

    NegMAS's relative time at step ``s`` of ``n`` is ``(s + 1) / (n + 1)``, detente's in round
    ``r`` of ``R`` is ``r / (R - 1)``: with ``R = n + 2`` detente's round ``s + 1`` is NegMAS's
    step ``s``. Offers are compared on the proposer's own utility only, since the two pick
    differently among deals the proposer values equally (NegMAS cycles through them). Also
    returns the largest difference of own utility.
    """
    steps = mechanism.nmi.n_steps
    trace = negotiate(space, ["boulware:e=0.25", "conceder:e=4"], rounds=steps + 2, seed=0)
    ids = list(mechanism.negotiator_ids)
    ours = {
        (int(r), int(p)): float(u[p])
        for r, p, u in zip(trace.offer_rounds, trace.proposers, trace.utilities, strict=True)
    }
    same = total = 0
    worst = 0.0
    for step, negotiator, offer in mechanism.extended_trace:
        p = ids.index(negotiator)
        mine = ours.get((step + 1, p))
        if mine is None:
            break
        total += 1
        gap = abs(mine - float(ufuns[p](offer)))
        same += gap <= 1e-9
        worst = max(worst, gap)
    return same, total, worst


def agreements(spaces: list[OutcomeSpace]) -> list[dict[str, Any]]:
    rows = []
    for space in spaces:
        ufuns, issues = negmas_from_space(space)
        mechanism = negmas_session(ufuns, issues, ("boulware", "conceder"), 100)
        trace = negotiate(space, ["boulware:e=0.25", "conceder:e=4"], rounds=100, seed=0)
        theirs = None
        if mechanism.agreement is not None:
            theirs = [float(u(mechanism.agreement)) for u in ufuns]
        ours = list(trace.final_utilities) if trace.agreement is not None else None
        gap = (
            max(abs(a - b) for a, b in zip(ours, theirs, strict=True))
            if ours is not None and theirs is not None
            else float("nan")
        )
        rows.append(
            {
                "same_concession": same_concession(space, ufuns, mechanism),
                "domain": space.scenario.name,
                "outcomes": space.size,
                "detente": ours,
                "negmas": theirs,
                "detente_rounds": trace.rounds,
                "negmas_rounds": mechanism.state.step,
                "gap": gap,
            }
        )
    return rows


def tournament(spaces: list[OutcomeSpace]) -> dict[str, Any]:
    scenarios = [s.scenario for s in spaces]
    start = time.process_time()
    run_tournament(scenarios, TOURNAMENT_STRATEGIES, repetitions=10, rounds=100, seed=0)
    cpu_seconds = time.process_time() - start
    pool = LocalExecutor(workers=2)
    try:
        start = time.perf_counter()
        local = run_tournament(
            scenarios, TOURNAMENT_STRATEGIES, repetitions=10, rounds=100, seed=0, executor=pool
        )
        local_time = time.perf_counter() - start
    finally:
        pool.close()
    dask = DaskExecutor(workers=2)
    try:
        start = time.perf_counter()
        remote = run_tournament(
            scenarios, TOURNAMENT_STRATEGIES, repetitions=10, rounds=100, seed=0, executor=dask
        )
        dask_time = time.perf_counter() - start
    finally:
        dask.close()
    sample = 0
    start = time.process_time()
    for space in spaces:
        ufuns, issues = negmas_from_space(space)
        for pair in (("boulware", "conceder"), ("linear", "boulware"), ("conceder", "linear")):
            negmas_session(ufuns, issues, pair, 100)
            sample += 1
    negmas_rate = sample / (time.process_time() - start)
    start = time.process_time()
    for space in spaces:
        for pair in (("boulware", "conceder"), ("linear", "boulware"), ("conceder", "linear")):
            negotiate(space, list(pair), rounds=100, seed=0)
    detente_rate = sample / (time.process_time() - start)
    return {
        "sessions": len(local.rows),
        "cpu_seconds": cpu_seconds,
        "local_seconds": local_time,
        "dask_seconds": dask_time,
        "identical": same_results(local, remote),
        "negmas_sessions_per_second": negmas_rate,
        "detente_sessions_per_second_one_core": detente_rate,
        "agreement_rate": statistics.mean(r.agreement for r in local.rows),
    }


def main() -> dict[str, Any]:
    figures: dict[str, Any] = {}
    table = Table(title="Boulware vs Boulware, 100 rounds: negotiation rounds per CPU second")
    for column in (
        "outcomes",
        "NegMAS",
        "detente cold",
        "detente warm",
        "ratio cold",
        "ratio warm",
    ):
        table.add_column(column, justify="right")
    for issues, reps_n, reps_d in ((3, 10, 40), (5, 3, 20)):
        row = throughput(issues, reps_n, reps_d)
        figures[f"throughput_{int(row['outcomes'])}"] = row
        table.add_row(
            f"{int(row['outcomes']):,}",
            f"{row['negmas']:,.0f}",
            f"{row['cold']:,.0f}",
            f"{row['warm']:,.0f}",
            f"{row['cold'] / row['negmas']:,.0f}x",
            f"{row['warm'] / row['negmas']:,.0f}x",
        )
    console.print(table)
    big = big_session()
    figures["big_session"] = big
    console.print(
        f"10^6 outcomes, Boulware vs Conceder, 1,000 rounds: tables {big['tables']:.2f} s, "
        f"session {big['session']:.3f} s ({big['rounds']:.0f} rounds)"
    )
    spaces = genius_spaces()
    rows = agreements(spaces)
    figures["agreements"] = rows
    table = Table(title="Boulware vs Conceder, 100 rounds, GENIUS domains: agreement utilities")
    for column in (
        "domain",
        "outcomes",
        "detente",
        "NegMAS",
        "rounds d/N",
        "max gap",
        "same own-utility offers",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        fmt = lambda u: "none" if u is None else " ".join(f"{x:.3f}" for x in u)  # noqa: E731
        table.add_row(
            row["domain"],
            f"{row['outcomes']:,}",
            fmt(row["detente"]),
            fmt(row["negmas"]),
            f"{row['detente_rounds']}/{row['negmas_rounds']}",
            f"{row['gap']:.3f}",
            "{}/{} (max {:.4f})".format(*row["same_concession"]),
        )
    console.print(table)
    compared = [r for r in rows if r["gap"] == r["gap"]]
    close = sum(r["gap"] <= 0.05 for r in compared)
    console.print(f"agreements within 0.05 of NegMAS: {close} of {len(compared)} domains")
    figures["agreements_within_0.05"] = (close, len(compared))
    result = tournament(spaces)
    figures["tournament"] = result
    console.print(
        f"tournament: {result['sessions']:,} sessions; one process "
        f"{result['cpu_seconds']:.1f} CPU s; 2-process pool "
        f"{result['local_seconds']:.1f} s wall; Dask LocalCluster "
        f"{result['dask_seconds']:.1f} s wall; identical: {result['identical']}; "
        f"agreement rate {result['agreement_rate']:.1%}"
    )
    ours = result["detente_sessions_per_second_one_core"]
    theirs = result["negmas_sessions_per_second"]
    console.print(
        f"one core, time-dependent pairs: detente {ours:,.0f} sessions/s, NegMAS "
        f"{theirs:,.1f} sessions/s ({ours / theirs:,.0f}x)"
    )
    print(figures)
    return figures


if __name__ == "__main__":
    main()
