"""``detente analyze``: the deal-space analysis of a scenario, for people and machines."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.analysis import Analysis, analyze
from detente.cli._common import console, guarded, print_json
from detente.errors import ScenarioError
from detente.scenario import load_scenario
from detente.space import OutcomeSpace

__all__ = ["register", "to_json"]

_TITLES = {
    "nash": "Nash",
    "kalai_smorodinsky": "Kalai-Smorodinsky",
    "egalitarian": "Egalitarian",
    "utilitarian": "Utilitarian",
}


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to ``app``."""
    app.command("analyze")(analyze_command)


def _parse_deal(text: str) -> dict[str, str]:
    deal = {}
    for part in text.split(","):
        issue, sep, option = part.partition("=")
        if not sep or not issue.strip() or not option.strip():
            raise ScenarioError(f"expected issue=option, got {part.strip()!r}", field="--deal")
        deal[issue.strip()] = option.strip()
    return deal


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
) -> None:
    """Analyse a scenario: ZOPA, Pareto frontier, fair deals, sweeteners and talking points."""
    model = load_scenario(scenario)
    space = OutcomeSpace.from_scenario(model)
    for name in (x, y, *(party or [])):
        if name is not None:
            space.party_index(name)
    result = analyze(
        space,
        deal=_parse_deal(deal) if deal else None,
        parties=party or None,
        with_sensitivity=sensitivity,
        concentration=concentration,
        reservation_range=reservation_range,
        sensitivity_samples=samples,
        rng=seed,
    )
    if html is not None:
        from detente.report.analysis import analysis_html  # noqa: PLC0415 - needs 'report' extra

        text = analysis_html(result, x=x, y=y)
        tmp = html.with_name(html.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(html)
    if as_json:
        print_json(to_json(result))
        return
    render(result)
    if html is not None:
        console.print(f"wrote {html}")


def _utilities(space: OutcomeSpace, row: Any) -> dict[str, float]:
    return dict(zip(space.party_names, map(float, row), strict=True))


def to_json(result: Analysis) -> dict[str, Any]:
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
    return {
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


def render(result: Analysis) -> None:  # noqa: C901, PLR0915 - one section per block
    """Print the analysis as readable tables and sentences."""
    space = result.space
    model = space.scenario
    console.rule(f"[bold]{model.title or model.name}")
    if model.disclaimer:
        console.print(f"[italic yellow]{model.disclaimer.strip()}[/]", highlight=False)

    parties = Table(title="Parties and their alternatives to a deal")
    for column in ("party", "role", "reservation value", "why"):
        parties.add_column(column)
    for p in model.parties:
        parties.add_row(
            f"[bold]{p.name}", p.role.value, f"{p.reservation_value:.2f}", p.reservation_rationale
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
    console.print(
        f"Pareto frontier: {len(result.frontier):,} distinct efficient deals; opposition "
        f"{result.opposition:.3f} (distance from the ideal point, 0 = no conflict).",
        highlight=False,
    )

    if all(s.deal is None for s in result.solutions.values()):
        _render_concessions(result)
    else:
        table = Table(title="Bargaining solutions (utility, gain over the alternative)")
        table.add_column("solution", style="bold")
        for name in space.party_names:
            table.add_column(name, justify="right")
        for name, solution in result.solutions.items():
            table.add_row(
                _TITLES[name],
                *(
                    f"{solution.utilities[p]:.2f} ({solution.gains[p]:+.2f})"
                    for p in space.party_names
                ),
            )
        console.print(table)
        deals = Table(title="The deals")
        deals.add_column("issue", style="bold")
        for name in result.solutions:
            deals.add_column(_TITLES[name])
        for i, issue in enumerate(model.issues):
            cells = []
            for solution in result.solutions.values():
                options = solution.options
                cells.append(issue.labels[options[i]] if options else "")
            deals.add_row(issue.label or issue.name, *cells)
        console.print(deals)

    advice = result.sweeteners
    if advice is not None:
        which = {"nash": "the Nash deal", "closest": "the closest deal", "given": "the given deal"}
        console.rule(f"Sweeteners for {which[result.reference]}")
        for party_name, found in advice.by_party.items():
            u = advice.utilities[party_name]
            r = space.reservation[space.party_index(party_name)]
            console.print(
                f"[bold]{party_name}[/] gets {u:.2f} (alternative {r:.2f}). "
                "Cheapest ways to give it more:",
                highlight=False,
            )
            if not found:
                console.print("  nothing: every change of one or two issues costs it utility.")
            for s in found:
                console.print(f"  - {_sweetener_sentence(result, s)}", highlight=False)
            if u < r:
                best = advice.to_yes[party_name]
                if best is None:
                    console.print(
                        f"  No change of one or two issues brings {party_name} to a yes.",
                        highlight=False,
                    )
                elif best not in found:
                    console.print(
                        f"  Cheapest way to a yes: {_sweetener_sentence(result, best)}",
                        highlight=False,
                    )
    if result.talking_points:
        console.rule("Talking points: what is in it for each party")
        for tp in result.talking_points:
            console.print(f"[bold]{tp.party}[/]: {tp.summary}", highlight=False)
            for point in tp.points:
                console.print(f"  - {point.sentence}", highlight=False)
    trades = [pair for pair in result.logrolling if pair.tradeable]
    if trades:
        table = Table(title="Log-rolling: issues one side values far more than the other")
        for column in ("parties", "first cares more about", "second cares more about"):
            table.add_column(column)
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
            console.print(
                f"  - the most robust of {robust.candidates:,} frontier deals holds in "
                f"{robust.robust_probability:.0%}",
                highlight=False,
            )


def _issue_label(result: Analysis, name: str) -> str:
    issue = result.space.scenario.issue(name)
    return issue.label or issue.name


def _option_label(result: Analysis, issue_name: str, option: str) -> str:
    issue = result.space.scenario.issue(issue_name)
    return issue.labels[[str(v) for v in issue.values].index(option)]


def _sweetener_sentence(result: Analysis, s: Any) -> str:
    moves = " and ".join(
        f"{_option_label(result, c.issue, c.after)} instead of "
        f"{_option_label(result, c.issue, c.before)}"
        for c in s.changes
    )
    price = (
        "costs nobody anything"
        if math.isinf(s.ratio)
        else f"costs the others {s.cost:.3f} in all ({s.ratio:.2f} gained per unit given)"
    )
    marks = []
    if s.lifts:
        marks.append(f"this brings {s.party} to a yes")
    elif s.utilities[s.party] < result.space.reservation[result.space.party_index(s.party)]:
        marks.append(f"{s.party} would still say no")
    if s.loses:
        marks.append(f"but {' and '.join(s.loses)} would then say no")
    elif s.acceptable_to_all:
        marks.append("every party still accepts")
    tail = "".join(f"; {m}" for m in marks)
    return f"Offer {moves}: +{s.gain:.3f} for {s.party}, {price}{tail}."


def _render_concessions(result: Analysis) -> None:
    gaps = result.concessions
    console.print(
        "[bold red]No deal is acceptable to every party.[/] How far each is from agreement:"
    )
    for name, need in gaps.by_party.items():
        if need is None:
            console.print(f"  - {name}: no concession by {name} alone opens a zone of agreement.")
        else:
            console.print(
                f"  - {name} would have to accept {need:.3f} less than its alternative "
                "(the others holding firm).",
                highlight=False,
            )
    if gaps.joint is not None:
        console.print(
            f"  - If every party gave up the same amount, {gaps.joint:.3f} each would do.",
            highlight=False,
        )
    else:
        console.print("  - No deal respects every party's red lines.")
