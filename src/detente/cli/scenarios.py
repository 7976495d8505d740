"""Scenario commands: ``scenarios``, ``show``, ``validate``, ``convert``, ``schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from detente.cli._common import console, guarded, print_json
from detente.scenario import builtin_names, load_scenario, save_scenario
from detente.scenario.formats.native import json_schema
from detente.scenario.io import builtin_path
from detente.scenario.model import AdditivePreferences, Scenario, issue_value_table
from detente.space import OutcomeSpace

__all__ = ["register"]

ScenarioArg = Annotated[
    str,
    typer.Argument(help="A scenario file (.yaml/.json/.xml), a GENIUS folder or a built-in name."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def register(app: typer.Typer) -> None:
    """Add the scenario commands to ``app``."""
    app.command("scenarios")(scenarios)
    app.command("show")(show)
    app.command("validate")(validate)
    app.command("convert")(convert)
    app.command("schema")(schema)


@guarded
def scenarios(as_json: JsonOpt = False) -> None:
    """List the built-in scenarios."""
    rows = []
    for name in builtin_names():
        scenario = load_scenario(builtin_path(name))
        rows.append(
            {"name": name, "title": scenario.title, "parties": ", ".join(scenario.party_names)}
        )
    if as_json:
        print_json(rows)
        return
    table = Table(title="Built-in scenarios")
    table.add_column("name", style="bold")
    table.add_column("title")
    table.add_column("parties")
    for row in rows:
        table.add_row(row["name"], row["title"], row["parties"])
    console.print(table)


@guarded
def show(scenario: ScenarioArg, as_json: JsonOpt = False) -> None:
    """Show a scenario: parties, issues and options, weights and values."""
    model = load_scenario(scenario)
    if as_json:
        print_json(model.model_dump(mode="json"))
        return
    render_scenario(model)


@guarded
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario; exit 2 with the first problem found, naming file and field."""
    model = load_scenario(scenario)
    space = OutcomeSpace.from_scenario(model)
    console.print(
        f"[green]valid[/]: {model.name}: {len(model.parties)} parties, {len(model.issues)} issues, "
        f"{space.size:,} outcomes"
    )


@guarded
def convert(
    source: ScenarioArg,
    target: Annotated[
        Path,
        typer.Argument(
            help="Output: .yaml/.json (native), .xml or a folder (GENIUS), *.geniusweb."
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite existing output files.")
    ] = False,
) -> None:
    """Convert a scenario between formats; the format follows each path.

    Existing output files are not overwritten unless ``--force`` is given, and a GENIUS or
    GeniusWeb folder that holds another scenario's files is refused.
    """
    model = load_scenario(source)
    written = save_scenario(model, target, overwrite=force)
    for path in written:
        console.print(f"wrote {path}", soft_wrap=True, highlight=False)


@guarded
def schema() -> None:
    """Print the JSON Schema of the native scenario format."""
    console.print_json(json.dumps(json_schema()))


#: Options listed per issue by ``show``; the rest are summed up as "... N more".
SHOWN_OPTIONS = 12


def render_scenario(model: Scenario) -> None:
    """Print a scenario as readable tables (long labels wrap; none is cropped)."""
    title = model.title or model.name
    console.rule(f"[bold]{escape(title)}")
    if model.description:
        console.print(model.description.strip(), highlight=False, markup=False)
    if model.disclaimer:
        console.print(
            model.disclaimer.strip(), style="italic yellow", highlight=False, markup=False
        )
    parties = Table(title="Parties")
    for column in ("party", "role", "alternative (reservation)", "description"):
        parties.add_column(column, overflow="fold")
    for party in model.parties:
        note = party.reservation_rationale or ""
        parties.add_row(
            f"[bold]{escape(party.name)}",
            party.role.value,
            f"{party.reservation_value:.2f}" + (f"  [dim]{escape(note)}[/]" if note else ""),
            escape(party.description),
        )
    console.print(parties)

    space = OutcomeSpace.from_scenario(model)
    console.print(_issues_table(model, space))
    console.print(_weights_table(model, space))


def _issues_table(model: Scenario, space: OutcomeSpace) -> Table:
    """Issues and their options, each label beside the name a deal is written with."""
    issues = Table(title=f"Issues ({space.size:,} possible deals; --deal takes the names)")
    issues.add_column("issue", style="bold", overflow="fold")
    issues.add_column("options", overflow="fold")
    for issue in model.issues:
        labels = issue.labels
        names = [str(v) for v in issue.values]
        lines = [
            _named(label, name)
            for label, name in zip(labels[:SHOWN_OPTIONS], names[:SHOWN_OPTIONS], strict=True)
        ]
        if len(labels) > SHOWN_OPTIONS:
            lines.append(f"[dim]… {len(labels) - SHOWN_OPTIONS:,} more[/]")
        issues.add_row(_named(issue.label or issue.name, issue.name, bold=True), "\n".join(lines))
    return issues


def _named(label: str, name: str, *, bold: bool = False) -> str:
    """``label`` followed by the ``name`` to type, in brackets, unless the two are the same."""
    shown = f"[bold]{escape(label)}[/]" if bold else escape(label)
    return shown if label == name else f"{shown} [cyan]({escape(name)})[/]"


def _weights_table(model: Scenario, space: OutcomeSpace) -> Table:
    weights = Table(title="How much each issue matters (weight) and each party's best option")
    weights.add_column("issue", style="bold", overflow="fold")
    for party in model.parties:
        weights.add_column(escape(party.name), overflow="fold")
    for i, issue in enumerate(model.issues):
        cells = []
        for p, party in enumerate(model.parties):
            prefs = party.preferences
            if not isinstance(prefs, AdditivePreferences):
                cells.append("[dim]rule-based[/]")
                continue
            total = space.tables[p, i].max()
            values = issue_value_table(prefs.issues[issue.name], issue)
            best = issue.labels[int(values.argmax())]
            cell = f"[bold]{total:.2f}[/] {escape(best)}"
            red = party.red_lines.get(issue.name)
            if red:
                shown = [issue.labels[issue.option_index(option)] for option in red]
                cell += f"\n[red]red line: {escape('; '.join(shown))}[/]"
            cells.append(cell)
        weights.add_row(escape(issue.label or issue.name), *cells)
    return weights
