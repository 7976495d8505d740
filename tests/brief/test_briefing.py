"""The briefing ties the lenses together: its figures are the ones each lens's own command shows."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from detente import OutcomeSpace, load_scenario
from detente.brief import FRAGILE_MARGIN, Briefing, briefing_json, build_briefing
from detente.cli import app
from detente.errors import DetenteError
from detente.scenario.model import Scenario
from tests.strategies import additive_scenario, scenario_dicts

runner = CliRunner()
SEED = 3
PATHS = 2000


def _durability_json(
    scenario: str, deal: dict[str, str], *, seed: int, paths: int, context: str = ""
) -> dict:
    """``detente durability SCENARIO --deal ... --json`` as the user runs it."""
    args = ["--deal", json.dumps(deal), "--seed", str(seed), "--paths", str(paths), "--json"]
    if context:
        args += ["--context", context]
    result = runner.invoke(app, ["durability", scenario, *args])
    assert result.exit_code == 0, result.output
    out: dict = json.loads(result.stdout)
    return out


@pytest.fixture(scope="module")
def ceasefire() -> Briefing:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    return build_briefing(space, seed=SEED, paths=PATHS)


def _analyze_json(*args: str) -> dict:
    result = runner.invoke(
        app,
        [
            "analyze",
            "ceasefire-2025",
            "--json",
            "--seed",
            str(SEED),
            "--survival-paths",
            str(PATHS),
            *args,
        ],
    )
    assert result.exit_code == 0, result.output
    out: dict = json.loads(result.stdout)
    return out


def test_the_deal_is_the_analysis_recommended_deal(ceasefire: Briefing) -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    recommended = _analyze_json()["recommended"]
    assert ceasefire.deal == recommended["deal"]
    assert ceasefire.survival is not None
    assert ceasefire.survival.survival_1y == recommended["survival_1y"]
    assert {s.party: s.margin for s in ceasefire.stakes} == pytest.approx(recommended["margins"])
    source: str = recommended["from"]
    party = source.removeprefix("sweetener for ")
    words = f"sweetened for {party}" if party != source else source.replace("_", "-")
    assert words.lower() in ceasefire.basis.lower()
    assert [t.issue for t in ceasefire.terms] == list(space.issue_names)
    assert ceasefire.terms[0].option_label == "full ceasefire, extendable by mutual consent"


def test_the_sweeteners_are_analyze_s_for_the_recommended_deal(ceasefire: Briefing) -> None:
    assert ceasefire.deal is not None
    deal = ",".join(f"{k}={v}" for k, v in ceasefire.deal.items())
    advice = _analyze_json("--deal", deal, "--no-sensitivity")["sweeteners"]
    expected = [
        (s["party"], {c["issue"]: c["after"] for c in s["changes"]}, s["survival_1y"], s["fragile"])
        for rows in advice["by_party"].values()
        for s in rows
    ]
    got = [(s.beneficiary, s.change, s.survival_1y, s.fragile) for s in ceasefire.sweeteners]
    assert got == expected
    assert len(got) >= 3


def test_utilities_and_margins_are_the_space_s(ceasefire: Briefing) -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    assert ceasefire.deal is not None
    row = space.utilities_of_options(space.options_of(ceasefire.deal)[None, :])[0]
    for k, stake in enumerate(ceasefire.stakes):
        assert stake.party == space.party_names[k]
        assert stake.utility == pytest.approx(row[k], abs=1e-12)
        assert stake.margin == pytest.approx(row[k] - space.reservation[k], abs=1e-12)
        assert stake.fragile == (stake.margin < FRAGILE_MARGIN - 1e-9)
    assert {s.party: s.role for s in ceasefire.stakes}["Ukraine"] == "belligerent"


def test_survival_is_what_durability_reports_for_the_same_deal_and_seed(
    ceasefire: Briefing,
) -> None:
    assert ceasefire.deal is not None
    assert ceasefire.survival is not None
    cli = _durability_json("ceasefire-2025", ceasefire.deal, seed=SEED, paths=PATHS)
    assert ceasefire.survival.survival_1y == cli["survival_1y"] == cli["survival"][364]
    assert ceasefire.survival.error_1y == cli["survival_1y_se"]
    assert list(ceasefire.survival.result.survival) == cli["survival"]
    assert ceasefire.survival.mechanisms == tuple(cli["mechanisms"])
    assert ceasefire.survival.reference == cli["reference"]
    assert "Fortna" in ceasefire.survival.reference


def test_each_sweetener_s_survival_is_durability_s_on_the_sweetened_deal(
    ceasefire: Briefing,
) -> None:
    assert ceasefire.deal is not None
    assert ceasefire.survival is not None
    assert ceasefire.sweeteners
    for s in ceasefire.sweeteners[:2]:
        deal = {**ceasefire.deal, **s.change}
        cli = _durability_json("ceasefire-2025", deal, seed=SEED, paths=PATHS)
        assert s.survival_1y == cli["survival"][364]
        assert s.survival_change == pytest.approx(s.survival_1y - ceasefire.survival.survival_1y)


def test_a_sweetener_is_fragile_when_it_leaves_a_party_within_the_margin(
    ceasefire: Briefing,
) -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    for s in ceasefire.sweeteners:
        pairs = zip(space.party_names, space.reservation, strict=True)
        closest = min(s.utilities[p] - r for p, r in pairs)
        assert s.fragile == (closest < FRAGILE_MARGIN - 1e-9)
    assert any(s.fragile for s in ceasefire.sweeteners)
    assert any(not s.fragile for s in ceasefire.sweeteners)


def test_swaps_are_durability_s_compare_swaps(ceasefire: Briefing) -> None:
    assert ceasefire.deal is not None
    assert ceasefire.survival is not None
    result = runner.invoke(
        app,
        [
            "durability",
            "ceasefire-2025",
            "--deal",
            json.dumps(ceasefire.deal),
            "--compare",
            "--seed",
            str(SEED),
            "--paths",
            str(PATHS),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    expected = {
        (w["issue"], w["option"]): (
            w["replaces"],
            tuple(w["mechanisms"]),
            w["holding"],
            w["accepted"],
        )
        for w in json.loads(result.stdout)["swaps"]
    }
    got = {
        (s.after.issue, s.after.option): (
            s.before.option,
            s.mechanisms,
            s.survival_1y,
            s.acceptable_to_all,
        )
        for s in ceasefire.swaps
    }
    assert got == expected
    changes = [s.survival_change for s in ceasefire.swaps]
    assert changes == sorted(changes, reverse=True)
    base = set(ceasefire.survival.mechanisms)
    for swap in ceasefire.swaps:
        assert swap.before.issue == swap.after.issue
        assert set(swap.added) == set(swap.mechanisms) - base
        assert set(swap.removed) == base - set(swap.mechanisms)
        assert swap.survival_change == pytest.approx(
            swap.survival_1y - ceasefire.survival.survival_1y
        )
    assert ceasefire.deal["oversight"] == "hotline"
    mission = next(
        s
        for s in ceasefire.swaps
        if (s.after.issue, s.after.option) == ("oversight", "international_mission")
    )
    assert "monitoring" in mission.added
    assert "hotline" in mission.removed
    assert any(not s.acceptable_to_all for s in ceasefire.swaps)


def test_the_rehearsal_is_detente_negotiate_with_every_party_seated(ceasefire: Briefing) -> None:
    r = ceasefire.rehearsal
    assert list(r.strategies) == list(ceasefire.parties)
    result = runner.invoke(
        app,
        [
            "negotiate",
            "ceasefire-2025",
            "--deadline",
            str(r.deadline),
            "--seed",
            str(SEED),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    session = json.loads(result.stdout)
    assert session["agreement"] == r.agreement
    assert session["rounds"] == r.rounds
    assert session["strategies"] == r.strategies
    assert session["utilities"] == r.utilities
    assert r.result == "agreement"
    assert r.agreement is not None
    assert [t.option for t in r.terms] == list(r.agreement.values())


def test_the_forecast_is_detente_forecast_s_deal_with_its_survival(ceasefire: Briefing) -> None:
    f = ceasefire.forecast
    assert f is not None
    result = runner.invoke(app, ["forecast", "ceasefire-2025", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert f.model == doc["model"]
    assert f.deal == doc["deal"]
    assert f.utilities == pytest.approx(doc["utilities"])
    assert f.acceptable_to_all == doc["in_zopa"]
    assert f.note.startswith(f"The {f.model} model: ")
    assert set(f.disagreements) <= set(doc["dimensions"])
    assert f.disagreements
    assert ceasefire.deal is not None
    assert f.deal != ceasefire.deal
    cli = _durability_json("ceasefire-2025", f.deal, seed=SEED, paths=PATHS)
    assert f.survival_1y == cli["survival_1y"]


RULES = {
    "name": "rules",
    "issues": [{"name": "i0", "options": ["a", "b"]}, {"name": "i1", "options": ["c", "d"]}],
    "parties": [
        {
            "name": "p0",
            "reservation_value": 0.1,
            "preferences": {
                "kind": "rules",
                "constraints": [{"utility": 1.0, "bounds": {"i0": ["a"]}}],
            },
        },
        {
            "name": "p1",
            "reservation_value": 0.1,
            "preferences": {
                "issues": {
                    "i0": {"weight": 1, "values": {"a": 0.5, "b": 1}},
                    "i1": {"weight": 1, "values": {"c": 1, "d": 0}},
                }
            },
        },
    ],
}


def test_a_scenario_the_forecast_cannot_read_is_briefed_without_one() -> None:
    space = OutcomeSpace.from_scenario(Scenario.model_validate(RULES))
    briefing = build_briefing(space, paths=200, rounds=20)
    assert briefing.deal is not None
    assert briefing.forecast is None
    assert briefing_json(briefing)["forecast"] is None
    assert any(
        a.startswith("No stakeholder forecast of this scenario: ") for a in briefing.assumptions
    )
    assert any("rule-based" in a for a in briefing.assumptions)


def test_assumptions_name_the_seed_paths_and_calibration(ceasefire: Briefing) -> None:
    text = " ".join(ceasefire.assumptions)
    assert f"{PATHS:,} simulated paths (seed {SEED})" in text
    assert "Fortna" in text
    assert "every party seated" in text
    assert "Russia 0.60" in text
    assert "The smp model: " in text


def test_the_json_has_exactly_the_documented_shape(ceasefire: Briefing) -> None:
    doc = json.loads(json.dumps(briefing_json(ceasefire)))
    assert set(doc) == {
        "deal",
        "chosen",
        "utilities",
        "margins",
        "survival_1y",
        "reference",
        "sweeteners",
        "forecast",
        "rehearsal",
    }
    assert set(doc["utilities"]) == set(doc["margins"]) == set(ceasefire.parties)
    for s in doc["sweeteners"]:
        assert set(s) == {"change", "beneficiary", "utilities", "survival_1y", "fragile"}
        assert isinstance(s["fragile"], bool)
    assert set(doc["rehearsal"]) == {"agreement", "rounds", "strategies"}
    assert set(doc["forecast"]) == {"model", "deal"}


def test_the_same_seed_gives_the_same_briefing() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    one = briefing_json(build_briefing(space, seed=5, paths=300, rounds=50))
    two = briefing_json(build_briefing(space, seed=5, paths=300, rounds=50))
    assert one == two


def test_without_a_zopa_there_is_no_deal_but_a_rehearsal_and_the_gaps() -> None:
    scenario = additive_scenario(
        [[[1.0, 0.0]], [[0.0, 1.0]]], reservations=[0.8, 0.8], name="apart"
    )
    briefing = build_briefing(OutcomeSpace.from_scenario(scenario), paths=200, rounds=20)
    assert briefing.deal is None
    assert briefing.survival is None
    assert briefing.sweeteners == briefing.swaps == ()
    assert briefing.concessions == {"p0": pytest.approx(0.8), "p1": pytest.approx(0.8)}
    assert briefing.rehearsal.agreement is None
    doc = briefing_json(briefing)
    assert doc["deal"] is None
    assert doc["survival_1y"] is None
    assert doc["utilities"] == doc["margins"] == {}


def test_a_bad_seed_is_refused() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    with pytest.raises(DetenteError, match="seed"):
        build_briefing(space, seed=-1)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_dicts(numeric=False, max_issues=3, max_options=4))
def test_on_random_scenarios_survival_is_durability_s(raw: dict) -> None:
    space = OutcomeSpace.from_scenario(Scenario.model_validate(raw))
    briefing = build_briefing(space, seed=1, paths=200, rounds=20)
    if briefing.deal is None:
        assert briefing.survival is None
        return
    assert briefing.survival is not None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.yaml"
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        cli = _durability_json(str(path), briefing.deal, seed=1, paths=200)
    assert briefing.survival.survival_1y == cli["survival"][364]
