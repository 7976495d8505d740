"""Shared helpers of the workbench tests: users, a stored scenario, the CLI's JSON."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import anyio
import yaml
from typer.testing import CliRunner

from detente.cli import app
from detente.monitor.enums import Role
from detente.monitor.models import User, utcnow
from detente.scenario.io import builtin_path
from detente.workbench.library import StoredScenario

T = TypeVar("T")


def run_async(func: Callable[[], Awaitable[T]]) -> T:
    """``anyio.run(func)`` in a thread of its own.

    Playwright's synchronous API keeps an event loop running in the main thread while the
    browser tests' session-wide browser is open, and anyio refuses to start a second one there.
    """
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, func).result()


def user(uid: int, role: Role, name: str | None = None) -> User:
    """A user that is not stored (the services read its id, name and role)."""
    return User(id=uid, username=name or f"{role.value}{uid}", role=role)


def ceasefire_document() -> dict[str, Any]:
    """The native document of the built-in ``ceasefire-2025``."""
    loaded = yaml.safe_load(builtin_path("ceasefire-2025").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def stored(
    document: dict[str, Any] | None = None, sid: int = 7, version: int = 3
) -> StoredScenario:
    """A stored scenario (the built-in ``ceasefire-2025`` unless told), not in a database."""
    document = document or ceasefire_document()
    return StoredScenario(
        id=sid,
        name=str(document.get("name", "")),
        version=version,
        latest_version=version,
        document=document,
        saved_at=utcnow(),
        saved_by="analyst1",
        message="",
    )


def cli_json(tmp_path: Path, document: dict[str, Any], *args: str) -> Any:
    """What ``detente COMMAND <document as a file> ARGS --json`` prints, parsed.

    ``args[0]`` is the command; the scenario file comes right after it.
    """
    source = tmp_path / "scenario.yaml"
    source.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(app, [args[0], str(source), *args[1:], "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def as_json(data: Any) -> Any:
    """``data`` as it reads after a JSON round trip (what an API client receives)."""
    return json.loads(json.dumps(data))
