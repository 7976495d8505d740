"""Durability: will a signed ceasefire hold, and which mechanisms make it last?

A vectorised Monte Carlo of a deal after signature: each party's interest in breaking drifts
as power shifts, incidents and mistrust can spiral, and mechanism presets (monitors, a joint
commission, a demilitarised zone, guarantees, snap-back, peacekeepers) change the numbers, as
do context presets (how the war ended, what was signed, the era).
:func:`run` is the one call from a scenario and a deal to a :class:`DurabilityRun`, which every
renderer reads. Equations and sources: ``docs/explanation/durability.md``.
"""

from detente.durability.contexts import Context, apply_contexts, load_contexts
from detente.durability.deal import parameters_for_deal, resolve_deal
from detente.durability.mechanisms import (
    Mechanism,
    apply_mechanisms,
    check_provisions,
    load_mechanisms,
    provided_mechanisms,
)
from detente.durability.parameters import (
    ParameterError,
    Parameters,
    PartyParameters,
    Policy,
    default_parameters,
    load_parameters,
)
from detente.durability.pipeline import (
    DEFAULT_DAYS,
    DEFAULT_PATHS,
    DurabilityRun,
    Standing,
    outside_zopa_warnings,
    run,
    swap_deals,
)
from detente.durability.reference import (
    ReferenceClass,
    reference_class,
    reference_population,
    scenario_contexts,
)
from detente.durability.results import Comparison, DurabilityResult, Swap, SweepResult
from detente.durability.simulate import simulate
from detente.durability.sweep import compare, sweep

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_PATHS",
    "Comparison",
    "Context",
    "DurabilityResult",
    "DurabilityRun",
    "Mechanism",
    "ParameterError",
    "Parameters",
    "PartyParameters",
    "Policy",
    "ReferenceClass",
    "Standing",
    "Swap",
    "SweepResult",
    "apply_contexts",
    "apply_mechanisms",
    "check_provisions",
    "compare",
    "default_parameters",
    "load_contexts",
    "load_mechanisms",
    "load_parameters",
    "outside_zopa_warnings",
    "parameters_for_deal",
    "provided_mechanisms",
    "reference_class",
    "reference_population",
    "resolve_deal",
    "run",
    "scenario_contexts",
    "simulate",
    "swap_deals",
    "sweep",
]
