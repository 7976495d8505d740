"""The ``durability`` command: will a signed ceasefire hold, and what makes it last?"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from detente.cli._common import DealOption, console, err_console, guarded, print_json
from detente.compute import open_executor
from detente.durability import (
    DEFAULT_DAYS,
    DEFAULT_PATHS,
    Comparison,
    DurabilityRun,
    Mechanism,
    Swap,
    check_provisions,
    load_contexts,
    load_mechanisms,
    load_parameters,
    run,
)
from detente.errors import DetenteError
from detente.files import atomic_write_text
from detente.scenario import load_scenario
from detente.space import OutcomeSpace

__all__ = ["register"]

#: Above this many path-days a progress bar is shown.
_LONG_RUN = 20_000_000


def register(app: typer.Typer) -> None:
    """Add the ``durability`` command to ``app``."""
    app.command("durability")(durability)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} paths"),
        TimeRemainingColumn(),
    )
    bar = Progress(*columns, console=err_console, transient=True)
    tasks: list[TaskID] = []

    def advance(done: int, total: int) -> None:
        if not tasks:  # opened once work starts: an error before it stays one line
            bar.start()
            tasks.append(bar.add_task("paths", total=total))
        bar.update(tasks[0], total=total, advance=done)

    try:
        yield advance
    finally:
        if tasks:
            bar.stop()


@guarded
def durability(
    scenario: Annotated[str, typer.Argument(help="A scenario file or a built-in name.")],
    *,
    deal: DealOption = "nash",
    mechanisms: Annotated[
        str, typer.Option(help="Mechanisms to add, comma-separated (see --list-mechanisms).")
    ] = "",
    context: Annotated[
        str,
        typer.Option(
            help="How the war ended and what was signed, comma-separated: e.g. 'truce', "
            "'victory,definitive', 'post-1989,settlement' (see --list-contexts)."
        ),
    ] = "",
    power_shift: Annotated[
        str,
        typer.Option(
            help="A known coming drop in a party's power, 'PARTY=DROP@DAY' (comma-separated): "
            "the commitment problem."
        ),
    ] = "",
    policy: Annotated[
        str,
        typer.Option(
            help="How every party answers what it perceives: tft, gtft, wsls (win-stay "
            "lose-shift) or grim (default: the calibrated generous tit-for-tat)."
        ),
    ] = "",
    mechanisms_file: Annotated[
        Path | None,
        typer.Option(
            "--mechanisms-file",
            help="Mechanism presets (YAML, the format of the built-in file) to use instead.",
        ),
    ] = None,
    deal_terms: Annotated[
        bool,
        typer.Option(
            help="Let the mechanisms the deal's options provide (e.g. a monitoring mission) "
            "take effect."
        ),
    ] = True,
    with_compare: Annotated[
        bool, typer.Option("--compare", help="Compare what each other mechanism would add.")
    ] = False,
    paths: Annotated[int, typer.Option(help="Simulated paths.")] = DEFAULT_PATHS,
    days: Annotated[int, typer.Option(help="Horizon in days.")] = DEFAULT_DAYS,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same result).")] = 0,
    params_file: Annotated[
        Path | None,
        typer.Option(
            "--params",
            help="Parameters file (YAML/JSON); each party's template is the file's party of "
            "the same name, else its first party.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report.")
    ] = None,
    executor: Annotated[str, typer.Option(help="local or dask.")] = "local",
    address: Annotated[
        str | None, typer.Option(help="Dask scheduler address (default: a local cluster).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Local workers (1: this process).")] = 1,
    list_mechanisms: Annotated[
        bool, typer.Option("--list-mechanisms", help="List the mechanism presets and exit.")
    ] = False,
    list_contexts: Annotated[
        bool, typer.Option("--list-contexts", help="List the context presets and exit.")
    ] = False,
) -> None:
    """Will the ceasefire hold? Survival, causes of collapse and what mechanisms add."""
    presets = load_mechanisms(mechanisms_file)
    if list_mechanisms:
        _print_mechanisms(presets)
        return
    if list_contexts:
        _print_contexts()
        return
    model = load_scenario(scenario)
    if deal_terms:
        check_provisions(model, presets, source=scenario)
    space = OutcomeSpace.from_scenario(model)
    if html_file is not None and html_file.is_dir():
        raise DetenteError("is a directory", source=html_file, field="--html")
    base = load_parameters(params_file) if params_file is not None else None
    rows = 1 + (len(presets) + 1 if with_compare else 0)
    long_run = paths * days * rows > _LONG_RUN and not as_json
    with open_executor(executor, address, workers) as pool, _progress(long_run) as progress:
        answer = run(
            space,
            deal,
            mechanisms=_split(mechanisms),
            contexts=_split(context),
            power_shifts=_power_shifts(power_shift),
            policy=policy,
            params=base,
            presets=presets,
            deal_terms=deal_terms,
            compare=with_compare,
            paths=paths,
            days=days,
            seed=seed,
            executor=pool,
            progress=progress,
        )
    if html_file is not None:
        from detente.report.durability import durability_report  # noqa: PLC0415 - needs plotly

        atomic_write_text(html_file, durability_report(answer))
    if as_json:
        print_json(answer.to_dict())
        return
    _render(answer)
    if html_file is not None:
        console.print(f"wrote {html_file}", soft_wrap=True, highlight=False)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _power_shifts(spec: str) -> dict[str, tuple[float, int]]:
    """``PARTY=DROP@DAY,...`` as ``{party: (drop, day)}`` (``--power-shift``)."""
    out: dict[str, tuple[float, int]] = {}
    for item in _split(spec):
        name, _, rest = item.partition("=")
        drop, _, day = rest.partition("@")
        try:
            out[name.strip()] = (float(drop), int(day))
        except ValueError:
            raise DetenteError(
                f"expected PARTY=DROP@DAY, got {item!r}", field="--power-shift"
            ) from None
    return out


def _render(answer: DurabilityRun) -> None:
    result, contexts = answer.result, answer.params.contexts
    console.rule(f"[bold]Will it hold? {answer.title}")
    terms = Table(title="The deal", show_header=False)
    terms.add_column("issue", style="bold")
    terms.add_column("option")
    for issue, option in answer.deal.items():
        terms.add_row(issue, option)
    console.print(terms)
    for note in answer.notes:
        console.print(note, highlight=False, soft_wrap=True)
    for warning in answer.warnings:
        console.print(f"[bold red]{warning}[/]", highlight=False, soft_wrap=True)
    _render_interests(answer)
    on = ", ".join(result.mechanisms) or "none"
    console.print(f"Mechanisms in force: [bold]{on}[/]")
    console.print(f"Context: [bold]{', '.join(contexts) or 'none'}[/]")
    console.print(answer.reference, style="yellow", highlight=False, soft_wrap=True)
    _render_survival(answer)
    if answer.comparison is not None:
        _render_comparison(answer.comparison)
        _render_swaps(answer)
    console.print(
        "[dim]Model estimates under stated assumptions; see docs/explanation/durability.md.[/]"
    )


def _render_interests(answer: DurabilityRun) -> None:
    parties = Table(title="Interests at signature (utility)")
    columns = ["party", "deal value", "alternative", "surplus"]
    days = max(s.phase_in_days for s in answer.standings)
    if days:
        columns.append(f"still to come (over {days} days)")
    for column in columns:
        parties.add_column(column, justify="left" if column == "party" else "right")
    for s in answer.standings:
        cell = f"{s.margin:+.3f}"
        row = [
            s.party,
            f"{s.utility:.3f}",
            f"{s.alternative:.3f}",
            f"[red]{cell}[/]" if s.margin < 0.05 else cell,
        ]
        if days:
            row.append(f"{s.deferred_value:+.3f}")
        parties.add_row(*row)
    console.print(parties)


def _render_survival(answer: DurabilityRun) -> None:
    result = answer.result
    survival = Table(title=f"P(ceasefire holding), {result.paths:,} paths, seed {result.seed}")
    fitted = answer.reference_class.fitted
    band = "95% model + simulation" if fitted else "95% simulation error"
    for column in ("day", "holding", band):
        survival.add_column(column, justify="right")
    marks = {d for d in (30, 90, 180, 365, 730, 1826, 3652) if d < result.days} | {result.days}
    for day in sorted(marks):
        i = day - 1
        band = f"{_pct(result.lower[i])}-{_pct(result.upper[i])}"
        survival.add_row(str(day), _pct(result.survival[i]), band)
    console.print(survival)
    rest = (
        "the other parameters are uncertain too"
        if fitted
        else "the model's parameters are uncertain too"
    )
    console.print(
        f"[dim]The band is {answer.band}; {rest}: compare designs, all else fixed.[/]",
        highlight=False,
    )
    if result.median_days is None:
        console.print(f"Median time to collapse: beyond day {result.days} (more than half hold).")
    else:
        console.print(f"Median time to collapse: [bold]day {result.median_days}[/].")
    if answer.survival_1y is not None and answer.survival_1y_se is not None:
        console.print(
            f"Still holding at one year: [bold]{_pct(answer.survival_1y)}[/] "
            f"(standard error {_pct(answer.survival_1y_se)})."
        )
    if not result.collapses:
        return
    causes = Table(title=f"Causes of the {result.collapses:,} collapses")
    causes.add_column("cause")
    causes.add_column("share", justify="right")
    for cause, share in sorted(result.causes.items(), key=lambda kv: -kv[1]):
        causes.add_row(cause, _pct(share))
    console.print(causes)
    if result.median_days_to_collapse is not None:
        console.print(f"Collapses happen at a median of day {result.median_days_to_collapse:.0f}.")


def _render_comparison(comparison: Comparison) -> None:
    table = Table(title=f"What each mechanism adds (day {comparison.day}, same random numbers)")
    for column in ("mechanisms", "holding", "change", "hazard ratio", "effect size"):
        table.add_column(
            column, justify="left" if column in {"mechanisms", "effect size"} else "right"
        )
    base = comparison.baseline
    table.add_row(base.label, _pct(base.holding), "", "", "")
    for row in sorted(comparison.rows, key=lambda r: -r.change):
        change = f"{100 * row.change:+.1f} pts"
        hr = f"{row.hazard_ratio:.2f}"
        table.add_row(row.label, _pct(row.holding), change, hr, row.effect_size)
    console.print(table)
    single = [r for r in comparison.rows if len(r.mechanisms) == 1]
    if single:
        best = max(single, key=lambda r: r.change)
        console.print(
            f"Largest single gain: [bold]{best.label.removeprefix('+ ')}[/] "
            f"({_pct(base.holding)} -> {_pct(best.holding)} holding at day {comparison.day})."
        )


def _render_swaps(answer: DurabilityRun) -> None:
    if not answer.swaps:
        return
    day = answer.result.days
    table = Table(title=f"Swapping one option (day {day}, same random numbers)")
    for column in ("issue", "option instead", "mechanisms", "holding", "change", "all accept"):
        table.add_column(
            column,
            justify="right" if column in {"holding", "change"} else "left",
            overflow="fold",
        )
    for w in answer.swaps:
        table.add_row(
            w.issue,
            w.option,
            _mechanism_change(answer.result.mechanisms, w),
            _pct(w.holding),
            f"{100 * w.change:+.1f} pts",
            "yes" if w.accepted else "[red]no[/]",
        )
    console.print(table)


def _mechanism_change(before: tuple[str, ...], swap: Swap) -> str:
    """``+ added - removed`` against the deal's mechanisms ("same" when none changes)."""
    added = [f"+ {m}" for m in swap.mechanisms if m not in before]
    removed = [f"- {m}" for m in before if m not in swap.mechanisms]
    return ", ".join(added + removed) or "same"


def _print_mechanisms(presets: tuple[Mechanism, ...]) -> None:
    table = Table(title="Mechanism presets")
    table.add_column("name", style="bold")
    table.add_column("what it changes")
    table.add_column("source")
    for m in presets:
        names = m.name + (f"\n[dim]({', '.join(m.aliases)})[/]" if m.aliases else "")
        table.add_row(names, m.what.strip(), m.source.strip())
    console.print(table)


def _print_contexts() -> None:
    table = Table(title="Context presets (at most one per dimension)")
    table.add_column("name", style="bold")
    table.add_column("dimension")
    table.add_column("what it changes")
    table.add_column("source")
    for c in load_contexts():
        names = c.name + (f"\n[dim]({', '.join(c.aliases)})[/]" if c.aliases else "")
        table.add_row(names, c.dimension.value, c.what.strip(), c.source.strip())
    console.print(table)
