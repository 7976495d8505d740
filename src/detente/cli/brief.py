"""``detente brief``: one document for the mediator, from every lens at once."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from detente.analysis.wording import figure
from detente.assess import DEFAULT_PATHS
from detente.brief import REHEARSAL_ROUNDS, Briefing, Term, briefing_json, build_briefing
from detente.cli._common import console, err_console, guarded, print_json, writable_output
from detente.cli.precedents import needs_extra
from detente.files import atomic_write_text
from detente.report.brief import briefing_html
from detente.report.pdf import find_chromium, write_pdf
from detente.scenario import load_scenario
from detente.space import OutcomeSpace

__all__ = ["register", "render"]

_MARKS = (30, 90, 180, 365)
_FORECAST_DIFFERS = "Where the forecast differs from {deal}"
_AGREEMENT_DIFFERS = "Where the agreement differs from {deal}"


def register(app: typer.Typer) -> None:
    """Add ``brief`` to ``app``."""
    app.command("brief")(brief_command)


@guarded
def brief_command(
    scenario: Annotated[
        str,
        typer.Argument(
            help="A scenario file (.yaml/.json/.xml), a GENIUS folder or a built-in name."
        ),
    ],
    *,
    seed: Annotated[
        int, typer.Option(help="Seed of every simulation (same seed, same briefing).", min=0)
    ] = 0,
    paths: Annotated[
        int,
        typer.Option(
            help="Simulated paths of each durability run (as `detente analyze "
            "--survival-paths` and `detente durability --paths`).",
            min=100,
            max=1_000_000,
        ),
    ] = DEFAULT_PATHS,
    rounds: Annotated[
        int, typer.Option(help="Deadline of the rehearsal, in rounds.", min=1)
    ] = REHEARSAL_ROUNDS,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the briefing as an offline page.")
    ] = None,
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="Also write the briefing as a PDF (Chromium).")
    ] = None,
    ethprio: Annotated[
        Path | None,
        typer.Option(
            help="Your copy of the ETH/PRIO Civil Conflict Ceasefire data (CSV): adds the past "
            "ceasefires most like the deal (as `detente precedents`).",
            dir_okay=False,
        ),
    ] = None,
    pax: Annotated[
        Path | None,
        typer.Option(help="Your copy of the PA-X agreements (CSV), for its provisions."),
    ] = None,
    deal: Annotated[
        str | None,
        typer.Option(
            help="Brief this deal instead of the recommended one: a solution name, "
            "'issue=option,...', a JSON object or a YAML/JSON file (issues left out: Nash's)."
        ),
    ] = None,
) -> None:
    """The mediator's briefing: the deal to propose, what sweetens it, will it hold."""
    if ethprio is not None or pax is not None:
        needs_extra("pandas", "lifelines")
    writable_output(html, "--html", (".html", ".htm"))
    writable_output(pdf, "--pdf", (".pdf",))
    browser = find_chromium() if pdf is not None else None  # before the work, not after it
    space = OutcomeSpace.from_scenario(load_scenario(scenario))
    with contextlib.ExitStack() as stack:
        if err_console.is_terminal and not as_json:  # a few seconds of work: say so
            stack.enter_context(
                err_console.status("analysing, simulating, forecasting, rehearsing...")
            )
        briefing = build_briefing(
            space, seed=seed, paths=paths, rounds=rounds, ethprio=ethprio, pax=pax, deal=deal
        )
    if html is not None:
        atomic_write_text(html, briefing_html(briefing))
    if pdf is not None:
        write_pdf(briefing_html(briefing, for_print=True), pdf, chromium=browser)
    if as_json:
        print_json(briefing_json(briefing))
        return
    render(briefing)
    for path in (html, pdf):
        if path is not None:
            console.print(f"wrote {path}", soft_wrap=True, highlight=False)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _table(title: str, *columns: str, numeric: int = 0) -> Table:
    """A table whose cells wrap instead of being cropped; the last ``numeric`` columns right."""
    table = Table(title=title, title_justify="left")
    for k, column in enumerate(columns):
        right = k >= len(columns) - numeric
        table.add_column(column, overflow="fold", justify="right" if right else "left")
    return table


