"""The precedents of a scenario's deal: its mechanisms and context in the records' terms.

One function maps a deal of an outcome space to the yes/no features of
``detente/precedents/provisions.yaml`` and asks :func:`detente.precedents.find_precedents`
for the past ceasefires most like it; ``detente precedents`` and ``detente brief --ethprio``
both call it, so both show the same search. Needs the ``precedents`` extra (pandas, lifelines),
imported only when a search runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from detente.durability.mechanisms import provided_mechanisms
from detente.errors import DetenteError
from detente.scenario.model import Role, Scenario
from detente.space import OutcomeSpace

if TYPE_CHECKING:
    import pandas as pd

    from detente.precedents import PrecedentSearch

__all__ = ["context_terms", "deal_terms", "load_records", "records_source", "search_deal"]


def load_records(
    ethprio: Path | None, pax: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The ETH/PRIO records (and PA-X's, if given) of a search, read and checked.

    Raises:
        DetenteError: a missing or bad file, or PA-X without ETH/PRIO.
    """
    if ethprio is None:
        raise DetenteError("PA-X is read with the ETH/PRIO file: give --ethprio too", field="--pax")
    from detente.precedents import load_ethprio, load_pax  # noqa: PLC0415 - optional extra

    return load_ethprio(ethprio), None if pax is None else load_pax(pax)


def records_source(ethprio: Path, pax: Path | None) -> str:
    """The records a search reads, in words (its ``source``)."""
    return f"ETH/PRIO CF ({ethprio.name})" + (f" and PA-X ({pax.name})" if pax else "")


def deal_terms(space: OutcomeSpace, deal: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """The deal's mechanisms and context, in the terms of ``provisions.yaml``.

    Mechanisms are what the deal's options provide (``provides`` in the scenario, resolved as
    the durability model resolves them). A signed deal is written; two belligerents make it
    bilateral, more multilateral; a mediator at the table makes it mediated.
    """
    return {
        "mechanisms": tuple(provided_mechanisms(space.scenario, deal)),
        "context": context_terms(space.scenario),
    }


def context_terms(scenario: Scenario) -> tuple[str, ...]:
    """What a signed deal of ``scenario`` is in the records' terms, whatever its options.

    A signed deal is written; two belligerents make it bilateral, more multilateral; a
    mediator at the table makes it mediated.
    """
    roles = [p.role for p in scenario.parties]
    fighting = roles.count(Role.BELLIGERENT)
    context = ["written", "bilateral" if fighting <= 2 else "multilateral"]
    if Role.MEDIATOR in roles:
        context.append("mediated")
    return tuple(context)


def search_deal(
    space: OutcomeSpace,
    deal: Mapping[str, str],
    records: pd.DataFrame,
    *,
    pax: pd.DataFrame | None = None,
    threshold: float = 0.8,
    limit: int = 10,
    source: str = "ETH/PRIO CF",
) -> PrecedentSearch:
    """The past ceasefires of ``records`` (loaded ETH/PRIO) most like ``deal``.

    Raises:
        DetenteError: a bad threshold.
    """
    from detente.precedents import find_precedents  # noqa: PLC0415 - optional extra
    from detente.precedents.search import deal_features, load_features  # noqa: PLC0415

    terms = deal_terms(space, deal)
    features = load_features()
    mapped = {m for f in features for m in f.mechanisms}
    return find_precedents(
        records,
        deal_features(features, **terms),
        pax=pax,
        unmapped=[m for m in terms["mechanisms"] if m not in mapped],
        threshold=threshold,
        limit=limit,
        source=source,
    )
