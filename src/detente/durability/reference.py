"""Reference classes: the population of past ceasefires a durability run is calibrated to.

A scenario states its context (``Scenario.context``: war ongoing or ended, civil or
interstate); it picks a war context preset (``contexts.yaml``), which moves the calibrated
baseline to the matching population:

- a ceasefire after a civil war: Fortna's civil-war cease-fires (the calibration's own data);
- after an interstate war: Fortna's published interstate figures (the ``interstate`` preset);
- during an ongoing war: the ETH/PRIO record of ceasefires agreed during civil conflicts (the
  ``ongoing`` preset, calibrated to its Kaplan-Meier curve). detente has no record of ceasefires
  agreed during interstate wars, so an ongoing interstate war uses this class, the nearest,
  and says so.

For the class fitted to the record, the coefficients of the Cox model fitted to it
(``detente/precedents/fitted.json``, with their covariance) widen the band: the deal's
covariates (what its mechanisms provide) against the average ceasefire the class is
calibrated to, each draw of the coefficients a relative risk that bends the simulated curve.
Only numpy and the shipped figures are needed (not the ``precedents`` extra).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import numpy as np

from detente._rng import RNGLike, as_generator
from detente.durability.contexts import Dimension, resolve_context
from detente.durability.results import DurabilityResult
from detente.scenario.model import ConflictKind, ScenarioContext, WarStatus

__all__ = [
    "MODEL_BAND",
    "SIMULATION_BAND",
    "ReferenceClass",
    "fitted_effects",
    "reference_class",
    "reference_population",
    "scenario_contexts",
    "with_model_uncertainty",
]

#: How the band is labelled when it is Monte Carlo error alone.
SIMULATION_BAND = "simulation uncertainty (95% Wilson band of the simulated paths)"
#: How the band is labelled when the fitted coefficients' uncertainty widens it.
MODEL_BAND = (
    "model plus simulation uncertainty (95%: the fitted coefficients drawn from their "
    "covariance, around the Wilson band of the simulated paths)"
)
#: Draws of the coefficients behind the model band.
MODEL_DRAWS = 2000


@dataclass(frozen=True)
class ReferenceClass:
    """The population whose ceasefires the baseline hazard reproduces.

    Attributes:
        name: short name (``fortna-civil``, ``fortna-interstate``, ``ethprio-during-war``).
        label: the population in words.
        source: where its figures come from.
        context: the war context preset that moves the baseline to it (``None``: none needed).
        fitted: whether a survival model fitted to its record exists (model uncertainty, the
            fitted mechanism effects).
        note: why this class, when the scenario's context has no exact match.
    """

    name: str
    label: str
    source: str
    context: str | None
    fitted: bool = False
    note: str = ""

    def describe(self) -> str:
        """The class in one sentence, for every output."""
        text = f"Reference class: {self.label} ({self.source})."
        return f"{text} {self.note}" if self.note else text

    def to_dict(self) -> dict[str, object]:
        """The class as plain JSON-ready data."""
        return {
            "name": self.name,
            "label": self.label,
            "source": self.source,
            "context": self.context,
            "fitted": self.fitted,
            "note": self.note,
        }


FORTNA_CIVIL = ReferenceClass(
    name="fortna-civil",
    label="cease-fires after civil wars",
    source="Fortna's civil-war cease-fires, 153 spells, derived Kaplan-Meier",
    context=None,
)
FORTNA_INTERSTATE = ReferenceClass(
    name="fortna-interstate",
    label="cease-fires after interstate wars",
    source="Fortna 2003, 2004: almost half followed by renewed war, read at 10 years",
    context="interstate",
)
ETHPRIO_DURING_WAR = ReferenceClass(
    name="ethprio-during-war",
    label="ceasefires agreed during civil conflicts",
    source="ETH/PRIO Civil Conflict Ceasefire data 1989-2014, 1,722 ceasefires, derived "
    "Kaplan-Meier and Cox fit",
    context="ongoing",
    fitted=True,
)
_CLASSES = (FORTNA_CIVIL, FORTNA_INTERSTATE, ETHPRIO_DURING_WAR)
_NEAREST = (
    "The war here is between states: detente has no record of ceasefires agreed during "
    "interstate wars, and uses the nearest class, ceasefires agreed during a war (Fortna's "
    "interstate figures are of cease-fires that ended wars)."
)


def _war_preset(context: ScenarioContext) -> str | None:
    if context.war is WarStatus.ONGOING:
        return ETHPRIO_DURING_WAR.context
    if context.conflict is ConflictKind.INTERSTATE:
        return FORTNA_INTERSTATE.context
    return None


def scenario_contexts(context: ScenarioContext | None, contexts: Iterable[str] = ()) -> list[str]:
    """``contexts`` with the war preset the scenario's context implies, unless one is given.

    A war preset given by name (``--context interstate``) overrides the scenario's.
    """
    names = list(contexts)
    if context is None or any(resolve_context(n).dimension is Dimension.WAR for n in names):
        return names
    preset = _war_preset(context)
    return names if preset is None else [preset, *names]


def reference_class(
    contexts: Sequence[str] = (), context: ScenarioContext | None = None
) -> ReferenceClass:
    """The class the run's contexts calibrate the baseline to (``context``: the scenario's)."""
    war = {c.name for c in map(resolve_context, contexts) if c.dimension is Dimension.WAR}
    chosen = next((c for c in _CLASSES[1:] if c.context in war), FORTNA_CIVIL)
    if (
        chosen is ETHPRIO_DURING_WAR
        and context is not None
        and context.conflict is ConflictKind.INTERSTATE
    ):
        return replace(chosen, note=_NEAREST)
    return chosen


def reference_population(
    contexts: Sequence[str] = (), context: ScenarioContext | None = None
) -> str:
    """The reference class in words (what every output shows beside the survival)."""
    return reference_class(contexts, context).describe()


@functools.cache
def _fitted() -> dict[str, Any]:
    """The Cox model fitted to the ETH/PRIO record (read as JSON: no pandas needed)."""
    text = resources.files("detente").joinpath("precedents/fitted.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


#: Mechanism presets whose provision the ETH/PRIO record codes, and the fitted covariate
#: (``detente/precedents/provisions.yaml``: implementation mechanism; enforcement by an
#: outside state).
_COVARIATE_OF = {
    "monitoring": "implementation",
    "commission": "implementation",
    "hotline": "implementation",
    "peacekeepers": "state_enforcement",
}


def _deal_offset(mechanisms: Iterable[str]) -> np.ndarray:
    """``x - centre`` of a deal: its mechanisms' covariates set, the others at the mean."""
    fitted = _fitted()
    names: list[str] = fitted["covariates"]
    offset = np.zeros(len(names))
    present = {_COVARIATE_OF[m] for m in mechanisms if m in _COVARIATE_OF}
    for covariate in set(_COVARIATE_OF.values()):
        j = names.index(covariate)
        offset[j] = float(covariate in present) - float(fitted["centre"][j])
    return offset


