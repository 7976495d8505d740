"""The briefing as one self-contained, offline HTML page (and the page a PDF is printed from)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from detente.analysis.wording import figure
from detente.brief import Briefing, Swap, Term
from detente.report._html import figure_html, page, table_html
from detente.report.durability import survival_figure

__all__ = ["briefing_html", "margins_figure"]

#: Printed on A4 or Letter, a figure wider than this (CSS pixels) would be cut at the margin.
_PRINT_WIDTH = 680

_PRINT_CSS = """
@page{size:A4;margin:14mm 12mm}
@media print{
body{margin:0;max-width:none;font-size:10pt}
h2{break-after:avoid}
tr,.plot,li{break-inside:avoid}
thead tr,caption{break-after:avoid}
tbody tr:first-child{break-before:avoid}
.modebar-container{display:none!important}
}
table.wide{width:100%}
caption{text-align:left;color:#52606d;font-size:.9rem;padding-bottom:.2rem}
.plot{margin:.4rem 0}
ul.points{margin:.2rem 0 .8rem 1.2rem;padding:0}
"""

_FORECAST_DIFFERS = "Where the forecast differs from {deal}"
_AGREEMENT_DIFFERS = "Where the agreement differs from {deal}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _points(change: float) -> str:
    return f"{100 * change:+.1f} pts"


def _h2(text: str) -> str:
    return f"<h2>{html.escape(text)}</h2>"


def _p(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def margins_figure(briefing: Briefing) -> object:
    """A plotly figure: each party's utility of the deal beside its alternative."""
    import plotly.graph_objects as go  # noqa: PLC0415 - optional 'report' extra

    names = [s.party for s in briefing.stakes]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=names,
            y=[s.alternative for s in briefing.stakes],
            name="alternative (no deal)",
            marker_color="#9aa5b1",
        )
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=[s.utility for s in briefing.stakes],
            name=briefing.deal_name,
            marker_color=["#c65d21" if s.fragile else "#3ebd93" for s in briefing.stakes],
            text=[figure(s.margin, 3, sign=True) for s in briefing.stakes],
            textposition="outside",
        )
    )
    fig.update_layout(
        barmode="group",
        yaxis={"range": [0, 1.1], "title": "utility"},
        height=320,
        margin={"l": 60, "r": 20, "t": 20, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _plot(fig: object, div_id: str, *, for_print: bool) -> str:
    if for_print:  # a fixed size that fits the printed page, beside the text it illustrates
        fig.update_layout(width=_PRINT_WIDTH, height=300)  # type: ignore[attr-defined]
    return f'<div class="plot">{figure_html(fig, div_id)}</div>'


def _wide(table: str) -> str:
    """A table spread over the page's width (long sentences in its cells)."""
    return table.replace("<table>", '<table class="wide">', 1)


def briefing_html(briefing: Briefing, *, for_print: bool = False) -> str:
    """The whole briefing as an HTML page; ``for_print`` sizes it for an A4 or Letter page."""
    b = briefing
    body = [f"<style>{_PRINT_CSS}</style>"]
    if b.disclaimer:
        body.append(_p(b.disclaimer, "warn"))
    body.append(_h2(b.deal_name.capitalize()))
    body.append(_p(b.basis))
    if b.deal is None:
        body.extend(_no_deal(b))
    else:
        terms = [[t.issue_label, t.option_label] for t in b.terms]
        body.append(_wide(table_html(["issue", "term"], terms)))
        body.append(
            table_html(
                ["party", "role", "deal worth", "alternative", "margin", "says"],
                [
                    [
                        s.party,
                        s.role,
                        s.utility,
                        s.alternative,
                        s.margin,
                        "a fragile yes" if s.fragile else "yes",
                    ]
                    for s in b.stakes
                ],
                caption=f"Utilities on a 0-1 scale; a margin under {b.fragile_margin:g} is a "
                "fragile yes.",
            )
        )
        body.append(_plot(margins_figure(b), "margins", for_print=for_print))
        body.extend(_talking_points(b))
        body.extend(_survival(b, for_print=for_print))
        body.extend(_sweeteners(b))
        body.extend(_swaps(b))
        body.extend(_precedents(b))
    body.extend(_forecast(b))
    body.extend(_rehearsal(b))
    body.append(_h2("Assumptions"))
    body.append("<ul>" + "".join(f"<li>{html.escape(a)}</li>" for a in b.assumptions) + "</ul>")
    subtitle = f"Briefing on {b.scenario}: every figure from one run, seed {b.seed}."
    return page(f"Briefing: {b.title}", body, subtitle=subtitle)


def _no_deal(b: Briefing) -> list[str]:
    rows = [
        [p, "no concession by it alone opens a zone of agreement" if need is None else need]
        for p, need in b.concessions.items()
    ]
    return [
        table_html(
            ["party", "utility it would have to give up below its alternative"],
            rows,
            caption="How far each party is from agreement, the others holding firm",
        )
    ]


def _talking_points(b: Briefing) -> list[str]:
    out = [_h2("Why each side can say yes")]
    for tp in b.talking_points:
        out.append(f"<p><b>{html.escape(tp.party)}</b>: {html.escape(tp.summary)}</p>")
        items = "".join(f"<li>{html.escape(p.sentence)}</li>" for p in tp.points)
        if items:
            out.append(f'<ul class="points">{items}</ul>')
    return out


def _survival(b: Briefing, *, for_print: bool) -> list[str]:
    survival = b.survival
    assert survival is not None  # a deal has a durability run
    result = survival.result
    median = f"day {result.median_days}" if result.median_days else f"beyond day {result.days}"
    out = [
        _h2("Will it hold?"),
        _p(
            f"Still holding after one year: {_pct(survival.survival_1y)} "
            f"(standard error {_pct(survival.error_1y)}) of {result.paths:,} simulated "
            f"paths; median time to collapse: {median}. Mechanisms the deal puts in place: "
            f"{', '.join(survival.mechanisms) or 'none'}."
        ),
        _p(survival.reference, "note"),
        _plot(survival_figure([(b.deal_name, result)]), "survival", for_print=for_print),
    ]
    if result.collapses:
        causes = sorted(result.causes.items(), key=lambda kv: -kv[1])
        out.append(
            table_html(
                ["cause", "share of collapses"],
                [[c, _pct(s)] for c, s in causes],
                caption=f"Why the {result.collapses:,} simulated collapses happen",
            )
        )
    return out


def _sweeteners(b: Briefing) -> list[str]:
    out = [_h2("Sweeteners: what to offer, and what it does")]
    if not b.sweeteners:
        return [*out, _p("No change of one or two issues helps a reluctant party.")]
    base = b.survival.survival_1y if b.survival is not None else 0.0
    rows = [
        [
            s.sentence,
            _acceptance(s.acceptable_to_all, fragile=s.fragile),
            f"{_pct(s.survival_1y)} ({_points(s.survival_change)})",
        ]
        for s in b.sweeteners
    ]
    out.append(
        _wide(
            table_html(
                ["the change", "everyone accepts", "holding at 1 year"],
                rows,
                caption=f"{b.deal_name.capitalize()} holds in {_pct(base)} of paths at one year; "
                "every row uses the same random numbers.",
            )
        )
    )
    return out


def _acceptance(accepted: bool, *, fragile: bool) -> str:
    if not accepted:
        return "no"
    return "yes, fragile" if fragile else "yes"


def _mechanism_change(swap: Swap) -> str:
    parts = [f"+ {m}" for m in swap.added] + [f"- {m}" for m in swap.removed]
    return ", ".join(parts) or "the same"


def _swaps(b: Briefing) -> list[str]:
    out = [_h2("Mechanism swaps: another option of an issue that provides mechanisms")]
    if not b.swaps:
        return [*out, _p("No issue of this scenario has options that provide mechanisms.")]
    rows = [
        [
            f"{s.before.issue_label}: {s.after.option_label} instead of {s.before.option_label}",
            _mechanism_change(s),
            "yes" if s.acceptable_to_all else "no",
            f"{_pct(s.survival_1y)} ({_points(s.survival_change)})",
        ]
        for s in b.swaps
    ]
    out.append(
        _wide(
            table_html(
                ["the swap", "mechanisms", "everyone accepts", "holding at 1 year"],
                rows,
                caption=f"Every row uses the same random numbers as {b.deal_name}'s run.",
            )
        )
    )
    return out


def _precedents(b: Briefing) -> list[str]:
    p = b.precedents
    if p is None:  # no records given
        return []
    out = [
        _h2("Precedents: past ceasefires like this deal"),
        _p(f"Features of the deal: {'; '.join(p.features.values()) or 'none'}."),
    ]
    if p.unmapped:
        out.append(_p(f"No counterpart in the records: {', '.join(p.unmapped)}.", "note"))
    if p.survival_1y is None or p.band_1y is None:
        out.append(
            _p(
                f"No past ceasefire matches the deal closely enough (similarity at least "
                f"{p.threshold:.2f}, {p.compared:,} compared)."
            )
        )
    else:
        median = f"{p.median_days:,.0f} days" if p.median_days is not None else "not reached"
        out.append(
            _p(
                f"{p.matched:,} of {p.compared:,} past ceasefires match (similarity at least "
                f"{p.threshold:.2f}): Kaplan-Meier median {median}; still holding after one "
                f"year: {_pct(p.survival_1y)} (95% band {_pct(p.band_1y[0])}-"
                f"{_pct(p.band_1y[1])})."
            )
        )
    rows = [
        [
            c.country,
            str(c.year or ""),
            f"{len(c.matched)} of {len(p.features)}",
            ", ".join(c.missing),
            "end not recorded" if c.days is None else f"{c.days:,.0f}",
        ]
        for c in p.most_similar
    ]
    out.append(
        _wide(
            table_html(
                ["country", "year", "matched", "missing", "lasted (days)"],
                rows,
                caption=f"The most similar past ceasefires. Source: {p.source}.",
            )
        )
    )
    return out


def _forecast(b: Briefing) -> list[str]:
    out = [_h2("Forecast: where the parties' positions settle")]
    f = b.forecast
    if f is None:
        return [*out, _p("No stakeholder forecast of this scenario is available.")]
    accepted = "every party accepts it" if f.acceptable_to_all else "some party rejects it"
    held = "" if f.survival_1y is None else f"; {_pct(f.survival_1y)} still holding at one year"
    payoffs = ", ".join(f"{p} {figure(u)}" for p, u in f.utilities.items())
    out.append(_p(f"The {f.model} model's forecast: {accepted}{held}; utilities: {payoffs}."))
    out.append(_beside(b, f.terms, "forecast", _FORECAST_DIFFERS))
    if f.disagreements:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in f.disagreements.values())
        out.append(_p("Where the models part:", "note"))
        out.append(f'<ul class="points note">{items}</ul>')
    return out


def _beside(b: Briefing, terms: Sequence[Term], column: str, caption: str) -> str:
    """The terms that differ from the deal's; a sentence when none does."""
    if b.deal is not None and {t.issue: t.option for t in terms} == b.deal:
        return _p(f"It is {b.deal_name} itself.")
    rows = [
        [t.issue_label, t.option_label, _recommended_label(b, t.issue)]
        for t in terms
        if t.option_label != _recommended_label(b, t.issue)
    ]
    same = [t.issue_label for t in terms if t.option_label == _recommended_label(b, t.issue)]
    note = f" (the same on {', '.join(same)})" if same else ""
    return _wide(
        table_html(
            ["issue", column, f"{b.deal_name}'s"],
            rows,
            caption=caption.format(deal=b.deal_name) + note,
        )
    )


def _rehearsal(b: Briefing) -> list[str]:
    r = b.rehearsal
    out = [_h2("Rehearsal: the talks with every party seated")]
    chair = f", chaired by {r.chair}" if r.chair else ""
    out.append(
        _p(
            f"One simulated session, {r.protocol} protocol{chair}, deadline {r.deadline} rounds "
            f"(seed {r.seed}): {r.result} after {r.rounds} rounds and {r.offers:,} offers."
        )
    )
    rows = [[p, s, r.utilities[p]] for p, s in r.strategies.items()]
    out.append(table_html(["party", "plays", "payoff"], rows))
    if r.agreement is not None:
        out.append(_beside(b, r.terms, "agreed", _AGREEMENT_DIFFERS))
    return out


def _recommended_label(b: Briefing, issue: str) -> str:
    return next((t.option_label for t in b.terms if t.issue == issue), "")
