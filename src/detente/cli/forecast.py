"""Forecast commands: ``forecast SOURCE`` (run a model) and ``forecast evaluate DEU3_FILE``.

``SOURCE`` is stakeholder data (KTAB CSV/XML, native stakeholder YAML) or any negotiation
scenario (native YAML/JSON, GENIUS, GeniusWeb, built-in); a scenario is also forecast as a deal.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table
from typer.core import TyperGroup

from detente.cli._common import console, guarded, print_json
from detente.compute import make_executor
from detente.errors import DetenteError
from detente.files import atomic_write_text
from detente.forecast import (
    MODELS,
    ScenarioForecast,
    evaluate,
    forecast_json,
    forecast_scenario,
    load_forecast_input,
    scenario_forecast_json,
)
from detente.forecast.result import HOLDOUT_GAP, Forecast
from detente.report.forecast import forecast_report
from detente.scenario import Scenario
from detente.space import ACCEPT_TOLERANCE

__all__ = ["register"]

#: A position change below this (0-100 scale, summed over dimensions) counts as holding out.
HELD_OUT = 1.0


class _RunByDefault(TyperGroup):
    """``forecast FILE ...`` runs the ``run`` command; ``forecast evaluate ...`` evaluates."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Typer's vendored Context
        if args and args[0] not in self.commands and args[0] not in {"--help", "-h"}:
            args = ["run", *args]
        return super().parse_args(ctx, args)


forecast_app = typer.Typer(
    cls=_RunByDefault,
    no_args_is_help=True,
    help="Forecast where talks settle from stakeholder data or a negotiation scenario (KTAB SMP, "
    "expected utility, compromise). Usage: detente forecast SOURCE [--model smp|bdm|compromise] "
    "[--html F] [--json]",
)


class ModelName(StrEnum):
    """The models ``--model`` accepts."""

    SMP = "smp"
    BDM = "bdm"
    COMPROMISE = "compromise"


ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        help="smp (KTAB Spatial Model of Politics), bdm (expected utility) or compromise.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def register(app: typer.Typer) -> None:
    """Add the ``forecast`` command group to ``app``."""
    app.add_typer(forecast_app, name="forecast")


