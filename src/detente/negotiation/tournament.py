"""Tournaments: strategies x scenarios x seatings x repetitions, on any executor.

Every party of a scenario is seated (:func:`~detente.negotiation.seating.seatings`): with
``k`` strategies and ``n`` parties, every assignment of strategies to the parties (``k ** n``
seatings, which swaps roles) while that is at most
:data:`~detente.negotiation.seating.MAX_ASSIGNMENTS`; beyond, the ``k`` rotations of the list
cycled over the parties (party ``p`` plays strategy ``(p + s) mod k`` in rotation ``s``, so
every party plays every strategy once). Each seating is played ``repetitions`` times. Each
session gets its own seed, spawned from the root seed with ``SeedSequence.spawn`` in a fixed
cell order, so the results do not depend on the executor, the number of workers or the order
in which tasks finish.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from detente._rng import spawn_seeds
from detente.compute import Executor, LocalExecutor
from detente.display import HTMLRepr
from detente.errors import DetenteError, FormatError
from detente.negotiation.metrics import Benchmarks, benchmarks_of
from detente.negotiation.plugins import import_strategies, imported_modules
from detente.negotiation.protocols import PROTOCOLS, negotiate
from detente.negotiation.seating import ScenarioSeating, seatings
from detente.negotiation.strategies import make_strategy
from detente.scenario.model import OptionValue, Scenario
from detente.space import OutcomeSpace

if TYPE_CHECKING:
    import pandas as pd

    from detente.negotiation.results import StrategyMatrix

__all__ = [
    "ScenarioScore",
    "SessionRow",
    "StrategyScore",
    "TournamentResult",
    "run_tournament",
    "same_results",
    "save_table",
    "save_tables",
    "seatings",
    "table_paths",
]

#: Sessions per task sent to an executor.
BATCH = 200
#: What to do when pyarrow is missing.
PARQUET_MISSING = "Parquet needs the 'parquet' extra: pip install 'detente[parquet]'"


@dataclass(frozen=True)
class SessionRow:
    """One session of a tournament.

    Attributes:
        scenario: scenario name.
        strategies: strategy spec of each party, in table order.
        repetition: repetition number (from 0).
        seed: the session's seed.
        agreement: whether the parties agreed.
        rounds: rounds played.
        utilities: each party's payoff.
        welfare: sum of the payoffs.
        nash_distance: distance of the payoffs to the Nash point (NaN with an empty ZOPA).
        pareto_distance: distance of the payoffs to the Pareto frontier.
        parties: each party's name, in table order.
        reservations: each party's reservation value.
        agreement_time: relative time of the accepted offer, in [0, 1] (``None`` without one).
        issues: the scenario's issue names.
        deal: the agreed option of every issue (``None`` without agreement).
    """

    scenario: str
    strategies: tuple[str, ...]
    repetition: int
    seed: int
    agreement: bool
    rounds: int
    utilities: tuple[float, ...]
    welfare: float
    nash_distance: float
    pareto_distance: float
    parties: tuple[str, ...] = ()
    reservations: tuple[float, ...] = ()
    agreement_time: float | None = None
    issues: tuple[str, ...] = ()
    deal: tuple[OptionValue, ...] | None = None


@dataclass(frozen=True)
class StrategyScore:
    """A strategy's results over every seat it took (``sessions`` counts seats).

    ``advantage`` is the mean of utility minus reservation value; ``agreement_time`` the mean
    relative time of agreement over the sessions that agreed (NaN when none did).
    """

    strategy: str
    sessions: int
    agreement_rate: float
    mean_utility: float
    nash_distance: float
    welfare: float
    advantage: float = math.nan
    agreement_time: float = math.nan


@dataclass(frozen=True)
class ScenarioScore:
    """A scenario's results over its sessions (``mean_utility``: mean over parties)."""

    scenario: str
    sessions: int
    agreement_rate: float
    mean_utility: float
    nash_distance: float
    welfare: float


