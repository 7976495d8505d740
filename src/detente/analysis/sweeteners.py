"""Sweeteners and log-rolling: what cheap change turns a "no" into a "yes"?

A *sweetener* for a party changes one or two issues of a reference deal. Changes that keep every
other party on board come first; changes that would make another party say no come after them,
whatever their price. Within each group a change is ranked by the utility it gives that party
per unit of utility it costs the others (the sum of the others' losses; a change that costs
nobody anything ranks first). Each is marked when it lifts the party to its reservation value
and when the changed deal is acceptable to everyone, says what each other party gives up, and
reads as one sentence a mediator can use. Changes to an option some party has red-lined are
never proposed.

*Log-rolling* (Pruitt 1981; Raiffa 1982, ch. 10): two parties trade issues they value
differently. The table lists, for each pair of parties, the issues one cares about far more
than the other, measured by each issue's swing weight (its best minus its worst option among the
options no party has red-lined).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from detente.analysis._exact import TOLERANCE, exact_tables, exact_utilities, thresholds
from detente.analysis.pareto import feasible_options
from detente.analysis.wording import figure, is_clause, party_name, pronoun, verb
from detente.scenario.model import OptionValue
from detente.space import OutcomeSpace

__all__ = [
    "Change",
    "IssueSwing",
    "LogrollPair",
    "Sweetener",
    "Sweeteners",
    "as_options",
    "logrolling",
    "sweeteners",
]


@dataclass(frozen=True)
class Change:
    """One issue moved from one option to another."""

    issue: str
    before: str
    after: str


@dataclass(frozen=True)
class Sweetener:
    """A change of one or two issues of the reference deal in favour of ``party``.

    Attributes:
        party: who gains.
        changes: the issues changed.
        gain: the party's utility gain.
        cost: the utility the other parties lose, summed (gains of others do not offset it).
        ratio: ``gain / cost`` (``inf`` when nobody loses).
        utilities: every party's utility after the change.
        lifts: the party rejected the reference deal and accepts the changed one.
        acceptable_to_all: the changed deal is in the ZOPA.
        loses: parties that accepted the reference deal and reject the changed one.
        costs: what each other party that loses utility gives up, largest first.
        sentence: the change in plain words, with who gains, who pays and who would say no.
    """

    party: str
    changes: tuple[Change, ...]
    gain: float
    cost: float
    ratio: float
    utilities: dict[str, float]
    lifts: bool
    acceptable_to_all: bool
    loses: tuple[str, ...] = ()
    costs: dict[str, float] = field(default_factory=dict)
    sentence: str = ""


@dataclass(frozen=True)
class Sweeteners:
    """The sweeteners of a reference deal, for the parties that reject it or nearly do.

    Attributes:
        deal: the reference deal ``{issue: option}``.
        utilities: every party's utility for it.
        by_party: the best sweeteners for each party considered, best first.
        to_yes: for each party considered that rejects the deal, the best-ranked change that
            brings it to a yes (preferring changes every other party still accepts); ``None``
            when no one- or two-issue change does, or when the party already accepts.
        reasons: why each party is considered: ``"rejects"`` (below its reservation value),
            ``"close"`` (accepts with a gain under the margin), ``"smallest_gain"`` (everyone
            accepts comfortably; this party gains least) or ``"asked"`` (named by the caller).
        headlines: for each party considered, one sentence on where it stands and why.
    """

    deal: dict[str, str]
    utilities: dict[str, float]
    by_party: dict[str, tuple[Sweetener, ...]]
    to_yes: dict[str, Sweetener | None]
    reasons: dict[str, str] = field(default_factory=dict)
    headlines: dict[str, str] = field(default_factory=dict)


def as_options(space: OutcomeSpace, deal: Mapping[str, OptionValue] | Sequence[int]) -> np.ndarray:
    """Option positions of a deal given as ``{issue: option}`` or as positions."""
    if isinstance(deal, Mapping):
        return space.options_of(deal)
    return np.asarray(deal, dtype=np.int64)


def _candidates(
    space: OutcomeSpace, base: np.ndarray, max_pairs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every one- and two-issue change of ``base`` that crosses no red line.

    Returns the option matrix and, for each row, the rows of its one-issue parts (``-1`` for a
    one-issue change). Rows come issue by issue, then pair by pair of issues (in the order of
    ``itertools.combinations``, as long as the pairs' changes stay within ``max_pairs``), each
    pair's changes first option major.
    """
    opts = feasible_options(space)
    moves = [o[o != base[i]] for i, o in enumerate(opts)]
    sizes = np.array([len(m) for m in moves], dtype=np.int64)
    flat = np.concatenate([np.empty(0, dtype=np.int64), *moves])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    # one-issue changes: alternative k of issue i replaces base[i]
    issue = np.repeat(np.arange(space.n_issues), sizes)
    single = np.repeat(base[None, :], len(flat), axis=0)
    single[np.arange(len(flat)), issue] = flat
    # two-issue changes: the pairs of issues, in order, while they fit in max_pairs
    chosen: list[tuple[int, int]] = []
    pairs = 0
    for i, j in itertools.combinations(range(space.n_issues), 2):  # loop over issue pairs
        count = int(sizes[i] * sizes[j])
        if pairs + count > max_pairs:
            break
        pairs += count
        chosen.append((i, j))
    first_issue = np.array([i for i, _ in chosen], dtype=np.int64)
    second_issue = np.array([j for _, j in chosen], dtype=np.int64)
    counts = sizes[first_issue] * sizes[second_issue]
    pair = np.repeat(np.arange(len(chosen)), counts)
    local = np.arange(pairs) - np.repeat(np.cumsum(counts) - counts, counts)
    width = sizes[second_issue][pair]
    first = offsets[first_issue][pair] + local // np.maximum(width, 1)
    second = offsets[second_issue][pair] + local % np.maximum(width, 1)
    double = np.repeat(base[None, :], pairs, axis=0)
    rows = np.arange(pairs)
    double[rows, first_issue[pair]] = flat[first]
    double[rows, second_issue[pair]] = flat[second]
    parts = np.concatenate(
        [np.full((len(flat), 2), -1, dtype=np.int64), np.stack([first, second], axis=1)]
    )
    return np.concatenate([single, double]), parts


