"""Plain-Python reference computations, written from the definitions, for tests to compare with."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

from detente.scenario.model import AdditivePreferences, DiscreteIssue, LinearFunction, Scenario


def deals(scenario: Scenario) -> Iterator[dict[str, Any]]:
    """Every deal, last issue varying fastest."""
    names = [i.name for i in scenario.issues]
    for combo in itertools.product(*(i.values for i in scenario.issues)):
        yield dict(zip(names, combo, strict=True))


def utility(scenario: Scenario, party_name: str, deal: dict[str, Any]) -> float:
    """u(deal) = sum_i w_i v_i(option_i), weights summing to 1, best option of each issue = 1."""
    party = scenario.party(party_name)
    prefs = party.preferences
    assert isinstance(prefs, AdditivePreferences)
    total_weight = math.fsum(v.weight for v in prefs.issues.values())
    u = 0.0
    for issue in scenario.issues:
        valuation = prefs.issues[issue.name]
        if isinstance(issue, DiscreteIssue):
            raw = dict((valuation.values or {}).items())
            best = max(raw.values(), default=0.0)
            value = raw.get(str(deal[issue.name]), 0.0)
        elif valuation.function is None:  # a weight-0 numeric issue may omit its function
            value, best = 0.0, 0.0
        else:
            f = valuation.function
            lo, hi = issue.low, issue.high
            x = float(deal[issue.name])
            if isinstance(f, LinearFunction):
                value = (
                    f.at_low + (f.at_high - f.at_low) * ((x - lo) / (hi - lo))
                    if hi > lo
                    else max(f.at_low, f.at_high)
                )
                best = max(f.at_low, f.at_high)
            else:
                points = [(float(px), float(py)) for px, py in f.points]
                value = piecewise_value(points, x)
                # the maximum over [lo, hi] of a piecewise-linear function: at an end or a kink
                candidates = [lo, hi, *(px for px, _ in points if lo <= px <= hi)]
                best = max(piecewise_value(points, c) for c in candidates)
        u += valuation.weight / total_weight * (value / best if best > 0 else 0.0)
    return u


def piecewise_value(points: list[tuple[float, float]], x: float) -> float:
    """Linear interpolation between ``(x, value)`` points, flat beyond the first and last."""
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x <= x1:
            return y0 + (y1 - y0) * ((x - x0) / (x1 - x0))
    return points[-1][1]


def acceptable(scenario: Scenario, party_name: str, deal: dict[str, Any]) -> bool:
    """u_p >= r_p and no red line of p crossed."""
    party = scenario.party(party_name)
    for issue, options in party.red_lines.items():
        if deal[issue] in options or str(deal[issue]) in map(str, options):
            return False
    return utility(scenario, party_name, deal) >= party.reservation_value - 1e-9


# -- deal-space analysis, written from the definitions (DESIGN.md) ------------------------------

EPS = 1e-9


def crosses_red_line(scenario: Scenario, deal: dict[str, Any]) -> bool:
    """Whether any party has red-lined an option of the deal."""
    return any(
        str(deal[issue]) in map(str, options)
        for party in scenario.parties
        for issue, options in party.red_lines.items()
    )


def feasible(scenario: Scenario) -> list[tuple[int, dict[str, Any], tuple[float, ...]]]:
    """(index, deal, utilities) of every deal that crosses no red line."""
    names = scenario.party_names
    return [
        (k, deal, tuple(utility(scenario, p, deal) for p in names))
        for k, deal in enumerate(deals(scenario))
        if not crosses_red_line(scenario, deal)
    ]


def dominates(a: tuple[float, ...], b: tuple[float, ...], eps: float = EPS) -> bool:
    """a is at least b for everyone and clearly better for someone (tolerance eps)."""
    return all(x >= y - eps for x, y in zip(a, b, strict=True)) and any(
        x > y + eps for x, y in zip(a, b, strict=True)
    )


def in_zopa(scenario: Scenario, u: tuple[float, ...]) -> bool:
    """u_p >= r_p for every party."""
    return all(x >= p.reservation_value - 1e-9 for x, p in zip(u, scenario.parties, strict=True))


def solution_score(name: str, gains: tuple[float, ...], spans: tuple[float, ...]) -> float:
    """The criterion each bargaining solution maximises."""
    if name == "nash":
        return math.prod(gains)
    if name == "egalitarian":
        return min(gains)
    if name == "kalai_smorodinsky":
        ratios = [g / s for g, s in zip(gains, spans, strict=True) if s > 0]
        return min(ratios, default=math.inf)
    raise ValueError(name)


def best_scores(scenario: Scenario) -> dict[str, float] | None:
    """The maximal criterion of each solution over the ZOPA, or None when it is empty."""
    reservation = [p.reservation_value for p in scenario.parties]
    zopa = [u for _, _, u in feasible(scenario) if in_zopa(scenario, u)]
    if not zopa:
        return None
    gains = [tuple(x - r for x, r in zip(u, reservation, strict=True)) for u in zopa]
    spans = tuple(max(g[p] for g in gains) for p in range(len(reservation)))
    out = {
        name: max(solution_score(name, g, spans) for g in gains)
        for name in ("nash", "egalitarian", "kalai_smorodinsky")
    }
    out["utilitarian"] = max(sum(u) for u in zopa)
    return out
