"""The ``durability`` command: will a signed ceasefire hold, and what makes it last?"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from detente.cli._common import console, err_console, guarded, print_json
from detente.compute import Executor, make_executor
from detente.durability import compare, parameters_for_deal, simulate
from detente.durability.contexts import apply_contexts, load_contexts
from detente.durability.deal import complete_deal, deal_utilities
from detente.durability.mechanisms import Mechanism, load_mechanisms, resolve_mechanism
from detente.durability.parameters import (
    Parameters,
    Policy,
    load_parameters,
    validate_parameters,
)
from detente.durability.results import Comparison, DurabilityResult
from detente.durability.simulate import check_size
from detente.errors import DetenteError
from detente.scenario import load_scenario
from detente.scenario.formats._files import atomic_write_text
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
def _progress(total: int, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} paths"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("paths", total=total)
        yield lambda done: bar.advance(task, done)


@guarded
def durability(
    scenario: Annotated[str, typer.Argument(help="A scenario file or a built-in name.")],
    *,
    deal: Annotated[
        str,
        typer.Option(
            help="nash, kalai_smorodinsky, egalitarian, utilitarian, 'issue=option,...', "
            "a JSON object or a YAML/JSON file."
        ),
    ] = "nash",
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
            help="Let the deal's own terms (e.g. a monitoring mission) switch presets on."
        ),
    ] = True,
    with_compare: Annotated[
        bool, typer.Option("--compare", help="Compare what each other mechanism would add.")
    ] = False,
    paths: Annotated[int, typer.Option(help="Simulated paths.")] = 20_000,
    days: Annotated[int, typer.Option(help="Horizon in days.")] = 365,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same result).")] = 0,
    params_file: Annotated[
        Path | None,
        typer.Option("--params", help="Parameters file (YAML/JSON); first party is the template."),
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
    space = OutcomeSpace.from_scenario(model)
    chosen, filled = complete_deal(space, deal)
    extra = [resolve_mechanism(m, presets).name for m in mechanisms.split(",") if m.strip()]
    base = load_parameters(params_file) if params_file is not None else None
    params = parameters_for_deal(
        space, chosen, mechanisms=extra, base=base, deal_terms=deal_terms, presets=presets
    )
    params = apply_contexts(params, [c for c in context.split(",") if c.strip()])
    params = _with_power_shifts(params, power_shift)
    params = _with_policy(params, policy)
    if html_file is not None and html_file.is_dir():
        raise DetenteError("is a directory", source=html_file, field="--html")
    check_size(paths, days)  # before a progress bar opens: an error is then one line
    if workers < 1:
        raise DetenteError(f"must be at least 1, got {workers}", field="--workers")
    pool: Executor | None = None
    if executor != "local" or workers != 1:
        pool = make_executor(executor, address, workers)
    try:
        rows = 1 + (len(presets) + 1 if with_compare else 0)
        long_run = paths * days * rows > _LONG_RUN and not as_json
        with _progress(paths * rows, long_run) as progress:
            comparison: Comparison | None = None
            if with_compare:
                comparison = compare(
                    params,
                    paths=paths,
                    days=days,
                    rng=seed,
                    executor=pool,
                    progress=progress,
                    presets=presets,
                )
                result = comparison.baseline.result
            else:
                result = simulate(
                    params, paths=paths, days=days, rng=seed, executor=pool, progress=progress
                )
    finally:
        if pool is not None:
            pool.close()
    _emit(
        _Run(model.title or model.name, deal, chosen, filled, params, result, comparison),
        space,
        as_json=as_json,
        html_file=html_file,
    )


@dataclass(frozen=True)
class _Run:
    """What one command computed, for the renderers."""

    title: str
    spec: str
    deal: dict[str, str]
    filled: tuple[str, ...]
    params: Parameters
    result: DurabilityResult
    comparison: Comparison | None


def _emit(run: _Run, space: OutcomeSpace, *, as_json: bool, html_file: Path | None) -> None:
    """Write the HTML report if asked, then print JSON or the terminal tables."""
    params, result, comparison, chosen = run.params, run.result, run.comparison, run.deal
    utilities = deal_utilities(space, chosen)
    values = {
        p.name: (utilities[p.name], space.reservation[space.party_index(p.name)])
        for p in params.parties
    }
    alerts = _zopa_alerts(values, result)
    phased = {p.name: (p.deferred_value, p.phase_in_days) for p in params.parties}
    shifts = {p.name: (p.power_shift, p.power_shift_day) for p in params.parties if p.power_shift}
    if html_file is not None:
        from detente.report.durability import durability_report  # noqa: PLC0415 - needs plotly

        which = run.spec if run.spec.isidentifier() else "chosen"
        text = durability_report(
            result,
            title=f"Durability of the {which} deal: {run.title}",
            deal=chosen,
            values={k: (float(a), float(b)) for k, (a, b) in values.items()},
            comparison=comparison,
            contexts=params.contexts,
            phased=phased,
            power_shifts=shifts,
            notes=[_scope(params.contexts, markup=False), *_filled_note(run.filled), *alerts],
        )
        atomic_write_text(html_file, text)
    if as_json:
        out = _plain(result, chosen, comparison, params.contexts)
        out |= {"filled_from_nash": list(run.filled), "warnings": alerts}
        print_json(out)
        return
    _render(
        run.title,
        chosen,
        values=values,
        phased=phased,
        result=result,
        comparison=comparison,
        contexts=params.contexts,
        notes=(*_filled_note(run.filled), *alerts),
    )
    if html_file is not None:
        console.print(f"wrote {html_file}")


def _filled_note(filled: tuple[str, ...]) -> list[str]:
    if not filled:
        return []
    return [f"Issues not given in --deal are the Nash deal's: {', '.join(filled)}."]


def _zopa_alerts(values: dict[str, tuple[float, float]], result: DurabilityResult) -> list[str]:
    """A warning for each party that prefers its alternative to the deal at signature."""
    first_day = 1.0 - result.survival[0]
    return [
        f"{name} prefers its alternative on day 1 ({alternative:.3f} > {value:.3f}, outside "
        f"its ZOPA): the deal collapses at once ({_pct(first_day)} of paths on day 1)."
        for name, (value, alternative) in values.items()
        if value < alternative
    ]


def _with_policy(params: Parameters, name: str) -> Parameters:
    """``params`` with every party answering by the policy ``name`` (``--policy``; "": as is)."""
    if not name.strip():
        return params
    try:
        chosen = Policy(name.strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in Policy)
        raise DetenteError(f"unknown policy {name!r} (known: {known})", field="--policy") from None
    return params.replace_parties(policy=chosen)


def _with_power_shifts(params: Parameters, spec: str) -> Parameters:
    """``params`` with ``PARTY=DROP@DAY`` power shifts set (``--power-shift``)."""
    data = params.model_dump()
    by_name = {p["name"]: p for p in data["parties"]}
    for item in (x.strip() for x in spec.split(",")):
        if not item:
            continue
        name, _, rest = item.partition("=")
        drop, _, day = rest.partition("@")
        try:
            party = by_name[name.strip()]
            party.update(power_shift=float(drop), power_shift_day=int(day))
        except (KeyError, ValueError):
            known = ", ".join(by_name)
            raise DetenteError(
                f"expected PARTY=DROP@DAY with PARTY one of {known}, got {item!r}",
                field="--power-shift",
            ) from None
    return validate_parameters(data, source="--power-shift")


def _plain(
    result: DurabilityResult,
    deal: dict[str, str],
    comparison: Comparison | None,
    contexts: tuple[str, ...] = (),
) -> dict[str, object]:
    out: dict[str, object] = {
        "survival": list(result.survival),
        "lower": list(result.lower),
        "upper": list(result.upper),
        "median_days": result.median_days,
        "median_days_to_collapse": result.median_days_to_collapse,
        "causes": result.causes,
        "mechanisms": list(result.mechanisms),
        "contexts": list(contexts),
        "deal": deal,
        "parties": list(result.parties),
        "paths": result.paths,
        "days": result.days,
        "seed": result.seed,
    }
    if comparison is not None:
        out["comparison"] = [
            {
                "label": row.label,
                "mechanisms": list(row.mechanisms),
                "holding": row.holding,
                "change": row.change,
                "hazard_ratio": row.hazard_ratio,
                "effect_size": row.basis,
                "median_days": row.result.median_days,
            }
            for row in (comparison.baseline, *comparison.rows)
        ]
    return out


def _render(
    title: str,
    deal: dict[str, str],
    *,
    values: dict[str, tuple[float, float]],
    phased: dict[str, tuple[float, int]],
    result: DurabilityResult,
    comparison: Comparison | None,
    contexts: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
) -> None:
    console.rule(f"[bold]Will it hold? {title}")
    terms = Table(title="The deal", show_header=False)
    terms.add_column("issue", style="bold")
    terms.add_column("option")
    for issue, option in deal.items():
        terms.add_row(issue, option)
    console.print(terms)
    for note in notes:
        text = f"[bold red]{note}[/]" if "ZOPA" in note else note
        console.print(text, highlight=False, soft_wrap=True)
    _render_interests(values, phased)
    on = ", ".join(result.mechanisms) or "none"
    console.print(f"Mechanisms in force: [bold]{on}[/]")
    console.print(f"Context: [bold]{', '.join(contexts) or 'none'}[/]")
    console.print(_scope(contexts))
    _render_survival(result)
    if comparison is not None:
        _render_comparison(comparison)
    console.print(
        "[dim]Model estimates under stated assumptions; see docs/explanation/durability.md.[/]"
    )


def _scope(contexts: tuple[str, ...], *, markup: bool = True) -> str:
    """What the baseline was calibrated to, given the contexts applied."""
    if "interstate" in contexts:
        return (
            "Calibrated to civil-war cease-fires (Fortna), moved to a war between states by "
            "the interstate context (almost half renewed, read at 10 years)."
        )
    text = (
        "Calibrated to civil-war cease-fires (Fortna); for a war between states add "
        "--context interstate."
    )
    return f"[yellow]{text}[/]" if markup else text


def _render_interests(
    values: dict[str, tuple[float, float]], phased: dict[str, tuple[float, int]]
) -> None:
    parties = Table(title="Interests at signature (utility)")
    columns = ["party", "deal value", "alternative", "surplus"]
    days = max(d for _, d in phased.values())
    if days:
        columns.append(f"still to come (over {days} days)")
    for column in columns:
        parties.add_column(column, justify="left" if column == "party" else "right")
    for name, (value, alternative) in values.items():
        surplus = value - alternative
        cell = f"{surplus:+.3f}"
        row = [
            name,
            f"{value:.3f}",
            f"{alternative:.3f}",
            f"[red]{cell}[/]" if surplus < 0.05 else cell,
        ]
        if days:
            row.append(f"{phased[name][0]:+.3f}")
        parties.add_row(*row)
    console.print(parties)


def _render_survival(result: DurabilityResult) -> None:
    survival = Table(title=f"P(ceasefire holding), {result.paths:,} paths, seed {result.seed}")
    for column in ("day", "holding", "95% simulation error"):
        survival.add_column(column, justify="right")
    marks = {d for d in (30, 90, 180, 365, 730, 1826, 3652) if d < result.days} | {result.days}
    for day in sorted(marks):
        i = day - 1
        band = f"{_pct(result.lower[i])}-{_pct(result.upper[i])}"
        survival.add_row(str(day), _pct(result.survival[i]), band)
    console.print(survival)
    console.print(
        "[dim]The band is Monte Carlo error only (how many paths were drawn); the model's "
        "parameters are uncertain too: compare designs, all else fixed.[/]"
    )
    if result.median_days is None:
        console.print(f"Median time to collapse: beyond day {result.days} (more than half hold).")
    else:
        console.print(f"Median time to collapse: [bold]day {result.median_days}[/].")
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
        table.add_row(row.label, _pct(row.holding), change, hr, row.basis)
    console.print(table)
    single = [r for r in comparison.rows if len(r.mechanisms) == 1]
    if single:
        best = max(single, key=lambda r: r.change)
        console.print(
            f"Largest single gain: [bold]{best.label.removeprefix('+ ')}[/] "
            f"({_pct(base.holding)} -> {_pct(best.holding)} holding at day {comparison.day})."
        )


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
