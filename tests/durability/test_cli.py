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
    file.write_text(
        json.dumps(default_parameters().replace(escalation_threshold=2).model_dump(mode="json"))
    )
    code, out = run(
        "durability",
        "ceasefire-2025",
        "--params",
        str(file),
        "--paths",
        "200",
        "--days",
        "30",
        "--json",
    )
    assert code == 0, out
    code, out = run("durability", "ceasefire-2025", "--list-mechanisms")
    assert code == 0
    assert "Peacekeepers" not in out or "peacekeepers" in out


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
        "    deal_options: [international_mission]\n"
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
    code, out = run(
        "durability",
        "ceasefire-2025",
        "--mechanisms-file",
        str(presets),
        "--paths",
        "300",
        "--days",
        "30",
        "--compare",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["mechanisms"] == ["drones"]  # switched on by the deal's monitoring mission
    assert [row["mechanisms"] for row in data["comparison"][1:]] == [["amnesty"]]
    code, out = run(
        "durability", "ceasefire-2025", "--mechanisms-file", str(presets), "--mechanisms", "dmz"
    )
    assert code == 2
    assert "unknown mechanism 'dmz'" in out


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
    assert "Calibrated to civil-war cease-fires" in out
    assert "--context interstate" in out
    code, out = run(*base, "--context", "interstate")
    assert code == 0, out
    assert "moved to a war between states" in out
    assert "Context: interstate" in out
