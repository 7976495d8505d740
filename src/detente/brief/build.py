"""One call from an outcome space to the mediator's briefing.

:func:`build_briefing` asks each lens once (the deal-space analysis, the durability model, a
negotiation session with every party seated, a stakeholder forecast) and gathers the answers in
one :class:`~detente.brief.result.Briefing`. Each lens is reached through one small function
below, so that a figure the briefing shows is the figure the lens's own command shows.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from detente import assess, durability, forecast, negotiation
from detente._rng import check_seed
from detente.analysis import analyze
from detente.brief.result import (
    Briefing,
    BriefingSweetener,
    Forecasted,
    PastCeasefire,
    Precedents,
    Rehearsal,
    Stake,
    Survival,
    Swap,
    Term,
)
from detente.durability.deal import complete_deal
from detente.durability.precedents import load_records, records_source, search_deal
from detente.errors import UnsupportedError
from detente.space import ACCEPT_TOLERANCE, OutcomeSpace

if TYPE_CHECKING:
    from detente.precedents import PrecedentSearch

__all__ = ["FRAGILE_MARGIN", "PRECEDENTS_SHOWN", "REHEARSAL_ROUNDS", "YEAR", "build_briefing"]

#: Day at which survival is read ("one year").
YEAR = 365
#: A party left less than this above its alternative says a fragile yes (the analysis's).
FRAGILE_MARGIN = assess.DEFAULT_FRAGILE_MARGIN
#: The rehearsal's deadline in rounds (the negotiation package's default).
REHEARSAL_ROUNDS = 100
#: How many of the past ceasefires most like the deal the briefing lists.
PRECEDENTS_SHOWN = 5


def build_briefing(
    space: OutcomeSpace,
    *,
    seed: int = 0,
    paths: int = assess.DEFAULT_PATHS,
    rounds: int = REHEARSAL_ROUNDS,
    ethprio: Path | None = None,
    pax: Path | None = None,
    deal: str | Mapping[str, object] | None = None,
) -> Briefing:
    """The briefing on a scenario: recommended deal, sweeteners, survival, forecast, rehearsal.

    Args:
        space: the scenario's outcome space.
        seed: the seed of every random process (the analysis, every durability run, the
            rehearsal); the same seed gives the same briefing.
        paths: simulated paths of each durability run: the deal is the one ``detente analyze
            --survival-paths PATHS --seed SEED`` recommends, and each survival figure the one
            ``detente durability --deal ... --paths PATHS --seed SEED`` reports.
        rounds: the rehearsal's deadline in rounds.
        ethprio: a copy of the ETH/PRIO Civil Conflict Ceasefire data (CSV): the briefing
            then lists the past ceasefires most like the recommended deal, the search
            ``detente precedents SCENARIO --deal ... --ethprio ETHPRIO`` makes (needs the
            ``precedents`` extra).
        pax: a copy of the PA-X agreements (CSV), for their provisions (with ``ethprio``).
        deal: brief this deal instead of the recommended one: a solution name,
            ``"issue=option,..."`` or a mapping (issues left out are the Nash deal's, as
            ``detente durability --deal``); the analysis's recommendation is still named in
            the basis.

    Raises:
        DetenteError: a bad seed, path count, deadline or deal, a scenario with fewer than
            two parties, or a bad records file (read before any other work).
    """
    check_seed(seed)
    named = None if deal is None else complete_deal(space, deal)[0]
    records = None if ethprio is None and pax is None else load_records(ethprio, pax)
    answer = assess.assess(analyze(space, rng=seed), paths=paths, seed=seed)
    recommended = answer.recommended
    briefed = recommended
    chosen = named is not None and (recommended is None or named != recommended.deal)
    if chosen:
        assert named is not None
        briefed = assess.assess_deal(
            space,
            named,
            ideal=assess.ideal_utilities(answer.analysis),
            paths=paths,
            seed=seed,
            fragile_margin=answer.fragile_margin,
        )
    agreed = None if briefed is None else dict(briefed.deal)
    analysis, advised = answer.analysis, answer
    reference = analysis.sweeteners.deal if analysis.sweeteners is not None else None
    if agreed is not None and reference != agreed:
        # the sweeteners and talking points of the recommended deal, as `analyze --deal` gives
        analysis = analyze(space, deal=agreed, with_sensitivity=False, rng=seed)
        advised = assess.assess(analysis, paths=paths, seed=seed)
    survive = functools.partial(_durability, space, seed=seed, paths=paths)
    survival: Survival | None = None
    sweetened: tuple[BriefingSweetener, ...] = ()
    swaps: tuple[Swap, ...] = ()
    if agreed is not None:
        # one run gives the deal's survival and its swaps, on the same random numbers
        run = durability.run(space, agreed, compare=True, paths=paths, days=YEAR, seed=seed)
        survival = _survival(run)
        swaps = _swaps(space, run)
        sweetened = tuple(_sweetener(space, s, survival) for s in _chosen_sweeteners(advised))
    rehearsal = _rehearse(space, seed=seed, rounds=rounds)
    forecasted, forecast_note = _forecast(space)
    if forecasted is not None and agreed is not None and survival is not None:
        same = forecasted.deal == agreed
        held = survival.survival_1y if same else survive(forecasted.deal).survival_1y
        forecasted = dataclasses.replace(forecasted, survival_1y=held)
    found = None
    if records is not None and agreed is not None:
        assert ethprio is not None  # records come from it
        found = _precedents(
            search_deal(
                space,
                agreed,
                records[0],
                pax=records[1],
                limit=PRECEDENTS_SHOWN,
                source=records_source(ethprio, pax),
            )
        )
    model = space.scenario
    return Briefing(
        scenario=model.name,
        title=model.title or model.name,
        disclaimer=model.disclaimer.strip(),
        parties=space.party_names,
        deal=agreed,
        basis=_basis_of(space, answer, briefed, chosen=chosen),
        terms=() if agreed is None else terms_of(space, agreed),
        stakes=() if briefed is None else _stakes(space, briefed, answer.fragile_margin),
        talking_points=analysis.talking_points if agreed is not None else (),
        sweeteners=sweetened,
        swaps=swaps,
        survival=survival,
        forecast=forecasted,
        rehearsal=rehearsal,
        concessions={} if agreed is not None else dict(analysis.concessions.by_party),
        assumptions=(
            *_assumptions(
                space,
                survival,
                rehearsal,
                fragile_margin=answer.fragile_margin,
                paths=paths,
                seed=seed,
            ),
            forecast_note,
        ),
        seed=seed,
        fragile_margin=answer.fragile_margin,
        precedents=found,
        chosen=chosen,
    )


def terms_of(space: OutcomeSpace, deal: Mapping[str, str]) -> tuple[Term, ...]:
    """The terms of ``deal`` (every issue it names, in scenario order) in the scenario's words."""
    out = []
    for issue in space.scenario.issues:
        if issue.name not in deal:
            continue
        names = [str(v) for v in issue.values]
        option = str(deal[issue.name])
        out.append(
            Term(
                issue=issue.name,
                option=option,
                issue_label=issue.label or issue.name,
                option_label=issue.labels[names.index(option)],
            )
        )
    return tuple(out)


