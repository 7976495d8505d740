"""Latency of the scenario library's services on a SQLite file (in-process, medians).

A fresh database with an analyst and ``DETENTE_BENCH_SCENARIOS`` copies of ``ceasefire-2025``
(200 by default); then, each repeated 15 times: a save (validation as ``detente validate``,
the new version and its audit entry, committed), reading a version, the history, the diff of
two versions, the list of every scenario, the import of a GENIUS zip (checked, unpacked, read)
and a GENIUS export. Reported: the median and the slowest of the runs, in milliseconds.

Usage: ``python -m benchmarks library``.
"""

from __future__ import annotations

import copy
import io
import os
import statistics
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from detente.monitor import service
from detente.monitor.db import MonitorSettings, make_engine, migrate, sessions, transaction
from detente.monitor.enums import Role
from detente.monitor.models import User
from detente.monitor.schemas import UserIn
from detente.workbench import library as lib
from detente.workbench.transfer import ExportFormat

SCENARIOS = int(os.environ.get("DETENTE_BENCH_SCENARIOS", "200"))
REPEATS = 15
CLEAN = Path(__file__).parents[1] / "tests" / "data" / "genius" / "clean"


def _timed(work: Callable[[], Any]) -> tuple[float, float]:
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def main() -> None:
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        migrate(engine)
        factory = sessions(engine, MonitorSettings(db_url=url))
        with transaction(factory) as s:
            user = UserIn(
                username="analyst", password="bench quiet river lantern", role=Role.ANALYST
            )
            service.create_user(s, None, user)

        def run(work: Callable[[Session, User], Any]) -> Any:
            with transaction(factory) as s:
                return work(s, s.query(User).one())

        first = run(lambda s, a: lib.create_scenario(s, a, builtin="ceasefire-2025"))
        for _ in range(SCENARIOS - 1):
            run(lambda s, a: lib.duplicate_scenario(s, a, first.id))
        sid, document = first.id, copy.deepcopy(first.document)
        versions = iter(range(1, 10_000))

        def save() -> None:
            version = next(versions)
            weights = document["parties"][0]["preferences"]["issues"]["sanctions_relief"]
            weights["weight"] = 0.1 + version / 100_000
            run(lambda s, a: lib.save_scenario(s, a, sid, document, base_version=version))

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for p in CLEAN.iterdir():
                archive.write(p, p.name)
        upload = buffer.getvalue()
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("save a version", save),
            ("read a version", lambda: run(lambda s, a: lib.get_scenario(s, a, sid, 1))),
            ("history", lambda: run(lambda s, a: lib.history(s, a, sid))),
            ("diff of two versions", lambda: run(lambda s, a: lib.diff_versions(s, a, sid, 1, 2))),
            (f"list {SCENARIOS} scenarios", lambda: run(lib.list_scenarios)),
            (
                "import a GENIUS zip",
                lambda: run(lambda s, a: lib.import_scenario(s, a, "t.zip", upload)),
            ),
            (
                "export as GENIUS zip",
                lambda: run(lambda s, a: lib.export_scenario(s, a, sid, ExportFormat.GENIUS)),
            ),
        ]
        table = Table(title=f"scenario library on SQLite, {REPEATS} runs each (ms)")
        for column in ("operation", "median", "slowest"):
            table.add_column(column, justify="left" if column == "operation" else "right")
        for name, work in cases:
            median, slowest = _timed(work)
            table.add_row(name, f"{median:.1f}", f"{slowest:.1f}")
        engine.dispose()
    console.print(table)


if __name__ == "__main__":
    main()
