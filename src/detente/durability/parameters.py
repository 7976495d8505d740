"""Parameters of the durability model: one set per party, one for the shared environment.

Every field is in the model's own units: values are utilities on the scenario's [0, 1] scale,
rates are per day, probabilities are per event. ``docs/explanation/durability.md`` gives the
equations each field enters and the calibrated defaults (``calibrated.yaml``) with their sources.
"""

from __future__ import annotations

import copy
import functools
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detente.errors import DetenteError

__all__ = [
    "ParameterError",
    "Parameters",
    "PartyParameters",
    "Policy",
    "default_parameters",
    "load_parameters",
    "validate_parameters",
]


class ParameterError(DetenteError):
    """Durability parameters, mechanisms or calibration targets are invalid."""


class Policy(StrEnum):
    """How a party answers a violation it perceives (Axelrod 1984; Nowak & Sigmund 1992)."""

    TFT = "tft"  #: tit-for-tat: retaliate once for each perceived violation
    WSLS = "wsls"  #: win-stay lose-shift (Pavlov): retaliate again only after a mixed day
    GTFT = "gtft"  #: generous tit-for-tat: retaliate with probability 1 - forgiveness
    GRIM = "grim"  #: grim trigger: after one perceived violation, retaliate every day


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PartyParameters(_Frozen):
    """What drives one party's choice to comply, retaliate or break the ceasefire."""

    name: str = Field(min_length=1, max_length=200)
    deal_value: float = Field(ge=-10.0, le=10.0)
    """Utility of the deal when fully delivered (the scenario's ``u_p(deal)``)."""
    deferred_value: float = Field(0.0, ge=-10.0, le=10.0)
    """Part of ``deal_value`` still to be delivered at signature (e.g. phased relief; negative
    when the party is better off early, as the side that grants the relief)."""
    phase_in_days: int = Field(0, ge=0, le=100_000)
    """Days over which ``deferred_value`` is delivered, linearly."""
    alternative: float = Field(ge=-10.0, le=10.0)
    """Value of breaking at signature: the reservation value ``r_p``."""
    drift: float = Field(0.0, ge=-1.0, le=1.0)
    """Daily drift of the alternative (power shifting towards, or away from, the party)."""
    volatility: float = Field(0.0, ge=0.0, le=1.0)
    """Daily step of the alternative's random walk (standard deviation per day)."""
    first_strike: float = Field(0.0, ge=0.0, le=10.0)
    """Advantage of striking first, lost when struck first."""
    reputation_cost: float = Field(0.0, ge=0.0, le=10.0)
    """Cost of being seen to break an agreement, paid when a breach is attributed."""
    sanction: float = Field(0.0, ge=0.0, le=10.0)
    """Third-party penalty for an attributed breach (snap-back, guarantors' response)."""
    decision_noise: float = Field(0.0, ge=0.0, le=1.0)
    """Scale of the logistic noise in the daily decision to break (0: exact comparison)."""
    incident_rate: float = Field(0.0, ge=0.0, le=1.0)
    """Daily probability of a local violation by the party's units, not ordered from the top."""
    false_reports: float = Field(0.0, ge=0.0, le=1.0)
    """Daily probability that a report of a violation that did not happen reaches the party (its
    own intelligence, media, spoilers' claims); lowers the credibility of every report."""
    policy: Policy = Policy.GTFT
    forgiveness: float = Field(1.0 / 3.0, ge=0.0, le=1.0)
    """Probability of not answering a perceived violation (generous tit-for-tat only)."""
    trust_prior: float = Field(0.5, ge=0.0, le=1.0)
    """Belief at signature that the other side means to comply."""
    trust_gain: float = Field(0.0, ge=0.0, le=1.0)
    """Share of the remaining distrust lost on each quiet day."""
    trust_loss: float = Field(0.0, ge=0.0, le=1.0)
    """Share of trust lost on each day a violation is perceived."""
    power_shift: float = Field(0.0, ge=0.0, le=10.0)
    """Known drop in the party's power on ``power_shift_day``: what both its alternative and
    what it can hold at the table lose then (the commitment problem; 0: stable power)."""
    power_shift_day: int = Field(0, ge=0, le=100_000)
    """Day the power shift happens (0: none)."""
    patience: float = Field(0.995, ge=0.0, le=1.0)
    """Daily discount factor with which the party weighs the coming shift."""

    @property
    def effective_forgiveness(self) -> float:
        """Forgiveness the policy applies (0 for tit-for-tat and grim trigger)."""
        return self.forgiveness if self.policy is Policy.GTFT else 0.0


