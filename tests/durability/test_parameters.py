"""Parameters: validation with clear messages, files, defaults."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from detente.durability import Policy, default_parameters, simulate
from detente.durability.parameters import ParameterError, load_parameters, validate_parameters
from tests.durability.conftest import quiet


def test_defaults_are_the_calibrated_reference() -> None:
    params = default_parameters()
    assert params.party_names == ("A", "B")
    assert [p.deal_value - p.alternative for p in params.parties] == pytest.approx([0.1, 0.1])
    custom = default_parameters({"X": 0.8}, {"X": 0.3})
    assert custom.parties[0].deal_value == 0.8
    assert custom.parties[0].alternative == 0.3
    assert default_parameters({"X": 0.8}).parties[0].alternative == 0.6


def test_forgiveness_applies_to_generous_tit_for_tat_only() -> None:
    params = default_parameters()
    assert params.parties[0].effective_forgiveness == pytest.approx(1 / 3)
    for policy in (Policy.TFT, Policy.GRIM):
        assert params.replace_parties(policy=policy).parties[0].effective_forgiveness == 0.0


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"attribution": 0.8, "misattribution": 0.5}, None, "must not exceed 1"),
        ({"detection": 1.5}, "detection", "less than or equal to 1"),
        ({"escalation_threshold": 0}, "escalation_threshold", "greater than or equal to 1"),
        ({"colour": "blue"}, "colour", "Extra inputs"),
    ],
)
def test_invalid_parameters_name_the_field(
    change: dict[str, object], field: str | None, message: str
) -> None:
    with pytest.raises(ParameterError, match=message) as info:
        validate_parameters({**quiet(2), **change})
    assert info.value.field == field


def test_party_errors_name_the_party_field() -> None:
    raw = quiet(2)
    raw["parties"][1]["incident_rate"] = -0.1
    with pytest.raises(ParameterError) as info:
        validate_parameters(raw)
    assert info.value.field == "parties.1.incident_rate"
    raw = quiet(2)
    raw["parties"][1]["name"] = "p0"
    with pytest.raises(ParameterError, match="unique"):
        validate_parameters(raw)


def test_parameter_files_round_trip_and_fail_clearly(tmp_path: Path) -> None:
    params = default_parameters().replace(escalation_threshold=3)
    file = tmp_path / "params.json"
    file.write_text(json.dumps(params.model_dump(mode="json")))
    assert load_parameters(file) == params
    with pytest.raises(ParameterError, match="cannot read"):
        load_parameters(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("parties: [")
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_parameters(broken)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("parties: []\n")
    with pytest.raises(ParameterError) as info:
        load_parameters(wrong)
    assert str(wrong) in str(info.value)


def test_hazard_ratio_edges() -> None:
    certain = simulate(validate_parameters(quiet(1)), paths=10, days=5, rng=0)
    doomed = simulate(
        validate_parameters(
            {**quiet(1), "parties": [{**quiet(1)["parties"][0], "alternative": 0.9}]}
        ),
        paths=10,
        days=5,
        rng=0,
    )
    assert math.isnan(doomed.cumulative_hazard_ratio(certain, 5))
    # both collapse everywhere: inf / inf, undefined; a collapsed baseline: every other run
    # has a finite cumulative hazard, a ratio of 0
    assert math.isnan(doomed.cumulative_hazard_ratio(doomed, 5))
    assert certain.cumulative_hazard_ratio(doomed, 5) == 0.0
    half = dataclasses.replace(certain, survival=(0.5,) * 5)
    assert doomed.cumulative_hazard_ratio(half, 5) == math.inf
    assert half.cumulative_hazard_ratio(half, 5) == 1.0
    assert doomed.median_days == 1
