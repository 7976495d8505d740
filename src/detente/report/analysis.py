"""The deal-space analysis as one self-contained, offline HTML page."""

from __future__ import annotations

import html
import math

import numpy as np

from detente.analysis import Analysis
from detente.analysis.sweeteners import Sweetener
from detente.analysis.wording import figure, party_name
from detente.assess import Assessment, DealAssessment
from detente.report._html import figure_html, page, table_html

__all__ = ["analysis_html", "utility_plane"]

_TITLES = {
    "nash": "Nash",
    "kalai_smorodinsky": "Kalai-Smorodinsky",
    "egalitarian": "Egalitarian",
    "utilitarian": "Utilitarian",
}
#: Where each solution's label sits, in pixels from its point, so that labels never overlap.
_LABEL_AT = {
    "nash": (-70, -45),
    "kalai_smorodinsky": (70, -45),
    "egalitarian": (70, 45),
    "utilitarian": (-70, 45),
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
    short = _short_labels(result, result.sample_options, sample)
    hover = "%{text}<extra></extra>"
    for where, name, marker in (
        (~inside, "outside the ZOPA", {"size": 4, "color": "#9aa5b1", "opacity": 0.5}),
        (inside, "in the ZOPA", {"size": 5, "color": "#3ebd93", "opacity": 0.7}),
    ):
        fig.add_trace(
            go.Scattergl(
                x=sample[where, px],
                y=sample[where, py],
                text=[t for t, w in zip(short, where, strict=True) if w],
                hovertemplate=hover,
                mode="markers",
                name=f"{label}: {name}",
                marker=marker,
            )
        )
    frontier = result.frontier.utilities
    fig.add_trace(
        go.Scattergl(
            x=frontier[:, px],
            y=frontier[:, py],
            text=_short_labels(result, result.frontier.options, frontier),
            hovertemplate=hover,
            mode="markers",
            name=f"Pareto frontier ({len(frontier):,} deals)",
            marker={"size": 6, "color": "#1f4e79"},
        )
    )
    placed: dict[tuple[float, float], list[str]] = {}
    for name, solution in result.solutions.items():
        if solution.deal is None or solution.options is None:
            continue
        point = (solution.utilities[names[px]], solution.utilities[names[py]])
        placed.setdefault(point, []).append(name)
        fig.add_trace(
            go.Scatter(
                x=[point[0]],
                y=[point[1]],
                text=[
                    _TITLES[name]
                    + "<br>"
                    + _short_labels(result, solution.options, list(solution.utilities.values()))[0]
                ],
                hovertemplate=hover,
                mode="markers",
                name=_TITLES[name],
                marker={"size": 14, "symbol": _SYMBOLS[name], "color": "#c65d21"},
            )
        )
    for (x_at, y_at), together in placed.items():  # one label per point, each its own offset
        ax, ay = _LABEL_AT[together[0]]
        fig.add_annotation(
            x=x_at,
            y=y_at,
            ax=ax,
            ay=ay,
            text=" = ".join(_TITLES[n] for n in together),
            showarrow=True,
            arrowhead=0,
            arrowcolor="#c65d21",
            font={"color": "#8d2b0b"},
            bgcolor="rgba(255,255,255,0.8)",
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


def _short_labels(result: Analysis, options: object, utilities: object) -> list[str]:
    """Hover text of each deal: every party's utility, then its option names on one line."""
    space = result.space
    matrix = np.asarray(options, dtype=np.int64).reshape(-1, space.n_issues)
    utilities = np.asarray(utilities, dtype=float).reshape(-1, space.n_parties)
    names = [[str(v) for v in issue.values] for issue in space.scenario.issues]
    out = []
    for row, u in zip(matrix, utilities, strict=True):  # the plotted deals, not the space
        scores = ", ".join(f"{p} {figure(x)}" for p, x in zip(space.party_names, u, strict=True))
        terms = [names[i][k] for i, k in enumerate(row)]
        lines = (" · ".join(terms[j : j + 4]) for j in range(0, len(terms), 4))
        out.append("<br>".join(map(html.escape, [scores, *lines])))
    return out


def _h2(text: str) -> str:
    return f"<h2>{html.escape(text)}</h2>"


def _p(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def analysis_html(
    result: Analysis,
    *,
    x: str | None = None,
    y: str | None = None,
    assessment: Assessment | None = None,
) -> str:
    """The whole report: plot of the utility plane of two parties, then the tables.

    With ``assessment``, the recommended deal comes first, and every deal put forward shows
    its one-year survival and whether it is fragile.
    """
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
    if assessment is not None:
        body.extend(_recommended(assessment))
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
            assessed = assessment.solutions.get(name) if assessment is not None else None
            table.append(
                [
                    _TITLES[name],
                    *(f"{solution.utilities[p]:.3f} ({solution.gains[p]:+.3f})" for p in names),
                    *([_holds(assessed)] if assessed is not None else []),
                ]
            )
        extra = ["holds at one year"] if assessment is not None else []
        body.append(table_html(["solution", *names, *extra], table, caption="utility (gain)"))
        deal_rows: list[list[object]] = []
        for i, issue in enumerate(model.issues):
            cells: list[object] = [issue.label or issue.name]
            cells.extend(
                issue.labels[s.options[i]] if s.options else "" for s in result.solutions.values()
            )
            deal_rows.append(cells)
        body.append(table_html(["issue", *(_TITLES[n] for n in result.solutions)], deal_rows))
    body.extend(_advice(result, assessment))
    return page(
        f"Deal-space analysis: {model.title or model.name}",
        body,
        subtitle=f"{len(names)} parties, {len(model.issues)} issues",
    )


def _issue_label(result: Analysis, name: str) -> str:
    issue = result.space.scenario.issue(name)
    return issue.label or issue.name


def _option_label(result: Analysis, issue_name: str, option: str) -> str:
    issue = result.space.scenario.issue(issue_name)
    return issue.labels[[str(v) for v in issue.values].index(option)]


def _sweetener_row(result: Analysis, party: str, s: Sweetener) -> list[object]:
    moves = "; ".join(
        f"{_issue_label(result, c.issue)}: {_option_label(result, c.issue, c.before)} → "
        f"{_option_label(result, c.issue, c.after)}"
        for c in s.changes
    )
    ratio = "free" if math.isinf(s.ratio) else figure(s.ratio)
    costs = ", ".join(f"{party_name(q)} {figure(c)}" for q, c in s.costs.items()) or "nobody"
    r = result.space.reservation[result.space.party_index(party)]
    if s.lifts:
        yes = "✓ lifts to yes"
    elif s.utilities[party] < r:
        yes = "still no"
    else:
        yes = ""
    if s.loses:
        then = " and ".join(party_name(q, start=k == 0) for k, q in enumerate(s.loses))
        then += " would say no"
    elif s.acceptable_to_all:
        then = "every party accepts"
    else:
        then = f"{party_name(party, start=True)} still rejects"
    return [party, moves, figure(s.gain), costs, ratio, yes, then]


def _holds(a: DealAssessment) -> str:
    flag = " (fragile)" if a.fragile else ""
    return f"{100 * a.survival_1y:.1f}% (±{100 * a.survival_1y_se:.1f}){flag}"


def _recommended(assessment: Assessment) -> list[str]:
    """The recommended deal: terms, each party's gain and margin, survival, the rule."""
    body = [_h2("Recommended deal")]
    a = assessment.recommended
    if a is None:
        return [*body, _p("No deal put forward is acceptable to every party.", "warn")]
    result = assessment.analysis
    body.append(
        _p(
            f"{result.describe(a.deal)} (from: {assessment.recommended_words}). Every party "
            f"accepts it; it holds at one year in {_holds(a)} of simulated futures; the "
            f"worst-off party gets {a.fairness:.0%} of the gain it could get in the ZOPA."
        )
    )
    rows = [[p, u, a.margins[p]] for p, u in a.utilities.items()]
    body.append(table_html(["party", "utility", "margin over its alternative"], rows))
    body.append(
        _p(
            "Chosen among the deals put forward (the solutions, the sweetened deals, the most "
            "robust frontier deal) as the best product of one-year survival and fairness "
            f"(docs/explanation/analysis.md). Survival: the durability model, "
            f"{assessment.paths:,} paths, seed {assessment.seed}. {assessment.reference}"
        )
    )
    return body


def _advice(result: Analysis, assessment: Assessment | None = None) -> list[str]:
    body = []
    advice = result.sweeteners
    if advice is not None:
        which = {"nash": "the Nash deal", "closest": "the closest deal", "given": "the given deal"}
        body.append(_h2(f"Sweeteners for {which[result.reference]}"))
        rows: list[list[object]] = []
        for party, found in advice.by_party.items():
            headlines = assessment.headlines if assessment is not None else advice.headlines
            body.append(_p(headlines[party]))
            ranked = assessment.sweeteners.get(party, ()) if assessment is not None else ()
            listed = [r.sweetener for r in ranked] or list(found)
            holds = [_holds(r.assessment) for r in ranked] or [""] * len(listed)
            items = "".join(
                f"<li>{html.escape(s.sentence)}{' Holds at one year: ' + h if h else ''}</li>"
                for s, h in zip(listed, holds, strict=True)
            )
            body.append(f"<ul>{items}</ul>")
            best = advice.to_yes.get(party)
            if best is not None and best not in found:
                body.append(_p(f"Cheapest way to a yes: {best.sentence}"))
            rows.extend(
                [*_sweetener_row(result, party, s), *([h] if assessment is not None else [])]
                for s, h in zip(listed, holds, strict=True)
            )
        header = ["for", "change", "gain", "who gives up what", "gain per cost", "yes?", "then"]
        if assessment is not None:
            header.append("holds at one year")
        body.append(table_html(header, rows))
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
                        ", ".join(_issue_label(result, s.issue) for s in pair.first_cares_more),
                        ", ".join(_issue_label(result, s.issue) for s in pair.second_cares_more),
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
        if robust.robust_deal is not None:
            rows.append(
                [
                    (
                        f"most robust of {robust.candidates:,} frontier deals: "
                        f"{result.describe(robust.robust_deal)}"
                    ),
                    robust.robust_probability,
                ]
            )
        body.append(table_html(["deal", "probability every party still accepts"], rows))
    return body