@forecast_app.command("run")
@guarded
def run(
    source: Annotated[
        str,
        typer.Argument(
            help="Stakeholder data (KTAB .csv/.xml, native stakeholder .yaml) or a scenario "
            "(native .yaml/.json, GENIUS .xml or folder, GeniusWeb, or a built-in name such as "
            "ceasefire-2025; ceasefire-2025-stakeholders is the 11-actor stakeholder file)."
        ),
    ],
    model: ModelOpt = "smp",
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a forecasting model on stakeholder data or a scenario (then also as a deal)."""
    if model not in set(ModelName):
        known = ", ".join(m.value for m in ModelName)
        raise DetenteError(f"unknown model {model!r} (choose {known})", field="--model")
    data = load_forecast_input(source)
    if isinstance(data, Scenario):
        scenario = forecast_scenario(data, model=model)
        result = scenario.forecast
        subtitle = data.title or data.description
    else:
        scenario = None
        result = MODELS[ModelName(model)](data)
        subtitle = data.description
    if html is not None:
        atomic_write_text(html, forecast_report(result, subtitle=subtitle, scenario=scenario))
    if as_json:
        print_json(forecast_json(result) if scenario is None else scenario_forecast_json(scenario))
        return
    render_forecast(result)
    if scenario is not None:
        render_scenario_forecast(scenario)
    if html is not None:
        console.print(f"wrote {html}", soft_wrap=True, highlight=False)


@forecast_app.command("evaluate")
@guarded
def evaluate_command(
    source: Annotated[Path, typer.Argument(help="The DEU III table (tab-separated).")],
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="Local worker processes.")
    ] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Run every model on the DEU III issues with a recorded outcome; report the errors."""
    executor = make_executor("local", workers=workers)
    try:
        result = evaluate(source, executor=executor)
    finally:
        executor.close()
    if as_json:
        print_json({"source": result.source, "errors": list(result.errors)})
        return
    table = Table(title="DEU III: absolute error against the recorded outcome (0-100 scale)")
    for column in ("model", "issues", "mean abs. error", "median abs. error"):
        table.add_column(column, justify="left" if column == "model" else "right")
    best = min(result.errors, key=lambda e: e.mean_absolute_error).model
    for e in result.errors:
        name = f"[bold]{e.model}[/]" if e.model == best else e.model
        table.add_row(
            name, str(e.issues), f"{e.mean_absolute_error:.2f}", f"{e.median_absolute_error:.2f}"
        )
    console.print(table)
    console.print(f"lowest mean error: [bold]{best}[/]")


def render_forecast(result: Forecast) -> None:
    """Terminal summary: where it settles, who moved, who held out, turn 1's challenges."""
    console.rule(f"[bold]{result.name}[/] — model {result.model}")
    if result.disclaimer:
        console.print(f"[italic yellow]{result.disclaimer}[/]", highlight=False)
    console.print(f"{result.iterations} turns; {result.stop_reason}", highlight=False)
    _render_outcome(result)
    _render_moves(result)
    _render_challenges(result)


def _render_outcome(result: Forecast) -> None:
    outcome = Table(title="Where it settles (0-100)")
    outcome.add_column("dimension" + (" (what 0 and 100 mean)" if result.dimension_labels else ""))
    outcome.add_column(f"forecast ({result.model})", justify="right")
    outcome.add_column("median actor", justify="right")
    outcome.add_column(f"ending more than {HOLDOUT_GAP:g} from the median")
    for k, label in enumerate(result.dimension_labels or result.dimensions):
        outcome.add_row(
            label,
            f"{result.outcome[k]:.1f}",
            f"{result.median[k]:.1f}",
            ", ".join(result.holdouts[k]) or "-",
        )
    outcome.caption = "forecast: capability x salience weighted mean of the final positions"
    console.print(outcome)
    together = [k for k, flag in enumerate(result.one_point) if flag]
    if together and result.iterations:
        where = ", ".join(f"{result.dimensions[k]} at {result.final[0, k]:.1f}" for k in together)
        scope = "every dimension: " if len(together) == len(result.dimensions) else ""
        console.print(f"Every actor ends at the same position on {scope}{where}.", highlight=False)


def _render_moves(result: Forecast) -> None:
    moved = np.abs(result.final - result.history[0]).sum(axis=1)
    has_risk = bool(result.risk.shape[0])
    table = Table(title="Who moved and who held out (start → final)")
    table.add_column("actor", style="bold")
    for d in result.dimensions:
        table.add_column(d, justify="right")
    table.add_column("moved", justify="right")
    if has_risk:
        table.add_column("risk (turn 1)", justify="right")
    for i, actor in enumerate(result.actors):
        cells = [
            f"{result.history[0, i, k]:.1f} → {result.final[i, k]:.1f}"
            for k in range(len(result.dimensions))
        ]
        status = "[dim]held out[/]" if moved[i] < HELD_OUT else f"{moved[i]:.1f}"
        risk = [f"{result.risk[0, i]:+.3f}"] if has_risk else []
        table.add_row(actor, *cells, status, *risk)
    console.print(table)


def _render_challenges(result: Forecast) -> None:
    first = [c for c in result.challenges if c.turn == 1]
    if not first:
        return
    by_dimension = any(c.dimension is not None for c in first)
    challenges = Table(title="Turn 1: who challenged whom")
    columns = ["by", "to", "kind", *(["dimension"] if by_dimension else []), "P"]
    for column in [*columns, "expected gain"]:
        challenges.add_column(
            column, justify="right" if column in {"P", "expected gain"} else "left"
        )
    for c in first[:20]:
        challenges.add_row(
            c.challenger,
            c.target,
            c.kind,
            *([c.dimension or ""] if by_dimension else []),
            f"{c.probability:.4f}",
            f"{c.challenger_gain:+.4f}",
        )
    console.print(challenges)


def render_scenario_forecast(result: ScenarioForecast) -> None:
    """The placement of the options, every model's deal, its value to each party, disagreements."""
    placement = Table(title="How the options were placed on 0-100")
    for column in ("issue", "rule", "fit", "options at their places"):
        placement.add_column(column, justify="right" if column == "fit" else "left")
    for line in result.placement.lines:
        order = np.argsort(line.positions, kind="stable")
        places = " · ".join(f"{line.options[j]} {line.positions[j]:.0f}" for j in order)
        fit = "-" if line.fit is None else f"{line.fit:.0%}"
        placement.add_row(line.issue, line.rule, fit, places)
    placement.caption = "axis: the parties' main line of disagreement (fit: its share of it)"
    console.print(placement)
    deals = Table(title="The forecast as a deal (nearest option to each model's forecast)")
    deals.add_column("issue")
    for name in result.deals:
        deals.add_column(name + (" (main)" if name == result.model else ""))
    for i, issue in enumerate(result.placement.stakeholders.dimensions):
        deals.add_row(
            issue,
            *(f"{d.deal[issue]} ({d.positions[i]:.1f})" for d in result.deals.values()),
        )
    for party in result.primary.utilities:
        deals.add_row(
            f"[bold]{party}[/] utility (margin)",
            *(
                _utility_cell(d.margins[party], d.utilities[party], d.acceptable[party])
                for d in result.deals.values()
            ),
        )
    deals.add_row(
        "[bold]in the ZOPA[/]",
        *("yes" if d.in_zopa else "[red]no[/]" for d in result.deals.values()),
    )
    console.print(deals)
    _render_disagreements(result)


def _utility_cell(margin: float, utility: float, acceptable: bool) -> str:
    text = f"{utility:.3f} ({margin:+.3f})"
    if acceptable:
        return text
    return f"[red]{text}{' red line' if margin >= -ACCEPT_TOLERANCE else ''}[/]"


def _render_disagreements(result: ScenarioForecast) -> None:
    if not result.disagreements:
        console.print("The models agree on every issue.")
        return
    console.rule("Why the models disagree")
    console.print("What each model assumes:")
    for name, note in result.assumptions.items():
        console.print(f"  [bold]{name}[/]: {note}", highlight=False)
    for gap in result.disagreements:
        console.print(f"[bold]{gap.summary}[/]", highlight=False)
        for name, reason in gap.reasons.items():
            console.print(f"  {name}: {reason}.", highlight=False)