def sweeteners(
    space: OutcomeSpace,
    deal: Mapping[str, OptionValue] | Sequence[int],
    parties: Sequence[str] | None = None,
    *,
    top: int = 5,
    margin: float = 0.05,
    max_pairs: int = 200_000,
) -> Sweeteners:
    """Rank the one- and two-issue changes of ``deal`` that help a reluctant party most cheaply.

    Args:
        space: the outcome space.
        deal: the reference deal.
        parties: who to sweeten for; by default every party whose gain over its reservation
            value is below ``margin`` (or, if none, the party with the smallest gain).
        top: how many sweeteners to keep per party.
        margin: how close to its reservation value a party must be to be considered.
        max_pairs: cap on the number of two-issue changes examined.
    """
    base = as_options(space, deal)
    before = exact_utilities(space, base[None, :])[0]
    gains = before - space.reservation
    if parties is None:
        chosen = [p for p in range(space.n_parties) if gains[p] < margin]
        reasons = {p: "rejects" if gains[p] < -TOLERANCE else "close" for p in chosen}
        if not chosen:
            chosen = [int(np.argmin(gains))]
            reasons = {chosen[0]: "smallest_gain"}
    else:
        chosen = [space.party_index(name) for name in parties]
        reasons = {p: "rejects" if gains[p] < -TOLERANCE else "asked" for p in chosen}
    matrix, parts = _candidates(space, base, max_pairs)
    single = parts[:, 0] < 0
    after = exact_utilities(space, matrix)
    delta = after - before
    floor = thresholds(space)
    accepts = np.asarray(after >= floor)
    acceptable = np.asarray(accepts.all(axis=1))
    accepted_before = np.asarray(before >= floor)
    changed = matrix != base
    n_changes = changed.sum(axis=1)
    by_party: dict[str, tuple[Sweetener, ...]] = {}
    to_yes: dict[str, Sweetener | None] = {}
    for p in chosen:
        gain = delta[:, p]
        losses = np.clip(-np.delete(delta, p, axis=1), 0.0, None).sum(axis=1)
        with np.errstate(divide="ignore"):
            ratio = np.where(losses > 0, gain / np.where(losses > 0, losses, 1.0), np.inf)
        lifts = accepts[:, p] & ~accepted_before[p]
        # a two-issue change must beat both of its halves (else the better half says it all)
        beats = (ratio > ratio[parts[:, 0]]) & (ratio > ratio[parts[:, 1]])
        beats |= lifts & ~lifts[parts[:, 0]] & ~lifts[parts[:, 1]]
        useful = (gain > 1e-12) & (single | beats)
        # changes that lose another party go after those that keep everyone on board
        loses_someone = np.delete(accepted_before[None, :] & ~accepts, p, axis=1).any(axis=1)
        order = np.lexsort((n_changes, -gain, -ratio, loses_someone))
        order = order[useful[order]][:top]

        def make(
            k: int,
            *,
            p: int = p,
            gain: np.ndarray = gain,
            losses: np.ndarray = losses,
            ratio: np.ndarray = ratio,
            lifts: np.ndarray = lifts,
        ) -> Sweetener:
            loss = np.clip(before - after[k], 0.0, None)
            loss[p] = 0.0
            payers = [q for q in np.argsort(-loss, kind="stable") if loss[q] > 0]
            made = Sweetener(
                party=space.party_names[p],
                changes=_changes(space, base, matrix[k], changed[k]),
                gain=float(gain[k]),
                cost=float(losses[k]),
                ratio=float(ratio[k]),
                utilities=dict(zip(space.party_names, map(float, after[k]), strict=True)),
                lifts=bool(lifts[k]),
                acceptable_to_all=bool(acceptable[k]),
                loses=tuple(
                    space.party_names[q] for q in np.flatnonzero(accepted_before & ~accepts[k])
                ),
                costs={space.party_names[q]: float(loss[q]) for q in payers},
            )
            return replace(made, sentence=sweetener_sentence(space, made))

        by_party[space.party_names[p]] = tuple(make(int(k)) for k in order)
        # the cheapest change that brings the party to a yes, everyone else staying on board
        # when possible
        ranked = np.lexsort((n_changes, -gain, -ratio, ~acceptable))
        lifting = ranked[(useful & lifts)[ranked]]
        to_yes[space.party_names[p]] = make(int(lifting[0])) if len(lifting) else None
    return Sweeteners(
        deal={k: str(v) for k, v in space.deal(base).items()},
        utilities=dict(zip(space.party_names, map(float, before), strict=True)),
        by_party=by_party,
        to_yes=to_yes,
        reasons={space.party_names[p]: reasons[p] for p in chosen},
        headlines={
            space.party_names[p]: _headline(space, p, float(before[p]), reasons[p], margin)
            for p in chosen
        },
    )


