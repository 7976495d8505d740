"""The scenario model: parties, issues, preferences, red lines.

A :class:`Scenario` is a validated, immutable description of a negotiation. Numbers are stored as
the user gave them; :func:`normalized_weights` and :func:`issue_value_table` apply the one
normalisation every module shares (``../DESIGN.md``): weights sum to 1 and each issue's value
function scores 1 at its best option, as in GENIUS.
"""

from __future__ import annotations

import itertools
import math
from enum import StrEnum
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from detente.scenario.geography import LineOfContact

__all__ = [
    "AdditivePreferences",
    "ConflictKind",
    "Constraint",
    "DiscreteIssue",
    "Issue",
    "IssueValuation",
    "LinearFunction",
    "NumericIssue",
    "Option",
    "OptionValue",
    "Party",
    "PhaseIn",
    "PiecewiseLinearFunction",
    "Preferences",
    "Provision",
    "Role",
    "RuleBasedPreferences",
    "Scenario",
    "ScenarioContext",
    "WarStatus",
    "issue_value_table",
    "normalized_weights",
]

#: Tolerance under which a sum of weights or a best value is taken as exactly 1, so that
#: normalising twice changes nothing (which keeps export/import round trips exact).
NORMALISATION_TOLERANCE = 1e-12

OptionValue = str | int | float


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Role(StrEnum):
    """A party's role at the table."""

    BELLIGERENT = "belligerent"
    MEDIATOR = "mediator"
    GUARANTOR = "guarantor"
    OTHER = "other"


Name = Annotated[str, Field(min_length=1, max_length=200)]


class Provision(_Model):
    """A mechanism an option puts in place, by its name in the durability catalogue.

    The scenario only records the name and the strength; the durability model checks the
    name against the mechanism presets it uses (``detente durability --list-mechanisms``)
    when it reads the scenario, so a scenario can name presets of the user's own file.
    """

    mechanism: Name
    strength: float = Field(1.0, gt=0.0, le=1.0)
    """Share of each of the preset's effects that this option delivers (1: all of it)."""


class PhaseIn(_Model):
    """An option whose value is delivered over time, starting from another option's value.

    While it phases in, each party's utility from the issue moves linearly from its value of
    ``starts_from`` to its value of this option over ``days`` (for example sanctions relief
    "phased and tied to compliance", delivered from no relief over about six months).
    """

    starts_from: Name
    days: int = Field(ge=1, le=100_000)


