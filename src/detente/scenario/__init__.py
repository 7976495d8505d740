"""Scenarios: the validated model of a negotiation, and its file formats."""

from detente.scenario.deal import check_deal, parse_deal
from detente.scenario.io import builtin_names, load_scenario, save_scenario
from detente.scenario.model import (
    AdditivePreferences,
    ConflictKind,
    DiscreteIssue,
    IssueValuation,
    NumericIssue,
    Option,
    Party,
    Provision,
    Role,
    RuleBasedPreferences,
    Scenario,
    ScenarioContext,
    WarStatus,
)

__all__ = [
    "AdditivePreferences",
    "ConflictKind",
    "DiscreteIssue",
    "IssueValuation",
    "NumericIssue",
    "Option",
    "Party",
    "Provision",
    "Role",
    "RuleBasedPreferences",
    "Scenario",
    "ScenarioContext",
    "WarStatus",
    "builtin_names",
    "check_deal",
    "load_scenario",
    "parse_deal",
    "save_scenario",
]
