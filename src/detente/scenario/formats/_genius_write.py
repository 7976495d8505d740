"""Writing GENIUS XML: one domain file and one profile per party, nothing half-written.

Every number is written with ``repr`` so it reads back bit for bit. GENIUS ignores attributes it
does not know, so detente adds a few ``detente_*`` attributes (labels, the mechanisms an option
provides, the discretisation of
numeric issues, red lines, the exact value function beside GENIUS's clipped line) that make
native -> GENIUS -> native lossless. The domain's ``<agent>`` list records each party's name and
profile file, which keeps their order. A party is read back under its profile file's stem; a
profile whose stem is not the party's name (one with characters unsafe in a file name) records
the name as ``detente_name``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from detente.errors import UnsupportedError
from detente.files import atomic_write_text
from detente.scenario.formats._common import clipped_line_function, unique_stems
from detente.scenario.model import (
    AdditivePreferences,
    DiscreteIssue,
    IssueValuation,
    LinearFunction,
    NumericIssue,
    Party,
    RuleBasedPreferences,
    Scenario,
    normalized_weights,
)

__all__ = ["genius_texts", "save_genius"]


def save_genius(scenario: Scenario, folder: Path, domain_file: str | None = None) -> list[Path]:
    """Write ``scenario`` into ``folder`` as GENIUS XML; returns the files written.

    The domain file is ``domain_file`` if given, else named after the scenario; profiles are
    named after their parties.

    Raises:
        UnsupportedError: a preference GENIUS cannot express (nothing is written then).
    """
    texts = genius_texts(scenario, domain_file)
    written = []
    for name, text in texts.items():
        target = folder / name
        atomic_write_text(target, text)
        written.append(target)
    return written


def genius_texts(scenario: Scenario, domain_file: str | None = None) -> dict[str, str]:
    """File name -> XML text of the domain and of every profile (nothing touches the disk)."""
    taken = {domain_file.removesuffix(".xml")} if domain_file else set()
    names = scenario.party_names if domain_file else [scenario.name, *scenario.party_names]
    stems = unique_stems(names, taken)
    if not domain_file:
        domain_file, stems = f"{stems[0]}.xml", stems[1:]
    profile_files = [f"{s}.xml" for s in stems]
    texts = {domain_file: _xml(_domain(scenario, profile_files))}
    for party, file in zip(scenario.parties, profile_files, strict=True):
        texts[file] = _xml(_profile(scenario, party, file.removesuffix(".xml")))
    return texts


def _xml(root: Element) -> str:
    indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode") + "\n"


def _num(x: float) -> str:
    return repr(float(x))


def _objective(parent: Element, scenario: Scenario) -> Element:
    attrs = {
        "index": "0",
        "name": scenario.name,
        "description": scenario.description,
        "type": "objective",
        "etype": "objective",
    }
    if scenario.title:
        attrs["detente_title"] = scenario.title
    return SubElement(parent, "objective", attrs)


def _issue_element(parent: Element, k: int, issue: DiscreteIssue | NumericIssue) -> Element:
    attrs = {"index": str(k + 1), "name": issue.name}
    if issue.description:
        attrs["description"] = issue.description
    if issue.label:
        attrs["detente_label"] = issue.label
    if isinstance(issue, DiscreteIssue):
        attrs.update(type="discrete", etype="discrete", vtype="discrete")
        return SubElement(parent, "issue", attrs)
    attrs.update(type=issue.kind, etype=issue.kind, vtype=issue.kind)
    if issue.unit:
        attrs["detente_unit"] = issue.unit
    if issue.kind == "integer":
        attrs.update(lowerbound=str(int(issue.low)), upperbound=str(int(issue.high)))
        if issue.step != 1:
            attrs["detente_step"] = str(issue.step)
        return SubElement(parent, "issue", attrs)
    attrs.update(lowerbound=_num(issue.low), upperbound=_num(issue.high))  # and <range>: both
    attrs["detente_points"] = str(issue.points)  # GENIUS versions read one or the other
    element = SubElement(parent, "issue", attrs)
    SubElement(element, "range", lowerbound=_num(issue.low), upperbound=_num(issue.high))
    return element


def _domain(scenario: Scenario, profile_files: list[str]) -> Element:
    root = Element("negotiation_template")
    for party, file in zip(scenario.parties, profile_files, strict=True):
        SubElement(root, "agent", {"name": party.name, "utility_space": file, "class": ""})
    space = SubElement(root, "utility_space", number_of_issues=str(len(scenario.issues)))
    objective = _objective(space, scenario)
    for k, issue in enumerate(scenario.issues):
        element = _issue_element(objective, k, issue)
        if isinstance(issue, DiscreteIssue):
            for j, option in enumerate(issue.options):
                attrs = {"index": str(j + 1), "value": option.name}
                if option.description:
                    attrs["description"] = option.description
                if option.label:
                    attrs["detente_label"] = option.label
                if option.provides:
                    provides = [p.model_dump(mode="json") for p in option.provides]
                    attrs["detente_provides"] = json.dumps(provides)
                if option.phase_in is not None:
                    attrs["detente_phase_in"] = json.dumps(option.phase_in.model_dump())
                if option.position is not None:
                    attrs["detente_position"] = _num(option.position)
                SubElement(element, "item", attrs)
    return root


def _profile(scenario: Scenario, party: Party, stem: str) -> Element:
    root = Element("utility_space", detente_role=party.role.value)
    if stem != party.name:
        root.set("detente_name", party.name)
    if party.description:
        root.set("detente_description", party.description)
    if party.clout is not None:
        root.set("detente_clout", _num(party.clout))
    if party.clout_rationale:
        root.set("detente_clout_rationale", party.clout_rationale)
    objective = _objective(root, scenario)
    prefs = party.preferences
    if isinstance(prefs, AdditivePreferences):
        _additive(objective, scenario, party, prefs)
    else:
        for k, issue in enumerate(scenario.issues):
            _issue_element(objective, k, issue)
        _rules(objective, scenario, party, prefs)
    if party.discount_factor != 1.0:
        SubElement(root, "discount_factor", value=_num(party.discount_factor))
    SubElement(root, "reservation", value=_num(party.reservation_value))
    return root


def _additive(
    objective: Element, scenario: Scenario, party: Party, prefs: AdditivePreferences
) -> None:
    names = [i.name for i in scenario.issues]
    weights = normalized_weights(prefs, names)
    for k, issue in enumerate(scenario.issues):
        valuation = prefs.issues[issue.name]
        element = _issue_element(objective, k, issue)
        red = party.red_lines.get(issue.name, [])
        if isinstance(issue, DiscreteIssue):
            given = valuation.values or {}
            red_names = {str(r) for r in red}
            for j, option in enumerate(issue.options):
                attrs = {
                    "index": str(j + 1),
                    "value": option.name,
                    "evaluation": _num(given.get(option.name, 0.0)),
                }
                if option.name in red_names:
                    attrs["detente_red_line"] = "true"
                SubElement(element, "item", attrs)
        else:
            _evaluator(element, issue, valuation, party)
            if red:
                element.set("detente_red_lines", " ".join(str(r) for r in red))
    for k, weight in enumerate(weights):
        SubElement(objective, "weight", index=str(k + 1), value=_num(weight))


def _evaluator(
    element: Element, issue: NumericIssue, valuation: IssueValuation, party: Party
) -> None:
    function = valuation.function
    if function is None:  # weight 0 and no function: a constant zero
        function = LinearFunction(at_low=0.0, at_high=0.0)
    line = clipped_line_function(function, issue)
    if line is None:
        raise UnsupportedError(
            "GENIUS has no evaluator for this piecewise-linear value function (only a line "
            "clipped to [0, 1])",
            source=party.name,
            field=f"preferences.issues.{issue.name}.function",
        )
    offset, slope = line
    attrs: dict[str, Any] = {"ftype": "linear"}
    if issue.kind == "integer":
        attrs.update(offset=_num(offset), slope=_num(slope))
    else:  # GENIUS real evaluators take parameter0 + parameter1 * x
        attrs.update(parameter0=_num(offset - slope * issue.low), parameter1=_num(slope))
    if isinstance(function, LinearFunction):
        attrs.update(detente_at_low=_num(function.at_low), detente_at_high=_num(function.at_high))
    else:
        attrs["detente_points"] = " ".join(f"{_num(x)}:{_num(y)}" for x, y in function.points)
    SubElement(element, "evaluator", attrs)


def _rules(
    objective: Element, scenario: Scenario, party: Party, prefs: RuleBasedPreferences
) -> None:
    issues = {i.name: (k + 1, i) for k, i in enumerate(scenario.issues)}
    utilities = [c.utility for c in prefs.constraints]
    normalizer = prefs.normalizer or sum(u for u in utilities if u > 0) or 1.0
    utility = SubElement(objective, "utility", maxutility=_num(normalizer))
    ufun = SubElement(utility, "ufun", type="PlainUfun", weight="1", aggregation="sum")
    for c, constraint in enumerate(prefs.constraints):
        includes = []
        for name, bound in constraint.bounds.items():
            index, issue = issues[name]
            if not isinstance(issue, NumericIssue) or issue.kind != "integer":
                raise UnsupportedError(
                    "GENIUS hyper-rectangles bound integer issues only",
                    source=party.name,
                    field=f"preferences.constraints[{c}].bounds.{name}",
                )
            low, high = math.ceil(float(bound[0])), math.floor(float(bound[1]))
            includes.append({"index": str(index), "min": str(low), "max": str(high)})
        if any(int(b["min"]) > int(b["max"]) for b in includes):
            continue  # no integer deal satisfies it: it never counts (the normaliser is explicit)
        rectangle = SubElement(ufun, "hyperRectangle", utility=_num(constraint.utility))
        for attrs in includes:
            SubElement(rectangle, "INCLUDES", attrs)
    if party.red_lines:
        raise UnsupportedError(
            "red lines of a rule-based party cannot be written to GENIUS",
            source=party.name,
            field="red_lines",
        )
