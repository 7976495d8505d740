"""The ``detente`` command: a thin Typer layer over library calls."""

from __future__ import annotations

from typing import Annotated

import typer

import detente
from detente.cli import (
    analyze,
    brief,
    durability,
    forecast,
    monitor,
    negotiate,
    precedents,
    scenarios,
    serve,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="detente",
    help="Model ceasefire and peace negotiations: parties, deals, talks, durability, monitoring.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"detente {detente.__version__}")
        raise typer.Exit


@app.callback()
def _options(
    *,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Model ceasefire and peace negotiations: parties, deals, talks, durability, monitoring."""


scenarios.register(app)
analyze.register(app)
brief.register(app)
forecast.register(app)
durability.register(app)
negotiate.register(app)
monitor.register(app)
precedents.register(app)
serve.register(app)


def main() -> None:
    """Entry point of the ``detente`` command."""
    app()
