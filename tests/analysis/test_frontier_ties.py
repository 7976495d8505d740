"""The frontier without rounding ghosts: against brute force in exact rational arithmetic.

Utilities written in decimals (0.3 + 0.6 and 0.4 + 0.5) are equal on paper but not in floating
point, where one deal can seem to beat another by 1e-16. Dominance is decided with the
tolerance acceptance uses (``ACCEPT_TOLERANCE``), so the frontier must be the one exact
arithmetic gives: here every utility is recomputed with :class:`fractions.Fraction` from the
numbers as written (the GENIUS XML itself for the named ANAC domains), and the exact frontier
is found by brute force over every deal.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from detente import OutcomeSpace
from detente.analysis import pareto_frontier
from detente.analysis._skyline import skyline, tie_classes
from detente.scenario.formats.genius import load_genius
from detente.scenario.model import Scenario
from detente.space import ACCEPT_TOLERANCE

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "genius"

#: The domains where rounding once left dominated points on the frontier, with the size of
#: their true frontier (distinct utility vectors).
NAMED = {
    "other/Jobs": 21,
    "other/AMPOvsCity": 192,
    "anac/y2011/Energy": 204,
    "anac/y2011/Car": None,
    "anac/y2012/BarbecueA": None,
    "anac/y2012/BarbecueB": None,
    "anac/y2012/BarbecueC": None,
    "anac/y2012/CarA": None,
    "anac/y2012/SupermarketA": None,
    "anac/y2012/SupermarketB": None,
    "anac/y2012/SupermarketC": None,
}


def exact_profile_tables(path: Path) -> dict[str, dict[str, Fraction]]:
    """``{issue: {value: w_i / sum(w) * eval / max eval}}`` of a discrete GENIUS profile."""
    objective = ET.parse(path).getroot().find("objective")
    assert objective is not None
    names = {i.get("index"): str(i.get("name")).strip() for i in objective.findall("issue")}
    weights = {
        names[w.get("index")]: Fraction(w.get("value", "0")) for w in objective.iter("weight")
    }
    total = sum(weights.values())
    tables: dict[str, dict[str, Fraction]] = {}
    for issue in objective.findall("issue"):
        name = str(issue.get("name")).strip()
        evaluations: dict[str, Fraction] = {}
        for item in issue.findall("item"):
            evaluations[str(item.get("value")).strip()] = Fraction(item.get("evaluation", "0"))
        best = max(evaluations.values())
        tables[name] = {v: weights[name] / total * e / best for v, e in evaluations.items()}
    return tables


def exact_utilities(
    space: OutcomeSpace, tables: list[dict[str, dict[str, Fraction]]]
) -> tuple[np.ndarray, list[int]]:
    """Exact utilities ``(size, n_parties)``: integers over one denominator per party (returned).

    The integers are ``int64`` when every sum fits, Python integers (object arrays) if not.
    """
    options = space.unravel(np.arange(space.size))
    columns, scales = [], []
    for table in tables:
        entries = [
            [table[issue.name][str(v)] for v in issue.values] for issue in space.scenario.issues
        ]
        scale = math.lcm(*(f.denominator for row in entries for f in row))
        ints = [[int(f * scale) for f in row] for row in entries]
        fits = sum(max(row) for row in ints) < 2**62
        column = np.zeros(space.size, dtype=np.int64 if fits else object)
        for i, row in enumerate(ints):
            column += np.array(row, dtype=column.dtype)[options[:, i]]
        columns.append(column)
        scales.append(scale)
    return np.stack(columns, axis=1), scales


def exact_frontier_2d(u: np.ndarray) -> dict[tuple[int, ...], int]:
    """Exact non-dominated vectors of two parties, each with its lowest deal index.

    Sorted by the first party's utility, then the second's (both decreasing), then the index,
    a deal is on the frontier when it beats the second party's best so far: sort and sweep.
    """
    index = np.arange(len(u))
    if u.dtype == object:
        order = np.array(sorted(index.tolist(), key=lambda k: (-u[k, 0], -u[k, 1], k)))
    else:
        order = np.lexsort((index, -u[:, 1], -u[:, 0]))
    second = u[order, 1]
    keep = np.ones(len(u), dtype=bool)
    keep[1:] = second[1:] > np.maximum.accumulate(second)[:-1]
    return {(int(u[k, 0]), int(u[k, 1])): int(k) for k in order[keep]}


def _load(folder: str) -> Scenario:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_genius(CORPUS / folder)


@pytest.mark.parametrize(
    "folder",
    [pytest.param(f, marks=pytest.mark.slow) if f == "other/AMPOvsCity" else f for f in NAMED],
)
def test_named_genius_domains_have_the_exact_frontier(folder: str) -> None:
    scenario = _load(folder)
    space = OutcomeSpace.from_scenario(scenario)
    assert space.n_parties == 2
    tables = [exact_profile_tables(CORPUS / folder / f"{p}.xml") for p in space.party_names]
    u, scales = exact_utilities(space, tables)
    expected = exact_frontier_2d(u)
    frontier = pareto_frontier(space)
    if NAMED[folder] is not None:
        assert len(expected) == NAMED[folder]
    assert len(frontier) == len(expected)
    got = {(int(u[k, 0]), int(u[k, 1])): int(k) for k in frontier.outcomes}
    assert got == expected  # the same vectors, each with its lowest-index deal
    # and the frontier's numbers are those vectors in floating point
    exact = [
        [float(Fraction(int(x), s)) for x, s in zip(u[k], scales, strict=True)]
        for k in frontier.outcomes
    ]
    np.testing.assert_allclose(frontier.utilities, np.array(exact), rtol=0, atol=1e-12)


# -- random scenarios written in decimals, full of near ties ------------------------------------

DECIMALS = st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.65, 0.7, 0.9, 1.0])


@st.composite
def decimal_scenarios(draw: st.DrawFn) -> Scenario:
    """Small scenarios whose values and weights are short decimals: ties on paper abound."""
    n_issues = draw(st.integers(2, 4))
    n_options = [draw(st.integers(2, 4)) for _ in range(n_issues)]
    issues = [
        {"name": f"i{i}", "options": [f"o{k}" for k in range(n)]} for i, n in enumerate(n_options)
    ]
    parties = []
    for p in range(draw(st.integers(2, 4))):
        prefs: dict[str, Any] = {}
        for i, n in enumerate(n_options):
            values = [draw(DECIMALS) for _ in range(n)]
            values[draw(st.integers(0, n - 1))] = 1.0  # best option scores 1 (no rescaling)
            weight = draw(st.sampled_from([0.1, 0.2, 0.3, 0.15, 0.25]))
            prefs[f"i{i}"] = {
                "weight": weight,
                "values": {f"o{k}": v for k, v in enumerate(values)},
            }
        parties.append({"name": f"p{p}", "reservation_value": 0, "preferences": {"issues": prefs}})
    return Scenario.model_validate({"name": "decimals", "issues": issues, "parties": parties})


def exact_rational_utilities(scenario: Scenario, space: OutcomeSpace) -> list[tuple[Fraction, ...]]:
    """Every deal's utilities in exact arithmetic on the decimals as written."""
    options = space.unravel(np.arange(space.size))
    rows = []
    for row in options.tolist():
        vector = []
        for party in scenario.parties:
            issues = party.preferences.issues  # type: ignore[union-attr]
            total = sum(Fraction(str(issues[i.name].weight)) for i in scenario.issues)
            u = Fraction(0)
            for issue, k in zip(scenario.issues, row, strict=True):
                valuation = issues[issue.name]
                values = {o: Fraction(str(v)) for o, v in (valuation.values or {}).items()}
                u += (
                    Fraction(str(valuation.weight)) / total * values[f"o{k}"] / max(values.values())
                )
            vector.append(u)
        rows.append(tuple(vector))
    return rows