def render(b: Briefing) -> None:
    """Print the briefing as readable tables and sentences."""
    console.rule(f"[bold]Briefing: {b.title}")
    if b.disclaimer:
        console.print(f"[italic yellow]{b.disclaimer}[/]", highlight=False)
    console.print(f"\n[bold]{b.deal_name.capitalize()}.[/] {b.basis}", highlight=False)
    if b.deal is None:
        _render_no_deal(b)
    else:
        terms = _table("", "issue", "term")
        terms.show_header = False
        for t in b.terms:
            terms.add_row(f"[bold]{t.issue_label}", t.option_label)
        console.print(terms)
        stakes = _table(
            f"What it is worth (utility, 0-1; a margin under {b.fragile_margin:g} is fragile)",
            "party",
            "deal",
            "alternative",
            "margin",
            numeric=3,
        )
        for s in b.stakes:
            margin = figure(s.margin, 3, sign=True)
            stakes.add_row(
                f"[bold]{s.party}[/] ({s.role})",
                figure(s.utility, 3),
                figure(s.alternative, 3),
                f"[red]{margin} fragile[/]" if s.fragile else margin,
            )
        console.print(stakes)
        console.rule("Why each side can say yes")
        for tp in b.talking_points:
            console.print(f"[bold]{tp.party}[/]: {tp.summary}", highlight=False)
            for point in tp.points:
                console.print(f"  - {point.sentence}", highlight=False)
        _render_survival(b)
        _render_sweeteners(b)
        _render_swaps(b)
        _render_precedents(b)
    _render_forecast(b)
    _render_rehearsal(b)
    console.rule("Assumptions")
    for line in b.assumptions:
        console.print(f"- {line}", highlight=False)


def _render_no_deal(b: Briefing) -> None:
    console.print("[bold red]No deal is acceptable to every party.[/] How far each is from one:")
    for party, need in b.concessions.items():
        if need is None:
            console.print(f"  - {party}: no concession by it alone opens a zone of agreement.")
        else:
            console.print(
                f"  - {party} would have to accept {figure(need, 3)} less than its alternative.",
                highlight=False,
            )


def _render_survival(b: Briefing) -> None:
    survival = b.survival
    assert survival is not None  # a deal has a durability run
    result = survival.result
    console.rule("Will it hold?")
    console.print(
        f"Still holding after one year: [bold]{_pct(survival.survival_1y)}[/] (standard error "
        f"{_pct(survival.error_1y)}, {result.paths:,} paths, seed "
        f"{result.seed}). Mechanisms the deal puts in place: "
        f"{', '.join(survival.mechanisms) or 'none'}.",
        highlight=False,
    )
    console.print(f"[dim]{survival.reference}[/]", highlight=False)
    curve = _table("Survival curve", "day", "holding", "95% band", numeric=3)
    for day in _MARKS:
        curve.add_row(
            str(day),
            _pct(result.holding_at(day)),
            f"{_pct(result.lower[day - 1])}-{_pct(result.upper[day - 1])}",
        )
    console.print(curve)
    if result.collapses:
        top = max(result.causes.items(), key=lambda kv: kv[1])
        console.print(
            f"Most collapses come from: {top[0]} ({_pct(top[1])} of {result.collapses:,}).",
            highlight=False,
        )


def _render_sweeteners(b: Briefing) -> None:
    console.rule("Sweeteners: what to offer, and what it does")
    if not b.sweeteners:
        console.print("No change of one or two issues helps a reluctant party.")
        return
    table = _table(
        "Same random numbers as the deal's run",
        "the change",
        "everyone accepts",
        "holding at 1 year",
        numeric=1,
    )
    for s in b.sweeteners:
        accepts = "yes" if s.acceptable_to_all else "[red]no[/]"
        if s.fragile:
            accepts += " [red](fragile)[/]"
        table.add_row(
            s.sentence, accepts, f"{_pct(s.survival_1y)} ({100 * s.survival_change:+.1f} pts)"
        )
    console.print(table)


def _render_swaps(b: Briefing) -> None:
    console.rule("Mechanism swaps")
    if not b.swaps:
        console.print("No issue of this scenario has options that provide mechanisms.")
        return
    table = _table(
        "Another option of each issue that provides mechanisms (same random numbers)",
        "swap",
        "mechanisms",
        "everyone accepts",
        "holding at 1 year",
        numeric=1,
    )
    for s in b.swaps:
        changed = [f"+ {m}" for m in s.added] + [f"- {m}" for m in s.removed]
        table.add_row(
            f"[bold]{s.before.issue_label}[/]: {s.after.option_label} instead of "
            f"{s.before.option_label}",
            "\n".join(changed) or "the same",
            "yes" if s.acceptable_to_all else "[red]no[/]",
            f"{_pct(s.survival_1y)} ({100 * s.survival_change:+.1f} pts)",
        )
    console.print(table)