def _headline(space: OutcomeSpace, p: int, utility: float, reason: str, margin: float) -> str:
    """Where the party stands on the reference deal, and why it gets sweeteners."""
    name = space.party_names[p]
    who = party_name(name, start=True)
    its = pronoun(name)
    r = float(space.reservation[p])
    stand = f"{figure(utility)} against {figure(r)} for {its} alternative"
    if reason == "rejects":
        return (
            f"{who} {verb(name, 'rejects', 'reject')} this deal: {stand}. "
            f"Ways to bring {'them' if its == 'their' else 'it'} to a yes, cheapest first:"
        )
    opening = {
        "close": f"{who} {verb(name, 'accepts', 'accept')} this deal, but only just: {stand} "
        f"(a margin under {figure(margin)}).",
        "smallest_gain": f"Every party accepts this deal; {party_name(name)} "
        f"{verb(name, 'gains', 'gain')} least from it: {stand}.",
        "asked": f"{who} {verb(name, 'accepts', 'accept')} this deal: {stand}.",
    }[reason]
    return f"{opening} Ways to give {'them' if its == 'their' else 'it'} more, cheapest first:"


def _option_label(space: OutcomeSpace, issue_name: str, option: str) -> str:
    issue = space.scenario.issue(issue_name)
    return issue.labels[[str(v) for v in issue.values].index(option)]


def _phrase(label: str) -> str:
    """A label that has a comma of its own gets one after it too, so "instead of" reads clearly."""
    return f"{label}," if "," in label else label


def _shared(space: OutcomeSpace, issue_name: str, label: str) -> bool:
    """Whether another issue has an option with the same label."""
    return any(label in issue.labels for issue in space.scenario.issues if issue.name != issue_name)


def _moves(space: OutcomeSpace, s: Sweetener) -> str:
    """The changes: "offer P X instead of Y", or "agree that X rather than that Y" for clauses."""
    whom = party_name(s.party)
    parts = []
    for n, c in enumerate(s.changes):
        after = _option_label(space, c.issue, c.after)
        before = _option_label(space, c.issue, c.before)
        where = ""
        if _shared(space, c.issue, after) or _shared(space, c.issue, before):
            issue = space.scenario.issue(c.issue)
            where = f" on {issue.label or issue.name}"  # "50 kW" alone does not say where
        if is_clause(after):
            than = "rather than that" if is_clause(before) else "instead of"
            parts.append(f"agree that {_phrase(after)} {than} {before}{where}")
        else:
            instead = "instead of agreeing that" if is_clause(before) else "instead of"
            parts.append(
                f"offer {whom if n == 0 else ''} {_phrase(after)} {instead} {before}{where}"
            )
    text = ", and ".join(" ".join(part.split()) for part in parts)
    if text.startswith("agree"):
        return f"For {whom}, {text}"
    return text[:1].upper() + text[1:]


