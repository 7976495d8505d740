"""Talking points: what is in a deal for a party, in the scenario's own words.

For an additive party, a deal's utility is a sum of per-issue terms ``w_i v_i(option_i)``; the
terms that contribute most are the ones to lead with when selling the deal to that party. Each
point names the option and issue by their labels and carries the scenario's rationale.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from detente.analysis._exact import TOLERANCE, exact_tables, exact_utilities
from detente.analysis.sweeteners import as_options
from detente.analysis.wording import (
    figure,
    lower_first,
    party_name,
    possessive,
    pronoun,
    upper_first,
)
from detente.scenario.model import (
    AdditivePreferences,
    OptionValue,
    issue_value_table,
    normalized_weights,
)
from detente.space import OutcomeSpace

__all__ = ["TalkingPoint", "TalkingPoints", "talking_points"]


@dataclass(frozen=True)
class TalkingPoint:
    """One term of a deal that works for a party.

    Attributes:
        issue: the issue's name.
        option: the option's name.
        contribution: the utility this term gives the party (``w_i v_i``).
        value: how good the option is for the party on that issue (1 = its best).
        weight: the issue's share of the party's priorities.
        sentence: the point in plain words.
    """

    issue: str
    option: str
    contribution: float
    value: float
    weight: float
    sentence: str


@dataclass(frozen=True)
class TalkingPoints:
    """What to tell a party about a deal.

    Attributes:
        party: the party.
        utility: its utility for the deal.
        reservation: its reservation value.
        summary: one sentence on the deal against the party's alternative.
        points: the terms to lead with, strongest first.
    """

    party: str
    utility: float
    reservation: float
    summary: str
    points: tuple[TalkingPoint, ...]


def _proper_names(space: OutcomeSpace) -> frozenset[str]:
    """Words that are names: in party names, or capitalised inside the scenario's sentences."""
    scenario = space.scenario
    texts = [scenario.description, *(p.description for p in scenario.parties)]
    texts += [i.label for i in scenario.issues]
    return _names_in(tuple(space.party_names), tuple(texts))


@functools.lru_cache(maxsize=64)
def _names_in(parties: tuple[str, ...], texts: tuple[str, ...]) -> frozenset[str]:
    """:func:`_proper_names` of these texts (kept: an edit of the weights leaves them alone)."""
    names = {w for p in parties for w in p.split()}
    for text in texts:
        words = text.replace(".", " .").split()
        for previous, word in itertools.pairwise(words):
            stem = word.strip("\"'(),;:").removesuffix("'s")
            if stem[:1].isupper() and previous != ".":
                names.add(stem)
    return frozenset(names)


def _quality(value: float, its: str) -> str:
    if value >= 1.0 - 1e-9:
        return f"{its} best outcome"
    if value >= 0.7:
        return "a strong result"
    if value >= 0.4:
        return "a partial win"
    return "a modest gain"


def _issue_phrase(label: str, party: str, names: frozenset[str]) -> str:
    """The issue as said to ``party``: no "for Russia" when speaking of Russia, "its" for "X's".

    A lower-cased label of the form "status of ..." takes the article.
    """
    for owner in (f"{party}'s ", f"{party}\u2019s "):
        if label.startswith(owner):
            return f"{pronoun(party)} {label.removeprefix(owner)}"
    phrase = lower_first(label.removesuffix(f" for {party}"), names)
    words = phrase.split()
    if phrase[:1].islower() and len(words) > 2 and words[1] == "of":
        return f"the {phrase}"  # "on the status of the line", not "on status of the line"
    return phrase


def talking_points(
    space: OutcomeSpace,
    deal: Mapping[str, OptionValue] | Sequence[int],
    party: str,
    *,
    top: int = 3,
) -> TalkingPoints:
    """The terms of ``deal`` that contribute most to ``party``'s utility, as sentences."""
    p = space.party_index(party)
    base = as_options(space, deal)
    utility = float(exact_utilities(space, base[None, :])[0, p])
    reservation = float(space.reservation[p])
    gap = utility - reservation
    its = pronoun(party)
    verdict = (
        f"a gain of {figure(gap)}, so it beats no deal"
        if gap >= -TOLERANCE
        else f"{figure(-gap)} short, so these points alone will not carry it"
    )
    summary = (
        f"For {party_name(party)} this deal is worth {figure(utility)} against "
        f"{figure(reservation)} for {its} alternative: {verdict}."
    )
    prefs = space.scenario.parties[p].preferences
    if not isinstance(prefs, AdditivePreferences):
        summary += (
            f" {possessive(party_name(party, start=True))} preferences are rule-based, so no "
            "single term can be credited."
        )
        return TalkingPoints(party, utility, reservation, summary, ())
    weights = normalized_weights(prefs, list(space.issue_names))
    terms = exact_tables(space)[p, np.arange(space.n_issues), base]
    names = _proper_names(space)
    points = []
    for i in np.argsort(-terms, kind="stable")[:top]:
        if terms[i] <= 0:
            break
        issue = space.scenario.issues[i]
        value = float(issue_value_table(prefs.issues[issue.name], issue)[base[i]])
        option_label = issue.labels[base[i]]
        issue_label = issue.label or issue.name
        rationale = prefs.issues[issue.name].rationale.strip()
        sentence = (
            f"{upper_first(option_label)}: {_quality(value, its)} for {party_name(party)} on "
            f"{_issue_phrase(issue_label, party, names)}, an issue that carries "
            f"{weights[i]:.0%} of {its} priorities."
        )
        if rationale:
            sentence += f" {upper_first(rationale)}"
        points.append(
            TalkingPoint(
                issue=issue.name,
                option=str(issue.values[base[i]]),
                contribution=float(terms[i]),
                value=value,
                weight=float(weights[i]),
                sentence=sentence,
            )
        )
    return TalkingPoints(party, utility, reservation, summary, tuple(points))
