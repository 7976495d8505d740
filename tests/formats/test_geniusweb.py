"""GeniusWeb JSON: both spellings, numeric value sets, reservation bids, errors, export."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from detente.errors import FormatError, RepairWarning, ScenarioError, UnsupportedError
from detente.scenario.formats.geniusweb import (
    is_geniusweb_file,
    is_geniusweb_folder,
    load_geniusweb,
    save_geniusweb,
)
from detente.scenario.io import load_scenario, save_scenario
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace
from tests.strategies import scenarios

JOBS = Path(__file__).parents[1] / "data" / "geniusweb" / "jobs"


def _geniusweb_utility(profile: dict[str, Any], deal: dict[str, Any]) -> float:
    """GeniusWeb's LinearAdditiveUtilitySpace: sum_i w_i u_i(v_i), from the JSON itself."""
    space = profile["LinearAdditiveUtilitySpace"]
    total = 0.0
    for issue, weight in space["issueWeights"].items():
        ((kind, body),) = space["issueUtilities"][issue].items()
        value = deal[issue]
        if kind in {"DiscreteValueSetUtilities", "discreteutils"}:
            u = body["valueUtilities"][str(value)]
        else:
            low, high = body["lowValue"], body["highValue"]
            u = body["lowUtility"] + (body["highUtility"] - body["lowUtility"]) * (
                (float(value) - low) / (high - low)
            )
        total += weight * u
    return total


def test_folder_with_both_spellings_matches_geniusweb() -> None:
    assert is_geniusweb_folder(JOBS)
    scenario = load_scenario(JOBS)
    assert scenario.name == "jobs"
    assert scenario.party_names == ["employee", "employer"]
    assert scenario.issue("fte").kind == "real"
    assert scenario.issue("fte").values == pytest.approx([0.6, 0.8, 1.0])
    assert scenario.issue("days off").values == [20, 25, 30]
    space = OutcomeSpace.from_scenario(scenario)
    got = space.utilities(np.arange(space.size))
    for p, file in enumerate(("jobs1.json", "jobs2.json")):
        profile = json.loads((JOBS / file).read_text())
        want = [_geniusweb_utility(profile, space.deal(k)) for k in range(space.size)]
        np.testing.assert_allclose(got[:, p], want, atol=1e-12)


def test_reservation_bid_gives_the_reservation_value() -> None:
    scenario = load_geniusweb(JOBS)
    profile = json.loads((JOBS / "jobs1.json").read_text())
    bid = profile["LinearAdditiveUtilitySpace"]["reservationBid"]["issuevalues"]
    assert scenario.party("employee").reservation_value == pytest.approx(
        _geniusweb_utility(profile, bid), abs=1e-12
    )
    assert scenario.party("employer").reservation_value == 0.0


def test_a_single_profile_or_the_domain_file_is_a_scenario_path() -> None:
    assert is_geniusweb_file(JOBS / "jobs1.json")
    one = load_scenario(JOBS / "jobs1.json")
    assert one.party_names == ["employee"]
    assert load_scenario(JOBS / "jobs.json") == load_scenario(JOBS)


def _edited(tmp_path: Path, file: str, edit: Any) -> Path:
    folder = tmp_path / "jobs"
    shutil.copytree(JOBS, folder)
    data = json.loads((folder / file).read_text())
    edit(data)
    (folder / file).write_text(json.dumps(data))
    return folder


def _space(data: dict[str, Any]) -> dict[str, Any]:
    space: dict[str, Any] = data["LinearAdditiveUtilitySpace"]
    return space


@pytest.mark.parametrize(
    ("edit", "message", "error"),
    [
        (lambda d: _space(d)["issueWeights"].pop("fte"), "no weight or utilities", ScenarioError),
        (
            lambda d: _space(d)["issueUtilities"]["salary"]["DiscreteValueSetUtilities"][
                "valueUtilities"
            ].update({"9000": 1.0}),
            "not in the domain",
            ScenarioError,
        ),
        (
            lambda d: _space(d)["domain"]["issuesValues"].pop("fte"),
            "does not match its domain",
            ScenarioError,
        ),
        (
            lambda d: _space(d)["issueUtilities"]["fte"]["NumberValueSetUtilities"].update(
                {"highValue": 2.0}
            ),
            "does not match its domain",
            ScenarioError,
        ),
        (
            lambda d: _space(d)["issueUtilities"].update({"salary": {"Foo": {}}}),
            "'Foo'",
            UnsupportedError,
        ),
        (
            lambda d: _space(d)["reservationBid"]["issuevalues"].update({"salary": "1"}),
            "reservationBid",
            ScenarioError,
        ),
        (
            lambda d: _space(d)["issueWeights"].update({"salary": -1}),
            "weight",
            ScenarioError,
        ),
    ],
)
def test_profile_errors_name_the_file(tmp_path: Path, edit: Any, message: str, error: type) -> None:
    folder = _edited(tmp_path, "jobs1.json", edit)
    with pytest.raises(error, match=message) as info:
        load_geniusweb(folder)
    assert "jobs1.json" in str(info.value)


def test_other_profile_types_are_refused(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"SumOfGroupsUtilitySpace": {}}')
    with pytest.raises(UnsupportedError, match="SumOfGroupsUtilitySpace"):
        load_scenario(tmp_path / "p.json")


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"LinearAdditiveUtilitySpace":\n {"name": }}')
    with pytest.raises(FormatError, match="malformed JSON") as info:
        load_geniusweb(tmp_path / "p.json")
    assert info.value.line == 2


