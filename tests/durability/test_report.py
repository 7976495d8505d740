"""The HTML report renders every part it is given, and only those."""

from __future__ import annotations

from detente.durability import compare, default_parameters, simulate
from detente.report.durability import durability_report


def test_minimal_report_has_the_survival_plot_and_causes() -> None:
    result = simulate(default_parameters(), paths=300, days=60, rng=1)
    text = durability_report(result, title="Reference <deal>")
    assert "Reference &lt;deal&gt;" in text
    assert 'id="survival"' in text
    assert "Why ceasefires collapse" in text
    assert "What each mechanism adds" not in text
    assert "The deal" not in text


def test_full_report_has_deal_values_and_comparison() -> None:
    params = default_parameters()
    comparison = compare(params, [["dmz"]], paths=300, days=60, rng=1)
    text = durability_report(
        comparison.baseline.result,
        title="t",
        deal={"oversight": "none"},
        values={"A": (0.7, 0.6)},
        comparison=comparison,
    )
    for needle in ("The deal", "surplus", "What each mechanism adds", "Demilitarised zone"):
        assert needle in text


def test_report_shows_contexts_phased_terms_power_shifts_and_notes() -> None:
    result = simulate(default_parameters(), paths=200, days=30, rng=1)
    text = durability_report(
        result,
        title="t",
        values={"A": (0.7, 0.6), "B": (0.7, 0.6)},
        contexts=("interstate", "truce"),
        phased={"A": (0.05, 180), "B": (-0.05, 180)},
        power_shifts={"A": (0.15, 180)},
        notes=["Issues not given in --deal are the Nash deal's: x."],
    )
    for needle in (
        "Context: interstate, truce",
        "still to come (over 180 days)",
        "Known power shifts",
        "Nash deal&#x27;s: x.",
        "simulation-error band",
        "Monte Carlo error only",
    ):
        assert needle in text
    plain = durability_report(result, title="t", values={"A": (0.7, 0.6)})
    assert "still to come" not in plain
    assert "Known power shifts" not in plain
    assert "Context: none" in plain
