"""The page shell every report shares: inline CSS, inlined plotly.js, escaped text."""

from __future__ import annotations

import functools
import html
import re
import uuid
from collections.abc import Sequence
from typing import Any

__all__ = ["NOTEBOOK_CLASS", "figure_html", "notebook_fragment", "page", "table_html"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;
margin:2rem auto;max-width:1100px;
color:#1f2933;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d9e2ec}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
th,td{border:1px solid #d9e2ec;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#52606d;font-size:.9rem}.warn{color:#8d2b0b}
"""


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs  # noqa: PLC0415 - optional 'report' extra

    return str(get_plotlyjs())


def page(title: str, body: Sequence[str], *, subtitle: str = "", with_plots: bool = True) -> str:
    """A whole HTML document; ``body`` parts are HTML already escaped by their makers."""
    script = f"<script>{_plotly_js()}</script>" if with_plots else ""
    sub = f'<p class="note">{html.escape(subtitle)}</p>' if subtitle else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style>{script}</head>"
        f"<body><h1>{html.escape(title)}</h1>{sub}{''.join(body)}</body></html>\n"
    )


#: The class of the ``<div>`` a report sits in inside a notebook (its styles apply within it).
NOTEBOOK_CLASS = "detente-report"


def _scoped_css() -> str:
    """The page's CSS with every selector confined to the notebook fragment's ``<div>``."""
    rules = []
    for rule in _CSS.replace("\n", "").split("}"):
        if "{" not in rule:
            continue
        selectors, declarations = rule.split("{", 1)
        scoped = (
            f".{NOTEBOOK_CLASS}" if s.strip() == "body" else f".{NOTEBOOK_CLASS} {s.strip()}"
            for s in selectors.split(",")
        )
        rules.append(f"{','.join(scoped)}{{{declarations}}}")
    return "".join(rules)


def notebook_fragment(document: str) -> str:
    """A page made by :func:`page`, as one ``<div>`` for a notebook cell's output.

    The title, body and inlined plotly.js are kept; the styles apply only inside the
    ``<div>``, so the notebook around it keeps its own.
    """
    head, _, rest = document.partition("</head><body>")
    body = _unique_plot_ids(rest.rpartition("</body></html>")[0])
    script = head.partition("</style>")[2]
    return f'<div class="{NOTEBOOK_CLASS}"><style>{_scoped_css()}</style>{script}{body}</div>'


_PLOT_ID = re.compile(r'<div id="([^"]+)" class="plotly-graph-div"')


def _unique_plot_ids(body: str) -> str:
    """``body`` with each plot's element id made unique to this fragment.

    A page's plots have fixed ids ("timeline", "plane"); a notebook holds many fragments in one
    page, where a plot's script would find the first element of its id, in another cell. Only
    the id attribute and the two places plotly's script names it are renamed.
    """
    suffix = uuid.uuid4().hex[:12]
    for name in dict.fromkeys(_PLOT_ID.findall(body)):
        where = re.compile(rf'(<div id=|getElementById\(|Plotly\.newPlot\(\s*)"{re.escape(name)}"')
        body = where.sub(functools.partial(_renamed, f"{name}-{suffix}"), body)
    return body


def _renamed(name: str, match: re.Match[str]) -> str:
    return f'{match.group(1)}"{name}"'


def figure_html(figure: Any, div_id: str) -> str:
    """A plotly figure as a ``<div>`` that uses the page's inlined plotly.js."""
    return str(figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id))


def table_html(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str = ""
) -> str:
    """An HTML table; cells are escaped, numbers right-aligned."""
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, float):
                cells.append(f'<td class="num">{cell:.3f}</td>')
            elif isinstance(cell, int):
                cells.append(f'<td class="num">{cell:,}</td>')
            else:
                cells.append(f"<td>{html.escape(str(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
