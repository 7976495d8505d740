"""The advice's English: articles, agreement, clauses and rounding of displayed figures."""

from __future__ import annotations

import pytest

from detente.analysis.wording import (
    figure,
    is_clause,
    is_plural,
    party_name,
    possessive,
    pronoun,
    verb,
)


def test_figures_round_half_away_from_zero_after_a_nudge() -> None:
    assert f"{0.6649999999999999:.2f}" == "0.66"  # what plain formatting shows
    assert figure(0.6649999999999999) == "0.67"
    assert figure(0.6649999999999999 - 0.6, sign=True) == "+0.07"
    assert figure(0.125) == "0.13"
    assert figure(-0.125) == "-0.13"
    assert figure(-0.001) == "0.00"  # no "-0.00"
    assert figure(-0.001, sign=True) == "+0.00"
    assert figure(0.5274, 3) == "0.527"


@pytest.mark.parametrize(
    ("name", "inside", "start", "plural"),
    [
        ("United States", "the United States", "The United States", False),
        ("European states", "European states", "European states", True),
        ("Russia", "Russia", "Russia", False),
        ("European Union", "the European Union", "The European Union", False),
        ("UN", "the UN", "The UN", False),
        ("Hamas", "Hamas", "Hamas", False),
        ("Kurds", "Kurds", "Kurds", True),
        ("Netherlands", "the Netherlands", "The Netherlands", False),
        ("The Quartet", "The Quartet", "The Quartet", False),
        ("armed forces", "armed forces", "armed forces", True),
    ],
)
def test_party_names_in_a_sentence(name: str, inside: str, start: str, plural: bool) -> None:
    assert party_name(name) == inside
    assert party_name(name, start=True) == start
    assert is_plural(name) is plural
    assert verb(name, "gains", "gain") == ("gain" if plural else "gains")
    assert pronoun(name) == ("their" if plural else "its")


def test_possessives() -> None:
    assert possessive("Russia") == "Russia's"
    assert possessive("the United States") == "the United States'"


@pytest.mark.parametrize(
    ("label", "clause"),
    [
        ("only defensive systems are supplied", True),
        ("the line is frozen de facto, without recognition", True),
        ("Ukraine's NATO path stays open", True),
        ("Russian forces withdraw to the February 2022 line", True),
        ("no sanctions relief", False),
        ("a prisoner exchange and the return of deported children", False),
        ("is", False),
    ],
)
def test_clauses_are_told_from_noun_phrases(label: str, clause: bool) -> None:
    assert is_clause(label) is clause
