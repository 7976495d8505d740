"""Small inline SVG charts (no JavaScript, nothing fetched)."""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

__all__ = ["daily_bars"]


def daily_bars(name: str, dates: list[dt.date], counts: list[int], *, height: int = 90) -> Markup:
    """A bar chart of incidents per day for one sector, with its axis labels."""
    bar, gap, left, bottom = 18, 4, 28, 18
    width = left + len(counts) * (bar + gap)
    top = max([*counts, 1])
    scale = (height - bottom - 12) / top
    parts = [
        (
            f'<svg class="chart" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" aria-label="Incidents per day in {escape(name)}">'
        ),
        f"<title>Incidents per day in {escape(name)}</title>",
        (
            f'<line x1="{left - 2}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
            'stroke="#888"/>'
        ),
        f'<text x="0" y="12" font-size="10">{top}</text>',
        f'<text x="0" y="{height - bottom}" font-size="10">0</text>',
    ]
    for i, (day, n) in enumerate(zip(dates, counts, strict=True)):
        x = left + i * (bar + gap)
        h = n * scale
        y = height - bottom - h
        parts.append(
            f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="#b5472f">'
            f"<title>{day.isoformat()}: {n}</title></rect>"
        )
        if i % 2 == 0:
            parts.append(
                f'<text x="{x}" y="{height - 4}" font-size="9">{day.strftime("%d.%m")}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
