"""The space comes first everywhere; the old order warns; objects print as summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente import space as space_module
from detente.errors import ScenarioError
from detente.negotiation import negotiate, replay, session_metrics
from detente.report.negotiation import session_report
from detente.scenario import load_scenario
from detente.space import OutcomeSpace
from tests import reference
from tests.negotiation.conftest import pie, table_scenario


@pytest.fixture(scope="module")
def space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(pie(20, reservation=(0.1, 0.2)))


def test_the_old_order_still_works_with_a_deprecation_warning(space: OutcomeSpace) -> None:
    trace = negotiate(space, ["boulware", "conceder"], rounds=20, seed=2)
    metrics = session_metrics(space, trace)
    with pytest.warns(DeprecationWarning, match=r"session_metrics\(space, trace\)"):
        assert session_metrics(trace, space) == metrics  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match=r"replay\(space, trace\)"):
        assert replay(trace, space).same_play(trace)  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match=r"session_report\(space, trace\)"):
        assert session_report(trace, space) == session_report(space, trace)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes an OutcomeSpace and a Trace, not Trace and Trace"):
        session_metrics(trace, trace)  # type: ignore[arg-type]


def test_metrics_give_advantage_and_time(space: OutcomeSpace) -> None:
    trace = negotiate(space, ["boulware", "conceder"], rounds=20, seed=2)
    metrics = session_metrics(space, trace)
    assert metrics.agreement
    assert metrics.advantages == {
        "A": pytest.approx(metrics.utilities["A"] - 0.1),
        "B": pytest.approx(metrics.utilities["B"] - 0.2),
    }
    accepted_round = trace.offer_rounds[-1]
    assert metrics.agreement_time == pytest.approx(accepted_round / 19)
    none = negotiate(space, ["hardliner", "hardliner"], rounds=5)
    assert math.isnan(session_metrics(space, none).agreement_time)
    assert session_metrics(space, none).advantages == {"A": 0.0, "B": 0.0}


def test_reprs_summarise() -> None:
    scenario = load_scenario("ceasefire-2025")
    space = OutcomeSpace.from_scenario(scenario)
    text = repr(space)
    assert len(text) < 200
    assert text == (
        f"<OutcomeSpace 'ceasefire-2025': {space.n_parties} parties "
        f"({', '.join(space.party_names)}), {space.n_issues} issues, {space.size:,} deals>"
    )
    trace = negotiate(space, ["conceder"] * space.n_parties, rounds=30, seed=1)
    text = repr(trace)
    assert len(text) < 400
    assert text.startswith("<Trace 'ceasefire-2025' alternating (")
    assert f"{trace.result} after {trace.rounds} rounds, {len(trace)} offers" in text


def test_utilities_of_every_deal() -> None:
    scenario = table_scenario()
    space = OutcomeSpace.from_scenario(scenario)
    every = space.utilities()
    assert every.shape == (space.size, space.n_parties)
    np.testing.assert_array_equal(every, space.utilities(np.arange(space.size)))
    for index, deal in enumerate(reference.deals(scenario)):
        if index % 17 == 0:
            expected = [reference.utility(scenario, p, deal) for p in scenario.party_names]
            np.testing.assert_allclose(every[index], expected, atol=1e-12)


def test_utilities_of_every_deal_refuses_a_space_too_big(monkeypatch: pytest.MonkeyPatch) -> None:
    space = OutcomeSpace.from_scenario(table_scenario())
    monkeypatch.setattr(space_module, "IN_MEMORY_LIMIT", space.size - 1)
    with pytest.raises(ScenarioError, match=r"more than 124 held in memory at once"):
        space.utilities()