class Option(_Model):
    """One option of a discrete issue.

    ``provides`` lists the mechanisms choosing this option puts in place (for example an
    international monitoring mission provides ``monitoring``): the durability model switches
    exactly these on, never from the option's name. ``phase_in`` says the option's value is
    delivered over time (the durability model's phased terms).
    """

    name: Name
    position: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Optional place of the option on the issue's 0-100 line for the forecast "
        "models; give it for every option of the issue or for none (docs/explanation/forecast.md).",
    )
    label: str = ""
    description: str = ""
    provides: list[Provision] = Field(default_factory=list)
    phase_in: PhaseIn | None = None

    @field_validator("provides", mode="before")
    @classmethod
    def _provisions_from_strings(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [{"mechanism": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("provides")
    @classmethod
    def _unique_provisions(cls, provides: list[Provision]) -> list[Provision]:
        _check_unique([p.mechanism.lower() for p in provides], "mechanism")
        return provides

    @property
    def display(self) -> str:
        """The label if given, else the name."""
        return self.label or self.name


class DiscreteIssue(_Model):
    """An issue with a finite list of named options."""

    kind: Literal["discrete"] = "discrete"
    name: Name
    label: str = ""
    description: str = ""
    options: list[Option] = Field(min_length=1)

    @field_validator("options", mode="before")
    @classmethod
    def _options_from_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str | int | float) else v for v in value]
        return value

    @field_validator("options")
    @classmethod
    def _unique_options(cls, options: list[Option]) -> list[Option]:
        _check_unique([o.name for o in options], "option")
        placed = [o.name for o in options if o.position is not None]
        if placed and len(placed) < len(options):
            missing = [o.name for o in options if o.position is None]
            raise ValueError(
                f"a position is given for {placed} but not for {missing}: "
                "give one to every option or to none"
            )
        names = {o.name for o in options}
        for option in options:
            start = option.phase_in.starts_from if option.phase_in is not None else None
            if start is not None and (start not in names or start == option.name):
                raise ValueError(
                    f"option {option.name!r} phases in from {start!r}, which is not another "
                    "option of the issue"
                )
        return options

    @property
    def values(self) -> list[OptionValue]:
        """The option names, in order."""
        return [o.name for o in self.options]

    @property
    def labels(self) -> list[str]:
        """Readable option labels, in order."""
        return [o.display for o in self.options]

    def option_index(self, value: OptionValue) -> int:
        """Position of the option named ``value`` (``KeyError`` if unknown)."""
        for i, option in enumerate(self.options):
            if option.name == str(value):
                return i
        raise KeyError(value)


class NumericIssue(_Model):
    """An integer or real range, discretised for analysis.

    Integer issues take every ``step``-th integer from ``low`` to ``high``. Real issues take
    ``points`` evenly spaced values from ``low`` to ``high`` (both included).
    """

    kind: Literal["integer", "real"]
    name: Name
    label: str = ""
    description: str = ""
    low: float
    high: float
    step: int = Field(default=1, ge=1)
    points: int = Field(default=11, ge=2, le=100_000)
    unit: str = ""

    @model_validator(mode="after")
    def _check_range(self) -> NumericIssue:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite numbers")
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        if self.kind == "integer" and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError("an integer issue needs integer low and high")
        return self

    @property
    def grid(self) -> np.ndarray:
        """The discretisation: the values the outcome space uses, in increasing order."""
        if self.kind == "integer":
            return np.arange(int(self.low), int(self.high) + 1, self.step, dtype=np.float64)
        return np.linspace(self.low, self.high, self.points)

    @property
    def values(self) -> list[OptionValue]:
        """The grid as Python numbers (``int`` for integer issues)."""
        if self.kind == "integer":
            return [int(v) for v in self.grid]
        return [float(v) for v in self.grid]

    @property
    def labels(self) -> list[str]:
        """Readable labels for the grid values."""
        suffix = f" {self.unit}" if self.unit else ""
        return [f"{v:g}{suffix}" for v in self.values]

    def option_index(self, value: OptionValue) -> int:
        """Position of the grid value nearest ``value`` (``KeyError`` if not on the grid)."""
        grid = self.grid
        x = float(value)
        i = int(np.argmin(np.abs(grid - x)))
        scale = max(1.0, abs(self.high - self.low))
        if abs(grid[i] - x) > 1e-9 * scale:
            raise KeyError(value)
        return i


Issue = Annotated[DiscreteIssue | NumericIssue, Field(discriminator="kind")]


class LinearFunction(_Model):
    """A value that varies linearly from ``at_low`` (at the issue's low) to ``at_high``."""

    kind: Literal["linear"] = "linear"
    at_low: float = Field(ge=0)
    at_high: float = Field(ge=0)

    def __call__(self, x: np.ndarray, low: float, high: float) -> np.ndarray:
        """Evaluate at ``x`` for an issue spanning ``[low, high]``."""
        if high == low:
            return np.full_like(x, max(self.at_low, self.at_high), dtype=np.float64)
        t = (np.asarray(x, dtype=np.float64) - low) / (high - low)
        return self.at_low + (self.at_high - self.at_low) * t

    def maximum(self, low: float, high: float) -> float:  # noqa: ARG002 - same signature as peers
        """Largest value over the range."""
        return max(self.at_low, self.at_high)


class PiecewiseLinearFunction(_Model):
    """A value interpolated linearly between ``points`` ``(x, value)``, flat beyond the ends."""

    kind: Literal["piecewise"] = "piecewise"
    points: list[tuple[float, Annotated[float, Field(ge=0)]]] = Field(min_length=1)

    @field_validator("points")
    @classmethod
    def _sorted(cls, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        xs = [p[0] for p in points]
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise ValueError("points must have strictly increasing x")
        return points

    def __call__(self, x: np.ndarray, low: float, high: float) -> np.ndarray:  # noqa: ARG002
        """Evaluate at ``x``."""
        xs = np.array([p[0] for p in self.points])
        ys = np.array([p[1] for p in self.points])
        out: np.ndarray = np.interp(np.asarray(x, dtype=np.float64), xs, ys)
        return out

    def maximum(self, low: float, high: float) -> float:
        """Largest value over ``[low, high]`` (at a breakpoint or an end)."""
        candidates = [x for x, _ in self.points if low <= x <= high] + [low, high]
        return float(np.max(self(np.array(candidates), low, high)))


ValueFunction = Annotated[LinearFunction | PiecewiseLinearFunction, Field(discriminator="kind")]


class IssueValuation(_Model):
    """How much one party cares about one issue, and how it values each option.

    Discrete issues take ``values`` (option name -> non-negative value); numeric issues take a
    ``function``. Values are relative: the best option is scaled to 1. An issue with weight 0
    may omit both.
    """

    weight: float = Field(ge=0)
    values: dict[str, Annotated[float, Field(ge=0)]] | None = None
    function: ValueFunction | None = None
    rationale: str = ""

    @field_validator("weight")
    @classmethod
    def _finite(cls, weight: float) -> float:
        if not math.isfinite(weight):
            raise ValueError("weight must be a finite number")
        return weight

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_str(cls, value: Any) -> Any:
        if isinstance(value, dict):
            out = {str(k): v for k, v in value.items()}
            if len(out) < len(value):  # 1 and "1" name the same option
                _check_unique([str(k) for k in value], "option")
            return out
        return value


class AdditivePreferences(_Model):
    """Linear-additive preferences: ``u(deal) = sum_i w_i v_i(option_i)``."""

    kind: Literal["additive"] = "additive"
    issues: dict[str, IssueValuation]


class Constraint(_Model):
    """A hyper-rectangle: the ``utility`` counts when every listed issue is inside its bounds.

    ``bounds`` maps an issue to a ``[low, high]`` range (numeric issues, inclusive) or to a list
    of option names (discrete issues).
    """

    utility: float
    bounds: dict[str, list[OptionValue]] = Field(min_length=1)


class RuleBasedPreferences(_Model):
    """Non-additive preferences from hyper-rectangle constraints (the ANAC 2014 style).

    ``u(deal) = (sum of the utilities of the constraints the deal satisfies) / normalizer``,
    clipped to [0, 1]. ``normalizer`` defaults to the sum of the positive constraint utilities.
    """

    kind: Literal["rules"] = "rules"
    constraints: list[Constraint] = Field(min_length=1)
    normalizer: float | None = Field(default=None, gt=0)


Preferences = Annotated[AdditivePreferences | RuleBasedPreferences, Field(discriminator="kind")]


class Party(_Model):
    """A party to the negotiation.

    ``reservation_value`` is the utility (in [0, 1]) of the party's best alternative to a
    negotiated agreement; for a belligerent, usually "continue the war". It has no default: a
    party without an alternative states ``reservation_value: 0``, so that a forgotten value never
    widens the ZOPA unseen. ``red_lines`` lists, per issue, options the party rejects outright.
    """

    name: Name
    role: Role = Role.OTHER
    description: str = ""
    reservation_value: float = Field(ge=0.0, le=1.0)
    reservation_rationale: str = ""
    discount_factor: float = Field(default=1.0, gt=0.0, le=1.0)
    clout: float | None = Field(
        default=None,
        gt=0,
        description="Optional capability (clout) of the party for the forecast models; by default "
        "set by its role (docs/explanation/forecast.md).",
    )
    clout_rationale: str = ""
    preferences: Preferences
    red_lines: dict[str, list[OptionValue]] = Field(default_factory=dict)

    @field_validator("preferences", mode="before")
    @classmethod
    def _additive_by_default(cls, value: Any) -> Any:
        if isinstance(value, dict) and "kind" not in value:
            return {"kind": "additive", **value}
        return value


class WarStatus(StrEnum):
    """Whether the war is still being fought when the ceasefire is agreed."""

    ONGOING = "ongoing"  #: a ceasefire in the middle of a war
    ENDED = "ended"  #: a ceasefire that ends the war (its fighting has stopped for good)


class ConflictKind(StrEnum):
    """Who fights whom."""

    CIVIL = "civil"  #: a government against armed groups within its state
    INTERSTATE = "interstate"  #: states against one another


class ScenarioContext(_Model):
    """The context of the ceasefire: it picks the durability model's reference class.

    The default, a ceasefire after a civil war, is the population the durability model was
    first calibrated to (Fortna's civil-war cease-fires); ``docs/explanation/durability.md``
    gives the class each combination maps to.
    """

    war: WarStatus = Field(
        default=WarStatus.ENDED,
        description="Whether the war is 'ongoing' when the ceasefire is agreed, or 'ended' by it "
        "(default: ended).",
    )
    conflict: ConflictKind = Field(
        default=ConflictKind.CIVIL,
        description="'civil' (a government against armed groups) or 'interstate' (default: civil).",
    )
    rationale: str = ""


class Scenario(_Model):
    """A whole negotiation: its issues and parties."""

    name: Name
    title: str = ""
    description: str = ""
    disclaimer: str = ""
    context: ScenarioContext = Field(
        default_factory=ScenarioContext,
        description="Whether the war is ongoing or ended, civil or interstate: the durability "
        "model's reference class (default: a ceasefire after a civil war).",
    )
    issues: list[Issue] = Field(min_length=1)
    parties: list[Party] = Field(min_length=1)
    line_of_contact: LineOfContact | None = Field(
        default=None, description="The line the ceasefire would hold, in named sectors."
    )

    @field_validator("issues", mode="before")
    @classmethod
    def _discrete_by_default(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [
                {"kind": "discrete", **v} if isinstance(v, dict) and "kind" not in v else v
                for v in value
            ]
        return value

    @model_validator(mode="after")
    def _cross_check(self) -> Scenario:
        _check_unique([i.name for i in self.issues], "issue", "issues")
        _check_unique([p.name for p in self.parties], "party", "parties")
        by_name = {i.name: i for i in self.issues}
        for k, party in enumerate(self.parties):
            here = f"parties[{k}] ({party.name})"
            prefs = party.preferences
            if isinstance(prefs, AdditivePreferences):
                _check_additive(prefs, by_name, here)
            else:
                for c, constraint in enumerate(prefs.constraints):
                    for issue_name, bound in constraint.bounds.items():
                        where = f"{here}.preferences.constraints[{c}].bounds"
                        _check_bound(by_name, issue_name, bound, where)
            for issue_name, options in party.red_lines.items():
                issue = _known_issue(by_name, issue_name, f"{here}.red_lines")
                for option in options:
                    _known_option(issue, option, f"{here}.red_lines.{issue_name}")
        return self

    def issue(self, name: str) -> DiscreteIssue | NumericIssue:
        """The issue called ``name``."""
        for issue in self.issues:
            if issue.name == name:
                return issue
        raise KeyError(name)

    def party(self, name: str) -> Party:
        """The party called ``name``."""
        for party in self.parties:
            if party.name == name:
                return party
        raise KeyError(name)

    @property
    def party_names(self) -> list[str]:
        """Party names, in order."""
        return [p.name for p in self.parties]


def _check_unique(names: list[str], what: str, where: str = "") -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            prefix = f"{where}: " if where else ""
            raise ValueError(f"{prefix}duplicate {what} name {name!r}")
        seen.add(name)


def _known_issue(
    by_name: dict[str, DiscreteIssue | NumericIssue], name: str, where: str
) -> DiscreteIssue | NumericIssue:
    if name not in by_name:
        raise ValueError(f"{where}: unknown issue {name!r} (known: {', '.join(by_name)})")
    return by_name[name]


def _known_option(issue: DiscreteIssue | NumericIssue, option: OptionValue, where: str) -> None:
    try:
        issue.option_index(option)
    except (KeyError, ValueError):
        known = ", ".join(map(str, issue.values[:12]))
        raise ValueError(
            f"{where}: unknown option {option!r} of issue {issue.name!r} (known: {known})"
        ) from None


def _check_additive(
    prefs: AdditivePreferences, by_name: dict[str, DiscreteIssue | NumericIssue], here: str
) -> None:
    for issue_name, valuation in prefs.issues.items():
        issue = _known_issue(by_name, issue_name, f"{here}.preferences.issues")
        where = f"{here}.preferences.issues.{issue_name}"
        if isinstance(issue, DiscreteIssue):
            if valuation.function is not None:
                raise ValueError(f"{where}: a discrete issue takes 'values', not 'function'")
            given = valuation.values or {}
            for option in given:
                _known_option(issue, option, f"{where}.values")
            missing = [o for o in issue.values if o not in given]
            if missing and valuation.weight > 0:
                raise ValueError(f"{where}.values: no value for option(s) {missing}")
        else:
            if valuation.values is not None:
                raise ValueError(f"{where}: a numeric issue takes 'function', not 'values'")
            if valuation.function is None and valuation.weight > 0:
                raise ValueError(f"{where}: a numeric issue needs a value 'function'")
    missing_issues = [name for name in by_name if name not in prefs.issues]
    if missing_issues:
        raise ValueError(f"{here}.preferences.issues: no valuation for issue(s) {missing_issues}")
    if sum(v.weight for v in prefs.issues.values()) <= 0:
        raise ValueError(f"{here}.preferences.issues: all weights are zero")


def _check_bound(
    by_name: dict[str, DiscreteIssue | NumericIssue],
    issue_name: str,
    bound: list[OptionValue],
    where: str,
) -> None:
    issue = _known_issue(by_name, issue_name, where)
    if isinstance(issue, NumericIssue):
        ok = len(bound) == 2 and all(isinstance(b, int | float) for b in bound)
        if not ok or float(bound[0]) > float(bound[1]):
            raise ValueError(f"{where}.{issue_name}: a numeric bound is [low, high]")
    else:
        for option in bound:
            _known_option(issue, option, f"{where}.{issue_name}")


def normalized_weights(prefs: AdditivePreferences, issue_names: list[str]) -> np.ndarray:
    """Weights in ``issue_names`` order, scaled to sum 1 (left alone if they already do)."""
    w = np.array([prefs.issues[n].weight for n in issue_names], dtype=np.float64)
    total = math.fsum(w.tolist())
    if abs(total - 1.0) <= NORMALISATION_TOLERANCE:
        return w
    return w / total


def issue_value_table(valuation: IssueValuation, issue: DiscreteIssue | NumericIssue) -> np.ndarray:
    """Normalised values ``v_i`` of every option of ``issue`` (best option = 1, GENIUS style).

    Numeric value functions are scaled by their maximum over the whole range, so the scale does
    not depend on the discretisation. A function that is zero everywhere stays zero.
    """
    if isinstance(issue, DiscreteIssue):
        given = valuation.values or {}
        raw = np.array([given.get(str(o), 0.0) for o in issue.values], dtype=np.float64)
        best = float(raw.max())
    elif valuation.function is None:
        return np.zeros(len(issue.grid))
    else:
        raw = valuation.function(issue.grid, issue.low, issue.high)
        best = valuation.function.maximum(issue.low, issue.high)
    if best <= 0 or abs(best - 1.0) <= NORMALISATION_TOLERANCE:
        return raw
    return raw / best
