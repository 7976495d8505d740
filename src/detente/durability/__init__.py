"""Durability: will a signed ceasefire hold, and which mechanisms make it last?

A vectorised Monte Carlo of a deal after signature: each party's interest in breaking drifts
as power shifts, incidents and mistrust can spiral, and mechanism presets (monitors, a joint
commission, a demilitarised zone, guarantees, snap-back, peacekeepers) change the numbers, as
do context presets (how the war ended, what was signed, the era).
Equations and sources: ``docs/explanation/durability.md``.
"""

from detente.durability.contexts import Context, apply_contexts, load_contexts
from detente.durability.deal import parameters_for_deal, resolve_deal
from detente.durability.mechanisms import Mechanism, apply_mechanisms, load_mechanisms
from detente.durability.parameters import (
    ParameterError,
    Parameters,
    PartyParameters,
    Policy,
    default_parameters,
)
from detente.durability.results import Comparison, DurabilityResult, SweepResult
from detente.durability.simulate import simulate
from detente.durability.sweep import compare, sweep

__all__ = [
    "Comparison",
    "Context",
    "DurabilityResult",
    "Mechanism",
    "ParameterError",
    "Parameters",
    "PartyParameters",
    "Policy",
    "SweepResult",
    "apply_contexts",
    "apply_mechanisms",
    "compare",
    "default_parameters",
    "load_contexts",
    "load_mechanisms",
    "parameters_for_deal",
    "resolve_deal",
    "simulate",
    "sweep",
]