# -- the lenses, one function each ---------------------------------------------------------

_NO_DEAL = "No deal is acceptable to every party, so there is no deal to recommend."


def _basis_of(
    space: OutcomeSpace,
    answer: assess.Assessment,
    briefed: assess.DealAssessment | None,
    *,
    chosen: bool,
) -> str:
    """Why this deal is the one briefed, in words (for a chosen deal: who refuses it)."""
    if briefed is None:
        return _NO_DEAL
    if not chosen:
        return _basis(answer, briefed)
    row = space.options_of(briefed.deal)[None, :]
    utilities = space.utilities_of_options(row)[0]
    accepts = (utilities >= space.reservation - ACCEPT_TOLERANCE) & space.acceptable_options(row)[0]
    refusing = [p for p, ok in zip(space.party_names, accepts.tolist(), strict=True) if not ok]
    recommended = answer.recommended
    if recommended is None:
        instead = "the analysis recommends none, since no deal is acceptable to every party"
    else:
        instead = (
            f"the recommended deal, {answer.recommended_words}, holds in "
            f"{100 * recommended.survival_1y:.1f}% of simulated futures"
        )
    accepted = (
        "every party accepts it"
        if not refusing
        else f"not every party accepts it (refused by {', '.join(refusing)})"
    )
    return (
        f"A deal chosen for this briefing, not the analysis's recommendation ({instead}): "
        f"{accepted}; it holds in {100 * briefed.survival_1y:.1f}% of simulated futures, "
        f"fairness {briefed.fairness:.2f}."
    )