def sweetener_sentence(space: OutcomeSpace, s: Sweetener) -> str:
    """The sweetener in plain words, e.g. "Offer Russia X instead of Y: Russia gains 0.07 ..."."""
    name = s.party
    r = float(space.reservation[space.party_index(name)])
    u = s.utilities[name]
    its = pronoun(name)
    if s.lifts:
        status = f"now above {its} alternative"
    elif u < r - TOLERANCE:
        status = f"still {figure(r - u)} short of {its} alternative"
    else:
        status = f"now {figure(u - r)} above {its} alternative"
    gain = f"{party_name(name)} {verb(name, 'gains', 'gain')} {figure(s.gain)} ({status})"
    if s.costs:
        payers = [
            f"{party_name(q)} {_amount(c)}"
            if k
            else f"{party_name(q)} {verb(q, 'gives', 'give')} up {_amount(c)}"
            for k, (q, c) in enumerate(s.costs.items())
        ]
        price = "; " + ", ".join(payers)
    else:
        price = "; it costs nobody anything"
    verdict = ""
    if s.loses:
        who = " and ".join(party_name(q, start=k == 0) for k, q in enumerate(s.loses))
        verdict = f" {who} would then say no."
    elif s.acceptable_to_all:
        verdict = " Every party still accepts."
    return f"{_moves(space, s)}: {gain}{price}.{verdict}"


def _amount(x: float) -> str:
    shown = figure(x)
    return "under 0.01" if float(shown) == 0 else shown


def _changes(
    space: OutcomeSpace, base: np.ndarray, row: np.ndarray, changed: np.ndarray
) -> tuple[Change, ...]:
    issues = space.scenario.issues
    return tuple(
        Change(issues[i].name, str(issues[i].values[base[i]]), str(issues[i].values[row[i]]))
        for i in np.flatnonzero(changed)
    )


@dataclass(frozen=True)
class IssueSwing:
    """How much two parties care about one issue (swing weights, in utility points)."""

    issue: str
    first: float
    second: float


@dataclass(frozen=True)
class LogrollPair:
    """Trade candidates between two parties.

    Attributes:
        first: one party.
        second: the other.
        first_cares_more: issues ``first`` values at least ``factor`` times more, most lopsided
            first.
        second_cares_more: the same the other way round.
    """

    first: str
    second: str
    first_cares_more: tuple[IssueSwing, ...]
    second_cares_more: tuple[IssueSwing, ...]

    @property
    def tradeable(self) -> bool:
        """Each side has an issue it could give away for one it cares about more."""
        return bool(self.first_cares_more and self.second_cares_more)


def swing_weights(space: OutcomeSpace) -> np.ndarray:
    """``(n_parties, n_issues)`` best minus worst per-issue utility over feasible options."""
    out = np.zeros((space.n_parties, space.n_issues))
    tables = exact_tables(space)
    for i, options in enumerate(feasible_options(space)):
        if len(options):
            values = tables[:, i, options]
            out[:, i] = values.max(axis=1) - values.min(axis=1)
    return out


def logrolling(
    space: OutcomeSpace, *, factor: float = 2.0, floor: float = 0.02
) -> list[LogrollPair]:
    """For each pair of additive parties, the issues one values ``factor`` times more.

    Issues worth less than ``floor`` to the party that cares more are left out. Parties with
    rule-based preferences have no per-issue weights and are skipped.
    """
    swing = swing_weights(space)
    names = space.issue_names
    out = []
    additive = [p for p in range(space.n_parties) if space.additive[p]]
    for a, b in itertools.combinations(additive, 2):
        sides = []
        for x, y in ((a, b), (b, a)):
            keep = (swing[x] >= floor) & (swing[x] >= factor * swing[y])
            idx = np.flatnonzero(keep)
            lopsided = swing[x, idx] / np.maximum(swing[y, idx], 1e-12)
            idx = idx[np.argsort(-lopsided, kind="stable")]
            sides.append(
                tuple(IssueSwing(names[i], float(swing[x, i]), float(swing[y, i])) for i in idx)
            )
        out.append(LogrollPair(space.party_names[a], space.party_names[b], sides[0], sides[1]))
    return out
