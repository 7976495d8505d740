"""HTML reports of a negotiation session and of a tournament."""

from __future__ import annotations

import html
import math

from detente.negotiation import Trace, session_metrics
from detente.negotiation._order import space_first
from detente.negotiation.metrics import Benchmarks, benchmarks_of
from detente.negotiation.tournament import TournamentResult
from detente.report._html import figure_html, page, table_html
from detente.space import OutcomeSpace

__all__ = ["session_report", "tournament_report", "trace_report"]


def _number(value: float) -> float | str:
    return value if math.isfinite(value) else "n/a"


def session_report(space: OutcomeSpace, trace: Trace) -> str:
    """A self-contained HTML page: offers in utility space, utilities over time, the result.

    The distances to the Nash solution and to the Pareto frontier, and the frontier in the
    plane of offers, are those of ``space``. The old order ``(trace, space)`` still works,
    with a :class:`DeprecationWarning`, until the next release.
    """
    space, trace = space_first(space, trace, "session_report")  # the old order, deprecated
    return _session_page(trace, space)


def trace_report(trace: Trace) -> str:
    """The page of :func:`session_report` from the trace alone (its notebook view).

    A trace fresh from a session keeps its outcome space, and the page is
    ``session_report(trace.space, trace)``. A trace read from a file (or unpickled) has none:
    its page shows the result, the parties, the agreement and the offers, and says why the
    distances and the Pareto frontier are missing.
    """
    return _session_page(trace, trace.space)


#: Why a page drawn from a trace alone lacks the measures that need the scenario.
_NO_SPACE = (
    "This trace does not hold its scenario's outcome space (a trace read from a file or "
    "received from another process has none), so the distances to the Nash solution and to "
    "the Pareto frontier, and the frontier itself, are not shown; "
    "detente.report.negotiation.session_report(space, trace) draws them."
)


def _result_table(trace: Trace, space: OutcomeSpace | None, benchmarks: Benchmarks | None) -> str:
    if space is None:
        welfare = math.fsum(trace.final_utilities)
        return (
            table_html(
                ["result", "rounds", "welfare"],
                [[trace.result, trace.rounds, welfare]],
                caption="Result",
            )
            + f'<p class="note">{html.escape(_NO_SPACE)}</p>'
        )
    metrics = session_metrics(space, trace, benchmarks)
    return table_html(
        ["result", "rounds", "welfare", "distance to Nash", "distance to Pareto frontier"],
        [
            [
                trace.result,
                trace.rounds,
                metrics.welfare,
                _number(metrics.nash_distance),
                _number(metrics.pareto_distance),
            ]
        ],
        caption="Result",
    )


