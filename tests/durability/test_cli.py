"""The ``detente durability`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.durability import default_parameters

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_help() -> None:
    code, out = run("durability", "--help")
    assert code == 0
    assert "--mechanisms" in out


def test_a_guarantor_reads_the_answer() -> None:
    code, out = run(
        "durability", "ceasefire-2025", "--deal", "nash", "--paths", "2000", "--compare"
    )
    assert code == 0, out
    for needle in (
        "P(ceasefire holding)",
        "Causes of the",
        "What each mechanism adds",
        "Largest single gain",
        "Russia",
        "still to come (over 180 days)",
    ):
        assert needle in out


def test_json_has_the_documented_fields() -> None:
    code, out = run(
        "durability",
        "ceasefire-2025",
        "--deal",
        "utilitarian",
        "--mechanisms",
        "dmz,peacekeepers",
        "--paths",
        "500",
        "--days",
        "60",
        "--seed",
        "7",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert len(data["survival"]) == 60
    assert all(0.0 <= s <= 1.0 for s in data["survival"])
    assert data["median_days"] is None or isinstance(data["median_days"], int)
    assert set(data["causes"]) == {"defection: Russia", "defection: Ukraine", "escalation spiral"}
    assert data["mechanisms"][-2:] == ["dmz", "peacekeepers"]
    assert data["seed"] == 7
    again = json.loads(
        run(
            "durability",
            "ceasefire-2025",
            "--deal",
            "utilitarian",
            "--mechanisms",
            "dmz,peacekeepers",
            "--paths",
            "500",
            "--days",
            "60",
            "--seed",
            "7",
            "--json",
        )[1]
    )
    assert again == data


def test_compare_in_json_and_an_explicit_deal(tmp_path: Path) -> None:
    deal = {
        "ceasefire_scope": "full_30",
        "sanctions_relief": "none",
        "alignment": "moratorium",
        "oversight": "none",
        "breach_mechanism": "none",
        "security_guarantees": "assurances",
        "arms_supplies": "defensive_only",
        "territorial_line": "deferred",
        "humanitarian": "prisoner_exchange",
    }
    code, out = run(
        "durability",
        "ceasefire-2025",
        "--deal",
        json.dumps(deal),
        "--paths",
        "300",
        "--days",
        "30",
        "--compare",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["mechanisms"] == []
    assert data["comparison"][0]["label"] == "as agreed"
    assert len(data["comparison"]) == 9


def test_html_report_is_self_contained(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, out = run(
        "durability",
        "ceasefire-2025",
        "--paths",
        "300",
        "--days",
        "90",
        "--compare",
        "--html",
        str(target),
    )
    assert code == 0, out
    text = target.read_text()
    assert "Plotly" in text
    assert "<script src=" not in text  # plotly.js is inlined, nothing fetched
    assert "What each mechanism adds" in text
    assert "escalation spiral" in text


def test_params_file_and_list(tmp_path: Path) -> None:
    file = tmp_path / "params.yaml"
    # every retaliation is a collapse: a file that is read must lower survival
    harsh = (
        default_parameters()
        .replace(escalation_threshold=1)
        .replace_parties(incident_rate=0.05, trust_prior=0.0)
    )
    file.write_text(json.dumps(harsh.model_dump(mode="json")))
    # the calibration's own baseline (the scenario states an ongoing war)
    args = ("durability", "ceasefire-2025", "--context", "civil", "--paths", "2000")
    args = (*args, "--days", "90", "--json")
    code, out = run(*args, "--params", str(file))
    assert code == 0, out
    code, default = run(*args)
    assert code == 0, default
    with_file, without = json.loads(out), json.loads(default)
    assert with_file["survival"][-1] < without["survival"][-1] - 0.2
    assert with_file["causes"]["escalation spiral"] > 0.5
    code, out = run("durability", "ceasefire-2025", "--list-mechanisms")
    assert code == 0
    for name in ("monitoring", "commission", "hotline", "dmz", "guarantees", "snapback"):
        assert name in out
    assert "peacekeepers" in out
    assert "Fortna" in out  # sources are listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deal", "sunshine"], "unknown deal"),
        (["--mechanisms", "drones"], "unknown mechanism"),
        (["--paths", "0"], "paths"),
        (["--executor", "cloud"], "unknown executor"),
        (["--params", "nowhere.yaml"], "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, out = run("durability", "ceasefire-2025", *args)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


def test_html_to_a_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    code, out = run("durability", "ceasefire-2025", "--html", str(tmp_path))
    assert code == 2
    assert "is a directory" in out


def test_progress_bar_and_a_collapsing_deal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import detente.cli.durability as command  # noqa: PLC0415

    monkeypatch.setattr(command, "_LONG_RUN", 0)
    doomed = tmp_path / "doomed.yaml"
    doomed.write_text(
        json.dumps(default_parameters().replace_parties(drift=0.01).model_dump(mode="json"))
    )
    code, out = run(
        "durability", "ceasefire-2025", "--params", str(doomed), "--paths", "300", "--days", "40"
    )
    assert code == 0, out
    assert "Median time to collapse: day" in out
    code, out = run(
        "durability", "ceasefire-2025", "--paths", "100", "--days", "3", "--workers", "2"
    )
    assert code == 0, out
    assert "beyond day 3" in out


def test_own_mechanism_presets(tmp_path: Path) -> None:
    presets = tmp_path / "mine.yaml"
    presets.write_text(
        "mechanisms:\n"
        "  - name: drones\n    label: Drone surveillance\n    what: w\n    why: y\n    source: s\n"
        "    effects:\n      - {field: detection, op: at_least, value: 0.95}\n"
        "  - name: amnesty\n    label: Amnesty\n    what: w\n    why: y\n    source: s\n"
        "    effects:\n      - {field: trust_prior, op: at_least, value: 0.8}\n"
    )
    code, out = run(
        "durability", "ceasefire-2025", "--mechanisms-file", str(presets), "--list-mechanisms"
    )
    assert code == 0
    assert "drones" in out
    assert "peacekeepers" not in out
    own = ("durability", "ceasefire-2025", "--mechanisms-file", str(presets))
    # the built-in scenario's options provide built-in presets, which this file lacks
    code, out = run(*own, "--paths", "30", "--days", "5")
    assert code == 2
    assert "provides unknown mechanism 'snapback'" in out
    assert "ceasefire-2025: issues.sanctions_relief.options.phased.provides" in out
    args = (*own, "--no-deal-terms", "--mechanisms", "drones", "--paths", "300", "--days", "30")
    code, out = run(*args, "--compare", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["mechanisms"] == ["drones"]
    assert [row["mechanisms"] for row in data["comparison"][1:]] == [["amnesty"]]
    assert data["swaps"] == []  # the deal's terms are left out: nothing to swap
    code, out = run(*args, "--compare")
    assert code == 0, out
    assert "What each mechanism adds" in out
    assert "Swapping one option" not in out
    code, out = run(*own, "--no-deal-terms", "--mechanisms", "dmz")
    assert code == 2
    assert "unknown mechanism 'dmz'" in out
    old = tmp_path / "old.yaml"
    old.write_text(
        presets.read_text().replace("    effects:", "    deal_options: [hotline]\n    effects:", 1)
    )
    code, out = run(*own[:2], "--mechanisms-file", str(old), "--list-mechanisms")
    assert code == 2
    assert "never inferred from option names" in out


def test_policy_option_changes_the_answer() -> None:
    args = ("durability", "ceasefire-2025", "--paths", "3000", "--days", "365", "--json")
    code, out = run(*args)
    assert code == 0, out
    code, tft = run(*args, "--policy", "tft")
    assert code == 0, tft
    code, wsls = run(*args, "--policy", "WSLS")
    assert code == 0, wsls
    final = {k: json.loads(v)["survival"][-1] for k, v in (("gtft", out), ("tft", tft))}
    final["wsls"] = json.loads(wsls)["survival"][-1]
    assert final["tft"] < final["gtft"]
    assert final["tft"] < final["wsls"]
    code, bad = run("durability", "ceasefire-2025", "--policy", "pavlov")
    assert code == 2
    assert "unknown policy 'pavlov'" in bad
    assert "wsls" in bad


def test_output_states_the_baseline_scope() -> None:
    base = ("durability", "ceasefire-2025", "--paths", "300", "--days", "30")
    code, out = run(*base)
    assert code == 0, out
    # the scenario states an ongoing war between states: the nearest class, said so
    assert "Reference class: ceasefires agreed during civil conflicts" in out
    assert "nearest class" in out
    assert "95% model + simulation" in out
    code, out = run(*base, "--context", "interstate")
    assert code == 0, out
    assert "Reference class: cease-fires after interstate wars" in out
    assert "Context: interstate" in out
    assert "95% simulation error" in out
    code, out = run(*base, "--context", "civil")
    assert code == 0, out
    assert "Reference class: cease-fires after civil wars" in out


def test_memory_does_not_grow_with_the_horizon() -> None:
    # streaming over days: only a few numbers per day are kept (the deterministic rows and
    # the histogram), never a path's history; 20,000 paths x 3,285 more days of float32
    # history would be 250 MiB
    import tracemalloc  # noqa: PLC0415 - only this test needs it

    from detente.durability import simulate  # noqa: PLC0415

    params = default_parameters()
    simulate(params, paths=100, days=10, rng=1)  # warm caches outside the measurement
    peaks = []
    for days in (365, 3650):
        tracemalloc.start()
        try:
            simulate(params, paths=20_000, days=days, rng=1)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] - peaks[0] < 512 * 1024
    assert peaks[1] < 16 * 2**20


def test_a_partial_deal_takes_the_rest_from_nash_and_says_so() -> None:
    deal = '{"territorial_line": "withdrawal"}'
    base = ("durability", "ceasefire-2025", "--deal", deal, "--paths", "500", "--days", "30")
    code, out = run(*base, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["deal"]["territorial_line"] == "withdrawal"
    assert data["deal"]["oversight"] == "international_mission"  # the Nash deal's
    assert "territorial_line" not in data["filled_from_nash"]
    assert len(data["filled_from_nash"]) == 8
    code, out = run(*base)
    assert code == 0, out
    assert "Issues not given in --deal are the Nash deal's" in out


def test_a_deal_outside_the_zopa_is_flagged() -> None:
    # Russia's utility 0.511 against its alternative 0.6
    deal = '{"territorial_line": "withdrawal"}'
    base = ("durability", "ceasefire-2025", "--deal", deal, "--paths", "500", "--days", "30")
    code, out = run(*base)
    assert code == 0, out
    assert "Russia prefers its alternative at signature" in out
    assert "the deal collapses at once (100.0% of paths on day 1)" in out
    assert "Ukraine prefers" not in out
    code, out = run(*base, "--json")
    warnings = json.loads(out)["warnings"]
    assert len(warnings) == 1
    assert warnings[0].startswith("Russia prefers its alternative")
    code, out = run("durability", "ceasefire-2025", "--paths", "300", "--days", "30", "--json")
    assert json.loads(out)["warnings"] == []


def test_workers_must_be_positive() -> None:
    code, out = run("durability", "ceasefire-2025", "--workers", "0", "--paths", "10")
    assert code == 2
    assert out.startswith("error: --workers: must be at least 1, got 0")


def test_comparison_says_where_each_effect_size_comes_from() -> None:
    args = ("durability", "ceasefire-2025", "--paths", "500", "--days", "60", "--compare")
    code, out = run(*args, "--json")
    assert code == 0, out
    rows = json.loads(out)["comparison"]
    basis = {tuple(r["mechanisms"]): r["effect_size"] for r in rows}
    # the during-war class: a hotline's effect is the record's (implementation mechanism);
    # peacekeepers keep the published size, the record's fit (outside enforcement) beside it
    assert basis[("hotline",)].startswith("fitted (ETH/PRIO CF, period-specific): HR 0.69")
    assert basis[("peacekeepers",)].startswith("calibrated to published figures")
    assert basis[("peacekeepers",)].endswith("1.34 (0.64-2.80) after 90 d (state enforcement)")
    assert basis[("dmz",)] == "direction published, size judgement"
    code, out = run(*args, "--context", "civil", "--json")
    assert code == 0, out
    civil = {tuple(r["mechanisms"]): r["effect_size"] for r in json.loads(out)["comparison"]}
    assert civil[("peacekeepers",)].startswith("calibrated to published figures")
    every = next(r for r in rows if r["label"] == "+ every other mechanism")
    assert every["effect_size"].startswith("combination")
    assert rows[0]["effect_size"] == ""  # the deal as agreed
    code, out = run(*args)
    assert "effect size" in out
    assert "model + simulation" in out


def test_errors_of_a_long_run_are_one_line() -> None:
    # a run long enough for a progress bar is refused before the bar opens
    code, out = run("durability", "ceasefire-2025", "--paths", "200000000")
    assert code == 2
    assert out.startswith("error: paths: paths must be in 1..100,000,000")
    assert out.count("\n") == 1
