"""The durability report: survival curves with bands per mechanism set, causes, comparison."""

from __future__ import annotations

import html
from collections.abc import Sequence

from detente.durability import DurabilityResult, DurabilityRun
from detente.report._html import figure_html, page, table_html

__all__ = ["durability_report", "survival_figure"]

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


def survival_figure(curves: Sequence[tuple[str, DurabilityResult]]) -> object:
    """A plotly figure: P(holding at day t) with its 95% band, one line per labelled result."""
    import plotly.graph_objects as go  # noqa: PLC0415 - optional 'report' extra

    figure = go.Figure()
    for k, (label, result) in enumerate(curves):
        colour = _COLOURS[k % len(_COLOURS)]
        days = list(range(1, result.days + 1))
        figure.add_trace(
            go.Scatter(
                x=days + days[::-1],
                y=list(result.upper) + list(result.lower)[::-1],
                fill="toself",
                fillcolor=colour,
                opacity=0.18,
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                name=f"{label} (95% band)",
            )
        )
        figure.add_trace(
            go.Scatter(x=days, y=list(result.survival), name=label, line={"color": colour})
        )
    figure.update_layout(
        xaxis_title="day after signature",
        yaxis_title="P(ceasefire holding)",
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
        height=480,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def durability_report(run: DurabilityRun) -> str:
    """A self-contained HTML page for one run (and its mechanism comparison, if it has one)."""
    result, comparison, contexts = run.result, run.comparison, run.params.contexts
    which = run.spec if run.spec.isidentifier() else "chosen"
    title = f"Durability of the {which} deal: {run.title}"
    mechanisms = ", ".join(result.mechanisms) or "none"
    subtitle = (
        f"{result.paths:,} simulated paths over {result.days} days, seed {result.seed}; "
        f"mechanisms: {mechanisms}"
    )
    band = f"{_pct(result.lower[-1])}-{_pct(result.upper[-1])}"
    median = f"day {result.median_days}" if result.median_days else f"beyond day {result.days}"
    one_year = ""
    if run.survival_1y is not None and run.survival_1y_se is not None:
        one_year = (
            f" At one year: <b>{_pct(run.survival_1y)}</b> (standard error "
            f"{_pct(run.survival_1y_se)})."
        )
    body = [
        "<h2>Will it hold?</h2>",
        (
            f"<p>P(holding at day {result.days}) = <b>{_pct(result.final)}</b> "
            f"(95% band {band}: {html.escape(run.band)}); median time to collapse: "
            f"{html.escape(median)}.{one_year}</p>"
        ),
        f"<p>Context: {html.escape(', '.join(contexts) or 'none')}.</p>",
        *(
            f"<p><b>{html.escape(note)}</b></p>"
            for note in (run.reference, *run.notes, *run.warnings)
        ),
    ]
    body.append("<h2>The deal</h2>")
    body.append(table_html(["issue", "option"], [[k, v] for k, v in run.deal.items()]))
    days = max((s.phase_in_days for s in run.standings), default=0)
    header = ["party", "deal value", "alternative", "surplus"]
    if days:
        header.append(f"still to come (over {days} days)")
    rows = []
    for s in run.standings:
        row: list[object] = [s.party, s.utility, s.alternative, s.margin]
        if days:
            row.append(s.deferred_value)
        rows.append(row)
    body.append(table_html(header, rows))
    shifts = [[s.party, s.power_shift, s.power_shift_day] for s in run.standings if s.power_shift]
    if shifts:
        body.append("<h2>Known power shifts (the commitment problem)</h2>")
        body.append(table_html(["party", "drop in power", "on day"], shifts))
    curves = [("as agreed", result)]
    if comparison is not None:
        curves += [(row.label, row.result) for row in comparison.rows]
    body.append("<h2>Survival</h2>")
    body.append(figure_html(survival_figure(curves), "survival"))
    body.append("<h2>Why ceasefires collapse in the model</h2>")
    causes = sorted(result.causes.items(), key=lambda kv: -kv[1])
    body.append(
        table_html(
            ["cause", "share of collapses"],
            [[c, _pct(s)] for c, s in causes],
            caption=f"{result.collapses:,} collapses among {result.paths:,} paths",
        )
    )
    if comparison is not None:
        day = comparison.day
        rows = [
            [
                row.label,
                _pct(row.holding),
                f"{100 * row.change:+.1f} points",
                "-" if row is comparison.baseline else f"{row.hazard_ratio:.2f}",
                row.effect_size,
            ]
            for row in (comparison.baseline, *comparison.rows)
        ]
        body.append("<h2>What each mechanism adds</h2>")
        body.append(
            table_html(
                ["mechanisms", f"holding at day {day}", "change", "hazard ratio", "effect size"],
                rows,
                caption="Every row uses the same random numbers (common random numbers).",
            )
        )
    if run.swaps:
        swap_rows = [
            [
                w.issue,
                w.option,
                ", ".join(w.mechanisms) or "none",
                _pct(w.holding),
                f"{100 * w.change:+.1f} points",
                "yes" if w.accepted else "no",
            ]
            for w in run.swaps
        ]
        body.append("<h2>Swapping one option</h2>")
        body.append(
            table_html(
                [
                    "issue",
                    "option instead",
                    "mechanisms in force",
                    f"holding at day {result.days}",
                    "change",
                    "every party accepts",
                ],
                swap_rows,
                caption="The deal with one option of an issue whose options provide mechanisms "
                "swapped for another, on the same random numbers.",
            )
        )
    body.append(
        '<p class="note">Model, equations, calibration and sources: '
        "docs/explanation/durability.md. Results are model estimates under stated assumptions, "
        "not forecasts.</p>"
    )
    return page(title, body, subtitle=subtitle)
