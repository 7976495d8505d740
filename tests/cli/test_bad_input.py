"""Bad input through the CLI: exit 2, one line naming file and field (and line), no traceback."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import app
from detente.files import MAX_FILE_BYTES
from detente.scenario.formats.native import MAX_DEPTH, dump_native
from detente.scenario.io import load_scenario

runner = CliRunner()
DATA = Path(__file__).parents[1] / "data"

GOOD = """\
name: talks
issues:
  - name: scope
    options: [trial, extended]
  - name: monitors
    options: [none, joint]
parties:
  - name: east
    reservation_value: 0.3
    preferences:
      issues:
        scope: {weight: 2, values: {trial: 1, extended: 0}}
        monitors: {weight: 1, values: {none: 0, joint: 1}}
  - name: west
    reservation_value: 0
    preferences:
      issues:
        scope: {weight: 1, values: {trial: 0, extended: 1}}
        monitors: {weight: 1, values: {none: 1, joint: 0}}
"""


def _fails(args: list[str], *needles: str) -> str:
    """Run the command; assert exit 2 and one error line holding every needle."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def _yaml(tmp_path: Path, old: str, new: str) -> Path:
    assert old in GOOD
    path = tmp_path / "talks.yaml"
    path.write_text(GOOD.replace(old, new))
    return path


def test_the_good_file_is_good(tmp_path: Path) -> None:
    path = tmp_path / "talks.yaml"
    path.write_text(GOOD)
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "options: [trial, extended]", "options: [trial, extended")
    _fails(["validate", str(path)], f"{path}:5", "malformed YAML")


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "talks.json"
    path.write_text('{\n  "name": "talks",\n  "issues": [,]\n}\n')
    _fails(["validate", str(path)], f"{path}:3", "malformed JSON")


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "talks"
    shutil.copytree(DATA / "genius" / "clean", folder)
    profile = folder / "talks-east.xml"
    profile.write_text(profile.read_text().replace("</issue>", "</isue>", 1))
    _fails(["validate", str(folder)], f"{profile}:", "malformed XML: mismatched tag")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("scope: {weight: 2", "scoop: {weight: 2", "parties[0] (east).preferences.issues:"),
        (
            "values: {trial: 1, extended: 0}",
            "values: {trial: 1, extnded: 0}",
            "parties[0] (east).preferences.issues.scope.values:",
        ),
    ],
)
def test_unknown_issue_or_option(tmp_path: Path, old: str, new: str, field: str) -> None:
    path = _yaml(tmp_path, old, new)
    _fails(["validate", str(path)], f"{path}:12: {field}", "unknown")


def test_negative_weight(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "scope: {weight: 2", "scope: {weight: -2")
    _fails(["validate", str(path)], f"{path}:12", "weight", "greater than or equal to 0")


def test_all_zero_weights(tmp_path: Path) -> None:
    text = GOOD.replace("scope: {weight: 2", "scope: {weight: 0").replace(
        "monitors: {weight: 1, values: {none: 0", "monitors: {weight: 0, values: {none: 0"
    )
    path = tmp_path / "talks.yaml"
    path.write_text(text)
    _fails(["validate", str(path)], str(path), "all weights are zero")


def test_duplicate_names(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "name: west", "name: east")
    _fails(["validate", str(path)], str(path), "duplicate party name 'east'")
    path = _yaml(tmp_path, "options: [none, joint]", "options: [none, none]")
    _fails(["validate", str(path)], str(path), "duplicate option name 'none'", "issues.1.options")


def test_reservation_outside_unit_interval(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "reservation_value: 0.3", "reservation_value: 1.3")
    _fails(["validate", str(path)], f"{path}:9", "parties.0.reservation_value")


def test_a_party_without_a_reservation_value_is_refused(tmp_path: Path) -> None:
    # it once became 0 silently, which widens the ZOPA (ceasefire-2025: 27 deals became 46)
    path = _yaml(tmp_path, "    reservation_value: 0\n", "")
    _fails(
        ["validate", str(path)],
        f"{path}:14: parties.1.reservation_value: party 'west' has no reservation_value",
        "write 'reservation_value: 0' if it has none",
    )
    # and a stated 0 survives a round trip (it is never dropped as a default)
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    out = tmp_path / "out.yaml"
    assert runner.invoke(app, ["convert", str(good), str(out)]).exit_code == 0
    assert yaml.safe_load(out.read_text())["parties"][1]["reservation_value"] == 0


