"""validate() reports what `detente validate` reports, at the field, in the CLI's words."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from detente.errors import ScenarioError
from detente.scenario.formats.native import load_native, native_document, validate_scenario
from detente.scenario.io import builtin_path
from detente.workbench.documents import (
    FieldError,
    blank_document,
    checked_document,
    document_sha256,
    validate,
)


@pytest.fixture
def ceasefire() -> dict[str, Any]:
    return native_document(load_native(builtin_path("ceasefire-2025")))


def cli_error(document: dict[str, Any]) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        validate_scenario(document, source="x.yaml")
    return info.value


def test_a_valid_document_has_no_error(ceasefire: dict[str, Any]) -> None:
    assert validate(ceasefire) == []
    raw = yaml.safe_load(builtin_path("ceasefire-2025").read_text())
    assert validate(raw) == []


def test_a_field_error_names_the_path_and_uses_the_cli_wording(
    ceasefire: dict[str, Any],
) -> None:
    doc = copy.deepcopy(ceasefire)
    doc["parties"][1]["reservation_value"] = 1.5
    errors = validate(doc)
    assert errors == [
        FieldError("parties.1.reservation_value", "Input should be less than or equal to 1")
    ]
    cli = cli_error(doc)
    assert (cli.field, cli.message) == (errors[0].path, errors[0].message)
    assert str(errors[0]) == "parties.1.reservation_value: Input should be less than or equal to 1"


def test_every_field_error_is_listed_and_the_first_is_the_clis(ceasefire: dict[str, Any]) -> None:
    doc = copy.deepcopy(ceasefire)
    doc["parties"][0]["reservation_value"] = -1
    doc["parties"][1]["preferences"]["issues"]["oversight"]["weight"] = "heavy"
    del doc["parties"][2]["reservation_value"]
    errors = validate(doc)
    assert [e.path for e in errors] == [
        "parties.0.reservation_value",
        "parties.1.preferences.issues.oversight.weight",
        "parties.2.reservation_value",
    ]
    assert "has no reservation_value" in errors[2].message
    cli = cli_error(doc)
    assert cli.message == f"{errors[0].message} (and 2 more)"


def test_a_cross_check_error_points_into_the_document(ceasefire: dict[str, Any]) -> None:
    doc = copy.deepcopy(ceasefire)
    doc["parties"][0]["red_lines"] = {"oversight": ["drones"]}
    (error,) = validate(doc)
    assert error.path == "parties.0.red_lines.oversight"
    assert error.message.startswith("unknown option 'drones' of issue 'oversight'")
    cli = cli_error(doc)
    assert cli.field == "parties[0] (Russia).red_lines.oversight"
    assert cli.message == error.message


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], FieldError("", "a scenario file holds a mapping at the top level")),
        ({"name": float("nan")}, FieldError("name", "nan is not a finite number")),
        ({"issues": [{"x": float("inf")}]}, FieldError("issues.0.x", "inf is not a finite number")),
        ({"name": {1: "a"}}, FieldError("name", "key 1 is not text")),
    ],
)
def test_what_json_cannot_hold_is_refused(document: Any, expected: FieldError) -> None:
    assert validate(document) == [expected]


def test_the_canonical_document_is_what_the_native_writer_writes(
    ceasefire: dict[str, Any],
) -> None:
    raw = yaml.safe_load(builtin_path("ceasefire-2025").read_text())
    checked = checked_document(raw)
    assert not isinstance(checked, list)
    assert checked[1] == ceasefire
    assert document_sha256(ceasefire) == document_sha256(copy.deepcopy(ceasefire))
    assert document_sha256(ceasefire) != document_sha256({**ceasefire, "title": "x"})


def test_the_blank_document_is_valid_and_named() -> None:
    doc = blank_document("Talks")
    assert doc["name"] == "Talks"
    assert validate(doc) == []
    assert [p["name"] for p in doc["parties"]] == ["Party A", "Party B"]
