"""Every party seated: agreement rate and distance to the Nash deal, on every corpus domain.

For every GENIUS domain of the test corpus (``tests/data/corpus/genius``: the ANAC 2016
three-party domains, the folders that hold several profiles of one domain, and the bilateral
ones) that imports and fits the simulation tables, and for the built-in ``ceasefire-2025``,
whose ZOPA is not empty, every party is seated and sessions of 100 rounds are played for a
set of line-ups (lists cycled over the parties). Over the sessions that agree:

* the distance in utility space from the agreement's utilities to the Nash deal's;
* the Nash-product ratio ``prod(u - r) / prod(u_nash - r)`` (1 at the Nash deal, 0 when some
  party is left at its reservation value), computed in logarithms so that domains with dozens
  of profiles do not underflow.

The Nash deal is found here by brute force over the ZOPA (the deals every party accepts), apart
from ``detente.analysis``. The same sessions are played with ``informed=0`` (time-dependent
parties offering on their own curve alone) to show what the multilateral offer changes.
Session times are medians over the line-ups of one run (the median of three runs for each),
CPU seconds of this process, with the simulation tables built; "first" is the first session,
which builds them (utilities sorted per party, and each party's best offer for the others).
Folders with one profile are left out, and so are those whose ZOPA is empty.
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from detente.errors import DetenteError
from detente.negotiation import negotiate
from detente.negotiation._arena import SIMULATION_LIMIT, arena_of
from detente.scenario import load_scenario
from detente.scenario.formats.genius import load_genius
from detente.space import OutcomeSpace, meets

console = Console(width=150)

#: Line-ups, each cycled over the parties of a domain.
LINEUPS: tuple[tuple[str, ...], ...] = (
    ("boulware", "conceder"),
    ("boulware", "conceder", "conceder", "linear"),
    ("boulware",),
    ("linear",),
    ("conceder",),
    ("frequency",),
    ("boulware", "tit-for-tat"),
)
ROUNDS = 100
#: Domains larger than this (deals x parties) are left out: the benchmark stays minutes long.
MAX_WORK = 30_000_000


def corpus_spaces() -> list[tuple[str, OutcomeSpace]]:
    """Every domain of the test corpus that imports and fits, then ``ceasefire-2025``."""
    root = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus" / "genius"
    spaces = []
    for folder in sorted({p.parent for p in root.rglob("*.xml")}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # repaired quirks are reported by the importer
            try:
                scenario = load_genius(folder)
            except DetenteError:
                continue
        space = OutcomeSpace.from_scenario(scenario)
        if space.n_parties < 2 or space.size > SIMULATION_LIMIT:
            continue
        if space.size * space.n_parties > MAX_WORK:
            continue
        spaces.append((str(folder.relative_to(root)), space))
    spaces.append(("ceasefire-2025", OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))))
    return spaces


def nash_point(space: OutcomeSpace) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The ZOPA mask, the Nash deal's utilities and its log Nash product (brute force)."""
    arena = arena_of(space)
    reservation = np.array([v.reservation for v in arena.views])
    zopa = meets(arena.utilities, reservation).all(axis=1)
    for view in arena.views:
        zopa &= view.allowed
    if not zopa.any():
        return None
    with np.errstate(divide="ignore"):
        logs = np.log(np.clip(arena.utilities[zopa] - reservation, 0.0, None)).sum(axis=1)
    best = int(np.argmax(logs))
    return zopa, arena.utilities[zopa][best], float(logs[best])


