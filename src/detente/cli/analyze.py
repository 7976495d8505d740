"""``detente analyze``: the deal-space analysis of a scenario, for people and machines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.analysis import Analysis, analyze
from detente.analysis.wording import figure, party_name, pronoun
from detente.assess import (
    DEFAULT_FRAGILE_MARGIN,
    DEFAULT_PATHS,
    AssessedSweetener,
    Assessment,
    DealAssessment,
    assess,
    sweetener_group,
)
from detente.cli._common import console, guarded, print_json, to_plain
from detente.errors import DetenteError, ScenarioError
from detente.files import atomic_write_text
from detente.scenario import builtin_names, load_scenario, parse_deal
from detente.space import OutcomeSpace

__all__ = ["register", "to_json"]

_TITLES = {
    "nash": "Nash",
    "kalai_smorodinsky": "Kalai-Smorodinsky",
    "egalitarian": "Egalitarian",
    "utilitarian": "Utilitarian",
}

_WIDE = 100


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to ``app``."""
    app.command("analyze")(analyze_command)


@guarded
def analyze_command(
    scenario: Annotated[
        str,
        typer.Argument(
            help="A scenario file (.yaml/.json/.xml), a GENIUS folder or a built-in name."
        ),
    ],
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report.")
    ] = None,
    deal: Annotated[
        str | None,
        typer.Option(
            help="Reference deal for sweeteners and talking points, as issue=option,... "
            "(default: the Nash deal; issues left out keep their Nash option)."
        ),
    ] = None,
    party: Annotated[
        list[str] | None,
        typer.Option(help="Find sweeteners for this party (repeatable; default: reluctant ones)."),
    ] = None,
    x: Annotated[str | None, typer.Option(help="Party on the plot's x axis.")] = None,
    y: Annotated[str | None, typer.Option(help="Party on the plot's y axis.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every Monte Carlo estimate.")] = 0,
    sensitivity: Annotated[
        bool, typer.Option(help="Estimate how robust the solutions are.")
    ] = True,
    concentration: Annotated[
        float, typer.Option(help="Dirichlet concentration of the weights (sensitivity).", min=0.01)
    ] = 50.0,
    reservation_range: Annotated[
        float, typer.Option(help="+/- range of the reservation values (sensitivity).", min=0.0)
    ] = 0.05,
    samples: Annotated[
        int, typer.Option(help="Monte Carlo draws of the sensitivity analysis.", min=10)
    ] = 2000,
    fragile_margin: Annotated[
        float,
        typer.Option(
            help="A deal leaving a party within this utility of its alternative is fragile.",
            min=0.0,
        ),
    ] = DEFAULT_FRAGILE_MARGIN,
    survival_paths: Annotated[
        int,
        typer.Option(
            help="Simulated paths per deal for its one-year survival (as `detente durability "
            "--paths`).",
            min=1,
            max=1_000_000,
        ),
    ] = DEFAULT_PATHS,
) -> None:
    """Analyse a scenario: ZOPA, Pareto frontier, fair deals, sweeteners and talking points."""
    if html is not None and not html.parent.is_dir():  # fail before the work, not after it
        raise DetenteError(
            f"the folder {str(html.parent)!r} of the HTML report does not exist", field="--html"
        )
    model = load_scenario(scenario)
    space = OutcomeSpace.from_scenario(model)
    for name in (x, y, *(party or [])):
        if name is not None:
            space.party_index(name)
    if x is not None and x == y:
        raise ScenarioError(f"--x and --y both name {x!r}; choose two different parties")
    result = analyze(
        space,
        deal=parse_deal(deal, model, complete=False) if deal else None,
        parties=party or None,
        with_sensitivity=sensitivity,
        concentration=concentration,
        reservation_range=reservation_range,
        sensitivity_samples=samples,
        rng=seed,
    )
    answer = assess(result, paths=survival_paths, seed=seed, fragile_margin=fragile_margin)
    if html is not None:
        from detente.report.analysis import analysis_html  # noqa: PLC0415 - needs 'report' extra

        text = analysis_html(result, x=x, y=y, assessment=answer)
        atomic_write_text(html, text, make_folder=False)
    if as_json:
        print_json(to_json(result, answer))
        return
    render(result, answer)
    if html is not None:
        console.print(f"wrote {html}", soft_wrap=True, highlight=False)


