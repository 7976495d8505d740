"""The outcome space: deals as indices, utilities as numpy lookups.

An outcome (deal) picks one option per issue. Deals are numbered in mixed radix, the last issue
varying fastest (``numpy.ravel_multi_index`` order), so the space is never materialised: a
space of 10^15 outcomes is a handful of integers. Per-issue utility tables are the primitive:
for additive preferences a party's utility is ``sum_i table[p][i][option_i]``.

Deals are held either as flat indices (``int64``; spaces up to 2^63 outcomes) or as *option
matrices* of shape ``(n_deals, n_issues)`` with each issue's option position, which work for
spaces of any size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np

from detente.errors import ScenarioError
from detente.scenario.deal import check_deal
from detente.scenario.model import (
    AdditivePreferences,
    DiscreteIssue,
    NumericIssue,
    OptionValue,
    RuleBasedPreferences,
    Scenario,
    issue_value_table,
    normalized_weights,
)

__all__ = ["ACCEPT_TOLERANCE", "IN_MEMORY_LIMIT", "MAX_INDEXABLE", "OutcomeSpace", "meets"]

#: The largest space whose deals can be numbered with ``int64`` indices.
MAX_INDEXABLE = 2**63 - 1
#: The largest space whose every deal's utilities :meth:`OutcomeSpace.utilities` gives at once.
IN_MEMORY_LIMIT = 20_000_000
#: A deal is acceptable to p when ``u_p >= r_p - ACCEPT_TOLERANCE`` (absorbs rounding of sums).
ACCEPT_TOLERANCE = 1e-9


@overload
def meets(utility: float, level: float) -> bool: ...
@overload
def meets(utility: np.ndarray, level: float | np.ndarray) -> np.ndarray: ...
@overload
def meets(utility: float, level: np.ndarray) -> np.ndarray: ...
def meets(utility: float | np.ndarray, level: float | np.ndarray) -> bool | np.ndarray:
    """Whether ``utility`` reaches ``level``: ``utility >= level - ACCEPT_TOLERANCE``.

    The one acceptance rule: the ZOPA, every strategy's reservation value and acceptance
    threshold, and the planned sessions all compare through it. Utilities are sums of
    floating-point terms, so a deal worth exactly ``level`` on paper may land a few ulps below
    it; the tolerance counts it as reaching it. Works on floats and on arrays (element-wise).
    """
    reached = utility >= level - ACCEPT_TOLERANCE
    return reached if isinstance(reached, np.ndarray) else bool(reached)


@dataclass(frozen=True)
class _RuleTables:
    """Hyper-rectangle constraints as arrays: ``inside[c][i]`` marks the options of issue i."""

    inside: np.ndarray  # bool (n_constraints, n_issues, max_options)
    utility: np.ndarray  # (n_constraints,)
    normalizer: float


@dataclass(frozen=True, eq=False)
class OutcomeSpace:
    """Every deal of a scenario, indexed, with each party's utility tables.

    Build it with :meth:`from_scenario`. All arrays are read-only.
    """

    scenario: Scenario
    issue_names: tuple[str, ...]
    party_names: tuple[str, ...]
    cardinalities: np.ndarray  #: options per issue, ``int64`` (n_issues,)
    tables: np.ndarray  #: weighted values ``w_i v_i``, (n_parties, n_issues, max_options)
    allowed: np.ndarray  #: False where a party's red line excludes an option, same shape
    reservation: np.ndarray  #: reservation values (n_parties,)
    additive: np.ndarray  #: True for parties whose utility is the sum of ``tables``
    _rules: dict[int, _RuleTables] = field(default_factory=dict)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> OutcomeSpace:
        """Build the space and every party's per-issue tables."""
        issues = scenario.issues
        names = [i.name for i in issues]
        cards = np.array([len(i.values) for i in issues], dtype=np.int64)
        width = int(cards.max())
        n_parties = len(scenario.parties)
        tables = np.zeros((n_parties, len(issues), width))
        allowed = np.zeros((n_parties, len(issues), width), dtype=bool)
        for i, n in enumerate(cards):
            allowed[:, i, :n] = True
        additive = np.zeros(n_parties, dtype=bool)
        rules: dict[int, _RuleTables] = {}
        for p, party in enumerate(scenario.parties):
            prefs = party.preferences
            if isinstance(prefs, AdditivePreferences):
                additive[p] = True
                weights = normalized_weights(prefs, names)
                for i, issue in enumerate(issues):
                    values = issue_value_table(prefs.issues[issue.name], issue)
                    tables[p, i, : cards[i]] = weights[i] * values
            else:
                rules[p] = _rule_tables(prefs, issues, width)
            for issue_name, options in party.red_lines.items():
                i = names.index(issue_name)
                for option in options:
                    allowed[p, i, issues[i].option_index(option)] = False
        for array in (tables, allowed, cards, additive):
            array.flags.writeable = False
        reservation = np.array([p.reservation_value for p in scenario.parties])
        reservation.flags.writeable = False
        return cls(
            scenario=scenario,
            issue_names=tuple(names),
            party_names=tuple(scenario.party_names),
            cardinalities=cards,
            tables=tables,
            allowed=allowed,
            reservation=reservation,
            additive=additive,
            _rules=rules,
        )

    def __repr__(self) -> str:
        """A summary: scenario, parties, issues and the number of deals."""
        return (
            f"<OutcomeSpace {self.scenario.name!r}: {self.n_parties} parties "
            f"({', '.join(self.party_names)}), {self.n_issues} issues, {self.size:,} deals>"
        )

    # -- size and numbering -------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of outcomes (a Python ``int``: exact for any size)."""
        return math.prod(int(c) for c in self.cardinalities)

    @property
    def n_issues(self) -> int:
        """Number of issues."""
        return len(self.issue_names)

    @property
    def n_parties(self) -> int:
        """Number of parties."""
        return len(self.party_names)

    @property
    def indexable(self) -> bool:
        """Whether deals can be numbered with ``int64`` indices."""
        return self.size <= MAX_INDEXABLE

    @property
    def all_additive(self) -> bool:
        """Whether every party's preferences are linear-additive."""
        return bool(self.additive.all())

    def _require_indexable(self) -> None:
        if not self.indexable:
            raise ScenarioError(
                f"the space has {self.size:.3e} outcomes, too many to number with 64-bit "
                "indices; use option matrices instead",
                source=self.scenario.name,
            )

    def unravel(self, indices: np.ndarray | Sequence[int] | int) -> np.ndarray:
        """Option matrix ``(n, n_issues)`` of flat ``indices``."""
        self._require_indexable()
        flat = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        if flat.size and (flat.min() < 0 or flat.max() >= self.size):
            raise IndexError(f"outcome index out of range [0, {self.size})")
        out = np.empty((flat.shape[0], self.n_issues), dtype=np.int64)
        rest = flat.copy()
        for i in range(self.n_issues - 1, -1, -1):  # loop over issues, not outcomes
            rest, out[:, i] = np.divmod(rest, self.cardinalities[i])
        return out

    def ravel(self, options: np.ndarray) -> np.ndarray:
        """Flat indices of an option matrix ``(n, n_issues)``."""
        self._require_indexable()
        matrix = np.atleast_2d(np.asarray(options, dtype=np.int64))
        if matrix.size and ((matrix < 0).any() or (matrix >= self.cardinalities).any()):
            raise IndexError("option position out of range")
        out = np.zeros(matrix.shape[0], dtype=np.int64)
        for i in range(self.n_issues):
            out = out * self.cardinalities[i] + matrix[:, i]
        return out

    def deal(self, index_or_options: int | np.ndarray | Sequence[int]) -> dict[str, OptionValue]:
        """The deal ``{issue: option}`` of a flat index or of one row of option positions."""
        if isinstance(index_or_options, int | np.integer):
            row = self.unravel(int(index_or_options))[0]
        else:
            row = np.asarray(index_or_options, dtype=np.int64)
        return {
            issue.name: issue.values[int(k)]
            for issue, k in zip(self.scenario.issues, row, strict=True)
        }

    def options_of(self, deal: Mapping[str, OptionValue]) -> np.ndarray:
        """Option positions ``(n_issues,)`` of a deal given as ``{issue: option}``.

        Raises:
            ScenarioError: an issue is missing or unknown, or an option is unknown (the
                message lists the valid names).
        """
        row = np.empty(self.n_issues, dtype=np.int64)
        try:
            for i, issue in enumerate(self.scenario.issues):
                row[i] = issue.option_index(deal[issue.name])
        except (KeyError, ValueError):
            # an unknown name is refused with the valid ones listed; an option written as a
            # number (5.0 for "5") comes back under its own name
            return self.options_of(check_deal(self.scenario, deal))
        if len(deal) != self.n_issues:
            check_deal(self.scenario, deal)  # an unknown issue beside the known ones
        return row

    def index_of(self, deal: Mapping[str, OptionValue]) -> int:
        """Flat index of a deal given as ``{issue: option}``."""
        return int(self.ravel(self.options_of(deal)[None, :])[0])

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[np.ndarray]:
        """Every flat index, in ``int64`` arrays of at most ``chunk_size``."""
        self._require_indexable()
        for start in range(0, self.size, chunk_size):
            yield np.arange(start, min(start + chunk_size, self.size), dtype=np.int64)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """An option matrix of ``n`` deals drawn uniformly (with replacement)."""
        return rng.integers(0, self.cardinalities, size=(n, self.n_issues), dtype=np.int64)

    # -- utilities ------------------------------------------------------------------------

    def utilities_of_options(self, options: np.ndarray) -> np.ndarray:
        """Utilities ``(n, n_parties)`` of an option matrix ``(n, n_issues)``."""
        matrix = np.atleast_2d(np.asarray(options, dtype=np.int64))
        cols = np.arange(self.n_issues)
        # tables[:, cols, matrix] -> (n_parties, n, n_issues); sum over issues.
        out = self.tables[:, cols, matrix].sum(axis=2).T
        for p, rules in self._rules.items():
            inside = rules.inside[:, cols, matrix]  # (n_constraints, n, n_issues)
            hit = inside.all(axis=2)  # (n_constraints, n)
            raw = rules.utility @ hit
            with np.errstate(over="ignore"):  # a tiny normalizer: +-inf, clipped to 1 or 0
                out[:, p] = np.clip(raw / rules.normalizer, 0.0, 1.0)
        return np.ascontiguousarray(out)

    def utilities(self, indices: np.ndarray | Sequence[int] | int | None = None) -> np.ndarray:
        """Utilities ``(n, n_parties)`` of flat ``indices``; of every deal when not given.

        Raises:
            ScenarioError: no indices, and the space has more than :data:`IN_MEMORY_LIMIT`
                deals (walk it with :meth:`chunks` instead).
        """
        if indices is None:
            if self.size > IN_MEMORY_LIMIT:
                raise ScenarioError(
                    f"the space has {self.size:,} deals, more than {IN_MEMORY_LIMIT:,} held in "
                    "memory at once; pass indices, e.g. from space.chunks()",
                    source=self.scenario.name,
                )
            return np.concatenate([self.utilities(c) for c in self.chunks()])
        return self.utilities_of_options(self.unravel(indices))

    def acceptable_options(self, options: np.ndarray) -> np.ndarray:
        """``(n, n_parties)`` booleans: the deal crosses none of the party's red lines."""
        matrix = np.atleast_2d(np.asarray(options, dtype=np.int64))
        cols = np.arange(self.n_issues)
        ok = np.asarray(self.allowed[:, cols, matrix].all(axis=2)).T
        return np.ascontiguousarray(ok)

    def in_zopa_options(self, options: np.ndarray) -> np.ndarray:
        """``(n,)`` booleans: acceptable to every party (``u_p >= r_p``, no red line crossed).

        Utilities are sums of floating-point terms, so a deal worth exactly ``r_p`` on paper may
        land a few ulps below it; :func:`meets` (``u_p >= r_p - ACCEPT_TOLERANCE``) counts it
        as acceptable.
        """
        utilities = self.utilities_of_options(options)
        ok = np.asarray(meets(utilities, self.reservation).all(axis=1))
        return ok & self.acceptable_options(options).all(axis=1)

    def party_index(self, name: str) -> int:
        """Position of the party called ``name``."""
        try:
            return self.party_names.index(name)
        except ValueError:
            known = ", ".join(self.party_names)
            raise ScenarioError(f"unknown party {name!r} (known: {known})") from None


def _rule_tables(
    prefs: RuleBasedPreferences, issues: Sequence[DiscreteIssue | NumericIssue], width: int
) -> _RuleTables:
    n = len(prefs.constraints)
    inside = np.ones((n, len(issues), width), dtype=bool)
    for c, constraint in enumerate(prefs.constraints):
        for i, issue in enumerate(issues):
            bound = constraint.bounds.get(issue.name)
            if bound is None:
                continue
            if isinstance(issue, NumericIssue):
                grid = issue.grid
                row = (grid >= float(bound[0])) & (grid <= float(bound[1]))
            else:
                row = np.isin(np.array(issue.values, dtype=object), [str(b) for b in bound])
            inside[c, i, :] = False
            inside[c, i, : len(row)] = row
    utility = np.array([c.utility for c in prefs.constraints], dtype=np.float64)
    normalizer = prefs.normalizer or float(np.clip(utility, 0, None).sum()) or 1.0
    return _RuleTables(inside=inside, utility=utility, normalizer=normalizer)
