"""GENIUS XML: a domain file and one profile file per party (the ANAC competition format).

Reading follows GENIUS's own evaluation rules (``docs/how-to/import-genius.md``):

- discrete issues: ``u_i(v) = evaluation(v) / max evaluation`` (GENIUS ``EvaluatorDiscrete``);
- integer and real issues: ``clip(offset + slope * (x - lowerbound), 0, 1)`` (``slope`` /
  ``offset`` attributes) or ``clip(parameter0 + parameter1 * x, 0, 1)`` (older files), or a
  constant; a line that leaves [0, 1] becomes a piecewise-linear value function;
- ``<weight>`` per issue, ``<reservation>`` and ``<discount_factor>`` (0 means "no discount");
- ANAC 2014 non-linear profiles (``<utility maxutility><ufun><hyperRectangle>``) become
  :class:`~detente.scenario.model.RuleBasedPreferences`.

Repaired quirks give a :class:`~detente.errors.RepairWarning` naming the file; constructs detente
cannot represent exactly raise :class:`~detente.errors.UnsupportedError` naming the construct.
Files in a folder that are neither a domain nor a profile (tournament logs...) are skipped.
Writing lives in :mod:`detente.scenario.formats._genius_write`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from detente.errors import FormatError, ScenarioError, UnsupportedError
from detente.files import read_bytes
from detente.scenario.formats._common import (
    clipped_line,
    number,
    repair,
    validate_party,
    warn_if_not_normalised,
    warn_if_peak_below_one,
)
from detente.scenario.formats._genius_write import genius_texts, save_genius
from detente.scenario.formats._xml import parse_xml
from detente.scenario.formats.native import validate_scenario
from detente.scenario.model import (
    LinearFunction,
    NumericIssue,
    PiecewiseLinearFunction,
    Scenario,
)

__all__ = ["classify", "genius_texts", "load_genius", "save_genius"]

_RULE_TAGS = ("utility", "utility_function")
#: Elements of GENIUS's constraint utility spaces (genius.core.utility.ConstraintUtilitySpace).
_CONSTRAINT_TAGS = ("rules", "ranks", "constraints", "constraint")


@dataclass
class _Domain:
    source: Path
    name: str
    description: str
    title: str
    issues: list[dict[str, Any]]
    by_index: dict[str, str]  # GENIUS issue index -> issue name
    agents: list[tuple[str, str]] = field(default_factory=list)  # (party name, profile file)

    def issue(self, name: str) -> dict[str, Any]:
        for issue in self.issues:
            if issue["name"] == name:
                return issue
        raise KeyError(name)

    def numeric(self, name: str) -> NumericIssue:
        return NumericIssue.model_validate(self.issue(name))


def classify(root: Element) -> str:
    """``"domain"``, ``"profile"``, ``"constraint"`` or ``"other"`` (logs, anything not GENIUS).

    ``"constraint"`` is a GENIUS constraint utility space (``ConstraintUtilitySpace``, as in the
    Railway domain): ranked values and zero-utility constraints under ``<rules>``, no weights or
    evaluations, which detente does not read.
    """
    if root.tag == "negotiation_template":
        return "domain"
    if root.tag != "utility_space":
        return "other"
    if any(root.find(f".//{tag}") is not None for tag in _CONSTRAINT_TAGS):
        return "constraint"
    has_preferences = (
        root.find(".//weight") is not None
        or root.find(".//evaluator") is not None
        or any(item.get("evaluation") is not None for item in root.iter("item"))
        or any(root.find(f".//{tag}") is not None for tag in _RULE_TAGS)
    )
    return "profile" if has_preferences else "domain"


def load_genius(path: Path) -> Scenario:
    """Read a GENIUS folder, a domain file (with the profiles beside it) or one profile file.

    Raises:
        FormatError: no domain file, several, or a malformed/unsafe XML file.
        ScenarioError: a profile does not match its domain, or the numbers are invalid.
        UnsupportedError: a construct detente cannot represent exactly.
    """
    folder = path if path.is_dir() else path.parent
    roots: dict[Path, Element] = {}
    for file in sorted(folder.glob("*.xml")):
        if file.is_file():
            roots[file] = parse_xml(read_bytes(file), file)
    kinds = {file: classify(root) for file, root in roots.items()}
    _refuse_constraint_spaces(kinds)
    if not path.is_dir() and kinds.get(path) == "other":
        raise FormatError(
            f"not a GENIUS domain or profile (root element <{roots[path].tag}>)", source=path
        )
    domains = [f for f, k in kinds.items() if k == "domain"]
    if not path.is_dir() and kinds.get(path) == "domain":
        domains = [path]  # named explicitly: other domain files beside it do not matter
    if not domains:
        raise FormatError("no GENIUS domain file (<negotiation_template>) here", source=folder)
    if len(domains) > 1:
        names = ", ".join(f.name for f in domains)
        raise FormatError(f"several GENIUS domain files ({names}); keep one", source=folder)
    domain = _read_domain(roots[domains[0]], domains[0], folder)
    profiles = [f for f, k in kinds.items() if k == "profile"]
    if not path.is_dir() and kinds.get(path) == "profile":
        profiles = [path]
    if not profiles:
        raise FormatError("no GENIUS profile file beside the domain", source=domains[0])
    if path.is_dir() or kinds.get(path) == "domain":
        _check_agents(domain, profiles)
    parties = [
        _read_profile(roots[file], file, domain, name) for file, name in _ordered(profiles, domain)
    ]
    raw = {
        "name": domain.name,
        "title": domain.title,
        "description": domain.description,
        "issues": domain.issues,
        "parties": parties,
    }
    return validate_scenario(raw, source=domain.source)


def _refuse_constraint_spaces(kinds: dict[Path, str]) -> None:
    for file, kind in kinds.items():
        if kind == "constraint":
            raise UnsupportedError(
                'a GENIUS constraint utility space (<utility_space type="constraint"> with '
                "ranked values and zero-utility constraints under <rules>, as in the Railway "
                "domain) is not supported",
                source=file,
            )


def _check_agents(domain: _Domain, profiles: list[Path]) -> None:
    """Refuse a folder missing a profile that the domain's ``<agent>`` list names.

    A list that names none of the profiles here describes another folder (the ANAC 2012 Car
    domains kept the list of the 2011 Car domain): it is set aside with a warning, and every
    profile of the folder is read.
    """
    here = {p.name for p in profiles}
    named = [Path(file).name for _, file in domain.agents]
    missing = [name for name in named if name not in here]
    if not missing:
        return
    if len(missing) < len(named):
        raise FormatError(
            f"the domain's <agent> list names the profile {missing[0]}, which is not in "
            f"{domain.source.parent}" + (f" (nor {', '.join(missing[1:])})" if missing[1:] else ""),
            source=domain.source,
        )
    repair(
        domain.source,
        f"the domain's <agent> list names {', '.join(named)}, none of which is here: the "
        f"list is ignored and the folder's {len(profiles)} profile(s) are read",
    )


def _ordered(profiles: list[Path], domain: _Domain) -> list[tuple[Path, str]]:
    """Profiles in the order the domain's ``<agent>`` list gives, each with its agent name."""
    by_name = {p.name: p for p in profiles}
    out: list[tuple[Path, str]] = []
    for agent, file in domain.agents:
        file_name = Path(file).name
        if file_name in by_name:
            out.append((by_name.pop(file_name), agent))
    out.extend((p, "") for p in by_name.values())
    return out