def fitted_effects(mechanisms: Iterable[str]) -> dict[str, str]:
    """The fitted hazard ratio of each mechanism with an ETH/PRIO counterpart, in words."""
    fitted = _fitted()
    names: list[str] = fitted["covariates"]
    out = {}
    for mechanism in mechanisms:
        covariate = _COVARIATE_OF.get(mechanism)
        if covariate is None:
            continue
        j = names.index(covariate)
        b, s = float(fitted["coefficients"][j]), float(fitted["standard_errors"][j])
        out[mechanism] = (
            f"ETH/PRIO fit HR {np.exp(b):.2f} ({np.exp(b - 1.96 * s):.2f}-"
            f"{np.exp(b + 1.96 * s):.2f}, {covariate.replace('_', ' ')})"
        )
    return out


def with_model_uncertainty(
    result: DurabilityResult, *, draws: int = MODEL_DRAWS, rng: RNGLike = None
) -> DurabilityResult:
    """``result`` with its band widened by the fitted coefficients' uncertainty.

    Each draw ``b`` of the coefficients (normal, the fit's covariance) gives the deal a
    relative risk ``exp((x - centre) . (b - beta))`` against the point estimate; the band at
    day ``t`` runs from the 2.5% quantile of ``lower(t) ** risk`` to the 97.5% quantile of
    ``upper(t) ** risk`` (proportional hazards: a relative risk raises survival to its power).
    The curve itself is unchanged; without a covariate away from the mean the band is too.
    """
    fitted = _fitted()
    beta = np.asarray(fitted["coefficients"], dtype=float)
    betas = as_generator(rng).multivariate_normal(
        beta, np.asarray(fitted["covariance"], dtype=float), size=draws
    )
    risk = np.exp((betas - beta) @ _deal_offset(result.mechanisms))  # (draws,)
    lower = np.asarray(result.lower)[None, :] ** risk[:, None]
    upper = np.asarray(result.upper)[None, :] ** risk[:, None]
    low = np.minimum(np.quantile(lower, 0.025, axis=0), result.lower)
    high = np.maximum(np.quantile(upper, 0.975, axis=0), result.upper)
    return replace(result, lower=tuple(map(float, low)), upper=tuple(map(float, high)))
