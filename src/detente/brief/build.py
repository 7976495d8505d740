"""One call from an outcome space to the mediator's briefing.

:func:`build_briefing` asks each lens once (the deal-space analysis, the durability model, a
negotiation session with every party seated, a stakeholder forecast) and gathers the answers in
one :class:`~detente.brief.result.Briefing`. Each lens is reached through one small function
below, so that a figure the briefing shows is the figure the lens's own command shows.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence

from detente import durability, forecast, negotiation
from detente._rng import check_seed
from detente.analysis import Analysis, Solution, Sweetener, analyze
from detente.brief.result import (
    Briefing,
    BriefingSweetener,
    Forecasted,
    Rehearsal,
    Stake,
    Survival,
    Swap,
    Term,
)
from detente.errors import UnsupportedError
from detente.space import OutcomeSpace

__all__ = ["FRAGILE_MARGIN", "REHEARSAL_ROUNDS", "YEAR", "build_briefing"]

#: Day at which survival is read ("one year").
YEAR = 365
#: A party left less than this above its alternative says a fragile yes.
FRAGILE_MARGIN = 0.02
#: The rehearsal's deadline in rounds (the negotiation package's default).
REHEARSAL_ROUNDS = 100


def build_briefing(
    space: OutcomeSpace,
    *,
    seed: int = 0,
    paths: int = durability.DEFAULT_PATHS,
    rounds: int = REHEARSAL_ROUNDS,
    contexts: Sequence[str] = (),
) -> Briefing:
    """The briefing on a scenario: recommended deal, sweeteners, survival, forecast, rehearsal.

    Args:
        space: the scenario's outcome space.
        seed: the seed of every random process (the analysis, every durability run, the
            rehearsal); the same seed gives the same briefing, and the survival of a deal is
            the one ``detente durability --deal ... --seed`` reports with this seed.
        paths: simulated paths of each durability run.
        rounds: the rehearsal's deadline in rounds.
        contexts: the durability model's context presets (how the war ended, what was
            signed, the era: ``detente durability --list-contexts``).

    Raises:
        DetenteError: a bad seed, path count, deadline or context, or a scenario with fewer
            than two parties.
    """
    check_seed(seed)
    analysis = analyze(space, with_sensitivity=False, rng=seed)
    recommended = _recommended(analysis)
    advice = analysis.sweeteners
    if recommended is not None and advice is not None and advice.deal != recommended.deal:
        # sweeteners and talking points of the recommended deal, not of the default reference
        analysis = analyze(space, deal=recommended.deal, with_sensitivity=False, rng=seed)
    deal = None if recommended is None else dict(recommended.deal or {})
    survive = functools.partial(_durability, space, seed=seed, paths=paths, contexts=contexts)
    survival: Survival | None = None
    sweetened: tuple[BriefingSweetener, ...] = ()
    swaps: tuple[Swap, ...] = ()
    if deal is not None:
        # one run gives the deal's survival and its swaps, on the same random numbers
        run = durability.run(
            space, deal, contexts=contexts, compare=True, paths=paths, days=YEAR, seed=seed
        )
        survival = _survival(run)
        swaps = _swaps(space, run)
        sweetened = tuple(
            _sweetener(space, s, deal, survival, survive) for s in _chosen_sweeteners(analysis)
        )
    rehearsal = _rehearse(space, seed=seed, rounds=rounds)
    forecasted, forecast_note = _forecast(space)
    if forecasted is not None and deal is not None and survival is not None:
        same = forecasted.deal == deal
        held = survival.survival_1y if same else survive(forecasted.deal).survival_1y
        forecasted = dataclasses.replace(forecasted, survival_1y=held)
    model = space.scenario
    return Briefing(
        scenario=model.name,
        title=model.title or model.name,
        disclaimer=model.disclaimer.strip(),
        parties=space.party_names,
        deal=deal,
        basis=_BASIS if deal is not None else _NO_DEAL,
        terms=() if deal is None else terms_of(space, deal),
        stakes=() if deal is None else _stakes(space, deal),
        talking_points=analysis.talking_points if deal is not None else (),
        sweeteners=sweetened,
        swaps=swaps,
        survival=survival,
        forecast=forecasted,
        rehearsal=rehearsal,
        concessions={} if deal is not None else dict(analysis.concessions.by_party),
        assumptions=(
            *_assumptions(space, survival, rehearsal, paths=paths, seed=seed),
            forecast_note,
        ),
        seed=seed,
        fragile_margin=FRAGILE_MARGIN,
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

# TODO: the Nash deal stands in for the recommended deal until the analysis names one.
_BASIS = (
    "The Nash bargaining solution: of the deals every party accepts, the one that maximises the "
    "product of the parties' gains over their alternatives."
)
_NO_DEAL = "No deal is acceptable to every party, so there is no deal to recommend."


def _recommended(analysis: Analysis) -> Solution | None:
    """The analysis's recommended deal (``None`` when no deal is acceptable to every party)."""
    nash = analysis.solutions["nash"]
    return None if nash.deal is None else nash


