"""Scenarios: the validated model of a negotiation, and its file formats."""

from detente.scenario.deal import check_deal, parse_deal
from detente.scenario.io import builtin_names, load_scenario, save_scenario
from detente.scenario.model import (
    AdditivePreferences,
    DiscreteIssue,
    IssueValuation,
    NumericIssue,
    Option,
    Party,
    Provision,
    Role,
    RuleBasedPreferences,
    Scenario,
)

__all__ = [
    "AdditivePreferences",
    "DiscreteIssue",
    "IssueValuation",
    "NumericIssue",
    "Option",
    "Party",
    "Provision",
    "Role",
    "RuleBasedPreferences",
    "Scenario",
    "builtin_names",
    "check_deal",
    "load_scenario",
    "parse_deal",
    "save_scenario",
]
