"""The deal-space analysis as one self-contained, offline HTML page."""

from __future__ import annotations

import html
import math

from detente.analysis import Analysis
from detente.report._html import figure_html, page, table_html

__all__ = ["analysis_html", "utility_plane"]

_TITLES = {
    "nash": "Nash",
    "kalai_smorodinsky": "Kalai-Smorodinsky",
    "egalitarian": "Egalitarian",
    "utilitarian": "Utilitarian",
}
_TEXT_AT = {
    "nash": "top left",
    "kalai_smorodinsky": "top right",
    "egalitarian": "bottom right",
    "utilitarian": "bottom left",
}
_SYMBOLS = {
    "nash": "star",
    "kalai_smorodinsky": "diamond",
    "egalitarian": "square",
    "utilitarian": "triangle-up",
}


def utility_plane(result: Analysis, x: str | None = None, y: str | None = None) -> object:
    """A plotly figure: sampled deals, frontier, reservation lines and solutions.

    ``x`` and ``y`` name the parties on the axes (default: the first two).
    """
    import plotly.graph_objects as go  # noqa: PLC0415 - optional 'report' extra

    space = result.space
    names = space.party_names
    px = space.party_index(x) if x else 0
    py = space.party_index(y) if y else min(1, len(names) - 1)
    sample = result.sample_utilities
    inside = result.sample_in_zopa
    fig = go.Figure()
    n = len(sample)
    label = "every deal" if n >= space.size else f"{n:,} sampled deals"
    fig.add_trace(
        go.Scattergl(
            x=sample[~inside, px],
            y=sample[~inside, py],
            mode="markers",
            name=f"{label}: outside the ZOPA",
            marker={"size": 4, "color": "#9aa5b1", "opacity": 0.5},
        )
    )
    fig.add_trace(
        go.Scattergl(
            x=sample[inside, px],
            y=sample[inside, py],
            mode="markers",
            name=f"{label}: in the ZOPA",
            marker={"size": 5, "color": "#3ebd93", "opacity": 0.7},
        )
    )
    frontier = result.frontier.utilities
    fig.add_trace(
        go.Scattergl(
            x=frontier[:, px],
            y=frontier[:, py],
            mode="markers",
            name=f"Pareto frontier ({len(frontier):,} deals)",
            marker={"size": 6, "color": "#1f4e79"},
        )
    )
    for name, solution in result.solutions.items():
        if solution.deal is None:
            continue
        fig.add_trace(
            go.Scatter(
                x=[solution.utilities[names[px]]],
                y=[solution.utilities[names[py]]],
                mode="markers+text",
                text=[_TITLES[name]],
                textposition=_TEXT_AT[name],
                name=_TITLES[name],
                marker={"size": 14, "symbol": _SYMBOLS[name], "color": "#c65d21"},
            )
        )
    fig.add_vline(
        x=float(space.reservation[px]),
        line_dash="dash",
        line_color="#8d2b0b",
        annotation_text=f"{names[px]}'s alternative",
    )
    fig.add_hline(
        y=float(space.reservation[py]),
        line_dash="dash",
        line_color="#8d2b0b",
        annotation_text=f"{names[py]}'s alternative",
    )
    fig.update_layout(
        xaxis_title=f"utility of {names[px]}",
        yaxis_title=f"utility of {names[py]}",
        xaxis_range=[-0.02, 1.02],
        yaxis_range=[-0.02, 1.02],
        height=620,
        legend={"orientation": "h", "y": -0.15},
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
    )
    return fig


def _h2(text: str) -> str:
    return f"<h2>{html.escape(text)}</h2>"


