"""``detente analyze``: terminal report, JSON contract, HTML report, bad input."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente import OutcomeSpace, load_scenario, save_scenario
from detente.analysis import analyze, bargaining_solutions, pareto_frontier, zopa
from detente.assess import assess
from detente.cli import app
from detente.cli.analyze import render
from detente.errors import ScenarioError
from detente.report.analysis import analysis_html
from tests.strategies import additive_scenario

runner = CliRunner()
CONTRACT_KEYS = {"parties", "outcome_count", "reservation", "zopa", "pareto", "solutions"}


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_the_options() -> None:
    code, out, _ = run("analyze", "--help")
    assert code == 0
    for option in ("--json", "--html", "--deal", "--party", "--seed"):
        assert option in out


def test_the_terminal_report_reads_as_advice() -> None:
    code, out, _ = run("analyze", "ceasefire-2025", "--samples", "100")
    assert code == 0
    flat = " ".join(out.split())
    assert "62,208 possible deals" in flat
    assert "Acceptable to every party (ZOPA): 1,136 deals" in flat
    assert "142 distinct efficient deals" in flat
    # 0.665 is stored as 0.66499...: shown rounded as 0.67, consistent with its gain
    assert "│ Nash │ 0.67 (+0.07) │ 0.65 (+0.10) │ 0.93 (+0.58) │ 0.78 (+0.33) │" in flat
    assert "0.66 (+0.06)" not in flat
    assert "Sweeteners for the Nash deal" in flat
    assert "Every party accepts this deal; Russia gains least from it: 0.67 against 0.60" in flat
    assert (
        "- Offer Russia political assurances from the US and Europe instead of a European "
        "reassurance force behind the line: Russia gains 0.06 (now 0.13 above its alternative); "
        "European states give up 0.13, Ukraine 0.10. Every party still accepts."
    ) in flat
    assert "gained per unit" not in flat
    assert "For Ukraine this deal is worth 0.65 against 0.55 for its alternative" in flat
    assert "For the United States this deal is worth" in flat
    assert "For European states this deal is worth 0.78 against 0.45 for their alternative" in flat
    assert "Talking points" in flat
    assert "Log-rolling" in flat
    assert "stays acceptable to every party in" in flat
    assert re.search(r"the most robust of \d+ frontier deals holds in \d+%: the Nash deal", flat)


def test_a_narrow_terminal_wraps_instead_of_cropping() -> None:
    result = CliRunner().invoke(
        app, ["analyze", "ceasefire-2025", "--no-sensitivity"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0
    assert "…" not in result.stdout
    assert max(map(len, result.stdout.splitlines())) <= 80
    assert "Kalai-" in result.stdout
    assert "Smorodinsky" in result.stdout


def test_json_follows_the_contract() -> None:
    code, out, _ = run("analyze", "ceasefire-2025", "--json", "--no-sensitivity")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) >= CONTRACT_KEYS
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    frontier = pareto_frontier(space)
    assert doc["parties"] == list(space.party_names)
    assert doc["outcome_count"] == space.size
    assert doc["reservation"] == dict(
        zip(space.party_names, space.reservation.tolist(), strict=True)
    )
    assert doc["zopa"]["count"] == zopa(space).count
    assert doc["zopa"]["exact"] is True
    assert len(doc["pareto"]) == len(frontier)
    for row, u, o in zip(doc["pareto"], frontier.utilities, frontier.outcomes, strict=True):
        assert list(row["utilities"].values()) == u.tolist()
        assert space.index_of(row["deal"]) == o
    solutions = bargaining_solutions(space, frontier)
    assert set(doc["solutions"]) == set(solutions)
    for name, solution in solutions.items():
        assert doc["solutions"][name]["deal"] == solution.deal
        assert doc["solutions"][name]["utilities"] == solution.utilities
    assert isinstance(doc["opposition"], float)
    assert doc["sensitivity"] is None


def test_json_of_an_empty_zopa_has_null_solutions(tmp_path: Path) -> None:
    scenario = additive_scenario([[[0.0, 0.5, 1.0]], [[1.0, 0.5, 0.0]]], reservations=[0.8, 0.8])
    path = tmp_path / "tight.yaml"
    save_scenario(scenario, path)
    code, out, _ = run("analyze", str(path), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["zopa"] == {
        "count": 0,
        "exact": True,
        "interval": [0.0, 0.0],
        "samples": 0,
        "feasible_count": 3,
    }
    assert doc["solutions"] == dict.fromkeys(
        ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian")
    )
    assert doc["concessions"]["joint"] == pytest.approx(0.3)
    code, out, _ = run("analyze", str(path))
    assert code == 0
    flat = " ".join(out.split())
    assert "No deal is acceptable to every party" in flat
    assert "p0 would have to accept 0.800 less than its alternative" in flat
    assert "0.300 each would do" in flat


def test_red_lines_that_rule_out_every_deal(tmp_path: Path) -> None:
    scenario = additive_scenario([[[1.0, 0.0]], [[0.0, 1.0]]], red_lines={0: {0: [1]}, 1: {0: [0]}})
    path = tmp_path / "blocked.yaml"
    save_scenario(scenario, path)
    code, out, _ = run("analyze", str(path))
    assert code == 0
    flat = " ".join(out.split())
    assert "No deal respects every party's red lines" in flat
    assert "no concession by p0 alone opens a zone of agreement" in flat


def test_a_given_deal_and_party(tmp_path: Path) -> None:
    deal = "ceasefire_scope=full_30,sanctions_relief=none,alignment=moratorium,oversight=hotline,"
    deal += "breach_mechanism=none,security_guarantees=assurances,arms_supplies=defensive_only,"
    deal += "territorial_line=deferred,humanitarian=prisoner_exchange"
    code, out, _ = run(
        "analyze", "ceasefire-2025", "--deal", deal, "--party", "Russia", "--no-sensitivity"
    )
    assert code == 0
    flat = " ".join(out.split())
    assert "Sweeteners for the given deal" in flat
    assert "Russia rejects this deal: 0.49 against 0.60 for its alternative." in flat
    assert "Ways to bring it to a yes, the safest first (then by survival at one year):" in flat
    assert (
        "Cheapest way to a yes: Offer Russia phased relief tied to compliance, with snap-back, "
        "instead of no sanctions relief, and agree that the line is frozen de facto, without "
        "recognition, rather than that the line's status is deferred to later talks: Russia "
        "gains 0.17 (now above its alternative); Ukraine gives up 0.05, European states 0.02."
    ) in flat
    assert "(still 0.08 short of its alternative); it costs nobody anything." in flat


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deal", "alignment"], "expected issue=option"),
        (["--deal", "alignment=maybe"], "unknown option 'maybe'"),
        (
            ["--deal", "alignment=moratorium,weather=fine"],
            "unknown issue 'weather'; the issues are",
        ),
        (["--party", "Atlantis"], "unknown party 'Atlantis'"),
        (["--x", "Atlantis"], "unknown party 'Atlantis'"),
        (["--x", "Russia", "--y", "Russia"], "--x and --y both name 'Russia'"),
        (["--html", "/no/such/folder/report.html"], "'/no/such/folder' of the HTML report"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, out, err = run("analyze", "ceasefire-2025", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in out + err


def test_a_bad_html_folder_fails_before_the_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError

    monkeypatch.setattr("detente.cli.analyze.analyze", never)
    monkeypatch.setattr("detente.cli.analyze.load_scenario", never)
    code, _, err = run("analyze", "ceasefire-2025", "--html", "/no/such/folder/r.html")
    assert code == 2
    assert "--html: the folder '/no/such/folder' of the HTML report does not exist" in err


def test_one_party_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "alone.yaml"
    save_scenario(additive_scenario([[[0.0, 1.0]]], name="alone"), path)
    code, out, err = run("analyze", str(path))
    assert code == 2
    assert "needs at least two parties; 'alone' has 1 (p0)" in err
    assert "Traceback" not in out + err
    with pytest.raises(ScenarioError, match="at least two parties"):
        analyze(OutcomeSpace.from_scenario(load_scenario(path)))


def test_one_frontier_deal_is_singular(tmp_path: Path) -> None:
    path = tmp_path / "harmony.yaml"
    save_scenario(additive_scenario([[[0.0, 1.0]], [[0.0, 1.0]]]), path)
    code, out, _ = run("analyze", str(path), "--no-sensitivity")
    assert code == 0
    assert "Pareto frontier: 1 distinct efficient deal;" in " ".join(out.split())


def test_a_partial_deal_keeps_the_nash_options() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    result = analyze(space, deal={"alignment": "moratorium"}, with_sensitivity=False)
    nash = result.solutions["nash"].deal
    assert nash is not None
    assert result.reference == "given"
    assert result.sweeteners is not None
    assert result.sweeteners.deal == {**nash, "alignment": "moratorium"}


def test_unknown_scenario_is_exit_2() -> None:
    code, _, err = run("analyze", "no-such-scenario")
    assert code == 2
    assert "error" in err


def test_html_report_is_self_contained(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, out, _ = run(
        "analyze", "ceasefire-2025", "--html", str(target), "--x", "Ukraine", "--y", "Russia"
    )
    assert code == 0
    assert f"wrote {target}" in " ".join(out.split())
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text)  # all inline
    assert "utility of Ukraine" in text
    assert "Kalai-Smorodinsky" in text
    assert "Talking points" in text
    assert not list(tmp_path.glob("*.part"))
    code, out, _ = run("analyze", "ceasefire-2025", "--json", "--html", str(target))
    assert code == 0
    assert json.loads(out)["parties"]


def test_html_of_an_empty_zopa_and_an_estimate() -> None:
    rng = np.random.default_rng(0)
    values = rng.random((4, 4))
    scenario = additive_scenario([values.tolist(), (1 - values).tolist()], reservations=[0.8, 0.8])
    space = OutcomeSpace.from_scenario(scenario)
    result = analyze(space, exact_limit=10, zopa_samples=1000, plot_samples=50, rng=1)
    assert result.zopa.exact  # the empty frontier ZOPA settles it
    text = analysis_html(result)
    assert "No deal is acceptable to every party." in text
    assert "50 sampled deals" in text
    open_space = OutcomeSpace.from_scenario(
        additive_scenario(rng.random((2, 4, 4)).tolist(), reservations=[0.3, 0.3])
    )
    estimated = analyze(open_space, exact_limit=10, zopa_samples=1000, rng=1)
    assert not estimated.zopa.exact
    assert "an estimate from 1,000 draws" in analysis_html(estimated)
    assert estimated.sample_utilities.shape == (256, 2)  # every deal: the space is small


def test_analyze_is_reproducible() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    one = analyze(space, sensitivity_samples=100, rng=5)
    two = analyze(space, sensitivity_samples=100, rng=np.random.default_rng(5))
    three = analyze(space, sensitivity_samples=100, rng=5)
    assert one.sensitivity == three.sensitivity
    assert one.solutions == two.solutions
    assert one.reference == "nash"


def test_a_deal_is_described_against_the_nash_deal() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    result = analyze(space, with_sensitivity=False)
    nash = result.solutions["nash"].deal
    assert nash is not None
    assert result.describe(nash) == "the Nash deal itself"
    assert result.describe({**nash, "humanitarian": "prisoner_exchange"}) == (
        "the Nash deal, except Humanitarian measures: an exchange of prisoners of war"
    )
    tight = additive_scenario([[[0.0, 1.0]], [[1.0, 0.0]]], reservations=[0.8, 0.8])
    empty = analyze(OutcomeSpace.from_scenario(tight), with_sensitivity=False)
    assert empty.describe({"i0": "o1"}) == "i0: o1"


def _leaves(doc: object, path: tuple[str | int, ...] = ()) -> list[tuple[tuple, object]]:
    """(path, value) of every leaf of a JSON document, skipping the example's "..." parts."""
    if isinstance(doc, dict):
        return [
            leaf
            for k, v in doc.items()
            if k != "..." and v != "..."
            for leaf in _leaves(v, (*path, k))
        ]
    if isinstance(doc, list):
        return [leaf for k, v in enumerate(doc) for leaf in _leaves(v, (*path, k))]
    return [(path, doc)]


