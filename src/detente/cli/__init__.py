"""The ``detente`` command: a thin Typer layer over library calls."""

from __future__ import annotations

import typer

from detente.cli import (
    analyze,
    brief,
    durability,
    forecast,
    monitor,
    negotiate,
    precedents,
    scenarios,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="detente",
    help="Model ceasefire and peace negotiations: parties, deals, talks, durability, monitoring.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenarios.register(app)
analyze.register(app)
brief.register(app)
forecast.register(app)
durability.register(app)
negotiate.register(app)
monitor.register(app)
precedents.register(app)


def main() -> None:
    """Entry point of the ``detente`` command."""
    app()