def play(space: OutcomeSpace, *, informed: bool) -> dict[str, Any]:
    """Every line-up once; agreements, distances to Nash, Nash-product ratios, times."""
    found = nash_point(space)
    assert found is not None
    zopa, nash, log_nash = found
    reservation = space.reservation
    agreed, distances, ratios, times = 0, [], [], []
    for lineup in LINEUPS:
        specs = [
            s if informed or s not in {"boulware", "conceder", "linear"} else f"{s}:informed=0"
            for s in lineup[: space.n_parties]
        ]
        start = time.process_time()
        trace = negotiate(space, specs, rounds=ROUNDS, seed=0)
        times.append(time.process_time() - start)
        if trace.agreement is None:
            continue
        agreed += 1
        assert zopa[trace.agreement], "an agreement outside the ZOPA"
        utilities = trace.utilities[-1]
        distances.append(float(np.sqrt(((utilities - nash) ** 2).sum())))
        gains = np.clip(utilities - reservation, 0.0, None)
        with np.errstate(divide="ignore"):
            log_product = float(np.log(gains).sum())
        if math.isfinite(log_nash):  # else every ZOPA deal leaves a party at its reservation
            ratios.append(math.exp(log_product - log_nash) if math.isfinite(log_product) else 0.0)
    return {
        "sessions": len(LINEUPS),
        "agreed": agreed,
        "distances": distances,
        "ratios": ratios,
        "time": statistics.median(times),
        "first": times[0],
    }


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def main() -> dict[str, Any]:
    spaces = corpus_spaces()
    table = Table(title=f"Every party seated, {ROUNDS} rounds, {len(LINEUPS)} line-ups each")
    for header in (
        "domain",
        "parties",
        "deals",
        "ZOPA",
        "agreed",
        "informed=0",
        "Nash dist.",
        "Nash ratio",
        "ms/session",
    ):
        if header == "domain":
            table.add_column(header, overflow="fold", min_width=24)
        else:
            table.add_column(header, justify="right", no_wrap=True)
    totals: dict[str, dict[str, list[float]]] = {}
    skipped = 0
    for name, space in spaces:
        found = nash_point(space)
        if found is None:
            skipped += 1
            continue
        group = (
            "ceasefire-2025"
            if name == "ceasefire-2025"
            else ("multilateral" if space.n_parties > 2 else "bilateral")
        )
        first = play(space, informed=True)  # builds the tables; the runs below share them
        runs = [play(space, informed=True) for _ in range(3)]
        seated, blind = runs[0], play(space, informed=False)
        seated["time"] = statistics.median(r["time"] for r in runs)
        total = totals.setdefault(
            group, {"sessions": [], "agreed": [], "blind": [], "distance": [], "ratio": []}
        )
        total["sessions"].append(seated["sessions"])
        total["agreed"].append(seated["agreed"])
        total["blind"].append(blind["agreed"])
        total["distance"].extend(seated["distances"])
        total["ratio"].extend(seated["ratios"])
        table.add_row(
            name,
            str(space.n_parties),
            f"{space.size:,}",
            f"{int(found[0].sum()):,}",
            f"{seated['agreed']}/{seated['sessions']}",
            f"{blind['agreed']}/{blind['sessions']}",
            f"{_median(seated['distances']):.3f}",
            f"{_median(seated['ratios']):.3f}",
            f"{seated['time'] * 1000:.1f}",
            f"{first['first'] * 1000:.1f}",
        )
    console.print(table)
    summary = Table(title="Summary (medians over the agreements)")
    for header in (
        "domains",
        "sessions",
        "agreement rate",
        "informed=0",
        "Nash distance",
        "Nash-product ratio",
    ):
        summary.add_column(header, justify="left" if header == "domains" else "right")
    out: dict[str, Any] = {"skipped_empty_zopa": skipped}
    for group, total in totals.items():
        sessions = sum(total["sessions"])
        rate = sum(total["agreed"]) / sessions
        blind = sum(total["blind"]) / sessions
        summary.add_row(
            f"{group} ({len(total['sessions'])})",
            str(sessions),
            f"{rate:.1%}",
            f"{blind:.1%}",
            f"{_median(total['distance']):.3f}",
            f"{_median(total['ratio']):.3f}",
        )
        out[group] = {
            "domains": len(total["sessions"]),
            "sessions": sessions,
            "agreement_rate": rate,
            "agreement_rate_uninformed": blind,
            "nash_distance": _median(total["distance"]),
            "nash_ratio": _median(total["ratio"]),
        }
    console.print(summary)
    console.print(f"{skipped} domain(s) left out: their ZOPA is empty.")
    return out


if __name__ == "__main__":
    main()