# -- domain -------------------------------------------------------------------------------


def _read_domain(root: Element, source: Path, folder: Path) -> _Domain:
    space = root if root.tag == "utility_space" else root.find("utility_space")
    objective = space.find("objective") if space is not None else None
    if objective is None:
        raise FormatError("no <objective> element in the domain file", source=source)
    if objective.find("objective") is not None:
        raise UnsupportedError(
            "nested <objective> elements (objective trees) are not supported", source=source
        )
    issues: list[dict[str, Any]] = []
    by_index: dict[str, str] = {}
    for k, element in enumerate(objective.findall("issue")):
        issue = _read_issue(element, source, f"issue[{k + 1}]")
        by_index[element.get("index", str(k + 1))] = issue["name"]
        issues.append(issue)
    if not issues:
        raise ScenarioError("the domain has no <issue> elements", source=source, field="objective")
    name = objective.get("name", "")
    agents = [
        (a.get("name", ""), a.get("utility_space", ""))
        for a in root.findall("agent")
        if a.get("utility_space")
    ]
    return _Domain(
        source=source,
        name=name if name and name != "root" else folder.resolve().name or "genius",
        description=objective.get("description", ""),
        title=objective.get("detente_title", ""),
        issues=issues,
        by_index=by_index,
        agents=agents,
    )


