"""Frontier, ZOPA and solutions on every GENIUS domain of the corpus (tests/data/corpus/genius).

Each domain small enough to enumerate (deals x frontier rows x parties under 5 x 10^7) is
checked against the whole space: no deal dominates a frontier row, every deal is matched or
dominated by one, and the ZOPA count and solutions equal a search over every acceptable deal.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from detente import OutcomeSpace
from detente.analysis import bargaining_solutions, pareto_frontier, zopa
from detente.analysis._exact import exact_utilities, thresholds
from detente.errors import DetenteError
from detente.scenario.formats.genius import load_genius
from detente.scenario.model import Scenario

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "genius"
FOLDERS = sorted({p.parent for p in CORPUS.rglob("*.xml")})

#: Domains whose check (deals x frontier rows x parties comparisons) exceeds this are skipped.
BUDGET = 5 * 10**7
#: Above BUDGET and up to this, the merge is checked against the enumerating skyline.
SKYLINE_BUDGET = 2 * 10**9


def _load(folder: Path) -> Scenario | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # repairs are checked in tests/formats/test_corpus.py
        try:
            return load_genius(folder)
        except DetenteError:  # constructs detente refuses are checked there too
            return None


DOMAINS = [f for f in FOLDERS if _load(f) is not None]


def _chunks(n: int, size: int = 1 << 15) -> list[slice]:
    return [slice(s, min(s + size, n)) for s in range(0, n, size)]


def check_domain(space: OutcomeSpace) -> None:
    every = np.arange(space.size)
    options = space.unravel(every)
    u = exact_utilities(space, options)
    assert np.allclose(u, space.utilities_of_options(options), atol=1e-12)
    frontier = pareto_frontier(space)
    f = frontier.utilities
    assert len(f) > 0
    assert np.array_equal(u[frontier.outcomes], f)
    for part in _chunks(len(u)):
        block = u[part][:, None, :]
        # no deal dominates a frontier row
        ge = (block >= f[None, :, :]).all(axis=2)
        gt = (block > f[None, :, :]).any(axis=2)
        assert not (ge & gt).any()
        # every deal is matched or dominated by a frontier row
        assert (f[None, :, :] >= block).all(axis=2).any(axis=1).all()
    for row, outcome in zip(f, frontier.outcomes, strict=True):
        assert np.flatnonzero((u == row).all(axis=1))[0] == outcome

    in_zopa = (u >= thresholds(space)).all(axis=1)
    assert zopa(space).count == int(in_zopa.sum())
    solutions = bargaining_solutions(space, frontier)
    if not in_zopa.any():
        assert all(s.outcome is None for s in solutions.values())
        return
    idx = every[in_zopa]
    g = np.maximum(u[in_zopa] - space.reservation, 0.0)
    span = g.max(axis=0)
    ratios = np.where(span > 0, g / np.where(span > 0, span, 1.0), np.inf)
    scores = {
        "nash": g.prod(axis=1),
        "kalai_smorodinsky": ratios.min(axis=1),
        "egalitarian": g.min(axis=1),
        "utilitarian": u[in_zopa].sum(axis=1),
    }
    totals = u[in_zopa].sum(axis=1)
    for name, score in scores.items():
        best = int(np.lexsort((idx, -totals, -score))[0])
        assert solutions[name].outcome == idx[best], name


@pytest.mark.slow
@pytest.mark.parametrize("folder", DOMAINS, ids=[str(f.relative_to(CORPUS)) for f in DOMAINS])
def test_corpus_domain(folder: Path) -> None:
    scenario = _load(folder)
    assert scenario is not None
    space = OutcomeSpace.from_scenario(scenario)
    frontier = pareto_frontier(space)
    cost = space.size * len(frontier) * space.n_parties
    if cost <= BUDGET:
        check_domain(space)
    elif cost <= SKYLINE_BUDGET:  # too big for the pairwise check: the enumerating skyline instead
        enumerated = pareto_frontier(space, method="enumerate")
        assert np.array_equal(enumerated.utilities, frontier.utilities)
        assert np.array_equal(enumerated.outcomes, frontier.outcomes)
    else:
        pytest.skip(f"{space.size} deals x {len(frontier)} frontier rows: too slow to cross-check")


def test_the_corpus_is_there() -> None:
    assert len(DOMAINS) >= 120