def _p(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def analysis_html(result: Analysis, *, x: str | None = None, y: str | None = None) -> str:
    """The whole report: plot of the utility plane of two parties, then the tables."""
    space = result.space
    model = space.scenario
    names = list(space.party_names)
    body = []
    if model.disclaimer:
        body.append(_p(model.disclaimer.strip(), "warn"))
    body.append(_h2("Parties"))
    body.append(
        table_html(
            ["party", "role", "reservation value", "why"],
            [
                [p.name, p.role.value, p.reservation_value, p.reservation_rationale]
                for p in model.parties
            ],
        )
    )
    zopa = result.zopa
    if zopa.exact:
        size = f"{zopa.count:,} deals ({zopa.fraction:.2%}), counted exactly"
    else:
        low, high = zopa.interval
        size = (
            f"about {zopa.count:.3g} deals ({zopa.fraction:.2%}), 95% interval {low:.3g} to "
            f"{high:.3g}: an estimate from {zopa.samples:,} draws"
        )
    body.append(_h2("Zone of possible agreement"))
    body.append(
        _p(
            f"{space.size:,} possible deals, {zopa.feasible_count:,} of them cross no red line. "
            f"Acceptable to every party: {size}. Pareto frontier: {len(result.frontier):,} "
            f"distinct efficient deals. Opposition (distance of the frontier from the ideal "
            f"point): {result.opposition:.3f}."
        )
    )
    body.append(figure_html(utility_plane(result, x, y), "utility-plane"))
    if all(s.deal is None for s in result.solutions.values()):
        gaps = result.concessions
        body.append(_p("No deal is acceptable to every party.", "warn"))
        rows: list[list[object]] = [
            [name, "no concession alone suffices" if need is None else need]
            for name, need in gaps.by_party.items()
        ]
        if gaps.joint is not None:
            rows.append(["every party, equally", gaps.joint])
        body.append(table_html(["who concedes", "smallest concession in utility"], rows))
    else:
        body.append(_h2("Bargaining solutions"))
        table: list[list[object]] = []
        for name, solution in result.solutions.items():
            table.append(
                [
                    _TITLES[name],
                    *(f"{solution.utilities[p]:.3f} ({solution.gains[p]:+.3f})" for p in names),
                ]
            )
        body.append(table_html(["solution", *names], table, caption="utility (gain)"))
        deal_rows: list[list[object]] = []
        for i, issue in enumerate(model.issues):
            cells: list[object] = [issue.label or issue.name]
            cells.extend(
                issue.labels[s.options[i]] if s.options else "" for s in result.solutions.values()
            )
            deal_rows.append(cells)
        body.append(table_html(["issue", *(_TITLES[n] for n in result.solutions)], deal_rows))
    body.extend(_advice(result))
    return page(
        f"Deal-space analysis: {model.title or model.name}",
        body,
        subtitle=f"{len(names)} parties, {len(model.issues)} issues",
    )


def _advice(result: Analysis) -> list[str]:
    body = []
    advice = result.sweeteners
    if advice is not None:
        body.append(_h2(f"Sweeteners ({result.reference} deal)"))
        rows = []
        for party, found in advice.by_party.items():
            for s in found:
                moves = "; ".join(f"{c.issue}: {c.before} -> {c.after}" for c in s.changes)
                ratio = "free" if math.isinf(s.ratio) else f"{s.ratio:.2f}"
                verdict = "everyone accepts" if s.acceptable_to_all else "someone rejects"
                rows.append([party, moves, s.gain, s.cost, ratio, verdict])
        body.append(
            table_html(["for", "change", "gain", "cost to others", "gain per cost", "then"], rows)
        )
    if result.talking_points:
        body.append(_h2("Talking points"))
        for tp in result.talking_points:
            items = "".join(f"<li>{html.escape(p.sentence)}</li>" for p in tp.points)
            body.append(f"<p><b>{html.escape(tp.party)}</b>: {html.escape(tp.summary)}</p>")
            body.append(f"<ul>{items}</ul>")
    trades = [pair for pair in result.logrolling if pair.tradeable]
    if trades:
        body.append(_h2("Log-rolling candidates"))
        body.append(
            table_html(
                ["parties", "first cares more about", "second cares more about"],
                [
                    [
                        f"{pair.first} / {pair.second}",
                        ", ".join(s.issue for s in pair.first_cares_more),
                        ", ".join(s.issue for s in pair.second_cares_more),
                    ]
                    for pair in trades
                ],
            )
        )
    robust = result.sensitivity
    if robust is not None:
        body.append(_h2("Sensitivity"))
        body.append(
            _p(
                f"Weights drawn from a Dirichlet distribution of concentration "
                f"{robust.concentration:g} around the stated ones, reservation values within "
                f"+/-{robust.reservation_range:g}, {robust.samples:,} draws."
            )
        )
        rows = [[_TITLES[n], p] for n, p in robust.solutions.items()]
        rows.append(
            [f"most robust of {robust.candidates:,} frontier deals", robust.robust_probability]
        )
        body.append(table_html(["deal", "probability every party still accepts"], rows))
    return body
