"""The analysis report: names and labels as the terminal shows them, marks, hovers, labels."""

from __future__ import annotations

import dataclasses
import json

import pytest

from detente import OutcomeSpace, load_scenario
from detente.analysis import Analysis, analyze
from detente.report.analysis import analysis_html, utility_plane
from tests.strategies import additive_scenario

GIVEN = {
    "ceasefire_scope": "full_30",
    "sanctions_relief": "none",
    "alignment": "moratorium",
    "oversight": "hotline",
    "breach_mechanism": "none",
    "security_guarantees": "assurances",
    "arms_supplies": "defensive_only",
    "territorial_line": "deferred",
    "humanitarian": "prisoner_exchange",
}


@pytest.fixture(scope="module")
def ceasefire() -> Analysis:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    return analyze(space, deal=GIVEN, sensitivity_samples=200, rng=0)


def test_sweeteners_table_names_the_parties_and_uses_labels(ceasefire: Analysis) -> None:
    text = analysis_html(ceasefire)
    assert "Sweeteners for the given deal" in text
    assert "someone rejects" not in text
    assert "security_guarantees:" not in text  # labels, not ids
    assert "Security guarantees for Ukraine: political assurances from the US and Europe →" in (
        text
    )
    assert "✓ lifts to yes" in text
    assert "still no</td>" in text
    assert "<td>nobody</td>" in text
    assert "Russia rejects this deal: 0.49 against 0.60 for its alternative." in text
    assert "Cheapest way to a yes: Offer Russia" in text


def test_logrolling_and_the_most_robust_deal_read_as_labels(ceasefire: Analysis) -> None:
    text = analysis_html(ceasefire)
    assert "<td>Sanctions relief for Russia, Status of the territorial line</td>" in text
    robust = ceasefire.sensitivity
    assert robust is not None
    assert robust.robust_deal is not None
    assert f"frontier deals: {ceasefire.describe(robust.robust_deal)}</td>" in text


def test_hovers_show_the_deal_and_solution_labels_do_not_overlap(ceasefire: Analysis) -> None:
    figure = json.loads(utility_plane(ceasefire, "Ukraine", "Russia").to_json())  # type: ignore[attr-defined]
    frontier = next(t for t in figure["data"] if t["name"].startswith("Pareto frontier"))
    first = ceasefire.frontier
    assert len(frontier["text"]) == len(first)
    options = [str(v) for v in ceasefire.space.deal(first.options[0]).values()]
    assert frontier["text"][0].startswith("Russia ")
    assert all(option in frontier["text"][0] for option in options)
    assert frontier["hovertemplate"] == "%{text}<extra></extra>"
    cloud = [t for t in figure["data"] if "sampled" in t["name"] or "every deal" in t["name"]]
    assert sum(len(t["text"]) for t in cloud) == len(ceasefire.sample_utilities)
    labels = figure["layout"]["annotations"]
    solutions = [a for a in labels if a.get("showarrow")]
    offsets = {(a["ax"], a["ay"]) for a in solutions}
    assert len(offsets) == len(solutions)  # one place each
    points = {(a["x"], a["y"]) for a in solutions}
    assert len(points) == len(solutions)  # solutions at one point share one label


def test_coinciding_solutions_share_one_label() -> None:
    scenario = additive_scenario([[[0.0, 0.5, 1.0]], [[1.0, 0.5, 0.0]]])
    result = analyze(OutcomeSpace.from_scenario(scenario), with_sensitivity=False)
    figure = json.loads(utility_plane(result).to_json())  # type: ignore[attr-defined]
    texts = [a["text"] for a in figure["layout"]["annotations"] if a.get("showarrow")]
    assert texts == ["Nash = Kalai-Smorodinsky = Egalitarian", "Utilitarian"]


def test_the_then_column_names_who_would_say_no() -> None:
    # for p1, the better change per unit (i0) loses p0; the other (i1) leaves p1 short
    scenario = additive_scenario(
        [[[1.0, 0.8], [1.0, 0.96]], [[0.0, 1.0], [0.0, 1.0]]],
        weights=[[1.0, 1.0], [10.0, 1.0]],
        reservations=[0.95, 0.3],
    )
    space = OutcomeSpace.from_scenario(scenario)
    result = analyze(space, deal={"i0": "o0", "i1": "o0"}, parties=["p1"], with_sensitivity=False)
    text = analysis_html(result)
    assert "<td>i1: o0 → o1</td><td>0.09</td><td>p0 0.02</td><td>4.55</td>" in text
    assert "<td>still no</td><td>p1 still rejects</td>" in text
    assert "<td>✓ lifts to yes</td><td>p0 would say no</td>" in text


def test_a_report_without_advice_or_a_robust_deal(ceasefire: Analysis) -> None:
    robust = ceasefire.sensitivity
    assert robust is not None
    bare = dataclasses.replace(
        ceasefire,
        sweeteners=None,
        talking_points=(),
        sensitivity=dataclasses.replace(robust, robust_deal=None),
    )
    text = analysis_html(bare)
    assert "Sweeteners" not in text
    assert "Talking points" not in text
    assert "most robust" not in text
    assert "Sensitivity" in text


def test_a_report_where_red_lines_rule_out_every_deal() -> None:
    scenario = additive_scenario([[[1.0, 0.0]], [[0.0, 1.0]]], red_lines={0: {0: [1]}, 1: {0: [0]}})
    result = analyze(OutcomeSpace.from_scenario(scenario), with_sensitivity=False)
    text = analysis_html(result)
    assert "No deal is acceptable to every party." in text
    assert "every party, equally" not in text