def test_profile_not_matching_its_domain(tmp_path: Path) -> None:
    folder = tmp_path / "talks"
    shutil.copytree(DATA / "genius" / "clean", folder)
    profile = folder / "talks-west.xml"
    profile.write_text(profile.read_text().replace('name="monitors"', 'name="observers"'))
    line = _fails(["show", str(folder)], str(profile), "issue 'observers'", "does not match")
    assert line.count("observers") == 1  # the field is named once, not repeated in the message


def test_entity_expansion_bomb(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    entities = "".join(
        f'<!ENTITY lol{k} "{("&lol" + str(k - 1) + ";") * 10}">' for k in range(1, 10)
    )
    bomb.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>\n'
        "<negotiation_template>&lol9;</negotiation_template>\n"
    )
    _fails(["validate", str(bomb)], str(bomb), "unsafe XML refused")


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".xml"])
def test_a_100_mb_file_is_refused_before_reading(tmp_path: Path, suffix: str) -> None:
    big = tmp_path / f"big{suffix}"
    with big.open("wb") as handle:  # sparse: no 100 MB actually written
        handle.truncate(100 * 1024 * 1024)
    assert big.stat().st_size > MAX_FILE_BYTES
    _fails(["validate", str(big)], str(big), "100.0 MiB, over the 20 MiB limit")


