"""``detente serve``: the web application with its two areas, Workbench and Monitor.

The same command as ``detente monitor serve`` (same options, same app), at the top level
because the application is no longer the monitor's alone.
"""

from __future__ import annotations

import typer

from detente.cli.monitor import serve

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""
    app.command("serve")(serve)