@dataclass(frozen=True)
class TournamentResult(HTMLRepr):
    """Every session and the tables per strategy and per scenario.

    :meth:`sessions` gives the tidy table (one record per session and seat),
    :meth:`to_dataframe` the same as a pandas ``DataFrame`` and :meth:`matrix` each strategy's
    mean utility against each other (see :mod:`detente.negotiation.results`).
    """

    rows: tuple[SessionRow, ...]
    by_strategy: tuple[StrategyScore, ...]
    by_scenario: tuple[ScenarioScore, ...]
    seed: int
    rounds: int
    repetitions: int
    protocol: str = "alternating"
    discount: float = 1.0
    self_play: bool = True
    seating: tuple[ScenarioSeating, ...] = ()

    def __repr__(self) -> str:
        """A summary: sessions, strategies, scenarios, settings and the leading strategy."""
        lead = max(self.by_strategy, key=lambda s: s.mean_utility, default=None)
        best = f"; best {lead.strategy} ({lead.mean_utility:.3f})" if lead else ""
        counts = ", ".join(
            f"{n:,} {word if n == 1 else plural}"
            for n, word, plural in (
                (len(self.rows), "session", "sessions"),
                (len(self.by_strategy), "strategy", "strategies"),
                (len(self.by_scenario), "scenario", "scenarios"),
            )
        )
        return (
            f"<TournamentResult {counts}; {self.protocol}, {self.rounds} rounds, "
            f"discount {self.discount:g}, seed {self.seed}{best}>"
        )

    def sessions(self) -> list[dict[str, Any]]:
        """The tidy table: one record per session and seat (:func:`results.tidy_records`)."""
        from detente.negotiation.results import tidy_records  # noqa: PLC0415 - cycle

        return tidy_records(self)

    def to_dataframe(self) -> pd.DataFrame:
        """The tidy table as a pandas ``DataFrame`` (needs the ``pandas`` extra).

        Raises:
            DetenteError: pandas is not installed.
        """
        from detente.negotiation.results import to_dataframe  # noqa: PLC0415 - cycle

        return to_dataframe(self)

    def matrix(self) -> StrategyMatrix:
        """Each strategy's mean utility against each other (:class:`results.StrategyMatrix`)."""
        from detente.negotiation.results import strategy_matrix  # noqa: PLC0415 - cycle

        return strategy_matrix(self)


_Cell = tuple[tuple[str, ...], int, int]
#: scenario JSON, rounds, protocol, discount, modules to import, sessions
_Task = tuple[str, int, str, float, tuple[str, ...], list[_Cell]]
_WORKER_CACHE: dict[str, tuple[OutcomeSpace, Benchmarks]] = {}


def _prepared(payload: str) -> tuple[OutcomeSpace, Benchmarks]:
    found = _WORKER_CACHE.get(payload)
    if found is None:
        space = OutcomeSpace.from_scenario(Scenario.model_validate_json(payload))
        found = (space, benchmarks_of(space))
        _WORKER_CACHE.clear()  # one scenario at a time: bounded memory per worker
        _WORKER_CACHE[payload] = found
    return found


def _run_batch(task: _Task) -> list[SessionRow]:
    """Play a batch of sessions of one scenario (runs in a worker)."""
    payload, rounds, protocol, discount, modules, cells = task
    for module in modules:  # strategies from --import, in a worker that has not seen them
        import_strategies(module)
    space, benchmarks = _prepared(payload)
    rows = []
    reservations = tuple(float(r) for r in space.reservation)
    distances: dict[tuple[float, ...], tuple[float, float]] = {}  # sessions often end alike
    for strategies, repetition, seed in cells:
        trace = negotiate(
            space, list(strategies), protocol=protocol, rounds=rounds, discounts=discount, seed=seed
        )
        final = trace.final_utilities
        found = distances.get(final)
        if found is None:
            payoffs = np.array(final)
            found = distances[final] = (
                benchmarks.nash_distance(payoffs),
                benchmarks.pareto_distance(payoffs),
            )
        rows.append(
            SessionRow(
                scenario=space.scenario.name,
                strategies=strategies,
                repetition=repetition,
                seed=seed,
                agreement=trace.agreement is not None,
                rounds=trace.rounds,
                utilities=tuple(float(u) for u in final),
                welfare=math.fsum(final),
                nash_distance=found[0],
                pareto_distance=found[1],
                parties=space.party_names,
                reservations=reservations,
                agreement_time=(
                    float(trace.offer_times[-1]) if trace.agreement is not None else None
                ),
                issues=space.issue_names,
                deal=None if trace.agreement_deal is None else tuple(trace.agreement_deal.values()),
            )
        )
    return rows


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return math.fsum(finite) / len(finite) if finite else math.nan


