"""The HTML report renders every part of a run, and only those it has."""

from __future__ import annotations

import pytest

from detente.durability import run
from detente.report.durability import durability_report
from detente.scenario import load_scenario
from detente.space import OutcomeSpace


@pytest.fixture(scope="module")
def space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))


def test_minimal_report_has_the_survival_plot_causes_and_the_deal(space: OutcomeSpace) -> None:
    text = durability_report(run(space, "nash", paths=300, days=60, seed=1))
    assert "Durability of the nash deal: Russia-Ukraine" in text
    assert 'id="survival"' in text
    assert "Why ceasefires collapse" in text
    assert "What each mechanism adds" not in text
    assert "The deal" in text
    assert "Reference class: ceasefires agreed during civil conflicts" in text
    assert "model plus simulation uncertainty" in text
    assert "At one year" not in text  # a 60-day horizon has no one-year figure


def test_full_report_has_values_comparison_and_one_year(space: OutcomeSpace) -> None:
    answer = run(space, {"oversight": "none"}, compare=True, paths=300, days=365, seed=1)
    text = durability_report(answer)
    for needle in (
        "Durability of the chosen deal",
        "surplus",
        "What each mechanism adds",
        "Demilitarised zone",
        "At one year",
        "Nash deal&#x27;s",
    ):
        assert needle in text


def test_report_shows_contexts_phased_terms_and_power_shifts(space: OutcomeSpace) -> None:
    answer = run(
        space,
        "nash",
        contexts=["interstate", "truce"],
        power_shifts={"Russia": (0.15, 180)},
        paths=200,
        days=30,
        seed=1,
    )
    text = durability_report(answer)
    for needle in (
        "Context: interstate, truce",
        "still to come (over 180 days)",
        "Known power shifts",
        "simulation uncertainty (95% Wilson band",
        "Reference class: cease-fires after interstate wars",
    ):
        assert needle in text
    plain = durability_report(run(space, "nash", deal_terms=False, paths=200, days=30, seed=1))
    assert "Known power shifts" not in plain
    assert "Context: ongoing" in plain  # the scenario's own context
