"""Negotiation commands: ``negotiate`` (one session) and ``tournament``."""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from detente.cli._common import console, err_console, guarded, print_json, writable_output
from detente.compute import check_seed, make_executor
from detente.errors import DetenteError
from detente.negotiation import (
    PROTOCOLS,
    Seating,
    Trace,
    negotiate,
    parse_strategies,
    save_trace,
    seat_parties,
    session_metrics,
)
from detente.negotiation.plugins import import_strategies
from detente.negotiation.strategies import strategy_catalogue
from detente.negotiation.tournament import (
    TournamentResult,
    run_tournament,
    save_tables,
    table_paths,
)
from detente.scenario import load_scenario
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace

__all__ = ["register"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
StrategiesOpt = Annotated[
    str,
    typer.Option(
        "--strategies",
        "-s",
        help="Comma-separated strategy specs, e.g. boulware,conceder or boulware:e=0.1.",
    ),
]
ImportOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--import",
        help="Import a module that registers strategies: a dotted name importable here "
        "(my_lab.strategies) or a .py file; repeat for several. Installed packages that "
        "declare the 'detente.strategies' entry point need no import.",
    ),
]
SeatsOpt = Annotated[
    str | None,
    typer.Option(
        "--strategies",
        "-s",
        help="Strategies of the parties: a list cycled over them in table order "
        "(boulware,conceder), or party=spec and role=spec pairs "
        "(Russia=boulware,mediator=conceder:e=3); parties not named play their role's "
        "default (belligerent boulware, mediator conceder, guarantor and other linear).",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the negotiation commands to ``app``."""
    app.command("negotiate")(negotiate_command)
    app.command("tournament")(tournament_command)
    app.command("strategies")(strategies_command)


@guarded
def strategies_command(imports: ImportOpt = None, as_json: JsonOpt = False) -> None:
    """List every registered strategy: family, parameters with their defaults, source."""
    _import(imports)
    catalogue = strategy_catalogue()
    if as_json:
        print_json(catalogue)
        return
    table = Table(title="Strategies (set a parameter as name:key=value, e.g. boulware:e=0.1)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("family")
    table.add_column("parameters (default)")
    table.add_column("what it does")
    for info in catalogue:
        params = ", ".join(f"{k}={v:g}" for k, v in info.parameters.items()) or "none"
        table.add_row(info.name, info.family, params, f"{info.summary}\n[dim]{info.source}[/]")
    console.print(table)


def _restricted(scenario: Scenario, parties: str | None) -> Scenario:
    """The scenario with only the parties named by ``--parties`` (every party by default)."""
    if not parties:
        return scenario
    names = [p.strip() for p in parties.split(",") if p.strip()]
    unknown = [n for n in names if n not in scenario.party_names]
    if unknown:
        raise DetenteError(
            f"unknown party {unknown[0]!r} (known: {', '.join(scenario.party_names)})",
            field="--parties",
        )
    return scenario.model_copy(update={"parties": [scenario.party(n) for n in names]})


def _require(module: str, extra: str, option: str) -> None:
    """Refuse an option before any work when the extra it needs is not installed."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise DetenteError(
            f"needs the {extra!r} extra: pip install 'detente[{extra}]'", field=option
        ) from None


def _import(modules: list[str] | None) -> None:
    for module in modules or []:
        import_strategies(module)


def _check_tournament_options(
    executor: str,
    outputs: dict[str, Path | None],
    protocol: str,
    discount: float,
) -> None:
    """Refuse before the first session: bad paths, missing extras, unknown settings."""
    if executor not in {"local", "dask"}:
        raise DetenteError(f"unknown executor {executor!r} (use local or dask)", field="--executor")
    csv, parquet, html = outputs["--csv"], outputs["--parquet"], outputs["--html"]
    writable_output(csv, "--csv", (".csv",))
    writable_output(parquet, "--parquet", (".parquet",))
    writable_output(html, "--html", (".html", ".htm"))
    for path in (csv, parquet):
        if path is not None:
            for beside in table_paths(path)[1:]:
                writable_output(beside, "--csv" if path is csv else "--parquet", (path.suffix,))
    if parquet is not None:
        _require("pyarrow", "parquet", "--parquet")
    if html is not None:
        _require("plotly", "report", "--html")
    if executor == "dask":
        _require("dask.distributed", "dask", "--executor")
    if protocol not in PROTOCOLS:
        raise DetenteError(
            f"unknown protocol {protocol!r} (use {', '.join(PROTOCOLS)})", field="--protocol"
        )
    if not 0.0 < discount <= 1.0:
        raise DetenteError(f"{discount:g} is not in (0, 1]", field="--discount")


def _split(strategies: str) -> list[str]:
    """A tournament's strategy list (parameters glued back: ``boulware:e=0.1,informed=0``)."""
    specs = [s.strip() for s in strategies.split(",") if s.strip()]
    out: list[str] = []
    for spec in specs:
        if "=" in spec and ":" not in spec and out:
            out[-1] += "," + spec
        else:
            out.append(spec)
    if not out:
        raise DetenteError("give at least one strategy", field="--strategies")
    return out


@guarded
def negotiate_command(
    scenario: Annotated[str, typer.Argument(help="A scenario file or a built-in name.")],
    *,
    strategies: SeatsOpt = None,
    protocol: Annotated[
        str, typer.Option(help=f"Protocol: {', '.join(PROTOCOLS)}.")
    ] = "alternating",
    deadline: Annotated[int, typer.Option(help="Deadline in rounds.", min=1)] = 100,
    seconds: Annotated[
        float | None, typer.Option(help="Deadline in seconds instead of rounds.")
    ] = None,
    discount: Annotated[
        str | None, typer.Option(help="Per-round discount factor(s): 0.95 or 0.9,0.8.")
    ] = None,
    parties: Annotated[
        str | None,
        typer.Option(
            help="Seat only these parties, comma-separated, in table order (default: every "
            "party of the scenario)."
        ),
    ] = None,
    mediator: Annotated[
        str,
        typer.Option(
            help="Rule of the single-text chair (the scenario's mediator party chairs, or an "
            "outside mediator when it has none)."
        ),
    ] = "single-text",
    seed: Annotated[int, typer.Option(help="Root seed (same seed, same session).")] = 0,
    trace: Annotated[Path | None, typer.Option(help="Save the trace (.jsonl or .parquet).")] = None,
    html: Annotated[Path | None, typer.Option(help="Write an HTML report of the session.")] = None,
    imports: ImportOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate one negotiation session and print its offers and result."""
    writable_output(trace, "--trace", (".jsonl", ".parquet"))
    writable_output(html, "--html", (".html", ".htm"))
    if trace is not None and trace.suffix.lower() == ".parquet":
        _require("pyarrow", "parquet", "--trace")
    if html is not None:
        _require("plotly", "report", "--html")
    check_seed(seed)
    _import(imports)
    model = _restricted(load_scenario(scenario), parties)
    space = OutcomeSpace.from_scenario(model)
    seats = None if strategies is None else parse_strategies(strategies, model)
    factors: list[float] | None = None
    if discount:
        try:
            factors = [float(d) for d in discount.split(",")]
        except ValueError:
            raise DetenteError(f"not a number in {discount!r}", field="--discount") from None
        if len(factors) == 1:
            factors = factors * space.n_parties
    result = negotiate(
        space,
        seats,
        protocol=protocol,
        rounds=None if seconds is not None else deadline,
        seconds=seconds,
        discounts=factors,
        mediator=mediator,
        seed=seed,
    )
    if trace is not None:
        deals = [{k: str(v) for k, v in space.deal(int(o)).items()} for o in result.outcomes]
        save_trace(result, trace, deals)
    if html is not None:
        from detente.report.negotiation import session_report  # noqa: PLC0415 - optional

        html.write_text(session_report(space, result), encoding="utf-8")
    if as_json:
        print_json(result.summary())
        return
    _render_session(result, space, seat_parties(space, seats, protocol=protocol))


def _terms(space: OutcomeSpace, row: np.ndarray, previous: np.ndarray) -> str:
    """``Issue: option`` of every issue where ``row`` differs from ``previous`` (labels)."""
    parts = [
        f"{issue.label or issue.name}: {issue.labels[int(row[i])]}"
        for i, issue in enumerate(space.scenario.issues)
        if row[i] != previous[i]
    ]
    return "; ".join(parts) or "same as before"


def _seats_table(seating: Seating) -> Table:
    """Who plays what: every party, its role and strategy, and how the strategy was chosen."""
    how = {
        "party": "named",
        "role": "its role named",
        "list": "the list, cycled",
        "default": "its role's default",
    }
    table = Table(title="Who plays what")
    for header in ("party", "role", "strategy", "chosen by"):
        table.add_column(header, style="bold" if header == "party" else None)
    for seat in seating.seats:
        chair = " (chairs the text)" if seat.party == seating.chair else ""
        table.add_row(seat.party + chair, seat.role, seat.strategy, how[seat.source])
    return table


def _render_session(result: Trace, space: OutcomeSpace, seating: Seating) -> None:
    rows = space.unravel(result.outcomes) if len(result) else np.empty((0, space.n_issues))
    chair = result.chair or "mediator"
    names = [chair if int(w) < 0 else result.parties[int(w)] for w in result.proposers]
    console.print(_seats_table(seating))
    if len(result):
        console.print(_opening_table(space, rows, names))
    console.print(_offers_table(result, space, rows, names))
    metrics = session_metrics(space, result)
    console.print(
        f"[bold]{result.result}[/] after {result.rounds} round(s); strategies: "
        + ", ".join(f"{p}={s}" for p, s in zip(result.parties, result.strategies, strict=True))
    )
    heading = "payoffs (no agreement: each side keeps its alternative)"
    if result.agreement is not None:
        deal = Table(title="Agreement")
        deal.add_column("issue")
        deal.add_column("option")
        for i, issue in enumerate(space.scenario.issues):
            deal.add_row(issue.label or issue.name, issue.labels[int(rows[-1, i])])
        console.print(deal)
        heading = "payoffs"
    console.print(
        f"{heading}: "
        + ", ".join(f"{p} {u:.3f}" for p, u in metrics.utilities.items())
        + f"; welfare {metrics.welfare:.3f}; distance to Nash {metrics.nash_distance:.3f}, "
        f"to the Pareto frontier {metrics.pareto_distance:.3f}"
    )


def _opening_table(space: OutcomeSpace, rows: np.ndarray, names: list[str]) -> Table:
    """Every proposer's first offer in full."""
    openings: dict[str, int] = {}
    for k, who in enumerate(names):
        openings.setdefault(who, k)
    table = Table(title="Opening offers")
    table.add_column("issue", style="bold")
    for who in openings:
        table.add_column(who)
    for i, issue in enumerate(space.scenario.issues):
        table.add_row(
            issue.label or issue.name, *(issue.labels[int(rows[k, i])] for k in openings.values())
        )
    return table


def _offers_table(result: Trace, space: OutcomeSpace, rows: np.ndarray, names: list[str]) -> Table:
    """Every offer (the first and last 20 of a long session): utilities and changed terms."""
    table = Table(title=f"{result.scenario}: {result.protocol} offers")
    table.add_column("round", justify="right")
    table.add_column("by")
    for party in result.parties:
        table.add_column(party, justify="right")
    table.add_column("changes from the proposer's previous offer")
    last_of: dict[str, int] = {}
    changes = []
    for k, who in enumerate(names):
        before = last_of.get(who)
        changes.append("opening offer" if before is None else _terms(space, rows[k], rows[before]))
        last_of[who] = k
    shown = list(range(len(result)))
    if len(result) > 40:
        shown = [*range(20), *range(len(result) - 20, len(result))]
    previous = -1
    for k in shown:
        if previous >= 0 and k != previous + 1:
            table.add_row("...", "", *([""] * len(result.parties)), "")
        previous = k
        table.add_row(
            str(int(result.offer_rounds[k])),
            names[k],
            *(f"{u:.3f}" for u in result.utilities[k]),
            changes[k],
        )
    return table


@guarded
def tournament_command(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario files or built-in names.")],
    *,
    strategies: StrategiesOpt = "boulware,linear,conceder,hardliner,tit-for-tat,frequency,random",
    repetitions: Annotated[int, typer.Option(help="Sessions per cell.", min=1)] = 1,
    deadline: Annotated[int, typer.Option(help="Deadline in rounds.", min=1)] = 100,
    protocol: Annotated[
        str, typer.Option(help=f"Protocol of every session: {', '.join(PROTOCOLS)}.")
    ] = "alternating",
    discount: Annotated[
        float, typer.Option(help="Every party's per-round discount factor, in (0, 1].")
    ] = 1.0,
    self_play: Annotated[
        bool,
        typer.Option(
            "--self-play/--no-self-play",
            help="Also play the sessions where every seat holds the same strategy.",
        ),
    ] = True,
    parties: Annotated[
        str | None,
        typer.Option(
            help="Seat only these parties of every scenario, comma-separated (default: every "
            "party)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Root seed.")] = 0,
    executor: Annotated[str, typer.Option(help="local or dask.")] = "local",
    address: Annotated[
        str | None, typer.Option(help="Dask scheduler address (default: a LocalCluster).")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Workers (default: CPU count).")] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            help="Write every session as CSV, and the tables per strategy and per scenario "
            "beside it (results.csv: results.by-strategy.csv, results.by-scenario.csv)."
        ),
    ] = None,
    parquet: Annotated[
        Path | None,
        typer.Option(help="Write the same three tables as Parquet (results.parquet...)."),
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write an HTML report.")] = None,
    imports: ImportOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Play the strategies on every scenario with every party seated, in every seat.

    Every session and seat is one row of the tidy table (--csv, --parquet, and "sessions" in
    --json); the tables per strategy and per scenario are its means.
    """
    outputs = {"--csv": csv, "--parquet": parquet, "--html": html}
    _check_tournament_options(executor, outputs, protocol, discount)
    check_seed(seed)
    _import(imports)
    specs = _split(strategies)
    models = [_restricted(load_scenario(s), parties) for s in scenarios]
    runner = make_executor(executor, address, workers)
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            disable=as_json,
        ) as bar:
            task = bar.add_task("sessions", total=None)
            result = run_tournament(
                models,
                specs,
                repetitions=repetitions,
                rounds=deadline,
                seed=seed,
                executor=runner,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                protocol=protocol,
                discount=discount,
                self_play=self_play,
            )
    finally:
        runner.close()
    for path in (csv, parquet):
        if path is not None:
            save_tables(result, path)
    if html is not None:
        from detente.report.negotiation import tournament_report  # noqa: PLC0415 - optional

        html.write_text(tournament_report(result), encoding="utf-8")
    if as_json:
        print_json(
            {
                "by_strategy": result.by_strategy,
                "by_scenario": result.by_scenario,
                "matrix": result.matrix(),
                "sessions": result.sessions(),
                "seating": result.seating,
            }
        )
        return
    _render_tournament(result)


def _render_tournament(result: TournamentResult) -> None:
    seats = Table(title="Who sits at each table")
    for header in ("scenario", "parties (role)", "seatings", "rule"):
        seats.add_column(header, style="bold" if header == "scenario" else None)
    for seated in result.seating:
        seats.add_row(
            seated.scenario,
            ", ".join(f"{p} ({r})" for p, r in zip(seated.parties, seated.roles, strict=True)),
            f"{seated.seatings} x {result.repetitions}",
            "every assignment of the strategies to the parties"
            if seated.rule == "every assignment"
            else "the list cycled over the parties, in each of its rotations",
        )
    console.print(seats)
    headers = ("sessions", "agreed", "mean utility", "Nash distance", "welfare")
    for title, key, scores in (
        ("By strategy", "strategy", result.by_strategy),
        ("By scenario", "scenario", result.by_scenario),
    ):
        table = Table(title=f"{title} ({len(result.rows)} sessions, seed {result.seed})")
        longest = max(len(key), *(len(getattr(score, key)) for score in scores))
        # names are never cut: they fold when the terminal is too narrow for them
        table.add_column(key, style="bold", min_width=longest, overflow="fold")
        for header in headers:
            table.add_column(header, justify="right")
        for score in scores:
            table.add_row(
                getattr(score, key),
                str(score.sessions),
                f"{score.agreement_rate:.1%}",
                f"{score.mean_utility:.3f}",
                f"{score.nash_distance:.3f}",
                f"{score.welfare:.3f}",
            )
        console.print(table)
    _render_advantage(result)


def _render_advantage(result: TournamentResult) -> None:
    """Each strategy's advantage and time of agreement, then its mean utility against each other."""
    table = Table(title="Advantage: utility - reservation value; time of agreement")
    table.add_column("strategy", style="bold", overflow="fold")
    table.add_column("advantage", justify="right")
    table.add_column("agreement time", justify="right")
    for score in result.by_strategy:
        time = "-" if math.isnan(score.agreement_time) else f"{score.agreement_time:.3f}"
        table.add_row(score.strategy, f"{score.advantage:+.3f}", time)
    console.print(table)
    matrix = result.matrix()
    grid = Table(title="Row vs column: mean utility of the row strategy")
    grid.add_column("", style="bold", overflow="fold")
    for name in matrix.strategies:
        grid.add_column(name, justify="right", overflow="fold")
    for name, line in zip(matrix.strategies, matrix.utility, strict=True):
        grid.add_row(name, *("-" if math.isnan(u) else f"{u:.3f}" for u in line))
    console.print(grid)