def _issue_kind(element: Element) -> str:
    return element.get("type") or element.get("etype") or element.get("vtype") or "discrete"


def _option(item: Element, value: str, source: Path, where: str) -> dict[str, Any]:
    """One ``<item>`` as a native option (with the place detente wrote for the forecast)."""
    option: dict[str, Any] = {
        "name": value,
        "label": item.get("detente_label", ""),
        "description": item.get("description", ""),
        "provides": _json_attribute(item, "provides", [], source, where),
        "phase_in": _json_attribute(item, "phase_in", None, source, where),
    }
    if item.get("detente_position") is not None:
        option["position"] = number(item.get("detente_position"), source, f"{where}.position")
    return option


def _read_issue(element: Element, source: Path, where: str) -> dict[str, Any]:
    name = element.get("name")
    if not name:
        raise ScenarioError("an <issue> without a name", source=source, field=where)
    where = f"issue {name!r}"
    kind = _issue_kind(element)
    common = {
        "name": name,
        "label": element.get("detente_label", ""),
        "description": element.get("description", ""),
    }
    if kind == "discrete":
        options: list[dict[str, Any]] = []
        seen: set[str] = set()
        for k, item in enumerate(element.findall("item")):
            value = item.get("value")
            if value is None:
                raise ScenarioError("an <item> without a value", source=source, field=where)
            if value.strip() in seen:
                repair(source, f"{where}: duplicate value {value!r} (item {k + 1}) dropped")
                continue
            seen.add(value.strip())
            options.append(_option(item, value, source, where))
        if not options:
            raise ScenarioError("a discrete issue without <item>s", source=source, field=where)
        return {"kind": "discrete", **common, "options": options}
    if kind not in {"integer", "real"}:
        raise UnsupportedError(f"issue type {kind!r} is not supported", source=source, field=where)
    low, high = _bounds(element, source, where)
    numeric: dict[str, Any] = {"kind": kind, **common, "low": low, "high": high}
    numeric["unit"] = element.get("detente_unit", "")
    if kind == "integer":
        if low != int(low) or high != int(high):
            raise ScenarioError("integer bounds must be integers", source=source, field=where)
        numeric["low"], numeric["high"] = int(low), int(high)
        numeric["step"] = int(number(element.get("detente_step", "1"), source, f"{where}.step"))
    else:
        points = number(element.get("detente_points", "11"), source, f"{where}.points")
        numeric["points"] = int(points)
    return numeric


def _bounds(element: Element, source: Path, where: str) -> tuple[float, float]:
    holder = element
    if element.get("lowerbound") is None:
        found = element.find("range")
        holder = found if found is not None else element
    low = number(holder.get("lowerbound"), source, f"{where}.lowerbound")
    high = number(holder.get("upperbound"), source, f"{where}.upperbound")
    return low, high


# -- profiles -----------------------------------------------------------------------------


def _read_profile(root: Element, source: Path, domain: _Domain, agent: str) -> dict[str, Any]:
    """One party from its profile.

    The party is named after the profile file's stem (``detente_name`` when detente wrote a
    name a file name cannot hold); the domain's ``<agent name>`` for it, when it says more,
    becomes the description.
    """
    objective = root.find("objective")
    if objective is None:
        objective = root
    name = root.get("detente_name") or source.stem
    description = root.get("detente_description") or (agent if agent != name else "")
    party: dict[str, Any] = {
        "name": name,
        "description": description,
        "reservation_value": _reservation(root, objective, source),
        "discount_factor": _discount(root, objective, source),
    }
    if root.get("detente_role"):
        party["role"] = root.get("detente_role")
    if root.get("detente_clout") is not None:
        party["clout"] = number(root.get("detente_clout", ""), source, "detente_clout")
        party["clout_rationale"] = root.get("detente_clout_rationale", "")
    rules = [e for tag in _RULE_TAGS for e in objective.findall(tag)]
    if rules:
        if objective.find("weight") is not None or objective.find(".//evaluator") is not None:
            raise UnsupportedError(
                "a profile mixing hyper-rectangles with weighted issues is not supported",
                source=source,
            )
        party["preferences"] = _read_rules(rules, source, domain)
    else:
        party["preferences"], party["red_lines"] = _read_additive(objective, source, domain)
    validate_party(party, source)
    return party