def _title(name: str) -> str:
    """A solution's name; on a narrow terminal "Kalai-Smorodinsky" breaks after its hyphen."""
    return _TITLES[name] if console.width >= _WIDE else _TITLES[name].replace("-", "-\n")


def _table(title: str, *columns: str, numeric: int = 0) -> Table:
    """A table whose cells wrap or fold on narrow terminals instead of being cropped."""
    table = Table(title=title)
    for k, column in enumerate(columns):
        right = k >= len(columns) - numeric
        table.add_column(column, overflow="fold", justify="right" if right else "left")
    return table


def _utilities(space: OutcomeSpace, row: Any) -> dict[str, float]:
    return dict(zip(space.party_names, map(float, row), strict=True))


def to_json(result: Analysis, answer: Assessment | None = None) -> dict[str, Any]:
    """The ``--json`` document (see ``docs/reference/analyze-json.md``)."""
    space = result.space
    frontier = result.frontier
    pareto = [
        {
            "utilities": _utilities(space, u),
            "deal": {k: str(v) for k, v in space.deal(o).items()},
        }
        for u, o in zip(frontier.utilities, frontier.options, strict=True)
    ]
    solutions: dict[str, Any] = {}
    for name, solution in result.solutions.items():
        solutions[name] = (
            None
            if solution.deal is None
            else {
                "utilities": solution.utilities,
                "gains": solution.gains,
                "deal": solution.deal,
                "outcome": solution.outcome,
            }
        )
    zopa = result.zopa
    out = {
        "scenario": space.scenario.name,
        "parties": list(space.party_names),
        "outcome_count": space.size,
        "reservation": _utilities(space, space.reservation),
        "zopa": {
            "count": zopa.count,
            "exact": zopa.exact,
            "interval": list(zopa.interval),
            "samples": zopa.samples,
            "feasible_count": zopa.feasible_count,
        },
        "pareto": pareto,
        "solutions": solutions,
        "opposition": result.opposition,
        "concessions": result.concessions,
        "reference": result.reference,
        "sweeteners": result.sweeteners,
        "logrolling": result.logrolling,
        "talking_points": result.talking_points,
        "sensitivity": result.sensitivity,
    }
    if answer is not None:
        _add_assessment(out, answer)
    return out


def _survival(a: DealAssessment) -> dict[str, Any]:
    return {
        "margins": a.margins,
        "survival_1y": a.survival_1y,
        "survival_1y_se": a.survival_1y_se,
        "fragile": a.fragile,
    }


