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