def _reservation(root: Element, objective: Element, source: Path) -> float:
    element = root.find("reservation")
    if element is None:
        element = objective.find("reservation")
    if element is None:
        return 0.0  # GENIUS's default: a profile without <reservation> has no alternative
    return number(element.get("value"), source, "reservation")


def _discount(root: Element, objective: Element, source: Path) -> float:
    element = root.find("discount_factor")
    if element is None:
        element = objective.find("discount_factor")
    if element is None:
        return 1.0
    text = element.get("value")
    try:
        value = float(text) if text is not None else float("nan")
    except ValueError:
        value = float("nan")
    if value == 0.0:  # GENIUS's convention for "no discounting"
        return 1.0
    if not 0.0 < value <= 1.0:
        repair(source, f"discount factor {text!r} is not in (0, 1]: no discounting assumed")
        return 1.0
    return value


def _profile_issues(
    objective: Element, source: Path, domain: _Domain
) -> tuple[dict[str, Element], dict[str, str]]:
    """The profile's ``<issue>`` elements by name, and issue indices to names."""
    by_index = dict(domain.by_index)
    elements: dict[str, Element] = {}
    for element in objective.findall("issue"):
        name = element.get("name", "")
        try:
            issue = domain.issue(name)
        except KeyError:
            raise ScenarioError(
                f"not in the domain file {domain.source.name} "
                "(the profile does not match its domain)",
                source=source,
                field=f"issue {name!r}",
            ) from None
        if _issue_kind(element) != issue["kind"]:
            raise ScenarioError(
                f"{_issue_kind(element)} here but {issue['kind']} in the domain file "
                f"{domain.source.name} (the profile does not match its domain)",
                source=source,
                field=f"issue {name!r}",
            )
        if element.get("index"):
            by_index[element.get("index", "")] = name
        elements[name] = element
    return elements, by_index