def _fails_fast(tmp_path: Path, name: str, text: str, *needles: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    start = time.perf_counter()
    _fails(["validate", str(path)], str(path), *needles)
    assert time.perf_counter() - start < 10  # unbounded, a 378-byte alias bomb took 40 s


def _alias_bomb(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [7, 9, 12])
def test_yaml_alias_bomb(tmp_path: Path, levels: int) -> None:
    _fails_fast(tmp_path, "bomb.yaml", _alias_bomb(levels), "extra values", "alias bomb")


def test_yaml_alias_bomb_hidden_in_a_key(tmp_path: Path) -> None:
    _fails_fast(tmp_path, "bomb.yaml", _alias_bomb(9) + "? *l8\n: 1\n", "alias bomb")


def test_recursive_yaml_alias(tmp_path: Path) -> None:
    _fails_fast(tmp_path, "self.yaml", "a: &a [*a]\n", "self.yaml:1:", "recursive")


def test_deeply_nested_yaml_flow(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    _fails_fast(tmp_path, "deep.yaml", f"name: {deep}\n", "deep.yaml:1:", "nested too deeply")


def test_deeply_nested_yaml_block(tmp_path: Path) -> None:
    block = "".join(" " * k + "a:\n" for k in range(2 * MAX_DEPTH))
    _fails_fast(tmp_path, "block.yaml", block, f"block.yaml:{MAX_DEPTH}:", "nested too deeply")


def test_deeply_nested_json(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    _fails_fast(tmp_path, "deep.json", f'{{"name": {deep}}}', "deep.json", "nested too deeply")


def test_anchors_and_merge_keys_within_bounds_are_fine(tmp_path: Path) -> None:
    shared = GOOD.replace(
        "monitors: {weight: 1, values: {none: 0, joint: 1}}",
        "monitors: &favour-joint {weight: 1, values: {none: 0, joint: 1}}",
    ).replace(
        "scope: {weight: 1, values: {trial: 0, extended: 1}}",
        "scope: {<<: *favour-joint, values: {trial: 0, extended: 1}}",
    )
    path = tmp_path / "talks.yaml"
    path.write_text(shared)
    west = load_scenario(path).party("west").preferences
    assert west.issues["scope"].weight == 1  # type: ignore[union-attr]
    assert west.issues["scope"].values == {"trial": 0, "extended": 1}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("old", "new", "needles"),
    [
        (
            "values: {trial: 1, extended: 0}",
            "values: {trial: 1, extended: 0, extended: 1}",
            (":12:", "duplicate key 'extended' (first given on line 12)"),
        ),
        (
            "        monitors: {weight: 1, values: {none: 0, joint: 1}}\n",
            (
                "        monitors: {weight: 1, values: {none: 0, joint: 1}}\n"
                "        scope: {weight: 5, values: {trial: 0, extended: 1}}\n"
            ),
            (":14:", "duplicate key 'scope' (first given on line 12)"),
        ),
        ("name: talks", "name: talks\nname: other", (":2:", "duplicate key 'name'")),
        (
            "values: {trial: 1, extended: 0}",
            "values: {1: 1, '1': 0, trial: 1, extended: 0}",
            ("duplicate option name '1'",),
        ),
    ],
)
def test_duplicate_keys_in_yaml(tmp_path: Path, old: str, new: str, needles: tuple[str]) -> None:
    path = _yaml(tmp_path, old, new)
    _fails(["validate", str(path)], str(path), *needles)


def test_duplicate_keys_in_json(tmp_path: Path) -> None:
    text = json.dumps(yaml.safe_load(GOOD), indent=1)
    assert text.count('"extended": 0') == 1
    path = tmp_path / "talks.json"
    path.write_text(text.replace('"extended": 0', '"extended": 0, "extended": 1'))
    _fails(["validate", str(path)], str(path), "malformed JSON: duplicate key 'extended'")


def test_duplicate_keys_in_geniusweb_json(tmp_path: Path) -> None:
    folder = tmp_path / "jobs"
    shutil.copytree(DATA / "geniusweb" / "jobs", folder)
    domain = folder / "jobs.json"
    domain.write_text(domain.read_text().replace('"issuesValues"', '"name": "x", "issuesValues"'))
    _fails(["validate", str(folder)], str(domain), "duplicate key 'name'")


def test_unknown_scenario_and_format(tmp_path: Path) -> None:
    _fails(["show", "no-such-scenario"], "no-such-scenario", "built-ins: ceasefire-2025")
    other = tmp_path / "talks.txt"
    other.write_text("x")
    _fails(["show", str(other)], str(other), "unknown scenario format")


def _convert(source: Path, target: Path) -> list[str]:
    return ["convert", str(source), str(target)]


@pytest.mark.parametrize(
    "make_target",
    [
        lambda tmp: tmp / "out" / "talks.yaml",
        lambda tmp: tmp / "out",
        lambda tmp: tmp / "out.geniusweb",
    ],
)
def test_convert_writes_nothing_when_the_input_is_bad(
    tmp_path: Path, make_target: Callable[[Path], Path]
) -> None:
    path = _yaml(tmp_path, "reservation_value: 0.3", "reservation_value: -1")
    target = make_target(tmp_path)
    _fails(_convert(path, target), str(path))
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talks.yaml"]


def test_convert_writes_nothing_when_the_output_cannot_hold_it(tmp_path: Path) -> None:
    raw = yaml.safe_load(dump_native(load_scenario(DATA / "genius" / "anac2014")))
    raw["issues"].append({"name": "colour", "options": ["red", "blue"]})
    for party in raw["parties"]:
        party["preferences"]["constraints"][0]["bounds"]["colour"] = ["red"]
    source = tmp_path / "rules.yaml"
    source.write_text(yaml.safe_dump(raw))
    _fails(_convert(source, tmp_path / "out"), "bounds.colour", "integer issues only")
    assert not (tmp_path / "out").exists()
    _fails(_convert(source, tmp_path / "o.geniusweb"), "rule-based")
    _fails(_convert(source, tmp_path / "o.txt"), "unknown output format")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.yaml"]


def test_repair_warnings_are_shown_but_do_not_fail() -> None:
    result = runner.invoke(app, ["validate", str(DATA / "genius" / "weights-not-one")])
    assert result.exit_code == 0
    assert "warning:" in result.output
    assert "talks-east.xml" in result.output


@pytest.mark.parametrize("target", ["out.yaml", "out/talks.xml", "out", "out.geniusweb"])
def test_convert_does_not_overwrite_without_force(tmp_path: Path, target: str) -> None:
    path = tmp_path / "talks.yaml"
    path.write_text(GOOD)
    out = tmp_path / target
    assert runner.invoke(app, _convert(path, out)).exit_code == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    line = _fails(_convert(path, out), "exists already; not overwritten (--force overwrites)")
    assert str(tmp_path) in line
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    result = runner.invoke(app, [*_convert(path, out), "--force"])
    assert result.exit_code == 0, result.output
    assert load_scenario(out if target != "out/talks.xml" else out.parent) is not None


@pytest.mark.parametrize(("target", "pattern"), [("out", "*.xml"), ("out.geniusweb", "*.json")])
def test_convert_refuses_to_mix_two_scenarios_in_one_folder(
    tmp_path: Path, target: str, pattern: str
) -> None:
    first, second = tmp_path / "talks.yaml", tmp_path / "other.yaml"
    first.write_text(GOOD)
    second.write_text(GOOD.replace("name: talks", "name: other").replace("name: west", "name: w"))
    out = tmp_path / target
    assert runner.invoke(app, _convert(first, out)).exit_code == 0
    for force in ([], ["--force"]):  # --force overwrites files; it never mixes scenarios
        _fails([*_convert(second, out), *force], str(out), f"already holds other {pattern} files")
    assert load_scenario(out).name == "talks"