#: The durability model's run on a deal, every run with the briefing's seed and settings.
_Survive = Callable[[Mapping[str, str]], Survival]


def _durability(
    space: OutcomeSpace,
    deal: Mapping[str, str],
    *,
    seed: int,
    paths: int,
    contexts: Sequence[str],
) -> Survival:
    """The durability model's run on ``deal``, the one ``detente durability --deal`` makes."""
    return _survival(
        durability.run(space, dict(deal), contexts=contexts, paths=paths, days=YEAR, seed=seed)
    )


def _survival(run: durability.DurabilityRun) -> Survival:
    assert run.survival_1y is not None  # the horizon is one year
    assert run.survival_1y_se is not None
    return Survival(
        result=run.result,
        survival_1y=run.survival_1y,
        error_1y=run.survival_1y_se,
        reference=run.reference,
        mechanisms=tuple(run.result.mechanisms),
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


def _chosen_sweeteners(analysis: Analysis) -> list[Sweetener]:
    """The analysis's sweeteners of the deal, party by party, best first."""
    advice = analysis.sweeteners
    if advice is None:
        return []
    out: list[Sweetener] = []
    for party, found in advice.by_party.items():
        out.extend(found)
        best = advice.to_yes.get(party)
        if best is not None and best not in found:
            out.append(best)
    return out


def _sweetener(
    space: OutcomeSpace,
    sweetener: Sweetener,
    deal: Mapping[str, str],
    base: Survival,
    survive: _Survive,
) -> BriefingSweetener:
    """A sweetener of ``deal`` with its survival (the durability model's run on the result)."""
    change = {c.issue: c.after for c in sweetener.changes}
    # TODO: the analysis will carry survival_1y and fragile on each sweetener.
    run = survive({**deal, **change})
    pairs = zip(space.party_names, space.reservation, strict=True)
    margins = [sweetener.utilities[p] - r for p, r in pairs]
    return BriefingSweetener(
        beneficiary=sweetener.party,
        change=change,
        terms=terms_of(space, change),
        sentence=sweetener.sentence,
        utilities=dict(sweetener.utilities),
        acceptable_to_all=sweetener.acceptable_to_all,
        lifts=sweetener.lifts,
        survival_1y=run.survival_1y,
        survival_change=run.survival_1y - base.survival_1y,
        fragile=bool(min(margins) < FRAGILE_MARGIN),
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


# -- the rest is read off the lenses' answers ----------------------------------------------


def _stakes(space: OutcomeSpace, deal: Mapping[str, str]) -> tuple[Stake, ...]:
    utilities = space.utilities_of_options(space.options_of(deal)[None, :])[0]
    out = []
    for p, party in enumerate(space.scenario.parties):
        margin = float(utilities[p] - space.reservation[p])
        out.append(
            Stake(
                party=party.name,
                role=party.role.value,
                utility=float(utilities[p]),
                alternative=float(space.reservation[p]),
                margin=margin,
                fragile=margin < FRAGILE_MARGIN,
                alternative_rationale=party.reservation_rationale.strip(),
            )
        )
    return tuple(out)


def _assumptions(
    space: OutcomeSpace,
    survival: Survival | None,
    rehearsal: Rehearsal,
    *,
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
            + f"); a margin under {FRAGILE_MARGIN:g} counts as a fragile yes."
        ),
    ]
    if survival is not None:
        out.append(
            f"Survival comes from the durability model's {paths:,} simulated paths (seed "
            f"{seed}); the band and the standard error are simulation error only, not the "
            "uncertainty of the model's parameters. Mechanisms the deal puts in place: "
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
