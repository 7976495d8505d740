"""Shared hypothesis strategies: random small scenarios, generated as data.

``scenarios()`` draws whole scenarios (issues, options, parties, weights, values, reservation
values, red lines), not just sizes, so property tests explore real variety.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from detente.scenario.model import Scenario

values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, width=32)
weights = st.floats(min_value=0.01, max_value=10.0, allow_nan=False)


@st.composite
def scenario_dicts(
    draw: st.DrawFn,
    *,
    min_parties: int = 2,
    max_parties: int = 3,
    max_issues: int = 4,
    max_options: int = 5,
    red_lines: bool = True,
    numeric: bool = True,
) -> dict[str, Any]:
    """A native-format mapping of a random small additive scenario."""
    n_issues = draw(st.integers(1, max_issues))
    issues: list[dict[str, Any]] = []
    for i in range(n_issues):
        if numeric and draw(st.booleans()) and draw(st.booleans()):
            low = draw(st.integers(-5, 5))
            high = low + draw(st.integers(0, max_options - 1))
            issues.append({"kind": "integer", "name": f"i{i}", "low": low, "high": high})
        else:
            n = draw(st.integers(1, max_options))
            issues.append({"name": f"i{i}", "options": [f"o{k}" for k in range(n)]})
    n_parties = draw(st.integers(min_parties, max_parties))
    parties = []
    for p in range(n_parties):
        valuations: dict[str, Any] = {}
        for issue in issues:
            if issue.get("kind") == "integer":
                function = {"kind": "linear", "at_low": draw(values), "at_high": draw(values)}
                valuations[issue["name"]] = {"weight": draw(weights), "function": function}
            else:
                vals = {o: draw(values) for o in issue["options"]}
                valuations[issue["name"]] = {"weight": draw(weights), "values": vals}
        party: dict[str, Any] = {
            "name": f"p{p}",
            "reservation_value": draw(st.floats(0.0, 0.8, allow_nan=False)),
            "preferences": {"issues": valuations},
        }
        if red_lines and draw(st.booleans()):
            issue = draw(st.sampled_from(issues))
            if "options" in issue and len(issue["options"]) > 1:
                party["red_lines"] = {issue["name"]: [draw(st.sampled_from(issue["options"]))]}
        parties.append(party)
    return {"name": "random", "issues": issues, "parties": parties}


@st.composite
def scenarios(draw: st.DrawFn, **kwargs: Any) -> Scenario:
    """A random small additive :class:`Scenario` (see :func:`scenario_dicts`)."""
    return Scenario.model_validate(draw(scenario_dicts(**kwargs)))