def _read_additive(
    objective: Element, source: Path, domain: _Domain
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    elements, by_index = _profile_issues(objective, source, domain)
    weights: dict[str, float] = {}
    for element in objective.findall("weight"):
        index = element.get("index", "")
        if index == objective.get("index") and index not in by_index:
            continue  # the weight of the objective itself, which scales nothing
        if index not in by_index:
            raise ScenarioError(
                f"<weight index={index!r}> names no issue of the domain",
                source=source,
                field="weight",
            )
        weights[by_index[index]] = number(
            element.get("value"), source, f"weight of {by_index[index]!r}"
        )
    valuations: dict[str, Any] = {}
    red_lines: dict[str, list[Any]] = {}
    for issue in domain.issues:
        name = issue["name"]
        if name not in elements:
            raise ScenarioError(
                f"no valuation of issue {name!r} of the domain (the profile does not match "
                "its domain)",
                source=source,
            )
        if name not in weights:
            raise ScenarioError(f"no <weight> for issue {name!r}", source=source, field="weight")
        valuation, red = _valuation(elements[name], issue, domain, source, weights[name])
        valuations[name] = valuation
        if red:
            red_lines[name] = red
    warn_if_not_normalised(weights, source)
    return {"kind": "additive", "issues": valuations}, red_lines


def _valuation(
    element: Element, issue: dict[str, Any], domain: _Domain, source: Path, weight: float
) -> tuple[dict[str, Any], list[Any]]:
    name = issue["name"]
    where = f"issue {name!r}"
    if issue["kind"] == "discrete":
        known = {o["name"].strip(): o["name"] for o in issue["options"]}
        values: dict[str, float] = {}
        red: list[Any] = []
        for item in element.findall("item"):
            value = (item.get("value") or "").strip()
            if value not in known:
                raise ScenarioError(
                    f"value {value!r} is not an option of the issue in the domain file "
                    f"{domain.source.name} (the profile does not match its domain)",
                    source=source,
                    field=where,
                )
            if item.get("evaluation") is None:
                raise ScenarioError(
                    f"value {value!r} has no evaluation", source=source, field=where
                )
            evaluation = number(item.get("evaluation"), source, f"{where}.{value}")
            if known[value] in values and values[known[value]] != evaluation:
                repair(source, f"{where}: value {value!r} evaluated twice: the last one kept")
            values[known[value]] = evaluation
            if item.get("detente_red_line") == "true":
                red.append(known[value])
        missing = [o for o in known.values() if o not in values]
        if missing and weight > 0:
            raise ScenarioError(f"no evaluation for value(s) {missing}", source=source, field=where)
        if any(v < 0 for v in values.values()):
            raise ScenarioError("negative evaluation", source=source, field=where)
        return {"weight": weight, "values": values}, red
    numeric = domain.numeric(name)
    function = _numeric_function(element, numeric, source, where)
    red_values: list[Any] = []
    for text in element.get("detente_red_lines", "").split():
        red_value = number(text, source, f"{where}.detente_red_lines")
        red_values.append(int(red_value) if numeric.kind == "integer" else red_value)
    return {"weight": weight, "function": function.model_dump()}, red_values


def _numeric_function(
    element: Element, issue: NumericIssue, source: Path, where: str
) -> LinearFunction | PiecewiseLinearFunction:
    evaluator = element.find("evaluator")
    if evaluator is None:
        raise ScenarioError("no <evaluator> for a numeric issue", source=source, field=where)
    ftype = evaluator.get("ftype", "linear")
    if ftype == "constant":
        offset = number(
            evaluator.get("parameter0", evaluator.get("offset")), source, f"{where}.parameter0"
        )
        slope, x0 = 0.0, issue.low
    elif ftype != "linear":
        raise UnsupportedError(
            f"evaluator ftype {ftype!r} is not supported (linear and constant are)",
            source=source,
            field=where,
        )
    elif evaluator.get("slope") is not None:
        slope = number(evaluator.get("slope"), source, f"{where}.slope")
        offset = number(evaluator.get("offset", "0"), source, f"{where}.offset")
        x0 = issue.low
    else:
        slope = number(evaluator.get("parameter1"), source, f"{where}.parameter1")
        offset = number(evaluator.get("parameter0"), source, f"{where}.parameter0")
        x0 = 0.0
    genius = clipped_line(offset, slope, x0, issue)
    function = _model_function(genius)
    exact = _detente_function(evaluator)
    if exact is not None:
        grid = issue.grid
        peak = exact.maximum(issue.low, issue.high)
        scaled = exact(grid, issue.low, issue.high) / (peak if peak > 0 else 1.0)
        # GENIUS's parameters carry rounding (real issues: an offset moved to x = 0), so the
        # check only has to tell a faithful copy from an edited one
        if abs(scaled - function(grid, issue.low, issue.high)).max() <= 1e-6:
            return exact
        repair(source, f"{where}: detente_* attributes disagree with the GENIUS evaluator: ignored")
    warn_if_peak_below_one(function.maximum(issue.low, issue.high), issue.name, source)
    return function


def _model_function(raw: dict[str, Any]) -> LinearFunction | PiecewiseLinearFunction:
    if raw["kind"] == "linear":
        return LinearFunction.model_validate(raw)
    return PiecewiseLinearFunction.model_validate(raw)


def _detente_function(evaluator: Element) -> LinearFunction | PiecewiseLinearFunction | None:
    """The exact value function detente wrote beside the GENIUS parameters, if any."""
    try:
        if evaluator.get("detente_at_low") is not None:
            return LinearFunction(
                at_low=float(evaluator.get("detente_at_low", "")),
                at_high=float(evaluator.get("detente_at_high", "")),
            )
        if evaluator.get("detente_points") is not None:
            pairs = [p.split(":") for p in evaluator.get("detente_points", "").split()]
            return PiecewiseLinearFunction(points=[(float(x), float(y)) for x, y in pairs])
    except ValueError:
        return None
    return None


# -- hyper-rectangles (ANAC 2014) ---------------------------------------------------------


def _read_rules(elements: list[Element], source: Path, domain: _Domain) -> dict[str, Any]:
    if len(elements) > 1:
        raise UnsupportedError("several <utility> elements in one profile", source=source)
    utility = elements[0]
    constraints: list[dict[str, Any]] = []
    ufuns = utility.findall("ufun")
    if not ufuns:
        raise UnsupportedError("a <utility> element without <ufun>", source=source)
    for ufun in ufuns:
        _read_ufun(ufun, 1.0, source, domain, constraints)
    if not constraints:
        raise ScenarioError("no <hyperRectangle> constraints", source=source, field="utility")
    prefs: dict[str, Any] = {"kind": "rules", "constraints": constraints}
    if utility.get("maxutility") is not None:
        normalizer = number(utility.get("maxutility"), source, "utility.maxutility")
        if normalizer <= 0:
            raise ScenarioError("maxutility must be positive", source=source, field="utility")
        prefs["normalizer"] = normalizer
    return prefs


def _read_ufun(
    ufun: Element, weight: float, source: Path, domain: _Domain, out: list[dict[str, Any]]
) -> None:
    kind = ufun.get("type", "PlainUfun")
    aggregation = ufun.get("aggregation", "sum")
    if kind != "PlainUfun" or aggregation != "sum":
        raise UnsupportedError(
            f"<ufun type={kind!r} aggregation={aggregation!r}> is not supported "
            "(PlainUfun with sum aggregation is)",
            source=source,
            field="utility.ufun",
        )
    weight *= number(ufun.get("weight", "1"), source, "ufun.weight")
    for child in ufun:
        if child.tag == "ufun":
            _read_ufun(child, weight, source, domain, out)
        elif child.tag == "hyperRectangle":
            out.append(_read_rectangle(child, weight, source, domain, len(out)))
        else:
            raise UnsupportedError(f"<{child.tag}> inside <ufun>", source=source, field="ufun")


def _read_rectangle(
    rectangle: Element, weight: float, source: Path, domain: _Domain, k: int
) -> dict[str, Any]:
    where = f"hyperRectangle[{k + 1}]"
    if rectangle.find("EXCLUDES") is not None:
        raise UnsupportedError(
            "EXCLUDES hyper-rectangles are not supported", source=source, field=where
        )
    # GENIUS writes the value as "utility" (beside utility_function="1"); NegMAS writes it as
    # "utility_function" alone. A rectangle with neither has no value to import.
    attribute = "utility" if "utility" in rectangle.attrib else "utility_function"
    if attribute not in rectangle.attrib:
        raise UnsupportedError(
            "a hyper-rectangle without a utility (neither 'utility' nor 'utility_function')",
            source=source,
            field=where,
        )
    utility = number(rectangle.get(attribute), source, f"{where}.{attribute}")
    utility *= weight * number(rectangle.get("weight", "1"), source, f"{where}.weight")
    bounds: dict[str, list[Any]] = {}
    for bound in rectangle.findall("INCLUDES"):
        index = bound.get("index", "")
        if index not in domain.by_index:
            raise ScenarioError(
                f"INCLUDES index {index!r} names no issue of the domain", source=source, field=where
            )
        name = domain.by_index[index]
        if domain.issue(name)["kind"] == "discrete":
            raise UnsupportedError(
                f"a hyper-rectangle bound on discrete issue {name!r}", source=source, field=where
            )
        low = number(bound.get("min"), source, f"{where}.{name}.min")
        high = number(bound.get("max"), source, f"{where}.{name}.max")
        bounds[name] = [low, high]
    if not bounds:  # no bound: every deal satisfies it; bound the first issue by its range
        first = domain.issues[0]
        if first["kind"] == "discrete":
            bounds[first["name"]] = [o["name"] for o in first["options"]]
        else:
            bounds[first["name"]] = [first["low"], first["high"]]
    return {"utility": utility, "bounds": bounds}


def _json_attribute(item: Element, name: str, default: Any, source: str | Path, where: str) -> Any:
    """The ``detente_NAME`` attribute of an ``<item>`` (JSON), or ``default``."""
    text = item.get(f"detente_{name}")
    if text is None:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"detente_{name} is not JSON: {exc.msg}",
            source=source,
            field=f"{where}: item {item.get('value')!r}",
        ) from None
