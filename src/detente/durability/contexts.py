"""Context presets: the kind of war, the era, how the war ended and what was signed.

The presets live in ``contexts.yaml`` beside this module, each with what it changes, why, its
source and, where the sources give figures, calibration targets in ``calibration.yaml``. Unlike
a mechanism, a context is not a design choice and may make the ceasefire less safe (a bare truce
is riskier than the average cease-fire), so its effects are not checked for direction. At most
one preset per dimension applies; dimensions apply in a fixed order (war, era, ending,
agreement). Without a ``war`` preset the baseline is Fortna's civil-war cease-fires.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from enum import StrEnum
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detente.durability.mechanisms import SHARED_FIELDS
from detente.durability.parameters import ParameterError, Parameters, validate_parameters

__all__ = ["Context", "Dimension", "apply_contexts", "load_contexts", "resolve_context"]


class Dimension(StrEnum):
    """What a context preset describes (applied in this order)."""

    WAR = "war"
    ERA = "era"
    ENDING = "ending"
    AGREEMENT = "agreement"


_ORDER = tuple(Dimension)
_PARTY_FIELDS = frozenset({"incident_rate", "drift", "volatility", "first_strike", "alternative"})


class ContextOp(StrEnum):
    """How a context effect changes its parameter."""

    SCALE = "scale"
    ADD = "add"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContextEffect(_Frozen):
    """One change to one parameter (every party's, or the shared one)."""

    field: str
    op: ContextOp
    value: float

    @model_validator(mode="after")
    def _known(self) -> ContextEffect:
        known = _PARTY_FIELDS | SHARED_FIELDS - {"escalation_threshold"}
        if self.field not in known:
            raise ValueError(
                f"unknown parameter {self.field!r} (known: {', '.join(sorted(known))})"
            )
        if self.op is ContextOp.SCALE and self.value < 0:
            raise ValueError(f"scale on {self.field} must not be negative, got {self.value}")
        return self

    def apply(self, value: float) -> float:
        """The parameter after this effect."""
        return value * self.value if self.op is ContextOp.SCALE else value + self.value


class Context(_Frozen):
    """A named context: its dimension, what it changes, why, and the source."""

    name: str = Field(min_length=1, max_length=100)
    dimension: Dimension
    label: str
    aliases: tuple[str, ...] = ()
    what: str
    why: str
    source: str
    effects: tuple[ContextEffect, ...] = ()


class _File(_Frozen):
    contexts: tuple[Context, ...]


@functools.cache
def load_contexts() -> tuple[Context, ...]:
    """The built-in context presets (``contexts.yaml``)."""
    text = resources.files("detente.durability").joinpath("contexts.yaml").read_text("utf-8")
    try:
        return _File.model_validate(yaml.safe_load(text)).contexts
    except ValidationError as exc:  # pragma: no cover - the shipped file is tested
        raise ParameterError(str(exc), source="contexts.yaml") from None


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def resolve_context(name: str) -> Context:
    """The preset called ``name`` (or one of its aliases; case and ``_``/``-`` ignored)."""
    wanted = _key(name)
    for context in load_contexts():
        if wanted in {_key(n) for n in (context.name, *context.aliases)}:
            return context
    known = ", ".join(c.name for c in load_contexts())
    raise ParameterError(f"unknown context {name!r} (known: {known})", field="context")


def apply_contexts(params: Parameters, names: Iterable[str]) -> Parameters:
    """``params`` in the named contexts (at most one per dimension, applied war, era first)."""
    chosen: dict[Dimension, Context] = {}
    for name in names:
        context = resolve_context(name)
        other = chosen.get(context.dimension)
        if other is not None and other.name != context.name:
            raise ParameterError(
                f"contexts {other.name!r} and {context.name!r} are both of dimension "
                f"{context.dimension.value!r}: choose one",
                field="context",
            )
        chosen[context.dimension] = context
    if params.contexts:
        raise ParameterError("contexts are already applied to these parameters", field="context")
    data = params.model_dump()
    for dimension in _ORDER:
        if dimension not in chosen:
            continue
        for effect in chosen[dimension].effects:
            if effect.field in SHARED_FIELDS:
                data[effect.field] = min(max(effect.apply(float(data[effect.field])), 0.0), 1.0)
            else:
                for party in data["parties"]:
                    value = effect.apply(float(party[effect.field]))
                    if effect.field == "incident_rate":
                        value = min(max(value, 0.0), 1.0)
                    party[effect.field] = value
    data["contexts"] = tuple(chosen[d].name for d in _ORDER if d in chosen)
    return validate_parameters(data, source="contexts")
