"""OutcomeSpace: numbering and utilities against the plain-Python reference."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente import OutcomeSpace, load_scenario
from detente.errors import ScenarioError
from detente.scenario.model import Scenario
from tests import reference
from tests.strategies import EVERY_KIND, scenarios


@given(scenarios(**EVERY_KIND))
@settings(max_examples=80, deadline=None)
def test_utilities_match_the_reference(scenario: Scenario) -> None:
    """Discrete, integer (stepped) and real issues; linear and piecewise-linear functions."""
    space = OutcomeSpace.from_scenario(scenario)
    got = space.utilities(np.arange(space.size))
    for k, deal in enumerate(reference.deals(scenario)):
        assert space.deal(k) == deal
        assert space.index_of(deal) == k
        for p, name in enumerate(space.party_names):
            assert got[k, p] == pytest.approx(reference.utility(scenario, name, deal), abs=1e-12)


@given(scenarios(**EVERY_KIND))
@settings(max_examples=40, deadline=None)
def test_zopa_mask_matches_the_reference(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    mask = space.in_zopa_options(space.unravel(np.arange(space.size)))
    expected = np.array(
        [
            all(reference.acceptable(scenario, p, deal) for p in space.party_names)
            for deal in reference.deals(scenario)
        ]
    )
    # a deal exactly at a reservation value may round either way: compare away from ties
    tie = np.isclose(space.utilities(np.arange(space.size)), space.reservation, atol=1e-12).any(1)
    assert (mask == expected)[~tie].all()


@given(st.lists(st.integers(1, 12), min_size=1, max_size=8), st.data())
def test_ravel_unravel_round_trip(cards: list[int], data: st.DataObject) -> None:
    issues = [
        {"name": f"i{k}", "options": [f"o{j}" for j in range(n)]} for k, n in enumerate(cards)
    ]
    prefs = {i["name"]: {"weight": 1, "values": dict.fromkeys(i["options"], 1)} for i in issues}
    scenario = Scenario.model_validate(
        {
            "name": "s",
            "issues": issues,
            "parties": [{"name": "a", "reservation_value": 0.0, "preferences": {"issues": prefs}}],
        }
    )
    space = OutcomeSpace.from_scenario(scenario)
    idx = np.array(data.draw(st.lists(st.integers(0, space.size - 1), min_size=1, max_size=20)))
    assert (space.ravel(space.unravel(idx)) == idx).all()
    assert (space.unravel(idx) == np.array(np.unravel_index(idx, cards)).T).all()


def test_a_space_of_1e15_outcomes_is_representable() -> None:
    issues = [{"name": f"i{k}", "options": [f"o{j}" for j in range(10)]} for k in range(15)]
    prefs = {
        i["name"]: {"weight": 1, "values": {o: j for j, o in enumerate(i["options"])}}
        for i in issues
    }
    scenario = Scenario.model_validate(
        {
            "name": "big",
            "issues": issues,
            "parties": [{"name": "a", "reservation_value": 0.0, "preferences": {"issues": prefs}}],
        }
    )
    space = OutcomeSpace.from_scenario(scenario)
    assert space.size == 10**15
    last = space.size - 1
    assert space.utilities([0, last]).ravel().tolist() == pytest.approx([0.0, 1.0])
    assert space.deal(last) == {f"i{k}": "o9" for k in range(15)}


def test_spaces_beyond_int64_refuse_indices_but_take_option_matrices() -> None:
    issues = [{"name": f"i{k}", "options": [f"o{j}" for j in range(10)]} for k in range(20)]
    prefs = {i["name"]: {"weight": 1, "values": dict.fromkeys(i["options"], 1)} for i in issues}
    scenario = Scenario.model_validate(
        {
            "name": "huge",
            "issues": issues,
            "parties": [{"name": "a", "reservation_value": 0.0, "preferences": {"issues": prefs}}],
        }
    )
    space = OutcomeSpace.from_scenario(scenario)
    assert space.size == 10**20
    assert not space.indexable
    with pytest.raises(ScenarioError, match="too many"):
        space.unravel(0)
    rng = np.random.default_rng(0)
    assert space.utilities_of_options(space.sample(5, rng)).shape == (5, 1)


def test_chunks_cover_the_space_once() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    seen = np.concatenate(list(space.chunks(10_000)))
    assert (seen == np.arange(space.size)).all()


def test_unknown_deal_names_are_clear_errors() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    deal = space.deal(0)
    with pytest.raises(ScenarioError, match="unknown option 'maybe'"):
        space.index_of({**deal, "alignment": "maybe"})
    with pytest.raises(ScenarioError, match="unknown issue"):
        space.index_of({**deal, "weather": "sunny"})
    with pytest.raises(ScenarioError, match="no option given"):
        space.index_of({k: v for k, v in deal.items() if k != "alignment"})
    with pytest.raises(ScenarioError, match="unknown party"):
        space.party_index("Atlantis")


def test_out_of_range_indices_and_options_are_refused() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    assert space.n_parties == 4
    assert space.all_additive
    with pytest.raises(IndexError, match="out of range"):
        space.unravel([space.size])
    with pytest.raises(IndexError, match="out of range"):
        space.unravel([-1])
    bad = np.zeros((1, len(space.cardinalities)), dtype=np.int64)
    bad[0, 0] = space.cardinalities[0]
    with pytest.raises(IndexError, match="option position out of range"):
        space.ravel(bad)


def test_rules_on_discrete_issues_count_the_listed_options() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "r",
            "issues": [{"name": "a", "options": ["x", "y", "z"]}],
            "parties": [
                {
                    "name": "p",
                    "reservation_value": 0.0,
                    "preferences": {
                        "kind": "rules",
                        "constraints": [{"utility": 2, "bounds": {"a": ["y", "z"]}}],
                    },
                }
            ],
        }
    )
    space = OutcomeSpace.from_scenario(scenario)
    assert not space.all_additive
    assert space.utilities(np.arange(3)).ravel().tolist() == [0.0, 1.0, 1.0]


def test_a_subnormal_normalizer_clips_without_overflow_warnings() -> None:
    tiny = 2.2250738585e-313
    scenario = Scenario.model_validate(
        {
            "name": "r",
            "issues": [{"name": "a", "options": ["x", "y", "z"]}],
            "parties": [
                {
                    "name": "p",
                    "reservation_value": 0.0,
                    "preferences": {
                        "kind": "rules",
                        "constraints": [
                            {"utility": tiny, "bounds": {"a": ["y", "z"]}},
                            {"utility": -1, "bounds": {"a": ["z"]}},
                        ],
                    },
                }
            ],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = OutcomeSpace.from_scenario(scenario).utilities(np.arange(3)).ravel().tolist()
    assert got == [0.0, 1.0, 0.0]