@given(decimal_scenarios())
@settings(max_examples=100, deadline=None)
def test_frontier_of_decimal_scenarios_is_the_exact_one(scenario: Scenario) -> None:
    note(scenario.model_dump_json())
    space = OutcomeSpace.from_scenario(scenario)
    exact = exact_rational_utilities(scenario, space)
    expected: dict[tuple[Fraction, ...], int] = {}
    for k, v in enumerate(exact):
        dominated = any(all(a >= b for a, b in zip(w, v, strict=True)) and w != v for w in exact)
        if not dominated and v not in expected:
            expected[v] = k  # deals in index order: the first is the lowest index
    frontier = pareto_frontier(space)
    assert {exact[int(k)]: int(k) for k in frontier.outcomes} == expected
    assert len(frontier) == len(expected)
    enumerated = pareto_frontier(space, method="enumerate")
    assert enumerated.outcomes.tolist() == frontier.outcomes.tolist()


def test_the_ghost_of_the_issue_report_is_dominated() -> None:
    # (0.49, 0.9) and (0.53, 0.9) as rounding wrote them: the first is dominated
    u = np.array(
        [[0.5300000000000002, 0.8999999999999995], [0.4899999999999993, 0.9000000000000004]]
    )
    assert skyline(u, np.array([1, 0])).tolist() == [0]
    assert skyline(u, np.array([1, 0]), tolerance=0).tolist() == [0, 1]  # exact: a ghost
    # rows a tolerance apart in every column are one point: the lowest rank stays, even when
    # rounding puts it (exactly) below the other
    tied = np.array([[0.5, 0.5], [0.5 + ACCEPT_TOLERANCE / 2, 0.5 + ACCEPT_TOLERANCE / 2]])
    assert skyline(tied, np.array([2, 3])).tolist() == [0]
    # rows further apart than the tolerance are left alone
    apart = np.array([[0.5, 0.5], [0.5 + 3 * ACCEPT_TOLERANCE, 0.5 - 3 * ACCEPT_TOLERANCE]])
    assert sorted(skyline(apart, np.array([3, 2])).tolist()) == [0, 1]


@given(
    st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=50),
    st.sampled_from([0.0, 1e-9, 0.05]),
)
def test_tie_classes_keep_order_and_join_close_values(values: list[float], tol: float) -> None:
    x = np.array(values)
    classes = tie_classes(x, tol)
    order = np.argsort(x, kind="stable")
    assert (np.diff(classes[order]) >= 0).all()  # the order of the values is kept
    gaps = np.diff(x[order])
    assert ((np.diff(classes[order]) == 0) == (gaps <= tol)).all()  # one class: within tol