def run_tournament(
    scenarios: Sequence[Scenario],
    strategies: Sequence[str],
    *,
    repetitions: int = 1,
    rounds: int = 100,
    seed: int = 0,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    protocol: str = "alternating",
    discount: float = 1.0,
    self_play: bool = True,
) -> TournamentResult:
    """Play the strategies on every scenario, every party seated (see the module docstring).

    Args:
        scenarios: the scenarios.
        strategies: strategy specs (``"boulware"``, ``"boulware:e=0.1"``...).
        repetitions: sessions per cell.
        rounds: deadline of every session, in rounds.
        seed: root seed of the tournament.
        executor: where to run (default: a local executor in this process).
        progress: called with ``(sessions done, sessions in all)`` as batches finish.
        protocol: the protocol of every session (see :data:`~detente.negotiation.PROTOCOLS`).
        discount: every party's per-round discount factor, in (0, 1].
        self_play: also play the sessions where every seat holds the same strategy (as
            NegMAS's ``self_play``).

    Raises:
        DetenteError: no scenarios or strategies, an unknown strategy or protocol, a bad
            discount, ``repetitions < 1``, or no session left without self-play.
    """
    _check_settings(scenarios, strategies, repetitions, rounds)
    _check_play(protocol, discount)
    specs = [make_strategy(s).spec for s in strategies]
    plan = [
        (scenario.model_dump_json(), _cells(len(scenario.parties), specs, repetitions, self_play))
        for scenario in scenarios
    ]
    seating = tuple(
        ScenarioSeating.of(scenario, specs, len({c for c, _ in cells}))
        for scenario, (_, cells) in zip(scenarios, plan, strict=True)
    )
    total = sum(len(cells) for _, cells in plan)
    seeds = iter(spawn_seeds(seed, total))
    tasks: list[_Task] = []
    modules = imported_modules()
    for payload, cells in plan:
        seeded = [(c, r, int(next(seeds).generate_state(1, np.uint64)[0] >> 1)) for c, r in cells]
        tasks.extend(
            (payload, rounds, protocol, discount, modules, seeded[k : k + BATCH])
            for k in range(0, len(seeded), BATCH)
        )
    runner = executor or LocalExecutor(workers=1)
    rows: list[SessionRow] = []
    try:
        for batch in runner.map(_run_batch, tasks):
            rows.extend(batch)
            if progress is not None:
                progress(len(rows), total)
    finally:
        if executor is None:
            runner.close()
    return TournamentResult(
        rows=tuple(rows),
        by_strategy=_by_strategy(rows, specs),
        by_scenario=_by_scenario(rows, [s.name for s in scenarios]),
        seed=seed,
        rounds=rounds,
        repetitions=repetitions,
        protocol=protocol,
        discount=discount,
        self_play=self_play,
        seating=seating,
    )


def _check_settings(
    scenarios: Sequence[Scenario], strategies: Sequence[str], repetitions: int, rounds: int
) -> None:
    if not scenarios or not strategies:
        raise DetenteError("a tournament needs scenarios and strategies")
    if repetitions < 1 or rounds < 1:
        raise DetenteError("repetitions and rounds must be at least 1")


def _check_play(protocol: str, discount: float) -> None:
    if protocol not in PROTOCOLS:
        raise DetenteError(
            f"unknown protocol {protocol!r} (use {', '.join(PROTOCOLS)})", field="protocol"
        )
    if not 0.0 < discount <= 1.0:
        raise DetenteError(f"discount {discount:g} is not in (0, 1]", field="discount")


def _cells(
    n_parties: int, specs: Sequence[str], repetitions: int, self_play: bool
) -> list[tuple[tuple[str, ...], int]]:
    """Every seating (:func:`seatings`) and repetition, without self-play not all seats alike."""
    combos = [c for c in seatings(n_parties, specs) if self_play or len(set(c)) > 1]
    if not combos:
        raise DetenteError(
            "without self-play a tournament needs two different strategies", field="self_play"
        )
    return [(c, r) for c in combos for r in range(repetitions)]


