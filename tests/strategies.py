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


#: ``scenario_dicts(**EVERY_KIND)`` draws every kind of issue and value function the model has.
EVERY_KIND: dict[str, bool] = {"real": True, "piecewise": True, "steps": True}


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
    real: bool = False,
    piecewise: bool = False,
    steps: bool = False,
) -> dict[str, Any]:
    """A native-format mapping of a random small additive scenario.

    Issues are discrete, or (with ``numeric``) integer ranges valued by a linear function.
    ``real`` adds real ranges, ``steps`` integer ranges with a step above 1, ``piecewise``
    piecewise-linear value functions (breakpoints inside and outside the range).
    """
    n_issues = draw(st.integers(1, max_issues))
    issues = [
        draw(_issue(f"i{i}", max_options, numeric=numeric, real=real, steps=steps))
        for i in range(n_issues)
    ]
    n_parties = draw(st.integers(min_parties, max_parties))
    parties = []
    for p in range(n_parties):
        valuations: dict[str, Any] = {}
        for issue in issues:
            if issue.get("kind") in {"integer", "real"}:
                function = draw(_function(issue, piecewise=piecewise))
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
def _issue(
    draw: st.DrawFn, name: str, max_options: int, *, numeric: bool, real: bool, steps: bool
) -> dict[str, Any]:
    if numeric and draw(st.booleans()) and draw(st.booleans()):
        if real and draw(st.booleans()):
            low = draw(st.floats(-5, 5, allow_nan=False))
            high = low + draw(st.floats(0.5, 10, allow_nan=False))  # distinct grid points
            points = draw(st.integers(2, max(2, max_options)))
            return {"kind": "real", "name": name, "low": low, "high": high, "points": points}
        step = draw(st.integers(1, 3)) if steps else 1
        low = draw(st.integers(-5, 5))
        high = low + draw(st.integers(0, (max_options - 1) * step))
        issue: dict[str, Any] = {"kind": "integer", "name": name, "low": low, "high": high}
        if step > 1:
            issue["step"] = step
        return issue
    n = draw(st.integers(1, max_options))
    return {"name": name, "options": [f"o{k}" for k in range(n)]}


@st.composite
def _function(draw: st.DrawFn, issue: dict[str, Any], *, piecewise: bool) -> dict[str, Any]:
    if piecewise and draw(st.booleans()):
        low, high = float(issue["low"]), float(issue["high"])
        xs = draw(
            st.lists(
                st.floats(low - 1, high + 1, allow_nan=False), min_size=1, max_size=4, unique=True
            )
        )
        return {"kind": "piecewise", "points": [[x, draw(values)] for x in sorted(xs)]}
    return {"kind": "linear", "at_low": draw(values), "at_high": draw(values)}


@st.composite
def scenarios(draw: st.DrawFn, **kwargs: Any) -> Scenario:
    """A random small additive :class:`Scenario` (see :func:`scenario_dicts`)."""
    return Scenario.model_validate(draw(scenario_dicts(**kwargs)))


def additive_scenario(
    values: list[list[list[float]]],
    *,
    weights: list[list[float]] | None = None,
    reservations: list[float] | None = None,
    red_lines: dict[int, dict[int, list[int]]] | None = None,
    name: str = "built",
) -> Scenario:
    """A scenario from ``values[party][issue][option]`` (issues ``i0``.., options ``o0``..)."""
    n_parties = len(values)
    n_options = [len(v) for v in values[0]]
    issues = [
        {"name": f"i{i}", "options": [f"o{k}" for k in range(n)]} for i, n in enumerate(n_options)
    ]
    parties = []
    for p in range(n_parties):
        w = weights[p] if weights else [1.0] * len(n_options)
        prefs = {
            f"i{i}": {"weight": w[i], "values": {f"o{k}": v for k, v in enumerate(row)}}
            for i, row in enumerate(values[p])
        }
        party: dict[str, Any] = {
            "name": f"p{p}",
            "reservation_value": reservations[p] if reservations else 0.0,
            "preferences": {"issues": prefs},
        }
        lines = (red_lines or {}).get(p)
        if lines:
            party["red_lines"] = {f"i{i}": [f"o{k}" for k in ks] for i, ks in lines.items()}
        parties.append(party)
    return Scenario.model_validate({"name": name, "issues": issues, "parties": parties})


@st.composite
def rule_based_scenarios(draw: st.DrawFn, *, max_issues: int = 3, max_options: int = 4) -> Scenario:
    """A random small scenario where one party has rule-based (hyper-rectangle) preferences."""
    data = draw(scenario_dicts(max_issues=max_issues, max_options=max_options, numeric=False))
    issues = data["issues"]
    constraints = []
    for _ in range(draw(st.integers(1, 4))):
        chosen = draw(st.lists(st.sampled_from(issues), min_size=1, max_size=len(issues)))
        bounds = {
            i["name"]: draw(st.lists(st.sampled_from(i["options"]), min_size=1, unique=True))
            for i in chosen
        }
        # quarter steps: a subnormal normalizer would overflow the space's division
        utility = draw(st.integers(-4, 20)) / 4
        constraints.append({"utility": utility, "bounds": bounds})
    data["parties"][0]["preferences"] = {"kind": "rules", "constraints": constraints}
    return Scenario.model_validate(data)
