"""The simulation tables against the outcome space's own evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from detente.errors import UnsupportedError
from detente.negotiation import negotiate
from detente.negotiation._arena import SIMULATION_LIMIT, _ascending, arena_of
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace
from tests.negotiation.conftest import table_scenario
from tests.strategies import scenarios


@settings(max_examples=30, deadline=None)
@given(scenario=scenarios(max_parties=3, max_issues=4, max_options=5))
def test_tables_match_the_space(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    arena = arena_of(space)
    every = np.arange(space.size)
    np.testing.assert_allclose(arena.utilities, space.utilities(every), atol=1e-12)
    ok = space.acceptable_options(space.unravel(every))
    for p, view in enumerate(arena.views):
        np.testing.assert_array_equal(view.allowed, ok[:, p])
        assert (np.diff(view.sorted_utility) >= 0).all()
        assert set(view.order.tolist()) == set(np.flatnonzero(ok[:, p]).tolist())
    np.testing.assert_array_equal(arena.options(), space.unravel(every))


def test_rule_based_parties() -> None:
    data = table_scenario().model_dump(mode="json")
    data["parties"][1]["preferences"] = {
        "kind": "rules",
        "constraints": [
            {"utility": 2.0, "bounds": {"i1": ["o1", "o2"]}},
            {"utility": 1.0, "bounds": {"i2": ["o0"], "i0": ["o3"]}},
        ],
    }
    space = OutcomeSpace.from_scenario(Scenario.model_validate(data))
    arena = arena_of(space)
    every = np.arange(space.size)
    np.testing.assert_allclose(arena.utilities, space.utilities(every), atol=1e-12)
    trace = negotiate(space, ["conceder", "frequency"], rounds=20)
    assert trace.rounds <= 20


def test_too_large_spaces_are_refused() -> None:
    data = {
        "name": "huge",
        "issues": [{"name": f"i{i}", "options": [f"o{k}" for k in range(20)]} for i in range(6)],
        "parties": [
            {
                "name": "A",
                "reservation_value": 0.0,
                "preferences": {
                    "issues": {
                        f"i{i}": {"weight": 1, "values": {f"o{k}": k for k in range(20)}}
                        for i in range(6)
                    }
                },
            }
        ],
    }
    space = OutcomeSpace.from_scenario(Scenario.model_validate(data))
    assert space.size > SIMULATION_LIMIT
    with pytest.raises(UnsupportedError, match="limited to"):
        arena_of(space)


def _check_ascending(values: np.ndarray) -> None:
    order, ranked = _ascending(values)
    np.testing.assert_array_equal(order, np.argsort(values, kind="stable"))
    np.testing.assert_array_equal(ranked, values[order])


def test_ascending_order_breaks_ties_by_position() -> None:
    values = np.array([0.5, 0.1, 0.5, 0.3, 0.1, 0.9])
    np.testing.assert_array_equal(_ascending(values)[0], [1, 4, 3, 0, 2, 5])
    _check_ascending(values)
    _check_ascending(np.random.default_rng(0).random(1000))


def test_ascending_order_of_near_ties_signs_and_zeros() -> None:
    """Values differing only in their last bits, negative values and signed zeros."""
    rng = np.random.default_rng(1)
    base = rng.random(500)
    near = np.concatenate([base, np.nextafter(base, 2.0), np.nextafter(base, -1.0), base])
    _check_ascending(rng.permutation(near))
    _check_ascending(np.array([0.3, 0.1 + 0.2, 0.3, 0.1 + 0.2, -0.0, 0.0, -0.0]))
    mixed = np.concatenate([-base, base, [0.0, -0.0], np.round(base, 1), -np.round(base, 1)])
    _check_ascending(rng.permutation(mixed))
    _check_ascending(rng.normal(size=3000) * 1e-310)  # subnormal values
    _check_ascending(np.array([2.5]))
    _check_ascending(np.array([], dtype=float))


@settings(max_examples=60, deadline=None)
@given(
    values=arrays(
        np.float64,
        st.integers(0, 300),
        elements=st.floats(allow_nan=False, allow_infinity=False, width=64),
    )
)
def test_ascending_order_is_the_stable_argsort(values: np.ndarray) -> None:
    _check_ascending(values)


@settings(max_examples=40, deadline=None)
@given(
    values=arrays(
        np.float64,
        st.integers(0, 300),
        elements=st.sampled_from([0.1, 0.2, 0.3, 0.1 + 0.2, -0.5, 0.0, -0.0]),
    )
)
def test_ascending_order_with_many_ties(values: np.ndarray) -> None:
    _check_ascending(values)