def _add_assessment(out: dict[str, Any], answer: Assessment) -> None:
    """Margins, one-year survival and fragility on every deal put forward; the recommendation."""
    for name, assessed in answer.solutions.items():
        if assessed is not None:
            out["solutions"][name] |= _survival(assessed)
    if out["sweeteners"] is not None:
        plain = to_plain(out["sweeteners"])
        plain["by_party"] = {
            party: [to_plain(r.sweetener) | _survival(r.assessment) for r in rows]
            for party, rows in answer.sweeteners.items()
        }
        out["sweeteners"] = plain
    if out["sensitivity"] is not None and answer.robust is not None:
        out["sensitivity"] = to_plain(out["sensitivity"]) | {
            "robust_survival_1y": answer.robust.survival_1y,
            "robust_fragile": answer.robust.fragile,
        }
    recommended = answer.recommended
    out["recommended"] = (
        None if recommended is None else recommended.to_dict() | {"from": answer.recommended_from}
    )
    out["durability"] = {
        "paths": answer.paths,
        "seed": answer.seed,
        "days": 365,
        "fragile_margin": answer.fragile_margin,
        "reference": answer.reference,
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _holds(a: DealAssessment) -> str:
    return f"{_pct(a.survival_1y)} (±{_pct(a.survival_1y_se)})"


def _fragility(a: DealAssessment, margin: float) -> str:
    """Who is within ``margin`` of its alternative, in words ("" when nobody is)."""
    thin = [f"{party_name(p)} {figure(m, 3)}" for p, m in a.margins.items() if m < margin]
    if not thin:
        return ""
    return f"fragile: {', '.join(thin)} above {'their' if len(thin) > 1 else 'its'} alternative"


def _render_sweetener(row: AssessedSweetener, margin: float) -> str:
    a = row.assessment
    note = _fragility(a, margin)
    tail = f" Holds at one year: {_holds(a)}" + (f"; [bold red]{note}[/]." if note else ".")
    return f"  - {row.sweetener.sentence}{tail}"


def _render_holding(answer: Assessment) -> None:
    """Each solution's one-year survival and its smallest margin."""
    table = _table(
        "Will each hold? (still holding at one year, durability model)",
        "solution",
        "holds at one year",
        "smallest margin",
        numeric=2,
    )
    for name, assessed in answer.solutions.items():
        if assessed is None:  # pragma: no cover - the table is shown when the ZOPA is not empty
            continue
        party = min(assessed.margins, key=lambda p: assessed.margins[p])
        margin = f"{party} {figure(assessed.margins[party], 3, sign=True)}"
        if assessed.fragile:
            margin = f"[red]{margin} (fragile)[/]"
        table.add_row(f"[bold]{_title(name)}", _holds(assessed), margin)
    console.print(table)


def _render_recommended(answer: Assessment) -> None:
    recommended = answer.recommended
    console.rule("Recommended deal")
    if recommended is None:
        console.print("No deal put forward is acceptable to every party.")
        return
    result = answer.analysis
    console.print(
        f"{result.describe(recommended.deal)} (from: {answer.recommended_words}). Every party "
        f"accepts it; it holds at one year in {_holds(recommended)} of simulated futures, and "
        f"the worst-off party gets {recommended.fairness:.0%} of the gain it could get in the "
        "ZOPA.",
        highlight=False,
    )
    table = _table(
        "Each party's gain over its alternative", "party", "utility", "margin", numeric=2
    )
    for party, u in recommended.utilities.items():
        margin = recommended.margins[party]
        cell = figure(margin, 3, sign=True)
        table.add_row(
            party, figure(u, 3), f"[red]{cell}[/]" if margin < answer.fragile_margin else cell
        )
    console.print(table)
    terms = ",".join(f"{k}={v}" for k, v in recommended.deal.items())
    name = answer.analysis.space.scenario.name
    where = name if name in builtin_names() else "SCENARIO"
    console.print(
        f"[dim]Chosen among the deals above as the best product of one-year survival and "
        f"fairness (docs/explanation/analysis.md). Survival: the durability model, "
        f"{answer.paths:,} paths, seed {answer.seed}; the same figures: detente durability "
        f"{where} --deal '{terms}' --paths {answer.paths} "
        f"--seed {answer.seed}. {answer.reference}[/]",
        highlight=False,
    )


def render(result: Analysis, answer: Assessment) -> None:  # noqa: C901, PLR0915 - one section per block
    """Print the analysis as readable tables and sentences."""
    space = result.space
    model = space.scenario
    console.rule(f"[bold]{model.title or model.name}")
    if model.disclaimer:
        console.print(f"[italic yellow]{model.disclaimer.strip()}[/]", highlight=False)

    parties = _table("Parties and their alternatives to a deal", "party", "role", "value", "why")
    for p in model.parties:
        parties.add_row(
            f"[bold]{p.name}", p.role.value, figure(p.reservation_value), p.reservation_rationale
        )
    console.print(parties)

    zopa = result.zopa
    if zopa.exact:
        size = f"{zopa.count:,} deals ({zopa.fraction:.2%})"
    else:
        low, high = zopa.interval
        size = (
            f"about {zopa.count:.3g} deals ({zopa.fraction:.2%}), 95% interval "
            f"{low:.3g} to {high:.3g} (estimate from {zopa.samples:,} draws)"
        )
    console.print(
        f"\n{space.size:,} possible deals; {zopa.feasible_count:,} cross no red line. "
        f"Acceptable to every party (ZOPA): {size}.",
        highlight=False,
    )
    count = len(result.frontier)
    console.print(
        f"Pareto frontier: {count:,} distinct efficient deal{'' if count == 1 else 's'}; "
        f"opposition {figure(result.opposition, 3)} (distance from the ideal point, 0 = no "
        "conflict).",
        highlight=False,
    )

    if all(s.deal is None for s in result.solutions.values()):
        _render_concessions(result)
    else:
        table = _table(
            "Bargaining solutions (utility, gain over the alternative)",
            "solution",
            *space.party_names,
            numeric=space.n_parties,
        )
        for name, solution in result.solutions.items():
            table.add_row(
                f"[bold]{_title(name)}",
                *(
                    f"{figure(solution.utilities[p])} ({figure(solution.gains[p], sign=True)})"
                    for p in space.party_names
                ),
            )
        console.print(table)
        _render_holding(answer)
        deals = _table("The deals", "issue", *(_title(name) for name in result.solutions))
        for i, issue in enumerate(model.issues):
            cells = []
            for solution in result.solutions.values():
                options = solution.options
                cells.append(issue.labels[options[i]] if options else "")
            deals.add_row(f"[bold]{issue.label or issue.name}", *cells)
        console.print(deals)

    advice = result.sweeteners
    if advice is not None:
        which = {"nash": "the Nash deal", "closest": "the closest deal", "given": "the given deal"}
        console.rule(f"Sweeteners for {which[result.reference]}")
        for who, found in advice.by_party.items():
            console.print(answer.headlines[who], highlight=False)
            if not found:
                console.print(
                    "  none: every change of one or two issues costs "
                    f"{'them' if pronoun(who) == 'their' else 'it'} utility.",
                    highlight=False,
                )
            _render_assessed_sweeteners(answer, who)
            if advice.reasons.get(who) == "rejects":
                best = advice.to_yes[who]
                if best is None:
                    console.print(
                        f"  No change of one or two issues brings {party_name(who)} to a yes.",
                        highlight=False,
                    )
                elif best not in found:
                    console.print(f"  Cheapest way to a yes: {best.sentence}", highlight=False)
    if result.talking_points:
        console.rule("Talking points: what is in it for each party")
        for tp in result.talking_points:
            console.print(f"[bold]{tp.party}[/]: {tp.summary}", highlight=False)
            for point in tp.points:
                console.print(f"  - {point.sentence}", highlight=False)
    trades = [pair for pair in result.logrolling if pair.tradeable]
    if trades:
        table = _table(
            "Log-rolling: issues one side values far more than the other",
            "parties",
            "first cares more about",
            "second cares more about",
        )
        for pair in trades:
            table.add_row(
                f"{pair.first} / {pair.second}",
                ", ".join(_issue_label(result, s.issue) for s in pair.first_cares_more),
                ", ".join(_issue_label(result, s.issue) for s in pair.second_cares_more),
            )
        console.print(table)
    robust = result.sensitivity
    if robust is not None:
        console.rule("Sensitivity")
        console.print(
            f"With weights drawn around the stated ones (Dirichlet concentration "
            f"{robust.concentration:g}) and reservation values within +/-"
            f"{robust.reservation_range:g}, over {robust.samples:,} draws:",
            highlight=False,
        )
        for name, probability in robust.solutions.items():
            console.print(
                f"  - the {_TITLES[name]} deal stays acceptable to every party in "
                f"{probability:.0%} of draws",
                highlight=False,
            )
        if robust.robust_deal is not None:
            lasting = ""
            if answer.robust is not None:
                lasting = f"; it holds at one year in {_holds(answer.robust)} of simulated futures"
            console.print(
                f"  - the most robust of {robust.candidates:,} frontier deals holds in "
                f"{robust.robust_probability:.0%}: {result.describe(robust.robust_deal)}{lasting}.",
                highlight=False,
            )
    _render_recommended(answer)


def _render_assessed_sweeteners(answer: Assessment, who: str) -> None:
    """Sweeteners ranked with survival in view: safe first, then fragile, then losing a party."""
    headings = {
        1: f"  [italic]Fragile (a party within {answer.fragile_margin:g} of its alternative):[/]",
        2: "  [italic]These would lose another party:[/]",
    }
    group = 0
    for row in answer.sweeteners[who]:
        mine = sweetener_group(row)
        if mine != group:
            console.print(headings[mine])
        group = mine
        console.print(_render_sweetener(row, answer.fragile_margin), highlight=False)


def _issue_label(result: Analysis, name: str) -> str:
    issue = result.space.scenario.issue(name)
    return issue.label or issue.name


def _render_concessions(result: Analysis) -> None:
    gaps = result.concessions
    console.print(
        "[bold red]No deal is acceptable to every party.[/] How far each is from agreement:"
    )
    for name, need in gaps.by_party.items():
        if need is None:
            console.print(
                f"  - {party_name(name, start=True)}: no concession by {party_name(name)} alone "
                "opens a zone of agreement.",
                highlight=False,
            )
        else:
            console.print(
                f"  - {party_name(name, start=True)} would have to accept {figure(need, 3)} less "
                f"than {pronoun(name)} alternative (the others holding firm).",
                highlight=False,
            )
    if gaps.joint is not None:
        console.print(
            f"  - If every party gave up the same amount, {figure(gaps.joint, 3)} each would do.",
            highlight=False,
        )
    else:
        console.print("  - No deal respects every party's red lines.")