def test_domain_errors(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text('{"name": "x", "issuesValues": {"a": {"range": [0, 1, 0]}}}')
    (tmp_path / "p.json").write_text((JOBS / "jobs1.json").read_text())
    with pytest.raises(ScenarioError, match="step > 0"):
        load_geniusweb(tmp_path)
    (tmp_path / "e.json").write_text('{"name": "y", "issuesValues": {"a": {"values": ["x"]}}}')
    with pytest.raises(FormatError, match="several GeniusWeb domains"):
        load_geniusweb(tmp_path)


@given(scenarios(red_lines=False))
@settings(max_examples=30, deadline=None)
def test_native_geniusweb_native_keeps_utilities(scenario: Scenario) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.geniusweb"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            save_scenario(scenario, target)
        assert all(issubclass(w.category, RepairWarning) for w in caught)
        back = load_scenario(target)
    a, b = OutcomeSpace.from_scenario(scenario), OutcomeSpace.from_scenario(back)
    assert b.party_names == a.party_names
    indices = np.arange(a.size)
    np.testing.assert_allclose(b.utilities(indices), a.utilities(indices), rtol=0, atol=1e-12)


def test_export_warns_about_what_geniusweb_cannot_hold(tmp_path: Path) -> None:
    scenario = load_scenario("ceasefire-2025")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_geniusweb(scenario, tmp_path / "x.geniusweb")
    messages = [str(w.message) for w in caught]
    assert "Russia: not exported: GeniusWeb profiles have no reservation value or red lines" in (
        messages
    )
    rules = load_scenario(Path(__file__).parents[1] / "data" / "genius" / "anac2014")
    with pytest.raises(UnsupportedError, match="rule-based"):
        save_geniusweb(rules, tmp_path / "y.geniusweb")
    assert not (tmp_path / "y.geniusweb").exists()


DOMAIN = {"name": "d", "issuesValues": {"a": {"values": ["x", "y"]}}}
PROFILE = {
    "LinearAdditiveUtilitySpace": {
        "name": "p",
        "issueWeights": {"a": 1},
        "issueUtilities": {"a": {"discreteutils": {"valueUtilities": {"x": 1, "y": 0}}}},
    }
}


def _with(data: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(data))
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


LAUS = "LinearAdditiveUtilitySpace"

BAD: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    (_with(DOMAIN, ["issuesValues"], []), PROFILE, "issuesValues must map"),
    (_with(DOMAIN, ["issuesValues", "a"], 3), PROFILE, "expected {'values'"),
    (_with(DOMAIN, ["issuesValues", "a"], {"range": 3}), PROFILE, "a range is {low, high, step}"),
    (
        _with(DOMAIN, ["issuesValues", "a"], {"range": {"low": 0.5, "high": 0.6, "step": 1}}),
        PROFILE,
        "at least two values",
    ),
    (DOMAIN, _with(PROFILE, [LAUS, "issueWeights"], None), "needs issueWeights"),
    (DOMAIN, _with(PROFILE, [LAUS, "issueWeights", "b"], 1), "['b'] not in the domain"),
    (DOMAIN, _with(PROFILE, [LAUS, "issueUtilities", "a"], []), "one value-set utilities"),
    (
        DOMAIN,
        _with(PROFILE, [LAUS, "issueUtilities", "a"], {"discreteutils": {}}),
        "valueUtilities missing",
    ),
    (
        _with(DOMAIN, ["issuesValues", "a"], {"range": [0, 2, 1]}),
        _with(PROFILE, [LAUS, "issueUtilities", "a"], {"numberutils": 3}),
        "expected an object",
    ),
    (
        DOMAIN,
        _with(PROFILE, [LAUS, "reservationBid"], {"issuevalues": {}}),
        "no value for issue 'a'",
    ),
]


@pytest.mark.parametrize(("domain", "profile", "message"), BAD)
def test_geniusweb_content_errors(
    tmp_path: Path, domain: dict[str, Any], profile: dict[str, Any], message: str
) -> None:
    (tmp_path / "d.json").write_text(json.dumps(domain))
    (tmp_path / "p.json").write_text(json.dumps(profile))
    with pytest.raises(ScenarioError, match=re.escape(message)):
        load_geniusweb(tmp_path)


def test_geniusweb_file_errors(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(FormatError, match="not UTF-8"):
        load_geniusweb(tmp_path / "d.json")
    (tmp_path / "d.json").write_text(json.dumps(DOMAIN))
    (tmp_path / "notes.json").write_text('{"comment": "not GeniusWeb"}')
    with pytest.raises(FormatError, match="no GeniusWeb profile"):
        load_geniusweb(tmp_path)
    (tmp_path / "d.json").unlink()
    (tmp_path / "p.json").write_text(json.dumps(PROFILE))
    with pytest.raises(FormatError, match="no GeniusWeb domain here nor in the profile"):
        load_geniusweb(tmp_path)
    assert not is_geniusweb_file(tmp_path)  # a folder cannot be opened as a file
    assert not is_geniusweb_folder(JOBS.parents[1] / "genius" / "clean")


def test_a_real_range_whose_step_misses_the_top(tmp_path: Path) -> None:
    domain = _with(DOMAIN, ["issuesValues", "a"], {"range": {"low": 0.0, "high": 1.0, "step": 0.3}})
    profile = _with(
        PROFILE,
        [LAUS, "issueUtilities", "a"],
        {"numberutils": {"lowValue": 0.0, "lowUtility": 0, "highValue": 0.9, "highUtility": 1}},
    )
    (tmp_path / "d.json").write_text(json.dumps(domain))
    (tmp_path / "p.json").write_text(json.dumps(profile))
    scenario = load_geniusweb(tmp_path)
    assert scenario.issue("a").values == pytest.approx([0.0, 0.3, 0.6, 0.9])
