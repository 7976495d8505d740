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

For the class fitted to the record, the mechanisms the record codes act through the Cox model
with period-specific effects fitted to it (``detente/precedents/fitted_periods.json``): the
deal's covariates (what its mechanisms provide, whether it is written, bilateral, mediated)
give a hazard ratio per period (to 30 days, to 90, after) against the population the class is
calibrated to, which bends the simulated curve; the coefficients' covariance widens the band.
Mechanisms the record does not code keep their published or judged sizes. Only numpy and the
shipped figures are needed (not the ``precedents`` extra).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import numpy as np

from detente._rng import RNGLike, as_generator
from detente.durability.contexts import Dimension, resolve_context
from detente.durability.mechanisms import Effect, Mechanism, Op
from detente.durability.results import DurabilityResult
from detente.piecewise import PiecewiseCox, reweight
from detente.scenario.model import ConflictKind, ScenarioContext, WarStatus

__all__ = [
    "COVARIATE_OF",
    "FITTED_SOURCE",
    "MODEL_BAND",
    "SIMULATION_BAND",
    "ReferenceClass",
    "fitted_effects",
    "fitted_mechanisms",
    "informative",
    "record_covariates",
    "record_estimates",
    "record_model",
    "record_presets",
    "reference_class",
    "reference_population",
    "scenario_contexts",
    "with_record_effects",
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
#: How a mechanism effect taken from the record is labelled.
FITTED_SOURCE = "fitted (ETH/PRIO CF, period-specific)"


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
def record_model() -> PiecewiseCox:
    """The period model fitted to the ETH/PRIO record (read as JSON: no pandas needed)."""
    name = "precedents/fitted_periods.json"
    text = resources.files("detente").joinpath(name).read_text("utf-8")
    return PiecewiseCox.from_json(text, f"detente/{name}")


#: Mechanism presets whose provision the ETH/PRIO record codes, and the fitted covariate
#: (``detente/precedents/provisions.yaml``: implementation mechanism; enforcement by an
#: outside state; DDR, for a ``ddr`` preset of the user's own).
COVARIATE_OF = {
    "monitoring": "implementation",
    "commission": "implementation",
    "hotline": "implementation",
    "peacekeepers": "state_enforcement",
    "ddr": "ddr",
}
#: Covariates a deal and its parties decide (the others, the record's undocumented class and
#: timing codes, are unknown for a deal and take the record's mean).
DEAL_COVARIATES = (
    "written",
    "bilateral",
    "multilateral",
    "mediated",
    "implementation",
    "state_enforcement",
    "ngo_enforcement",
    "ddr",
)


def informative(covariate: str) -> bool:
    """Whether the record tells ``covariate``'s effect from none.

    It does when, in some period, the 95% interval of the fitted hazard ratio excludes 1.
    """
    return any(low > 1 or high < 1 for _, low, high in record_model().hazard_ratios()[covariate])


@functools.cache
def fitted_mechanisms() -> dict[str, str]:
    """The mechanisms simulated through the record's fitted effects, and their covariate.

    Those of :data:`COVARIATE_OF` whose covariate is :func:`informative`. The others keep
    their published sizes, and their fit is only shown (:func:`record_estimates`): the record
    cannot tell their effect from none, and an outside enforcer is sent where a ceasefire is
    hardest to keep (Fortna 2008), a choice that a fit on the record does not undo, while
    the published peacekeeping effect is estimated with that selection accounted for.
    """
    return {m: c for m, c in COVARIATE_OF.items() if informative(c)}


def record_covariates(mechanisms: Iterable[str], terms: Iterable[str]) -> np.ndarray:
    """A deal's covariates in the record's terms.

    ``terms`` are the deal's context (``written``, ``bilateral`` or ``multilateral``,
    ``mediated``: :func:`detente.durability.precedents.deal_terms`); the mechanisms set the
    covariates of :func:`fitted_mechanisms`. Every covariate of :data:`DEAL_COVARIATES` not set is
    0; the others take the record's mean.
    """
    model = record_model()
    x = np.asarray(model.means, dtype=float).copy()
    fitted = fitted_mechanisms()
    present = {fitted[m] for m in mechanisms if m in fitted} | set(terms)
    for j, name in enumerate(model.covariates):
        if name in DEAL_COVARIATES:
            x[j] = float(name in present)
    return x


def record_presets(presets: Iterable[Mechanism]) -> tuple[Mechanism, ...]:
    """``presets`` with the simulated effects of the record's mechanisms taken out.

    In a class fitted to the record, the mechanisms whose effect it estimates
    (:func:`fitted_mechanisms`) act through the fitted period-specific hazard ratios
    (:func:`with_record_effects`), not through the published sizes: their presets keep their
    names and change nothing.
    """
    neutral = (Effect(field="sanction", op=Op.ADD, value=0.0),)
    fitted = fitted_mechanisms()
    return tuple(
        m.model_copy(update={"effects": neutral, "source": FITTED_SOURCE})
        if m.name in fitted
        else m
        for m in presets
    )


def _ratios_text(covariate: str) -> str:
    model = record_model()
    figures = ", ".join(
        f"{hr:.2f} ({low:.2f}-{high:.2f}) {period}"
        for (hr, low, high), period in zip(
            model.hazard_ratios()[covariate], model.periods, strict=True
        )
    )
    return f"HR {figures} ({covariate.replace('_', ' ')})"


def fitted_effects(mechanisms: Iterable[str]) -> dict[str, str]:
    """The fitted hazard ratios, period by period, of each mechanism simulated through them."""
    fitted = fitted_mechanisms()
    return {m: f"{FITTED_SOURCE}: {_ratios_text(fitted[m])}" for m in mechanisms if m in fitted}


def record_estimates(mechanisms: Iterable[str]) -> dict[str, str]:
    """The record's fit of each mechanism it codes but that keeps its published size.

    Shown beside the published size (see :func:`fitted_mechanisms` for why it is not
    simulated).
    """
    fitted = fitted_mechanisms()
    return {
        m: f"the record's fit, not simulated (no interval excludes 1): {_ratios_text(c)}"
        for m, c in COVARIATE_OF.items()
        if m in set(mechanisms) and m not in fitted
    }


def _curve_facts(survival: np.ndarray, paths: int) -> dict[str, Any]:
    below = np.flatnonzero(survival <= 0.5)
    failed = 1.0 - survival
    final = float(failed[-1])
    half = np.flatnonzero(failed >= final / 2) if final > 0 else np.array([], dtype=int)
    return {
        "survival": tuple(map(float, survival)),
        "median_days": int(below[0]) + 1 if below.size else None,
        "median_days_to_collapse": float(half[0] + 1) if half.size else None,
        "collapses": round(paths * final),
    }


def with_record_effects(
    result: DurabilityResult,
    terms: Iterable[str],
    *,
    draws: int = MODEL_DRAWS,
    rng: RNGLike = None,
) -> DurabilityResult:
    """``result`` with the fitted period-specific effects of the deal's covariates applied.

    ``result`` is a simulation in the class fitted to the record, without the simulated
    effects of the mechanisms the record codes (:func:`record_presets`). The deal's
    covariates ``x`` (:func:`record_covariates`) give each period ``k`` a hazard ratio ``r_k``
    against the population the class is calibrated to (``PiecewiseCox.period_ratios``, over
    the run's horizon); each day's cumulative hazard of the simulated curve and of its Wilson
    bounds is multiplied by the ratio of its period (:func:`detente.piecewise.reweight`).

    The band: each of ``draws`` draws ``b`` of the coefficients (normal, the fit's
    covariance) moves ``r_k`` by ``exp((x - m_k) . (b_k - beta_k))``, ``m_k`` the mean of the
    ceasefires at risk when period ``k`` starts; the band runs from the 2.5% quantile of the
    reweighted lower bound to the 97.5% quantile of the reweighted upper one. Causes of
    collapse keep their shares (the fitted effects do not say which cause they act on).
    """
    model = record_model()
    x = record_covariates(result.mechanisms, terms)
    ratios = model.period_ratios(x[None, :], result.days)[0]
    beta = model.beta()
    betas = as_generator(rng).multivariate_normal(
        beta.ravel(), np.asarray(model.covariance), size=draws
    )
    offset = x[None, :] - np.asarray(model.at_risk_means)  # (periods, covariates)
    moved = np.einsum("dkj,kj->dk", betas.reshape(draws, *beta.shape) - beta, offset)
    drawn = ratios[None, :] * np.exp(moved)  # (draws, periods)
    survival = reweight(np.asarray(result.survival), ratios, model.breaks)
    lower = reweight(np.asarray(result.lower), ratios, model.breaks)
    upper = reweight(np.asarray(result.upper), ratios, model.breaks)
    low = np.minimum(
        np.quantile(reweight(np.asarray(result.lower), drawn, model.breaks), 0.025, axis=0), lower
    )
    high = np.maximum(
        np.quantile(reweight(np.asarray(result.upper), drawn, model.breaks), 0.975, axis=0), upper
    )
    return replace(
        result,
        lower=tuple(map(float, np.minimum(low, survival))),
        upper=tuple(map(float, np.maximum(high, survival))),
        **_curve_facts(survival, result.paths),
    )
