"""Plain-Python reference computations, written from the definitions, for tests to compare with."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

from detente.scenario.model import AdditivePreferences, DiscreteIssue, Scenario


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
        else:
            assert valuation.function is not None
            f = valuation.function
            lo, hi = issue.low, issue.high
            x = float(deal[issue.name])
            value = (
                f.at_low + (f.at_high - f.at_low) * ((x - lo) / (hi - lo))
                if hi > lo
                else max(f.at_low, f.at_high)
            )
            best = max(f.at_low, f.at_high)
        u += valuation.weight / total_weight * (value / best if best > 0 else 0.0)
    return u


def acceptable(scenario: Scenario, party_name: str, deal: dict[str, Any]) -> bool:
    """u_p >= r_p and no red line of p crossed."""
    party = scenario.party(party_name)
    for issue, options in party.red_lines.items():
        if deal[issue] in options or str(deal[issue]) in map(str, options):
            return False
    return utility(scenario, party_name, deal) >= party.reservation_value
