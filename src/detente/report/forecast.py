"""HTML report of a forecast: outcome, trajectories per dimension, challenges and risk."""

from __future__ import annotations

import html

from detente.forecast import ForecastDeal, ScenarioForecast
from detente.forecast.result import HOLDOUT_GAP, Challenge, Forecast
from detente.report._html import figure_html, page, table_html

__all__ = ["MAX_CHALLENGE_ROWS", "forecast_report"]

#: Challenges listed in the report at most (the JSON output has them all).
MAX_CHALLENGE_ROWS = 300


def _trajectory_figure(result: Forecast, k: int) -> str:
    import plotly.graph_objects as go  # noqa: PLC0415 - optional 'report' extra

    fig = go.Figure()
    turns = list(range(result.iterations + 1))
    for i, actor in enumerate(result.actors):
        fig.add_trace(
            go.Scatter(
                x=turns, y=result.history[:, i, k].tolist(), mode="lines+markers", name=actor
            )
        )
    fig.add_hline(
        y=float(result.outcome[k]),
        line_dash="dash",
        annotation_text=f"forecast {result.outcome[k]:.1f}",
    )
    fig.update_layout(
        title=f"{result.dimensions[k]}: positions by turn",
        xaxis_title="turn",
        yaxis_title="position (0-100)",
        yaxis_range=[-2, 102],
        height=420,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
    )
    return figure_html(fig, div_id=f"trajectory-{k}")


def _adopted(c: Challenge) -> str:
    who = [
        name
        for name, flag in ((c.challenger, c.adopted_by_challenger), (c.target, c.adopted_by_target))
        if flag
    ]
    return ", ".join(who) or "nobody"


def _utility(deal: ForecastDeal, party: str) -> str:
    text = f"{deal.utilities[party]:.3f} ({deal.margins[party]:+.3f})"
    return text if deal.acceptable[party] else f"{text}, rejects"


def _scenario_sections(result: ScenarioForecast) -> list[str]:
    """Placement of the options, every model's deal and its value, and the disagreements."""
    body = ["<h2>How the options were placed on 0-100</h2>"]
    body.append(
        table_html(
            ["issue", "rule", "fit", "options at their places"],
            [
                [
                    line.issue,
                    line.rule,
                    "-" if line.fit is None else f"{line.fit:.0%}",
                    " · ".join(
                        f"{line.options[j]} {line.positions[j]:.0f}"
                        for j in sorted(range(len(line.options)), key=lambda j: line.positions[j])
                    ),
                ]
                for line in result.placement.lines
            ],
            caption="axis: the parties' main line of disagreement (fit: its share of it)",
        )
    )
    body.append("<h2>The forecast as a deal</h2>")
    deals = list(result.deals.values())
    rows: list[list[object]] = [
        [issue, *(f"{d.deal[issue]} ({d.positions[i]:.1f})" for d in deals)]
        for i, issue in enumerate(result.placement.stakeholders.dimensions)
    ]
    rows += [
        [
            f"{party}: utility (margin)",
            *(_utility(d, party) for d in deals),
        ]
        for party in result.primary.utilities
    ]
    rows.append(["in the ZOPA", *("yes" if d.in_zopa else "no" for d in deals)])
    body.append(
        table_html(
            ["issue", *(d.model + (" (main)" if d.model == result.model else "") for d in deals)],
            rows,
            caption="each model's forecast mapped to the nearest option",
        )
    )
    if result.disagreements:
        body.append("<h2>Why the models disagree</h2>")
        notes = "".join(
            f"<li><b>{html.escape(name)}</b>: {html.escape(note)}</li>"
            for name, note in result.assumptions.items()
        )
        body.append(f"<p>What each model assumes:</p><ul>{notes}</ul>")
        for gap in result.disagreements:
            reasons = "".join(
                f"<li><b>{html.escape(name)}</b>: {html.escape(reason)}</li>"
                for name, reason in gap.reasons.items()
            )
            body.append(f"<p>{html.escape(gap.summary)}</p><ul>{reasons}</ul>")
    return body


def forecast_report(
    result: Forecast, *, subtitle: str = "", scenario: ScenarioForecast | None = None
) -> str:
    """A self-contained HTML page (plotly inlined) for ``result``.

    With ``scenario`` (the scenario forecast ``result`` belongs to), the page also shows how the
    options were placed, every model's deal with its value to each party, and why they differ.
    """
    body = []
    if result.disclaimer:
        body.append(f'<p class="warn">{html.escape(result.disclaimer)}</p>')
    body.append(
        f"<p>Model <b>{html.escape(result.model)}</b>: {result.iterations} turns; "
        f"{html.escape(result.stop_reason)}.</p>"
    )
    body.append("<h2>Forecast outcome</h2>")
    labels = result.dimension_labels or ("",) * len(result.dimensions)
    body.append(
        table_html(
            [
                "dimension",
                "what 0 and 100 mean",
                f"forecast ({result.model}, 0-100)",
                "median actor's final position",
                f"ending more than {HOLDOUT_GAP:g} from the median",
            ],
            [
                [
                    d,
                    labels[k],
                    float(result.outcome[k]),
                    float(result.median[k]),
                    ", ".join(result.holdouts[k]) or "-",
                ]
                for k, d in enumerate(result.dimensions)
            ],
            caption="forecast: capability x salience weighted mean of the final positions",
        )
    )
    together = [d for d, flag in zip(result.dimensions, result.one_point, strict=True) if flag]
    if together and result.iterations:
        body.append(
            f"<p>Every actor ends at the same position on {html.escape(', '.join(together))}.</p>"
        )
    if scenario is not None:
        body.extend(_scenario_sections(scenario))
    body.append("<h2>Trajectories</h2>")
    body.extend(_trajectory_figure(result, k) for k in range(len(result.dimensions)))
    body.append("<h2>Start and final positions</h2>")
    headers = ["actor"] + [f"{d} start" for d in result.dimensions]
    headers += [f"{d} final" for d in result.dimensions]
    has_risk = bool(result.risk.shape[0])
    if has_risk:
        headers.append("risk at turn 1")
    rows = [
        [actor]
        + [float(v) for v in result.history[0, i]]
        + [float(v) for v in result.final[i]]
        + ([float(result.risk[0, i])] if has_risk else [])
        for i, actor in enumerate(result.actors)
    ]
    body.append(table_html(headers, rows))
    if result.challenges:
        body.append("<h2>Challenges and bargains</h2>")
        shown = result.challenges[:MAX_CHALLENGE_ROWS]
        by_dimension = any(c.dimension is not None for c in shown)
        body.append(
            table_html(
                [
                    "turn",
                    *(["dimension"] if by_dimension else []),
                    "by",
                    "to",
                    "kind",
                    "P (by's view)",
                    "gain to by",
                    "adopted by",
                ],
                [
                    [
                        c.turn,
                        *([c.dimension or ""] if by_dimension else []),
                        c.challenger,
                        c.target,
                        c.kind,
                        c.probability,
                        c.challenger_gain,
                        _adopted(c),
                    ]
                    for c in shown
                ],
                caption=(
                    f"first {len(shown)} of {len(result.challenges)}"
                    if len(shown) < len(result.challenges)
                    else ""
                ),
            )
        )
    return page(f"Forecast: {result.name}", body, subtitle=subtitle)