def test_the_json_reference_example_matches_a_real_run() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "reference" / "analyze-json.md"
    example = json.loads(page.read_text(encoding="utf-8").split("```json")[1].split("```")[0])
    code, out, _ = run("analyze", "ceasefire-2025", "--json", "--no-sensitivity")
    assert code == 0
    real = json.loads(out)
    leaves = _leaves(example)
    assert len(leaves) >= 15
    for path, value in leaves:
        got: object = real
        for key in path:
            got = got[key]  # type: ignore[index]
        if isinstance(value, float):
            assert got == pytest.approx(value, abs=5e-4), path
        else:
            assert got == value, path


def test_sweeteners_that_lose_another_party_are_listed_apart(tmp_path: Path) -> None:
    scenario = additive_scenario(
        [[[1.0, 0.8], [1.0, 0.96]], [[0.0, 1.0], [0.0, 1.0]]],
        weights=[[1.0, 1.0], [10.0, 1.0]],
        reservations=[0.95, 0.3],
    )
    path = tmp_path / "two.yaml"
    save_scenario(scenario, path)
    code, out, _ = run("analyze", str(path), "--deal", "i0=o0,i1=o0", "--party", "p1")
    assert code == 0
    flat = " ".join(out.split())
    keeps = flat.index("- Offer p1 o1 instead of o0 on i1")
    apart = flat.index("These would lose another party:")
    loses = flat.index("- Offer p1 o1 instead of o0 on i0")
    assert keeps < apart < loses
    assert "p0 would then say no." in flat


