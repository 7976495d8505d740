"""The ``precedents`` commands: past ceasefires like a deal; predictions for any ceasefire."""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from detente.cli._common import DealOption, console, guarded, print_json
from detente.durability.deal import complete_deal
from detente.durability.precedents import records_source, search_deal
from detente.errors import DetenteError
from detente.files import atomic_write_text
from detente.scenario import load_scenario
from detente.space import OutcomeSpace

__all__ = ["needs_extra", "register"]


class _SearchByDefault(TyperGroup):
    """``detente precedents SCENARIO`` means ``detente precedents search SCENARIO``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["search", *args]
        return super().parse_args(ctx, args)


group = typer.Typer(
    cls=_SearchByDefault,
    help="Past ceasefires like a deal, and how long they lasted; predictions for any ceasefire.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``precedents`` commands to ``app``."""
    app.add_typer(group, name="precedents")


def needs_extra(*modules: str) -> None:
    """Fail with one line unless the ``precedents`` extra's ``modules`` are installed."""
    try:
        for module in modules:
            importlib.import_module(module)
    except ImportError:  # pragma: no cover - the test environment has the extra
        raise DetenteError("this command needs: pip install 'detente[precedents]'") from None


@group.command("search")
@guarded
def search(
    scenario: Annotated[str, typer.Argument(help="A scenario file or a built-in name.")],
    *,
    ethprio: Annotated[
        Path,
        typer.Option(
            help="Your copy of the ETH/PRIO Civil Conflict Ceasefire data (CSV).",
            dir_okay=False,
        ),
    ],
    pax: Annotated[
        Path | None,
        typer.Option(help="Your copy of the PA-X agreements (CSV), for its provisions."),
    ] = None,
    deal: DealOption = "nash",
    threshold: Annotated[
        float, typer.Option(help="Similarity of the matched set (share of known features).")
    ] = 0.8,
    limit: Annotated[int, typer.Option(help="How many precedents to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report.")
    ] = None,
) -> None:
    """The past ceasefires most like the deal: what they shared, how long they lasted."""
    needs_extra("pandas", "lifelines")
    from detente.precedents import load_ethprio, load_pax  # noqa: PLC0415

    if html_file is not None and html_file.is_dir():
        raise DetenteError("is a directory", source=html_file, field="--html")
    model = load_scenario(scenario)
    space = OutcomeSpace.from_scenario(model)
    chosen, _ = complete_deal(space, deal)
    result = search_deal(
        space,
        chosen,
        load_ethprio(ethprio),
        pax=load_pax(pax) if pax is not None else None,
        threshold=threshold,
        limit=limit,
        source=records_source(ethprio, pax),
    )
    if html_file is not None:
        from detente.report.precedents import precedents_report  # noqa: PLC0415

        atomic_write_text(html_file, precedents_report(result, title=f"Precedents: {model.name}"))
    if as_json:
        print_json({"scenario": model.name, "deal": chosen, **_plain(result)})
        return
    _print(result, model.name)
    if html_file is not None:
        console.print(f"wrote {html_file}", soft_wrap=True, highlight=False)


def _plain(result: Any) -> dict[str, Any]:
    from detente.cli._common import to_plain  # noqa: PLC0415

    out: dict[str, Any] = to_plain(result)
    return out


def _print(result: Any, name: str) -> None:
    table = Table(title=f"Past ceasefires most like the deal ({name})")
    wanted = sum(result.features.values())
    for column in ("country", "year", "parties", "similar", "matched", "missing", "days", "end"):
        table.add_column(column, justify="right" if column in {"year", "days"} else "left")
    for p in result.precedents:
        table.add_row(
            p.country,
            str(p.year or ""),
            p.parties,
            f"{p.similarity:.2f}",
            f"{len(p.matched)} of {wanted}",
            ", ".join(p.missing),
            f"{p.days:,.0f}" if p.days is not None else "",
            p.end or "not recorded",
        )
    console.print(table)
    console.print(
        "features: "
        + "; ".join(f"{k} = {v}" for k, v in result.labels.items() if result.features[k])
    )
    if result.unmapped:
        console.print(f"no counterpart in the records: {', '.join(result.unmapped)}")
    curve = result.curve
    if curve is None:
        console.print("no past ceasefire matches the deal closely enough")
        return
    median = f"{curve.median_days:,.0f} days" if curve.median_days is not None else "not reached"
    console.print(
        f"{result.matched:,} of {result.compared:,} ceasefires match (similarity >= "
        f"{result.threshold:.2f}); Kaplan-Meier median {median}. How each ended is coded in "
        f"ETH/PRIO's `ended`, whose codes the release does not document (see --json). "
        f"Source: {result.source}."
    )


@group.command("predict")
@guarded
def predict(
    file: Annotated[
        Path, typer.Argument(help="A CSV file in ETH/PRIO's columns (a row per actor).")
    ],
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Predicted survival of each ceasefire of FILE (30, 90, 365 days; median)."""
    needs_extra("pandas")  # predictions need numpy and pandas alone, not lifelines
    from detente.precedents.predict import predict_file  # noqa: PLC0415

    started = time.perf_counter()
    result = predict_file(file)
    if as_json:
        print_json(result)
        return
    table = Table(title=f"Predicted survival ({len(result.predictions):,} ceasefires)")
    for column in ("cc", "cf_id", "30 days", "90 days", "365 days", "median days"):
        table.add_column(column, justify="right")
    for p in result.predictions:
        median = f"{p.median_days:,.0f}" if p.median_days is not None else "not reached"
        table.add_row(str(p.cc), str(p.cf_id), *(f"{v:.1%}" for v in p.survival.values()), median)
    console.print(table)
    console.print(
        f"model: {result.model.source}; {result.model.rows} rows, "
        f"{result.model.years[0]}-{result.model.years[1]} ({time.perf_counter() - started:.1f} s)"
    )