class Parameters(_Frozen):
    """The whole model: the parties and the environment they share."""

    parties: tuple[PartyParameters, ...] = Field(min_length=1, max_length=16)
    detection: float = Field(0.0, ge=0.0, le=1.0)
    """Probability that a violation is detected by someone other than its victim."""
    attribution: float = Field(0.0, ge=0.0, le=1.0)
    """Probability that a detected violation is attributed to the right party."""
    misattribution: float = Field(0.0, ge=0.0, le=1.0)
    """Probability that a detected event is blamed on the wrong party."""
    false_report_rate: float = Field(0.0, ge=0.0, le=1.0)
    """Daily probability, per front, of an event blamed on the other side that it did not do."""
    resolution: float = Field(0.0, ge=0.0, le=1.0)
    """Share of violations a commission or hotline resolves before anyone retaliates."""
    escalation_threshold: int = Field(5, ge=1, le=100_000)
    """Consecutive days of retaliation after which the ceasefire has collapsed."""
    mechanisms: tuple[str, ...] = ()
    """Names of the mechanism presets applied (for the record; the numbers are above)."""
    contexts: tuple[str, ...] = ()
    """Names of the context presets applied (for the record; the numbers are above)."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.attribution + self.misattribution > 1.0 + 1e-12:
            raise ValueError("attribution + misattribution must not exceed 1")
        names = [p.name for p in self.parties]
        if len(set(names)) != len(names):
            raise ValueError(f"party names must be unique, got {names}")
        return self

    @property
    def party_names(self) -> tuple[str, ...]:
        """Names of the parties, in order."""
        return tuple(p.name for p in self.parties)

    def replace(self, **changes: Any) -> Parameters:
        """A validated copy with shared fields changed."""
        return validate_parameters({**self.model_dump(), **changes}, source="parameters")

    def replace_parties(self, **changes: Any) -> Parameters:
        """A validated copy with the same change applied to every party."""
        parties = [{**p.model_dump(), **changes} for p in self.parties]
        return validate_parameters({**self.model_dump(), "parties": parties}, source="parameters")


def validate_parameters(raw: Any, *, source: str | Path = "parameters") -> Parameters:
    """Validate a plain mapping into :class:`Parameters`, naming the field on error."""
    try:
        return Parameters.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ParameterError(message, source=source, field=field) from None


def load_parameters(path: str | Path) -> Parameters:
    """Read parameters from a YAML or JSON file (the format of ``model_dump``)."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParameterError(f"cannot read: {exc.strerror or exc}", source=file) from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"not valid YAML/JSON: {exc}", source=file) from None
    return validate_parameters(raw, source=file)


@functools.cache
def _calibrated_file() -> dict[str, Any]:
    text = resources.files("detente.durability").joinpath("calibrated.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _calibrated() -> dict[str, Any]:
    """The calibrated defaults, read once (a fresh copy each call: callers may change it)."""
    return copy.deepcopy(_calibrated_file())


def default_parameters(
    deal_values: dict[str, float] | None = None,
    alternatives: dict[str, float] | None = None,
) -> Parameters:
    """The calibrated parameters (``calibrated.yaml``) for the given parties.

    Args:
        deal_values: each party's utility of the deal; default: the calibration's reference
            two-party deal.
        alternatives: each party's reservation value; default: the reference's.
    """
    data = _calibrated()
    template = dict(data["party"])
    reference = data["reference"]
    if deal_values is None:
        deal_values = dict.fromkeys(reference["parties"], reference["deal_value"])
    if alternatives is None:
        alternatives = dict.fromkeys(deal_values, reference["alternative"])
    parties = [
        {**template, "name": name, "deal_value": value, "alternative": alternatives[name]}
        for name, value in deal_values.items()
    ]
    return validate_parameters({**data["shared"], "parties": parties}, source="calibrated.yaml")
