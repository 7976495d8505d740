"""Frontier, ZOPA and solutions on every GENIUS domain of the corpus (tests/data/corpus/genius).

On every domain, the ZOPA count and the four solutions (outcome index after the tie-breaks)
equal a chunked enumeration of every deal (``tests/analysis/brute.py``, O(deals x parties), no
frontier involved), while detente computes them from the frontier. The frontier itself is
checked pairwise against the whole space (no deal dominates a frontier row, every deal is
matched or dominated by one) when deals x frontier rows x parties is under 5 x 10^7, and against
the enumerating skyline up to 2 x 10^9; only that quadratic check has a size budget.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from detente import OutcomeSpace
from detente.analysis import bargaining_solutions, pareto_frontier, zopa
from detente.analysis._exact import exact_utilities
from detente.analysis.pareto import ParetoFrontier
from detente.errors import DetenteError
from detente.scenario.formats.genius import load_genius
from detente.scenario.model import Scenario
from detente.space import ACCEPT_TOLERANCE
from tests.analysis.brute import brute_force

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "genius"
FOLDERS = sorted({p.parent for p in CORPUS.rglob("*.xml")})

#: Up to this many comparisons (deals x frontier rows x parties), the frontier is checked pairwise.
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


def check_frontier(space: OutcomeSpace, frontier: ParetoFrontier) -> None:
    """Pairwise: the frontier rows are the non-dominated vectors, each at its lowest index."""
    every = np.arange(space.size)
    options = space.unravel(every)
    u = exact_utilities(space, options)
    assert np.allclose(u, space.utilities_of_options(options), atol=1e-12)
    f = frontier.utilities
    assert len(f) > 0
    assert np.array_equal(u[frontier.outcomes], f)
    eps = ACCEPT_TOLERANCE  # dominance is decided with the tolerance acceptance uses
    for part in _chunks(len(u)):
        block = u[part][:, None, :]
        # no deal dominates a frontier row
        ge = (block >= f[None, :, :] - eps).all(axis=2)
        gt = (block > f[None, :, :] + eps).any(axis=2)
        assert not (ge & gt).any()
        # every deal is matched or dominated by a frontier row
        assert (f[None, :, :] >= block - eps).all(axis=2).any(axis=1).all()
    for row, outcome in zip(f, frontier.outcomes, strict=True):
        assert np.flatnonzero((np.abs(u - row) <= eps).all(axis=1))[0] == outcome


def check_zopa_and_solutions(space: OutcomeSpace, frontier: ParetoFrontier) -> None:
    """ZOPA count and solution indices from the frontier equal those of the enumeration."""
    expected = brute_force(space)
    assert zopa(space, frontier=frontier).count == expected.zopa_count
    solutions = bargaining_solutions(space, frontier)
    assert {name: s.outcome for name, s in solutions.items()} == expected.solutions
    for solution in solutions.values():
        if solution.outcome is not None:
            u = exact_utilities(space, space.unravel(solution.outcome))[0]
            assert list(solution.utilities.values()) == u.tolist()


@pytest.mark.slow
@pytest.mark.parametrize("folder", DOMAINS, ids=[str(f.relative_to(CORPUS)) for f in DOMAINS])
def test_corpus_domain(folder: Path) -> None:
    scenario = _load(folder)
    assert scenario is not None
    space = OutcomeSpace.from_scenario(scenario)
    frontier = pareto_frontier(space)
    check_zopa_and_solutions(space, frontier)
    cost = space.size * len(frontier) * space.n_parties
    if cost <= BUDGET:
        check_frontier(space, frontier)
    elif cost <= SKYLINE_BUDGET:  # too big for the pairwise check: the enumerating skyline instead
        enumerated = pareto_frontier(space, method="enumerate")
        assert np.array_equal(enumerated.utilities, frontier.utilities)
        assert np.array_equal(enumerated.outcomes, frontier.outcomes)


def test_the_corpus_is_there() -> None:
    assert len(DOMAINS) >= 120
