"""Tidy tournament results: one record per session and seat, a DataFrame, a matrix.

The tidy table has one record per session and seat, with the columns

``scenario, session, repetition, seed, seat, party, strategy, opponents, utility,
reservation, advantage, agreement, rounds, agreement_time, welfare, nash_distance,
pareto_distance, deal.<issue>...``

``utility`` is the seat's payoff at full precision (its discounted utility of the agreement,
else its reservation value), ``advantage`` is ``utility - reservation``, ``agreement_time`` the
relative time of the accepted offer (NaN without agreement) and ``deal.<issue>`` the agreed
option of each issue (``None`` without agreement, or for an issue of another scenario). The
means of these columns by strategy are the table per strategy of the
:class:`~detente.negotiation.tournament.TournamentResult`. CSV, Parquet, ``--json`` and
:func:`to_dataframe` hold this same table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from detente.errors import DetenteError

if TYPE_CHECKING:
    import pandas as pd

    from detente.negotiation.tournament import TournamentResult

__all__ = ["COLUMNS", "StrategyMatrix", "strategy_matrix", "tidy_records", "to_dataframe"]

#: The columns of the tidy table before the ``deal.<issue>`` columns.
COLUMNS = (
    "scenario",
    "session",
    "repetition",
    "seed",
    "seat",
    "party",
    "strategy",
    "opponents",
    "utility",
    "reservation",
    "advantage",
    "agreement",
    "rounds",
    "agreement_time",
    "welfare",
    "nash_distance",
    "pareto_distance",
)
#: Separates the strategies of several opponents in the ``opponents`` column.
OPPONENT_SEPARATOR = " & "


def tidy_records(result: TournamentResult) -> list[dict[str, Any]]:
    """One record per session and seat (the columns of :data:`COLUMNS`, then the deal's)."""
    issues = list(dict.fromkeys(i for row in result.rows for i in row.issues))
    records: list[dict[str, Any]] = []
    for session, row in enumerate(result.rows):
        deal = dict(zip(row.issues, row.deal, strict=True)) if row.deal is not None else {}
        terms = {f"deal.{i}": deal.get(i) for i in issues}
        for seat, strategy in enumerate(row.strategies):
            utility = row.utilities[seat]
            reservation = row.reservations[seat]
            records.append(
                {
                    "scenario": row.scenario,
                    "session": session,
                    "repetition": row.repetition,
                    "seed": row.seed,
                    "seat": seat,
                    "party": row.parties[seat],
                    "strategy": strategy,
                    "opponents": OPPONENT_SEPARATOR.join(
                        s for k, s in enumerate(row.strategies) if k != seat
                    ),
                    "utility": utility,
                    "reservation": reservation,
                    "advantage": utility - reservation,
                    "agreement": row.agreement,
                    "rounds": row.rounds,
                    "agreement_time": (
                        math.nan if row.agreement_time is None else row.agreement_time
                    ),
                    "welfare": row.welfare,
                    "nash_distance": row.nash_distance,
                    "pareto_distance": row.pareto_distance,
                    **terms,
                }
            )
    _one_type_per_column(records, [f"deal.{i}" for i in issues])
    return records


def _one_type_per_column(records: list[dict[str, Any]], columns: list[str]) -> None:
    """Write as text the deal columns whose options mix types (two scenarios, one issue name)."""
    for column in columns:
        kinds = {type(r[column]) for r in records if r[column] is not None}
        if len(kinds) > 1:
            for record in records:
                if record[column] is not None:
                    record[column] = str(record[column])


def to_dataframe(result: TournamentResult) -> pd.DataFrame:
    """The tidy table as a pandas ``DataFrame``.

    Raises:
        DetenteError: pandas is not installed.
    """
    try:
        import pandas as pd  # noqa: PLC0415 - optional 'pandas' extra
    except ImportError:
        raise DetenteError(
            "to_dataframe needs the 'pandas' extra: pip install 'detente[pandas]'"
        ) from None
    records = tidy_records(result)
    issues = dict.fromkeys(f"deal.{i}" for row in result.rows for i in row.issues)
    return pd.DataFrame.from_records(records, columns=[*COLUMNS, *issues])


@dataclass(frozen=True)
class StrategyMatrix:
    """Each strategy's results against each other strategy.

    ``utility[i][j]`` is the mean utility of strategy ``i`` over the seats it took in sessions
    where ``j`` held another seat (NaN when they never met); ``sessions[i][j]`` counts them.
    With two parties, ``utility[i][j]`` is ``i``'s mean score against ``j``.

    Attributes:
        strategies: the strategy specs, in the tournament's order (rows and columns).
        utility: mean utility of the row strategy against the column strategy.
        advantage: mean utility minus reservation value, likewise.
        sessions: seats counted in each cell.
    """

    strategies: tuple[str, ...]
    utility: tuple[tuple[float, ...], ...]
    advantage: tuple[tuple[float, ...], ...]
    sessions: tuple[tuple[int, ...], ...]


def strategy_matrix(result: TournamentResult) -> StrategyMatrix:
    """The :class:`StrategyMatrix` of ``result``."""
    names = tuple(s.strategy for s in result.by_strategy)
    where = {name: k for k, name in enumerate(names)}
    n = len(names)
    utility: list[list[list[float]]] = [[[] for _ in range(n)] for _ in range(n)]
    advantage: list[list[list[float]]] = [[[] for _ in range(n)] for _ in range(n)]
    for row in result.rows:
        for seat, strategy in enumerate(row.strategies):
            others = {s for k, s in enumerate(row.strategies) if k != seat}
            i = where[strategy]
            for other in others:
                j = where[other]
                utility[i][j].append(row.utilities[seat])
                advantage[i][j].append(row.utilities[seat] - row.reservations[seat])

    def mean(values: list[float]) -> float:
        return math.fsum(values) / len(values) if values else math.nan

    return StrategyMatrix(
        strategies=names,
        utility=tuple(tuple(mean(c) for c in line) for line in utility),
        advantage=tuple(tuple(mean(c) for c in line) for line in advantage),
        sessions=tuple(tuple(len(c) for c in line) for line in utility),
    )