def same_results(one: TournamentResult, other: TournamentResult) -> bool:
    """Whether two tournaments gave the same sessions and tables (NaN equal to NaN)."""

    def plain(result: TournamentResult) -> str:
        return repr((result.rows, result.by_strategy, result.by_scenario))

    return plain(one) == plain(other)


def _by_strategy(rows: Sequence[SessionRow], specs: Sequence[str]) -> tuple[StrategyScore, ...]:
    seats: dict[str, list[tuple[SessionRow, int]]] = {s: [] for s in specs}
    for row in rows:
        for p, spec in enumerate(row.strategies):
            seats[spec].append((row, p))
    return tuple(
        StrategyScore(
            strategy=spec,
            sessions=len(taken),
            agreement_rate=_mean([float(r.agreement) for r, _ in taken]),
            mean_utility=_mean([r.utilities[p] for r, p in taken]),
            nash_distance=_mean([r.nash_distance for r, _ in taken]),
            welfare=_mean([r.welfare for r, _ in taken]),
            advantage=_mean([r.utilities[p] - r.reservations[p] for r, p in taken]),
            agreement_time=_mean(
                [r.agreement_time for r, _ in taken if r.agreement_time is not None]
            ),
        )
        for spec, taken in seats.items()
    )


def _by_scenario(rows: Sequence[SessionRow], names: Sequence[str]) -> tuple[ScenarioScore, ...]:
    out = []
    for name in dict.fromkeys(names):
        mine = [r for r in rows if r.scenario == name]
        out.append(
            ScenarioScore(
                scenario=name,
                sessions=len(mine),
                agreement_rate=_mean([float(r.agreement) for r in mine]),
                mean_utility=_mean([_mean(r.utilities) for r in mine]),
                nash_distance=_mean([r.nash_distance for r in mine]),
                welfare=_mean([r.welfare for r in mine]),
            )
        )
    return tuple(out)


def table_paths(path: str | Path) -> tuple[Path, Path, Path]:
    """The session table ``path`` and the aggregate tables written beside it.

    ``results.csv`` gives ``results.by-strategy.csv`` and ``results.by-scenario.csv``.

    Raises:
        FormatError: the suffix is neither ``.csv`` nor ``.parquet``.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        raise FormatError("unknown table format (use .csv or .parquet)", source=target)
    stem = target.name[: -len(suffix)]
    return (
        target,
        target.with_name(f"{stem}.by-strategy{target.suffix}"),
        target.with_name(f"{stem}.by-scenario{target.suffix}"),
    )


def save_table(result: TournamentResult, path: str | Path) -> Path:
    """Write the tidy table (one line per session and seat) as CSV or Parquet.

    See :mod:`detente.negotiation.results` for the columns.

    Raises:
        FormatError: unknown suffix.
    """
    target = table_paths(path)[0]
    _write(result.sessions(), target)
    return target


def save_tables(result: TournamentResult, path: str | Path) -> tuple[Path, Path, Path]:
    """Write the tidy table to ``path`` and the tables per strategy and per scenario beside it.

    The three files (see :func:`table_paths`) are written in full first and then put in place,
    so a failure leaves none of them half-written.

    Raises:
        FormatError: unknown suffix.
    """
    paths = table_paths(path)
    tables = (
        result.sessions(),
        [dataclasses.asdict(s) for s in result.by_strategy],
        [dataclasses.asdict(s) for s in result.by_scenario],
    )
    parts = [
        _write(records, target, commit=False) for records, target in zip(tables, paths, strict=True)
    ]
    for part, target in zip(parts, paths, strict=True):
        part.replace(target)
    return paths


def _write(records: list[dict[str, Any]], target: Path, *, commit: bool = True) -> Path:
    """Write ``records`` in the format of ``target``'s suffix; return the file written.

    The records go to ``target.part`` first, which replaces ``target`` when ``commit``.
    """
    tmp = target.with_name(target.name + ".part")
    if target.suffix.lower() == ".csv":
        with tmp.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    else:
        try:
            import pyarrow as pa  # noqa: PLC0415 - optional 'parquet' extra
            import pyarrow.parquet as pq  # noqa: PLC0415
        except ImportError:
            raise DetenteError(PARQUET_MISSING) from None
        pq.write_table(pa.Table.from_pylist(records), tmp)
    if not commit:
        return tmp
    tmp.replace(target)
    return target
