"""Mechanism presets: named, documented changes to the model's parameters (data in YAML).

The presets live in ``mechanisms.yaml`` beside this module, each with what it changes, why
and its source. Every effect is checked on loading to move its parameter in the direction that
makes the ceasefire safer, which is what makes "adding a mechanism never lowers survival" a
property of the model (tested) rather than a hope.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detente.durability.parameters import ParameterError, Parameters, validate_parameters
from detente.errors import ScenarioError
from detente.scenario.model import DiscreteIssue, Scenario

__all__ = [
    "Effect",
    "Mechanism",
    "apply_mechanisms",
    "check_provisions",
    "load_mechanisms",
    "provided_mechanisms",
    "resolve_mechanism",
]

#: Parameters a mechanism may change, and whether raising them makes the ceasefire safer.
SAFER_WHEN_HIGHER: dict[str, bool] = {
    "detection": True,
    "attribution": True,
    "resolution": True,
    "escalation_threshold": True,
    "sanction": True,
    "reputation_cost": True,
    "trust_prior": True,
    "trust_gain": True,
    "forgiveness": True,
    "misattribution": False,
    "false_report_rate": False,
    "false_reports": False,
    "incident_rate": False,
    "first_strike": False,
    "volatility": False,
    "drift": False,
    "trust_loss": False,
}
SHARED_FIELDS = frozenset(
    {
        "detection",
        "attribution",
        "misattribution",
        "false_report_rate",
        "resolution",
        "escalation_threshold",
    }
)
_PROBABILITIES = frozenset(
    {"detection", "attribution", "misattribution", "false_report_rate", "resolution"}
    | {"incident_rate", "false_reports", "trust_prior", "trust_gain", "forgiveness", "trust_loss"}
)


class Op(StrEnum):
    """How an effect changes its parameter."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    SCALE = "scale"
    ADD = "add"
    EITHER = "either"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Effect(_Frozen):
    """One change to one parameter."""

    field: str
    op: Op
    value: float

    @model_validator(mode="after")
    def _safer(self) -> Effect:
        if self.field not in SAFER_WHEN_HIGHER:
            known = ", ".join(sorted(SAFER_WHEN_HIGHER))
            raise ValueError(f"unknown parameter {self.field!r} (known: {known})")
        higher = SAFER_WHEN_HIGHER[self.field]
        ok = {
            Op.AT_LEAST: higher,
            Op.AT_MOST: not higher,
            Op.SCALE: (self.value >= 0 and (self.value >= 1) == higher) or self.value == 1,
            Op.ADD: (self.value >= 0) == higher or self.value == 0,
            Op.EITHER: higher and self.field in _PROBABILITIES and 0 <= self.value <= 1,
        }[self.op]
        if not ok:
            raise ValueError(
                f"{self.op.value} {self.value} on {self.field} would make the ceasefire less safe"
            )
        return self

    def apply(self, value: float, strength: float = 1.0) -> float:
        """The parameter after this effect, delivered at ``strength`` (a share in (0, 1]).

        At partial strength the parameter moves that share of the way from ``value`` to the
        full effect, so it still moves only in the safer direction.
        """
        match self.op:
            case Op.AT_LEAST:
                out = max(value, self.value)
            case Op.AT_MOST:
                out = min(value, self.value)
            case Op.SCALE:
                out = value * self.value
            case Op.ADD:
                out = value + self.value
            case Op.EITHER:
                out = 1.0 - (1.0 - value) * (1.0 - self.value)
        if strength != 1.0:  # exactly the full effect at full strength
            out = value + strength * (out - value)
        if self.field in _PROBABILITIES:
            out = min(max(out, 0.0), 1.0)
        return out


class Mechanism(_Frozen):
    """A named preset: what it changes, why, and the source."""

    name: str = Field(min_length=1, max_length=100)
    label: str
    aliases: tuple[str, ...] = ()
    what: str
    why: str
    source: str
    effects: tuple[Effect, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _no_names_of_options(cls, data: Any) -> Any:
        if isinstance(data, dict) and "deal_options" in data:
            raise ValueError(
                "deal_options is not read: mechanisms are never inferred from option names; "
                "declare them on the scenario's options instead (provides: [name])"
            )
        return data


class _File(_Frozen):
    mechanisms: tuple[Mechanism, ...]

    @model_validator(mode="before")
    @classmethod
    def _no_phased_terms(cls, data: Any) -> Any:
        if isinstance(data, dict) and "phased_terms" in data:
            raise ValueError(
                "phased_terms is not read: a term delivered over time is declared on the "
                "scenario's option (phase_in: {starts_from: OPTION, days: N})"
            )
        return data


@functools.cache
def _builtin_file() -> _File:
    text = resources.files("detente.durability").joinpath("mechanisms.yaml").read_text("utf-8")
    return _File.model_validate(yaml.safe_load(text))


@functools.cache
def _builtin() -> tuple[Mechanism, ...]:
    return _parse(_builtin_file().model_dump(), "mechanisms.yaml")


def _parse(raw: Any, source: str | Path) -> tuple[Mechanism, ...]:
    try:
        found = _File.model_validate(raw).mechanisms
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ParameterError(message, source=source, field=field) from None
    names = [n for m in found for n in (m.name, *m.aliases)]
    if len(set(names)) != len(names):
        raise ParameterError("mechanism names and aliases must be unique", source=source)
    return found


def load_mechanisms(path: str | Path | None = None) -> tuple[Mechanism, ...]:
    """The built-in presets, or those of a YAML file in the same format."""
    if path is None:
        return _builtin()
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParameterError(f"cannot read: {exc.strerror or exc}", source=file) from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"not valid YAML: {exc}", source=file) from None
    return _parse(raw, file)


