"""GENIUS import and utility evaluation, detente vs NegMAS 0.16.0, side by side.

1. Import every folder of the GENIUS corpus (``../shared/corpus/genius``) both ways; the ratio
   is taken over the folders both libraries import.
2. Score 20,000 outcomes of the biggest corpus domain for every party: detente's vectorised
   table lookups against NegMAS's per-outcome utility calls. (NegMAS scores GENIUS's raw,
   unnormalised evaluations, so the numbers differ by design; detente's agreement with GENIUS's
   own rules is tested in ``tests/formats/test_corpus.py``.)

Medians of 3 runs. NegMAS comes from the ``bench`` dependency group (``make .venv/.bench``).
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from detente.scenario.formats.genius import load_genius
from detente.space import OutcomeSpace

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "genius"
REPEATS = 3
N_OUTCOMES = 20_000


def _median(func: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _negmas_load(folder: Path) -> Any:
    from negmas.inout import Scenario  # noqa: PLC0415 - optional peer

    return Scenario.from_genius_folder(folder, ignore_discount=True)


def main() -> dict[str, float]:
    warnings.simplefilter("ignore")
    folders = sorted({p.parent for p in CORPUS.rglob("*.xml")})
    both: list[Path] = []
    for folder in folders:
        try:
            if _negmas_load(folder) is not None:
                both.append(folder)
        except Exception:  # noqa: BLE001 - NegMAS fails on some folders; they are skipped
            continue
    detente_all, _ = _median(lambda: [load_genius(f) for f in folders])
    detente_both, _ = _median(lambda: [load_genius(f) for f in both])
    negmas_both, _ = _median(lambda: [_negmas_load(f) for f in both])

    # the biggest additive domain NegMAS also imports
    sizes = {f: OutcomeSpace.from_scenario(load_genius(f)).size for f in both}
    folder = max((f for f in both if sizes[f] < 10**9), key=lambda f: sizes[f])
    scenario = load_genius(folder)
    space = OutcomeSpace.from_scenario(scenario)
    options = space.sample(N_OUTCOMES, np.random.default_rng(0))
    detente_eval, ours = _median(lambda: space.utilities_of_options(options))
    peer = _negmas_load(folder)
    negmas_outcomes = [tuple(space.deal(row).values()) for row in options]
    negmas_eval, theirs = _median(
        lambda: [[float(u(o)) for o in negmas_outcomes] for u in peer.ufuns]
    )
    assert np.shape(theirs) == ours.T.shape  # same work; NegMAS keeps GENIUS's raw scale

    figures = {
        "folders": float(len(folders)),
        "folders_negmas_imports": float(len(both)),
        "detente_import_all_s": detente_all,
        "detente_import_s": detente_both,
        "negmas_import_s": negmas_both,
        "import_ratio": negmas_both / detente_both,
        "eval_outcomes": float(N_OUTCOMES * space.n_parties),
        "detente_eval_s": detente_eval,
        "negmas_eval_s": negmas_eval,
        "eval_ratio": negmas_eval / detente_eval,
    }
    table = Table(title=f"GENIUS corpus: detente vs NegMAS 0.16.0 (median of {REPEATS})")
    for column in ("task", "detente", "NegMAS", "NegMAS / detente"):
        table.add_column(column, justify="right" if column != "task" else "left")
    table.add_row(
        f"import {len(both)} folders both read ({len(folders)} for detente: {detente_all:.2f} s)",
        f"{detente_both:.3f} s",
        f"{negmas_both:.3f} s",
        f"{figures['import_ratio']:.1f}x",
    )
    table.add_row(
        f"score {N_OUTCOMES:,} outcomes x {space.n_parties} parties ({folder.name})",
        f"{detente_eval * 1e3:.2f} ms",
        f"{negmas_eval * 1e3:.0f} ms",
        f"{figures['eval_ratio']:.0f}x",
    )
    Console().print(table)
    return figures


if __name__ == "__main__":
    main()
