"""Speed of ``detente precedents predict`` on the ETH/PRIO 1989-2014 file (3,302 rows).

Target (issue 12): the command, end to end (a new process: start, imports, reading, merging
the actor rows, predicting 1,842 ceasefires, JSON on stdout), in under 5 s. Reported: the
median of five runs of the command (wall and CPU seconds: on a loaded machine the wall time
grows with the load, the CPU time does not), and of the library call alone in this process,
with PASS or FAIL (wall) against the target. The file is the shared corpus beside the
repository (it is not redistributed): without it the benchmark says so and stops.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from detente.precedents import predict_file

ETHPRIO = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "corpus"
    / "ceasefire"
    / "ethprio-ceasefires-1989-2014.csv"
)
DETENTE = Path(sys.executable).parent / "detente"  # the installed command
TARGET_SECONDS = 5.0
RUNS = 5


def _command() -> tuple[float, float]:
    """Wall seconds of one run of the command, and its CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(DETENTE), "precedents", "predict", str(ETHPRIO), "--json"],
        capture_output=True,
        check=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    assert len(json.loads(done.stdout)["predictions"]) == 1842
    return seconds, cpu


def _library() -> float:
    started = time.perf_counter()
    predict_file(ETHPRIO)
    return time.perf_counter() - started


def main() -> None:
    console = Console()
    if not ETHPRIO.exists():
        console.print(f"skipped: the ETH/PRIO file is not at {ETHPRIO}")
        return
    runs = [_command() for _ in range(RUNS)]
    command = statistics.median(wall for wall, _ in runs)
    cpu = statistics.median(cpu for _, cpu in runs)
    library = statistics.median(_library() for _ in range(RUNS))
    table = Table(title=f"precedents predict, {ETHPRIO.name} (median of {RUNS} runs)")
    for column in ("what", "seconds", "target", "verdict"):
        table.add_column(column)
    verdict = "PASS" if command < TARGET_SECONDS else "FAIL"
    table.add_row("command, end to end", f"{command:.2f}", f"< {TARGET_SECONDS:.0f} s", verdict)
    table.add_row("command, CPU (user + system)", f"{cpu:.2f}", "", "")
    table.add_row("predict_file in process", f"{library:.2f}", "", "")
    console.print(table)


if __name__ == "__main__":
    main()