def resolve_mechanism(name: str, presets: Iterable[Mechanism] | None = None) -> Mechanism:
    """The preset called ``name`` (or one of its aliases; case and ``_``/``-`` ignored)."""
    wanted = name.strip().lower().replace("_", "-")
    pool = tuple(presets) if presets is not None else _builtin()
    for mechanism in pool:
        if wanted in {n.lower().replace("_", "-") for n in (mechanism.name, *mechanism.aliases)}:
            return mechanism
    known = ", ".join(m.name for m in pool)
    raise ParameterError(f"unknown mechanism {name!r} (known: {known})", field="mechanisms")


def apply_mechanisms(
    params: Parameters,
    names: Iterable[str],
    presets: Iterable[Mechanism] | None = None,
    *,
    strengths: Mapping[str, float] | None = None,
) -> Parameters:
    """``params`` with the named presets applied in order (each at most once).

    ``strengths`` gives a share in (0, 1] of a preset's effects by preset name (default 1).
    """
    pool = tuple(presets) if presets is not None else _builtin()
    data = params.model_dump()
    applied = list(params.mechanisms)
    for name in names:
        mechanism = resolve_mechanism(name, pool)
        if mechanism.name in applied:
            continue
        applied.append(mechanism.name)
        strength = (strengths or {}).get(mechanism.name, 1.0)
        for effect in mechanism.effects:
            if effect.field in SHARED_FIELDS:
                value = effect.apply(float(data[effect.field]), strength)
                data[effect.field] = (
                    round(value) if effect.field == "escalation_threshold" else value
                )
            else:
                for party in data["parties"]:
                    party[effect.field] = effect.apply(float(party[effect.field]), strength)
    data["mechanisms"] = tuple(applied)
    return validate_parameters(data, source="mechanisms")


def provided_mechanisms(
    scenario: Scenario, deal: Mapping[str, object], presets: Iterable[Mechanism] | None = None
) -> dict[str, float]:
    """The presets the deal's options provide (``provides`` in the scenario), with strengths.

    A mechanism provided by several chosen options takes the largest strength; the result is
    in the order of the presets. Nothing is inferred from an option's name: an option without
    ``provides`` provides nothing.

    Raises:
        ScenarioError: an option names a mechanism that is not among the presets.
    """
    pool = tuple(presets) if presets is not None else _builtin()
    chosen = {str(k): str(v) for k, v in deal.items()}
    out: dict[str, float] = {}
    for issue in scenario.issues:
        if not isinstance(issue, DiscreteIssue) or issue.name not in chosen:
            continue
        for option in issue.options:
            if option.name != chosen[issue.name]:
                continue
            for provision in option.provides:
                name = _provided(issue.name, option.name, provision.mechanism, pool)
                out[name] = max(out.get(name, 0.0), provision.strength)
    return {m.name: out[m.name] for m in pool if m.name in out}  # in the presets' order


def check_provisions(
    scenario: Scenario,
    presets: Iterable[Mechanism] | None = None,
    *,
    source: str | Path | None = None,
) -> None:
    """Check that every option's ``provides`` names a preset, naming issue and option if not.

    Raises:
        ScenarioError: an option names a mechanism that is not among the presets.
    """
    pool = tuple(presets) if presets is not None else _builtin()
    for issue in scenario.issues:
        if isinstance(issue, DiscreteIssue):
            for option in issue.options:
                for provision in option.provides:
                    _provided(issue.name, option.name, provision.mechanism, pool, source)


def _provided(
    issue: str,
    option: str,
    name: str,
    pool: tuple[Mechanism, ...],
    source: str | Path | None = None,
) -> str:
    try:
        return resolve_mechanism(name, pool).name
    except ParameterError:
        known = ", ".join(m.name for m in pool)
        raise ScenarioError(
            f"option {option!r} of issue {issue!r} provides unknown mechanism {name!r} "
            f"(known: {known})",
            source=source,
            field=f"issues.{issue}.options.{option}.provides",
        ) from None