def _render_precedents(b: Briefing) -> None:
    p = b.precedents
    if p is None:  # no records given
        return
    console.rule("Precedents: past ceasefires like this deal")
    console.print(
        f"Features of the deal: {'; '.join(p.features.values()) or 'none'}.", highlight=False
    )
    if p.unmapped:
        console.print(f"No counterpart in the records: {', '.join(p.unmapped)}.", highlight=False)
    if p.survival_1y is None or p.band_1y is None:
        console.print(
            f"No past ceasefire matches the deal closely enough (similarity >= "
            f"{p.threshold:.2f}, {p.compared:,} compared).",
            highlight=False,
        )
    else:
        median = f"{p.median_days:,.0f} days" if p.median_days is not None else "not reached"
        console.print(
            f"[bold]{p.matched:,}[/] of {p.compared:,} past ceasefires match (similarity >= "
            f"{p.threshold:.2f}): Kaplan-Meier median {median}; still holding after one year: "
            f"[bold]{_pct(p.survival_1y)}[/] (95% band {_pct(p.band_1y[0])}-"
            f"{_pct(p.band_1y[1])}).",
            highlight=False,
        )
    table = _table(
        "The most similar", "country", "year", "matched", "missing", "lasted (days)", numeric=1
    )
    for c in p.most_similar:
        table.add_row(
            c.country,
            str(c.year or ""),
            f"{len(c.matched)} of {len(p.features)}",
            ", ".join(c.missing),
            "end not recorded" if c.days is None else f"{c.days:,.0f}",
        )
    console.print(table)
    console.print(f"[dim]Source: {p.source}.[/]", highlight=False)


def _render_forecast(b: Briefing) -> None:
    console.rule("Forecast: where the parties' positions settle")
    f = b.forecast
    if f is None:
        console.print("No stakeholder forecast of this scenario is available.")
        return
    accepted = "every party accepts it" if f.acceptable_to_all else "[red]some party rejects it[/]"
    held = "" if f.survival_1y is None else f"; {_pct(f.survival_1y)} still holding at one year"
    payoffs = ", ".join(f"{p} {figure(u)}" for p, u in f.utilities.items())
    console.print(
        f"The {f.model} model's forecast: {accepted}{held}; utilities: {payoffs}.",
        highlight=False,
    )
    _render_beside(b, f.terms, _FORECAST_DIFFERS, "forecast")
    if f.disagreements:
        labels = {t.issue: t.issue_label for t in f.terms}
        parted = ", ".join(labels.get(issue, issue) for issue in f.disagreements)
        console.print(
            f"[dim]The models part on {parted}: detente forecast {b.scenario} says why.[/]",
            highlight=False,
        )


def _render_beside(b: Briefing, terms: tuple[Term, ...], title: str, column: str) -> None:
    """The terms that differ from the deal's; a sentence when none does."""
    if b.deal is not None and {t.issue: t.option for t in terms} == b.deal:
        console.print(f"It is {b.deal_name} itself.")
        return
    recommended = {t.issue: t.option_label for t in b.terms}
    table = _table(
        title.format(deal=b.deal_name), "issue", column, "chosen" if b.chosen else "recommended"
    )
    same = []
    for t in terms:
        if recommended.get(t.issue) == t.option_label:
            same.append(t.issue_label)
        else:
            table.add_row(t.issue_label, t.option_label, recommended.get(t.issue, ""))
    console.print(table)
    if same:
        console.print(f"The same on {', '.join(same)}.", highlight=False)


def _render_rehearsal(b: Briefing) -> None:
    r = b.rehearsal
    console.rule("Rehearsal: every party at the table")
    chair = f", chaired by {r.chair}" if r.chair else ""
    seated = ", ".join(f"{p} plays {s}" for p, s in r.strategies.items())
    console.print(
        f"{r.protocol} protocol{chair}, deadline {r.deadline} rounds, seed {r.seed}: {seated}.",
        highlight=False,
    )
    payoffs = ", ".join(f"{p} {figure(u)}" for p, u in r.utilities.items())
    console.print(
        f"[bold]{r.result}[/] after {r.rounds} rounds and {r.offers:,} offers; payoffs: {payoffs}.",
        highlight=False,
    )
    if r.agreement is not None:
        _render_beside(b, r.terms, _AGREEMENT_DIFFERS, "agreed")