def _basis(answer: assess.Assessment, chosen: assess.DealAssessment) -> str:
    """How the analysis chose the recommended deal, in words."""
    return (
        "Of the deals the analysis puts forward that every party accepts (the bargaining "
        "solutions, the sweetened deals, the most robust frontier deal), the one with the best "
        "product of survival at one year and fairness (the worst-off party's share of its "
        f"possible gain): here {answer.recommended_words}, holding in "
        f"{100 * chosen.survival_1y:.1f}% of simulated futures, fairness {chosen.fairness:.2f}."
    )


#: The durability model's run on a deal, every run with the briefing's seed and settings.
_Survive = Callable[[Mapping[str, str]], Survival]


def _durability(space: OutcomeSpace, deal: Mapping[str, str], *, seed: int, paths: int) -> Survival:
    """The durability model's run on ``deal``, the one ``detente durability --deal`` makes."""
    return _survival(durability.run(space, dict(deal), paths=paths, days=YEAR, seed=seed))


def _survival(run: durability.DurabilityRun) -> Survival:
    assert run.survival_1y is not None  # the horizon is one year
    assert run.survival_1y_se is not None
    return Survival(
        result=run.result,
        survival_1y=run.survival_1y,
        error_1y=run.survival_1y_se,
        reference=run.reference,
        mechanisms=tuple(run.result.mechanisms),
        band=run.band,
    )


def _swaps(space: OutcomeSpace, run: durability.DurabilityRun) -> tuple[Swap, ...]:
    """The run's swaps (every other option of each issue whose options provide mechanisms)."""
    base = run.result.mechanisms
    out = [
        Swap(
            before=terms_of(space, {s.issue: s.replaces})[0],
            after=terms_of(space, {s.issue: s.option})[0],
            mechanisms=s.mechanisms,
            added=tuple(m for m in s.mechanisms if m not in base),
            removed=tuple(m for m in base if m not in s.mechanisms),
            survival_1y=s.holding,
            survival_change=s.change,
            acceptable_to_all=s.accepted,
        )
        for s in run.swaps
    ]
    return tuple(sorted(out, key=lambda s: -s.survival_change))


def _chosen_sweeteners(answer: assess.Assessment) -> list[assess.AssessedSweetener]:
    """The assessed sweeteners of the deal, party by party, safest first."""
    return [row for rows in answer.sweeteners.values() for row in rows]


def _sweetener(
    space: OutcomeSpace, row: assess.AssessedSweetener, base: Survival
) -> BriefingSweetener:
    """A sweetener with the assessment of the deal it makes (survival, fragility)."""
    s, a = row.sweetener, row.assessment
    change = {c.issue: c.after for c in s.changes}
    return BriefingSweetener(
        beneficiary=s.party,
        change=change,
        terms=terms_of(space, change),
        sentence=s.sentence,
        utilities=dict(a.utilities),
        acceptable_to_all=a.accepted,
        lifts=s.lifts,
        survival_1y=a.survival_1y,
        survival_change=a.survival_1y - base.survival_1y,
        fragile=a.fragile,
    )


def _rehearse(space: OutcomeSpace, *, seed: int, rounds: int) -> Rehearsal:
    """The negotiation package's rehearsal: every party seated, each role's default strategy."""
    rehearsal = negotiation.rehearse(space, deadline=rounds, seed=seed)
    agreement = (
        None if rehearsal.agreement is None else {k: str(v) for k, v in rehearsal.agreement.items()}
    )
    return Rehearsal(
        protocol=rehearsal.protocol,
        chair=rehearsal.chair,
        strategies=dict(rehearsal.strategies),
        result=rehearsal.result,
        rounds=rehearsal.rounds,
        deadline=rounds,
        agreement=agreement,
        terms=() if agreement is None else terms_of(space, agreement),
        utilities=dict(rehearsal.utilities),
        offers=len(rehearsal.trace),
        seed=rehearsal.trace.seed,
    )


