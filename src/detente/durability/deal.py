"""From a scenario and a deal to the model's parameters.

A party's value of complying is its utility of the deal (``OutcomeSpace``); its value of
breaking starts at its reservation value and then drifts. The mechanisms the deal's options
declare they provide (``provides`` in the scenario: an international monitoring mission
provides ``monitoring``) switch the matching presets on; nothing is inferred from a name.
The parties of the model are the scenario's belligerents (every party when none is
marked as one): mediators and guarantors act through the mechanisms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from detente.analysis import bargaining_solutions
from detente.analysis.solutions import SOLUTION_NAMES
from detente.durability.mechanisms import (
    Mechanism,
    apply_mechanisms,
    provided_mechanisms,
)
from detente.durability.parameters import ParameterError, Parameters, default_parameters
from detente.errors import DetenteError
from detente.scenario.deal import parse_deal
from detente.scenario.model import DiscreteIssue, Role
from detente.space import OutcomeSpace

__all__ = ["complete_deal", "deal_utilities", "parameters_for_deal", "resolve_deal"]

_DEAL_FILES = {".yaml", ".yml", ".json"}
_ALIASES = {"ks": "kalai_smorodinsky", "kalai-smorodinsky": "kalai_smorodinsky"}


def resolve_deal(space: OutcomeSpace, spec: str | Mapping[str, object]) -> dict[str, str]:
    """The deal ``{issue: option}`` named by ``spec`` (see :func:`complete_deal`)."""
    return complete_deal(space, spec)[0]


def complete_deal(
    space: OutcomeSpace, spec: str | Mapping[str, object]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The deal named by ``spec``, and the issues it left out (taken from the Nash deal).

    ``spec`` is a mapping, a solution name (``nash``, ``kalai_smorodinsky``, ``egalitarian``,
    ``utilitarian``), ``"issue=option,..."``, a JSON object, or a YAML/JSON file holding one.
    A mapping may give only some issues: the others are the Nash deal's.

    Raises:
        DetenteError: the spec cannot be read, or the ZOPA is empty for a solution name (or
            for filling in the issues left out).
        ScenarioError: an issue or option is unknown (the message lists the valid names).
    """
    if isinstance(spec, Mapping):
        raw: str | Mapping[str, object] = spec
    else:
        raw = spec.strip()
        name = _ALIASES.get(raw.lower(), raw.lower())
        if name in SOLUTION_NAMES:
            return dict(_solution(space, name)), ()
        if not _written_deal(raw):
            known = ", ".join(SOLUTION_NAMES)
            raise DetenteError(
                f"unknown deal {raw!r}: give a solution ({known}), issue=option pairs, a JSON "
                "object or a YAML/JSON file",
                field="--deal",
            )
    deal = parse_deal(raw, space.scenario, complete=False)
    missing = tuple(i.name for i in space.scenario.issues if i.name not in deal)
    if missing:
        nash = _solution(space, "nash", f"to take {', '.join(missing)} from")
        deal = {i.name: deal.get(i.name, str(nash[i.name])) for i in space.scenario.issues}
    return deal, missing


def _written_deal(text: str) -> bool:
    """Whether ``text`` is a deal written out (not a solution name): pairs, JSON or a file."""
    return text.startswith("{") or "=" in text or Path(text).suffix.lower() in _DEAL_FILES


def _solution(space: OutcomeSpace, name: str, purpose: str = "") -> Mapping[str, str]:
    deal = bargaining_solutions(space)[name].deal
    if deal is None:
        why = f" {purpose}" if purpose else ""
        raise DetenteError(
            f"no {name} deal{why}: no deal is acceptable to every party (empty ZOPA)",
            field="--deal",
        )
    return {str(k): str(v) for k, v in deal.items()}


def parameters_for_deal(
    space: OutcomeSpace,
    deal: Mapping[str, object],
    *,
    mechanisms: Iterable[str] = (),
    parties: Iterable[str] | None = None,
    base: Parameters | None = None,
    deal_terms: bool = True,
    presets: Sequence[Mechanism] | None = None,
) -> Parameters:
    """The calibrated model for ``deal``: utilities and alternatives from the scenario.

    Args:
        space: the scenario's outcome space.
        deal: ``{issue: option}`` (see :func:`resolve_deal`).
        mechanisms: presets to add to those the deal's terms switch on.
        parties: the parties of the model (default: the belligerents).
        base: parameters whose party of the same name (else its first party) serves as
            template for each party, and whose shared fields are kept (default: the
            calibrated defaults). A party's observed incident rate, say, then stays its own.
        deal_terms: whether the mechanisms the deal's options provide are switched on.
        presets: mechanism presets to use instead of the built-in ones.
    """
    terms = {str(k): str(v) for k, v in deal.items()}
    row = space.options_of(terms)
    utilities = space.utilities_of_options(row[None, :])[0]
    chosen = list(parties) if parties is not None else _belligerents(space)
    if len(chosen) < 1:
        raise ParameterError("the model needs at least one party", field="parties")
    index = [space.party_index(name) for name in chosen]
    values = {name: float(utilities[i]) for name, i in zip(chosen, index, strict=True)}
    alternatives = {
        name: float(space.reservation[i]) for name, i in zip(chosen, index, strict=True)
    }
    defaults = default_parameters(values, alternatives)
    deferred, days = _phased(space, terms, index)
    if base is not None:
        templates = {p.name: p for p in base.parties}
        parties_data = [
            {
                **templates.get(n, base.parties[0]).model_dump(),
                "name": n,
                "deal_value": values[n],
                "alternative": alternatives[n],
            }
            for n in chosen
        ]
        defaults = base.replace(parties=parties_data, mechanisms=())
    if days:
        parties_data = [
            {**p.model_dump(), "deferred_value": d, "phase_in_days": days}
            for p, d in zip(defaults.parties, deferred, strict=True)
        ]
        defaults = defaults.replace(parties=parties_data)
    provided = provided_mechanisms(space.scenario, terms, presets) if deal_terms else {}
    names = list(provided)
    names += [m for m in mechanisms if m not in names]
    return apply_mechanisms(defaults, names, presets, strengths=provided)


def _phased(
    space: OutcomeSpace, deal: Mapping[str, str], index: list[int]
) -> tuple[list[float], int]:
    """Each party's value still to come from phased terms, and the longest phase-in.

    A term phases in when the chosen option declares ``phase_in`` in the scenario; nothing is
    inferred from an option's name.
    """
    deferred = np.zeros(len(index))
    days = 0
    for i, issue in enumerate(space.scenario.issues):
        if not isinstance(issue, DiscreteIssue):
            continue
        chosen = issue.option_index(deal[issue.name])
        term = issue.options[chosen].phase_in
        if term is None:
            continue
        start = issue.option_index(term.starts_from)
        deferred += space.tables[index, i, chosen] - space.tables[index, i, start]
        days = max(days, term.days)
    return [float(d) for d in deferred], days


def _belligerents(space: OutcomeSpace) -> list[str]:
    parties = space.scenario.parties
    fighting = [p.name for p in parties if p.role is Role.BELLIGERENT]
    return fighting or [p.name for p in parties]


def deal_utilities(space: OutcomeSpace, deal: Mapping[str, str]) -> dict[str, float]:
    """Every party's utility of ``deal``."""
    row = space.options_of(deal)
    values = np.asarray(space.utilities_of_options(row[None, :])[0])
    return dict(zip(space.party_names, map(float, values), strict=True))
