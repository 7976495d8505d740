"""The precedents report: the matched set's Kaplan-Meier curve with its band, the precedents."""

from __future__ import annotations

import html

from detente.precedents.search import PrecedentSearch
from detente.report._html import figure_html, page, table_html

__all__ = ["precedents_report"]


def _figure(search: PrecedentSearch) -> object:
    import plotly.graph_objects as go  # noqa: PLC0415 - optional 'report' extra

    curve = search.curve
    assert curve is not None
    days = list(curve.days)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=days + days[::-1],
            y=list(curve.upper) + list(curve.lower)[::-1],
            fill="toself",
            fillcolor="#1f77b4",
            opacity=0.18,
            line={"width": 0, "shape": "hv"},
            hoverinfo="skip",
            name="95% confidence band",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=days,
            y=list(curve.survival),
            name=f"Kaplan-Meier of the matched set (n = {search.matched})",
            line={"color": "#1f77b4", "shape": "hv"},
        )
    )
    figure.update_layout(
        xaxis_title="days since the ceasefire took effect",
        yaxis_title="share still holding",
        yaxis={"range": [0, 1.02]},
        template="plotly_white",
        height=420,
    )
    return figure


def precedents_report(search: PrecedentSearch, *, title: str) -> str:
    """A self-contained HTML page of a precedent search."""
    body = [
        "<h2>The deal in the records' terms</h2>",
        table_html(
            ["feature", "meaning", "in the deal"],
            [(k, search.labels[k], "yes" if v else "no") for k, v in search.features.items()],
        ),
    ]
    if search.unmapped:
        body.append(
            '<p class="note">No counterpart in the records: '
            + html.escape(", ".join(search.unmapped))
            + "</p>"
        )
    if search.curve is not None:
        body += [
            "<h2>How long the matched ceasefires lasted</h2>",
            figure_html(_figure(search), "km"),
        ]
    else:
        body.append('<p class="warn">No past ceasefire matches the deal closely enough.</p>')
    rows = [
        (
            p.country,
            p.year if p.year is not None else "",
            p.parties,
            p.similarity,
            ", ".join(p.matched),
            ", ".join(p.missing),
            f"{p.days:,.0f}" if p.days is not None else "",
            p.end or "not recorded",
            ", ".join(map(str, p.ended_codes)),
        )
        for p in search.precedents
    ]
    body += [
        "<h2>The most similar past ceasefires</h2>",
        table_html(
            [
                "country",
                "year",
                "parties",
                "similarity",
                "matched",
                "missing",
                "days",
                "end",
                "ended (code, undocumented)",
            ],
            rows,
        ),
        (
            f'<p class="note">Source: {html.escape(search.source)}. {search.compared:,} '
            f"ceasefires compared; {search.matched:,} match at similarity "
            f"{search.threshold:.2f} or more.</p>"
        ),
    ]
    return page(title, body, with_plots=search.curve is not None)
