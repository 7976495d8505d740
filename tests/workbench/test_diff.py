"""The diff of two versions: hand-built pairs, and properties over random scenarios and edits."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.scenario.formats.native import load_native, native_document
from detente.scenario.io import builtin_path
from detente.scenario.model import Scenario
from detente.workbench.diff import Change, ChangeKind, diff_documents
from tests.strategies import scenario_dicts

K = ChangeKind
RUSSIA = "parties.Russia.preferences.issues"


@pytest.fixture
def ceasefire() -> dict[str, Any]:
    return native_document(load_native(builtin_path("ceasefire-2025")))


def full(document: dict[str, Any]) -> dict[str, Any]:
    """Every field written out (a valid document too, and easier to edit)."""
    return Scenario.model_validate(document).model_dump(mode="json")


def test_a_document_and_another_spelling_of_it_do_not_differ(ceasefire: dict[str, Any]) -> None:
    assert diff_documents(ceasefire, ceasefire) == []
    assert diff_documents(ceasefire, full(ceasefire)) == []
    short = {"name": "x", "issues": [{"name": "i", "options": ["a", "b"]}], "parties": []}
    long = copy.deepcopy(short)
    long["issues"][0] = {"kind": "discrete", "name": "i", "options": [{"name": "a"}, {"name": "b"}]}
    for doc in (short, long):
        doc["parties"] = [
            {
                "name": "p",
                "reservation_value": 0,
                "preferences": {"issues": {"i": {"weight": 1, "values": {"a": 1, "b": 0}}}},
            }
        ]
    assert diff_documents(short, long) == []


def test_moving_russias_weight_on_sanctions_relief(ceasefire: dict[str, Any]) -> None:
    after = copy.deepcopy(ceasefire)
    after["parties"][0]["preferences"]["issues"]["sanctions_relief"]["weight"] = 0.3
    (change,) = diff_documents(ceasefire, after)
    assert change == Change(
        K.WEIGHT,
        f"{RUSSIA}.sanctions_relief.weight",
        party="Russia",
        issue="sanctions_relief",
        before=0.15,
        after=0.3,
    )
    assert change.summary == "weight of issue 'sanctions_relief' for Russia: 0.15 -> 0.3"


def test_several_edits_are_listed_in_document_order(ceasefire: dict[str, Any]) -> None:
    after = copy.deepcopy(ceasefire)
    after["title"] = "New title"
    oversight = after["issues"][3]
    assert oversight["name"] == "oversight"
    oversight["options"][1]["label"] = "a hotline"
    oversight["options"].append({"name": "drones", "label": "drone surveillance"})
    oversight["options"][2]["provides"] = [{"mechanism": "monitoring", "strength": 0.5}]
    for party in after["parties"]:
        party["preferences"]["issues"]["oversight"]["values"]["drones"] = 0.3
    russia, ukraine = after["parties"][0], after["parties"][1]
    russia["reservation_value"] = 0.2
    russia["reservation_rationale"] = "Sanctions bite."
    russia["preferences"]["issues"]["sanctions_relief"]["values"]["partial"] = 0.6
    del russia["red_lines"]["alignment"]
    ukraine["red_lines"]["oversight"] = ["none"]
    del after["parties"][3]
    changes = diff_documents(ceasefire, after)
    by = {"issue": "oversight"}
    assert [(c.kind, c.path) for c in changes] == [
        (K.FIELD, "title"),
        (K.OPTION_RELABELLED, "issues.oversight.options.hotline.label"),
        (
            K.MECHANISM_STRENGTH,
            "issues.oversight.options.international_mission.provides.monitoring",
        ),
        (K.OPTION_ADDED, "issues.oversight.options.drones"),
        (K.PARTY_REMOVED, "parties.European states"),
        (K.RESERVATION_VALUE, "parties.Russia.reservation_value"),
        (K.RATIONALE, "parties.Russia.reservation_rationale"),
        (K.VALUE, f"{RUSSIA}.sanctions_relief.values.partial"),
        (K.RED_LINE_REMOVED, "parties.Russia.red_lines.alignment"),
        (K.RED_LINE_ADDED, "parties.Ukraine.red_lines.oversight"),
    ]
    assert changes[1].before == "a bilateral military hotline"
    assert changes[1].after == "a hotline"
    assert (changes[2].before, changes[2].after) == (1.0, 0.5)
    assert changes[3] == Change(
        K.OPTION_ADDED, "issues.oversight.options.drones", option="drones",
        after="drone surveillance", **by,
    )  # fmt: skip
    assert changes[7].option == "partial"
    assert (changes[7].before, changes[7].after) == (0.5, 0.6)
    assert changes[8].option == "nato_path_open"
    assert (
        changes[9].summary == "red line for Ukraine: option 'none' of issue 'oversight' now refused"
    )


def test_removing_an_option_takes_its_values_and_red_lines_with_it(
    ceasefire: dict[str, Any],
) -> None:
    after = copy.deepcopy(ceasefire)
    after["issues"][7]["options"] = [
        o for o in after["issues"][7]["options"] if o["name"] != "withdrawal"
    ]
    for party in after["parties"]:
        party["preferences"]["issues"]["territorial_line"]["values"].pop("withdrawal")
    del after["parties"][0]["red_lines"]["territorial_line"]
    assert diff_documents(ceasefire, after) == [
        Change(
            K.OPTION_REMOVED,
            "issues.territorial_line.options.withdrawal",
            issue="territorial_line",
            option="withdrawal",
        )
    ]


def test_removing_an_issue_and_renaming_a_party(ceasefire: dict[str, Any]) -> None:
    after = copy.deepcopy(ceasefire)
    del after["issues"][8]
    for party in after["parties"]:
        del party["preferences"]["issues"]["humanitarian"]
    after["parties"][2]["name"] = "USA"
    after["parties"].reverse()
    changes = diff_documents(ceasefire, after)
    assert [(c.kind, c.path) for c in changes] == [
        (K.ISSUE_REMOVED, "issues.humanitarian"),
        (K.PARTIES_REORDERED, "parties"),
        (K.PARTY_REMOVED, "parties.United States"),
        (K.PARTY_ADDED, "parties.USA"),
    ]
    assert changes[1].after == ["European states", "Ukraine", "Russia"]


def test_numeric_issues_mechanisms_and_the_context(ceasefire: dict[str, Any]) -> None:
    before = full(ceasefire)
    after = copy.deepcopy(before)
    after["context"]["rationale"] = "why"
    after["context"]["war"] = "ended"
    option = after["issues"][3]["options"][1]
    option["provides"] = [*option["provides"], {"mechanism": "monitoring", "strength": 1.0}]
    after["issues"][4]["options"][1]["provides"] = []
    mission = after["issues"][3]["options"][2]
    mission["provides"] = [{"mechanism": "hotline", "strength": 1.0}, *mission["provides"]]
    after["issues"][0] = {"kind": "integer", "name": "ceasefire_scope", "low": 0, "high": 90}
    for party in after["parties"]:
        party["preferences"]["issues"]["ceasefire_scope"] = {
            "weight": 1, "function": {"kind": "linear", "at_low": 0, "at_high": 1},
        }  # fmt: skip
        party["red_lines"].pop("ceasefire_scope", None)
    changes = diff_documents(before, after)
    assert [(c.kind, c.path, c.before, c.after) for c in changes] == [
        (K.FIELD, "context.war", "ongoing", "ended"),
        (K.RATIONALE, "context.rationale", before["context"]["rationale"], "why"),
        (K.ISSUE_REMOVED, "issues.ceasefire_scope", "discrete", None),
        (K.ISSUE_ADDED, "issues.ceasefire_scope", None, "integer"),
        (K.MECHANISM_ADDED, "issues.oversight.options.hotline.provides", None, "monitoring"),
        (K.MECHANISM_ADDED, "issues.oversight.options.international_mission.provides", None,
         "hotline"),

        (K.MECHANISM_REMOVED, "issues.breach_mechanism.options.joint_commission.provides",
         "commission", None),
    ]  # fmt: skip
    wider = copy.deepcopy(after)
    wider["issues"][0]["high"] = 120
    wider["issues"][3]["options"][2]["provides"].reverse()
    wider["parties"][1]["preferences"]["issues"]["ceasefire_scope"]["function"]["at_low"] = 0.5
    changes = diff_documents(after, wider)
    assert [(c.kind, c.path, c.before, c.after) for c in changes] == [
        (K.FIELD, "issues.ceasefire_scope.high", 90.0, 120.0),
        (
            K.FIELD,
            "issues.oversight.options.international_mission.provides",
            ["hotline", "monitoring"],
            ["monitoring", "hotline"],
        ),
        (
            K.VALUE_FUNCTION,
            "parties.Ukraine.preferences.issues.ceasefire_scope.function",
            {"kind": "linear", "at_low": 0.0, "at_high": 1.0},
            {"kind": "linear", "at_low": 0.5, "at_high": 1.0},
        ),
    ]
    assert changes[0].summary == "issues.ceasefire_scope.high: 90.0 -> 120.0"


def test_any_other_field_is_one_change(ceasefire: dict[str, Any]) -> None:
    assert ceasefire.get("line_of_contact")
    after = {k: v for k, v in ceasefire.items() if k != "line_of_contact"}
    (change,) = diff_documents(ceasefire, after)
    assert (change.kind, change.path, change.after) == (K.FIELD, "line_of_contact", None)
    assert change.before == full(ceasefire)["line_of_contact"]


def test_switching_to_rule_based_preferences_is_one_change() -> None:
    doc = full(
        {"name": "x", "issues": [{"name": "i", "options": ["a", "b"]}], "parties": [
            {"name": "p", "reservation_value": 0,
             "preferences": {"issues": {"i": {"weight": 1, "values": {"a": 1, "b": 0}}}}},
        ]}
    )  # fmt: skip
    rules = copy.deepcopy(doc)
    rules["parties"][0]["preferences"] = {
        "kind": "rules", "constraints": [{"utility": 1, "bounds": {"i": ["a"]}}],
    }  # fmt: skip
    (change,) = diff_documents(doc, rules)
    assert (change.kind, change.path, change.party) == (K.FIELD, "parties.p.preferences", "p")


# -- properties ---------------------------------------------------------------------------------

Edit = Callable[[dict[str, Any], st.DrawFn], Change | None]


def _discrete(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in doc["issues"] if i["kind"] == "discrete"]


def _valuation(party: dict[str, Any], issue: str) -> dict[str, Any]:
    return party["preferences"]["issues"][issue]


def edit_weight(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    party = draw(st.sampled_from(doc["parties"]))
    issue = draw(st.sampled_from(doc["issues"]))["name"]
    valuation = _valuation(party, issue)
    new = draw(st.floats(0.01, 10).filter(lambda w: w != valuation["weight"]))
    old, valuation["weight"] = valuation["weight"], new
    path = f"parties.{party['name']}.preferences.issues.{issue}.weight"
    return Change(K.WEIGHT, path, party["name"], issue, before=old, after=new)


def edit_value(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    if not _discrete(doc):
        return None
    party = draw(st.sampled_from(doc["parties"]))
    issue = draw(st.sampled_from(_discrete(doc)))
    option = draw(st.sampled_from(issue["options"]))["name"]
    values = _valuation(party, issue["name"])["values"]
    new = draw(st.floats(0, 1).filter(lambda v: v != values[option]))
    old, values[option] = values[option], new
    path = f"parties.{party['name']}.preferences.issues.{issue['name']}.values.{option}"
    return Change(K.VALUE, path, party["name"], issue["name"], option, before=old, after=new)


def edit_reservation(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    party = draw(st.sampled_from(doc["parties"]))
    new = draw(st.floats(0, 1).filter(lambda v: v != party["reservation_value"]))
    old, party["reservation_value"] = party["reservation_value"], new
    path = f"parties.{party['name']}.reservation_value"
    return Change(K.RESERVATION_VALUE, path, party["name"], before=old, after=new)


def edit_rationale(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    party = draw(st.sampled_from(doc["parties"]))
    issue = draw(st.sampled_from(doc["issues"]))["name"]
    text = draw(st.text(st.characters(categories=["L"]), min_size=1, max_size=5))
    _valuation(party, issue)["rationale"] = text
    path = f"parties.{party['name']}.preferences.issues.{issue}.rationale"
    return Change(K.RATIONALE, path, party["name"], issue, before="", after=text)


def edit_label(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    if not _discrete(doc):
        return None
    issue = draw(st.sampled_from(_discrete(doc)))
    option = draw(st.sampled_from(issue["options"]))
    option["label"] = "relabelled"
    path = f"issues.{issue['name']}.options.{option['name']}.label"
    return Change(
        K.OPTION_RELABELLED,
        path,
        None,
        issue["name"],
        option["name"],
        before="",
        after="relabelled",
    )


def edit_add_option(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    if not _discrete(doc):
        return None
    issue = draw(st.sampled_from(_discrete(doc)))
    issue["options"].append({**issue["options"][0], "name": "added", "label": "new"})
    for party in doc["parties"]:
        _valuation(party, issue["name"])["values"]["added"] = draw(st.floats(0, 1))
    path = f"issues.{issue['name']}.options.added"
    return Change(K.OPTION_ADDED, path, None, issue["name"], "added", after="new")


def edit_remove_option(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    issues = [i for i in _discrete(doc) if len(i["options"]) > 1]
    if not issues:
        return None
    issue = draw(st.sampled_from(issues))
    option = issue["options"].pop(draw(st.integers(0, len(issue["options"]) - 1)))["name"]
    for party in doc["parties"]:
        _valuation(party, issue["name"])["values"].pop(option)
        lines = party["red_lines"].get(issue["name"], [])
        if option in lines:
            lines.remove(option)
    path = f"issues.{issue['name']}.options.{option}"
    return Change(K.OPTION_REMOVED, path, None, issue["name"], option)


def edit_red_line(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    if not _discrete(doc):
        return None
    party = draw(st.sampled_from(doc["parties"]))
    issue = draw(st.sampled_from(_discrete(doc)))
    option = draw(st.sampled_from(issue["options"]))["name"]
    lines = party["red_lines"].setdefault(issue["name"], [])
    path = f"parties.{party['name']}.red_lines.{issue['name']}"
    if option in lines:
        lines.remove(option)
        return Change(K.RED_LINE_REMOVED, path, party["name"], issue["name"], option)
    lines.append(option)
    return Change(K.RED_LINE_ADDED, path, party["name"], issue["name"], option)


def edit_parties(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    if len(doc["parties"]) > 1 and draw(st.booleans()):
        gone = doc["parties"].pop(draw(st.integers(0, len(doc["parties"]) - 1)))["name"]
        return Change(K.PARTY_REMOVED, f"parties.{gone}", gone)
    doc["parties"].insert(
        draw(st.integers(0, len(doc["parties"]))),
        {**copy.deepcopy(draw(st.sampled_from(doc["parties"]))), "name": "added"},
    )
    return Change(K.PARTY_ADDED, "parties.added", "added")


def edit_mechanism(doc: dict[str, Any], draw: st.DrawFn) -> Change | None:
    if not _discrete(doc):
        return None
    issue = draw(st.sampled_from(_discrete(doc)))
    option = draw(st.sampled_from(issue["options"]))
    option["provides"].append({"mechanism": "monitoring", "strength": 1.0})
    path = f"issues.{issue['name']}.options.{option['name']}.provides"
    return Change(K.MECHANISM_ADDED, path, None, issue["name"], option["name"], after="monitoring")


EDITS: list[Edit] = [
    edit_weight, edit_value, edit_reservation, edit_rationale, edit_label, edit_add_option,
    edit_remove_option, edit_red_line, edit_parties, edit_mechanism,
]  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(scenario_dicts())
def test_a_document_does_not_differ_from_itself(raw: dict[str, Any]) -> None:
    assert diff_documents(raw, raw) == []
    assert diff_documents(raw, full(raw)) == []


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(scenario_dicts(), st.sampled_from(EDITS), st.data())
def test_one_edit_gives_exactly_that_change(
    raw: dict[str, Any], edit: Edit, data: st.DataObject
) -> None:
    before = full(raw)
    after = copy.deepcopy(before)
    expected = edit(after, data.draw)
    if expected is None:
        return
    assert diff_documents(before, after) == [expected]
    undone = diff_documents(after, before)
    assert len(undone) == 1
    assert undone[0].path == expected.path


@settings(max_examples=40, deadline=None)
@given(scenario_dicts(), scenario_dicts())
def test_no_change_means_the_same_scenario(a: dict[str, Any], b: dict[str, Any]) -> None:
    changes = diff_documents(a, b)
    assert (changes == []) == (full(a) == full(b))