def _session_page(trace: Trace, space: OutcomeSpace | None) -> str:
    import plotly.graph_objects as go  # noqa: PLC0415 - optional 'report' extra

    benchmarks = None if space is None else benchmarks_of(space)
    body = [
        _result_table(trace, space, benchmarks),
        table_html(
            ["party", "role", "strategy", "discount", "payoff"],
            [
                [
                    party + (" (chairs the text)" if party == trace.chair else ""),
                    trace.roles[p] if trace.roles else "",
                    strategy,
                    trace.discounts[p],
                    trace.final_utilities[p],
                ]
                for p, (party, strategy) in enumerate(
                    zip(trace.parties, trace.strategies, strict=True)
                )
            ],
            caption="Who plays what",
        ),
    ]
    if trace.agreement_deal is not None:
        body.append(
            table_html(
                ["issue", "option"],
                [[k, str(v)] for k, v in trace.agreement_deal.items()],
                caption="Agreement",
            )
        )
    timeline = go.Figure()
    for p, party in enumerate(trace.parties):
        timeline.add_trace(
            go.Scatter(
                x=list(range(len(trace))),
                y=trace.utilities[:, p].tolist(),
                mode="lines+markers",
                name=f"utility of {party}",
            )
        )
    timeline.update_layout(xaxis_title="offer", yaxis_title="utility", height=420)
    body.append("<h2>Offers over time</h2>" + figure_html(timeline, "timeline"))
    if len(trace.parties) >= 2 and len(trace):
        plane = go.Figure()
        if benchmarks is not None:
            frontier = benchmarks.frontier
            plane.add_trace(
                go.Scatter(
                    x=frontier[:, 0].tolist(),
                    y=frontier[:, 1].tolist(),
                    mode="markers",
                    name="Pareto frontier",
                    marker={"color": "#bcccdc"},
                )
            )
        proposers = [(p, f"offers of {party}") for p, party in enumerate(trace.parties)]
        if (trace.proposers < 0).any():  # the single text's drafts
            proposers.append((-1, f"texts of {trace.chair or 'the mediator'}"))
        for p, name in proposers:
            mine = trace.proposers == p
            plane.add_trace(
                go.Scatter(
                    x=trace.utilities[mine, 0].tolist(),
                    y=trace.utilities[mine, 1].tolist(),
                    mode="lines+markers",
                    name=name,
                )
            )
        plane.update_layout(
            xaxis_title=f"utility of {trace.parties[0]}",
            yaxis_title=f"utility of {trace.parties[1]}",
            height=520,
        )
        body.append("<h2>Offers in utility space</h2>" + figure_html(plane, "plane"))
    return page(
        f"Negotiation: {trace.scenario}",
        body,
        subtitle=f"{trace.protocol} protocol, seed {trace.seed}",
    )


def tournament_report(result: TournamentResult) -> str:
    """A self-contained HTML page: the tables per strategy and per scenario, the matrix."""
    import plotly.graph_objects as go  # noqa: PLC0415 - optional 'report' extra

    headers = ["sessions", "agreement rate", "mean utility", "Nash distance", "welfare"]
    body = [
        table_html(
            ["strategy", *headers],
            [
                [
                    s.strategy,
                    s.sessions,
                    s.agreement_rate,
                    s.mean_utility,
                    _number(s.nash_distance),
                    s.welfare,
                ]
                for s in result.by_strategy
            ],
            caption="By strategy",
        ),
        table_html(
            ["scenario", *headers],
            [
                [
                    s.scenario,
                    s.sessions,
                    s.agreement_rate,
                    s.mean_utility,
                    _number(s.nash_distance),
                    s.welfare,
                ]
                for s in result.by_scenario
            ],
            caption="By scenario",
        ),
        table_html(
            ["scenario", "parties (role)", "seatings", "rule"],
            [
                [
                    t.scenario,
                    ", ".join(f"{p} ({r})" for p, r in zip(t.parties, t.roles, strict=True)),
                    t.seatings,
                    t.rule,
                ]
                for t in result.seating
            ],
            caption="Who sits at each table",
        ),
        table_html(
            ["strategy", "advantage", "agreement time"],
            [
                [s.strategy, _number(s.advantage), _number(s.agreement_time)]
                for s in result.by_strategy
            ],
            caption="Advantage (utility - reservation value) and time of agreement",
        ),
    ]
    matrix = result.matrix()
    body.append(
        table_html(
            ["row vs column", *matrix.strategies],
            [
                [name, *(_number(u) for u in line)]
                for name, line in zip(matrix.strategies, matrix.utility, strict=True)
            ],
            caption="Mean utility of the row strategy against the column strategy",
        )
    )
    figure = go.Figure(
        go.Bar(
            x=[s.strategy for s in result.by_strategy],
            y=[s.mean_utility for s in result.by_strategy],
        )
    )
    figure.update_layout(yaxis_title="mean utility", height=400)
    body.append("<h2>Mean utility per strategy</h2>" + figure_html(figure, "utility"))
    return page(
        "Negotiation tournament",
        body,
        subtitle=(
            f"{len(result.rows)} sessions, {result.repetitions} repetition(s), "
            f"{result.rounds} rounds, seed {result.seed}"
        ),
    )