def test_a_party_no_change_can_bring_to_yes(tmp_path: Path) -> None:
    scenario = additive_scenario(
        [[[0.0, 0.5, 1.0]], [[1.0, 0.5, 0.0]]], reservations=[0.9, 0.0], red_lines={1: {0: [2]}}
    )
    path = tmp_path / "stuck.yaml"
    save_scenario(scenario, path)
    code, out, _ = run("analyze", str(path), "--deal", "i0=o1", "--party", "p0")
    assert code == 0
    flat = " ".join(out.split())
    assert "p0 rejects this deal: 0.50 against 0.90 for its alternative." in flat
    assert "none: every change of one or two issues costs it utility." in flat
    assert "No change of one or two issues brings p0 to a yes." in flat


def test_the_terminal_report_without_a_robust_deal(capsys: pytest.CaptureFixture[str]) -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    result = analyze(space, sensitivity_samples=50, rng=0)
    assert result.sensitivity is not None
    robust = dataclasses.replace(result.sensitivity, robust_deal=None)
    without = dataclasses.replace(result, sensitivity=robust)
    render(without, assess(without, paths=20))
    out = " ".join(capsys.readouterr().out.split())
    assert "stays acceptable to every party in" in out
    assert "most robust" not in out


def test_the_terminal_report_labels_an_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = additive_scenario(np.random.default_rng(0).random((2, 4, 4)).tolist())
    result = analyze(OutcomeSpace.from_scenario(scenario), exact_limit=10, zopa_samples=1000, rng=1)
    render(result, assess(result, paths=20))
    out = " ".join(capsys.readouterr().out.split())
    assert "95% interval" in out
    assert "(estimate from 1,000 draws)" in out