def _forecast(space: OutcomeSpace) -> tuple[Forecasted | None, str]:
    """Where the stakeholder models say the talks settle, as a deal; or why there is none."""
    try:
        result = forecast.forecast_scenario(space)
    except UnsupportedError as exc:
        return None, f"No stakeholder forecast of this scenario: {exc.message}."
    deal = {k: str(v) for k, v in result.deal.items()}
    found = Forecasted(
        model=result.model,
        deal=deal,
        terms=terms_of(space, deal),
        utilities=dict(result.utilities),
        acceptable_to_all=result.in_zopa,
        note=f"The {result.model} model: {result.assumptions[result.model]}.",
        disagreements={gap.dimension: gap.summary for gap in result.disagreements},
    )
    return found, (
        "The forecast places each issue's options on a 0-100 line and each party at its best "
        "option, with its weight of the issue as salience and its clout (declared, or its "
        f"role's default) as capability. {found.note}"
    )


def _precedents(search: PrecedentSearch) -> Precedents:
    """The search's answer, with its Kaplan-Meier curve read at one year."""
    curve = search.curve
    median = survival = band = None
    if curve is not None:
        at = bisect.bisect_right(curve.days, YEAR) - 1  # the step function at day 365
        median, survival = curve.median_days, curve.survival[at]
        band = (curve.lower[at], curve.upper[at])
    return Precedents(
        compared=search.compared,
        matched=search.matched,
        threshold=search.threshold,
        median_days=median,
        survival_1y=survival,
        band_1y=band,
        most_similar=tuple(
            PastCeasefire(
                country=p.country,
                year=p.year,
                similarity=p.similarity,
                matched=p.matched,
                missing=p.missing,
                days=p.days,
                end=p.end,
            )
            for p in search.precedents
        ),
        features={k: search.labels[k] for k, has in search.features.items() if has},
        unmapped=search.unmapped,
        source=search.source,
    )


# -- the rest is read off the lenses' answers ----------------------------------------------


def _stakes(
    space: OutcomeSpace, chosen: assess.DealAssessment, fragile_margin: float
) -> tuple[Stake, ...]:
    out = []
    for k, party in enumerate(space.scenario.parties):
        margin = chosen.margins[party.name]
        out.append(
            Stake(
                party=party.name,
                role=party.role.value,
                utility=chosen.utilities[party.name],
                alternative=float(space.reservation[k]),
                margin=margin,
                fragile=margin < fragile_margin - ACCEPT_TOLERANCE,  # the analysis's rule
                alternative_rationale=party.reservation_rationale.strip(),
            )
        )
    return tuple(out)


def _assumptions(
    space: OutcomeSpace,
    survival: Survival | None,
    rehearsal: Rehearsal,
    *,
    fragile_margin: float,
    paths: int,
    seed: int,
) -> tuple[str, ...]:
    model = space.scenario
    out = [
        (
            "Each party's utility is a weighted sum of how much it values each term, as the "
            f"scenario {model.name!r} states; weights and values are judgements, not "
            "measurements."
        ),
        (
            "Each party says yes to a deal worth at least its alternative (its reservation "
            "value: "
            + ", ".join(
                f"{p} {r:.2f}" for p, r in zip(space.party_names, space.reservation, strict=True)
            )
            + f"); a margin under {fragile_margin:g} counts as a fragile yes."
        ),
    ]
    if survival is not None:
        out.append(
            f"Survival comes from the durability model's {paths:,} simulated paths (seed "
            f"{seed}); the standard error is simulation error only, the band is "
            f"{survival.band}. Mechanisms the deal puts in place: "
            f"{', '.join(survival.mechanisms) or 'none'}. {survival.reference}"
        )
    seated = ", ".join(f"{p} ({s})" for p, s in rehearsal.strategies.items())
    chair = f", chaired by {rehearsal.chair}" if rehearsal.chair else ""
    out.append(
        f"The rehearsal is one simulated session ({rehearsal.protocol} protocol{chair}, "
        f"deadline {rehearsal.deadline} rounds, seed {rehearsal.seed}) with every party "
        f"seated: {seated}. Real negotiators learn, bluff and tire; a session shows whether "
        "simple concession rules find the zone of agreement, not what people will do."
    )
    return tuple(out)
