"""The briefing: one frozen object that every renderer (terminal, JSON, HTML, PDF) reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from detente.analysis import TalkingPoints
from detente.display import HTMLRepr
from detente.durability import DurabilityResult

__all__ = [
    "Briefing",
    "BriefingSweetener",
    "Forecasted",
    "PastCeasefire",
    "Precedents",
    "Rehearsal",
    "Stake",
    "Survival",
    "Swap",
    "Term",
    "briefing_json",
]


@dataclass(frozen=True)
class Term:
    """One term of a deal, by name and in the scenario's words.

    Attributes:
        issue: the issue's name.
        option: the option's name.
        issue_label: the issue in words (its name when the scenario gives no label).
        option_label: the option in words.
    """

    issue: str
    option: str
    issue_label: str
    option_label: str


@dataclass(frozen=True)
class Stake:
    """What the recommended deal is worth to one party.

    Attributes:
        party: the party.
        role: its role in the scenario (``belligerent``, ``mediator``...).
        utility: its utility for the deal, in [0, 1].
        alternative: its reservation value (the utility of no deal).
        margin: ``utility - alternative``: how far above its alternative the deal leaves it.
        fragile: the margin is under the fragility margin: a small shift of the party's
            alternative, or a misjudged weight, turns its yes into a no.
        alternative_rationale: why the alternative is worth what it is, in the scenario's words.
    """

    party: str
    role: str
    utility: float
    alternative: float
    margin: float
    fragile: bool
    alternative_rationale: str = ""


@dataclass(frozen=True)
class Survival:
    """Will the recommended deal hold: the durability model's run on it.

    Attributes:
        result: the simulated survival curve with its 95% band, day by day.
        survival_1y: share of simulated paths still holding at day 365.
        error_1y: Monte Carlo standard error of ``survival_1y``.
        reference: the population of past ceasefires the model is calibrated to, in words.
        mechanisms: the mechanisms the deal's terms put in place.
        band: what the band of ``result`` holds (simulation, or model plus simulation).
    """

    result: DurabilityResult
    survival_1y: float
    error_1y: float
    reference: str
    mechanisms: tuple[str, ...]
    band: str = ""


@dataclass(frozen=True)
class BriefingSweetener:
    """A change of the recommended deal in a party's favour, with its effect on both lenses.

    Attributes:
        beneficiary: the party it is for.
        change: the new option of each issue changed, ``{issue: option}``.
        terms: the changed terms in words.
        sentence: the change in plain words: who gains, who pays, who would say no.
        utilities: every party's utility of the changed deal.
        acceptable_to_all: every party still accepts the changed deal.
        lifts: the beneficiary rejected the recommended deal and accepts the changed one.
        survival_1y: share of simulated paths of the changed deal holding at day 365.
        survival_change: ``survival_1y`` minus the recommended deal's (same random numbers).
        fragile: the changed deal leaves some party within the fragility margin of its
            alternative (or below it).
    """

    beneficiary: str
    change: dict[str, str]
    terms: tuple[Term, ...]
    sentence: str
    utilities: dict[str, float]
    acceptable_to_all: bool
    lifts: bool
    survival_1y: float
    survival_change: float
    fragile: bool


@dataclass(frozen=True)
class Swap:
    """The recommended deal with another option of an issue whose options provide mechanisms.

    Attributes:
        before: the recommended deal's term.
        after: the term put in its place.
        mechanisms: the mechanisms in force under the swapped deal.
        added: mechanisms in force under the swapped deal and not under the recommended one.
        removed: mechanisms in force under the recommended deal and not under the swapped one.
        survival_1y: share of simulated paths of the swapped deal holding at day 365.
        survival_change: ``survival_1y`` minus the recommended deal's (same random numbers).
        acceptable_to_all: every party still accepts the swapped deal.
    """

    before: Term
    after: Term
    mechanisms: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    survival_1y: float
    survival_change: float
    acceptable_to_all: bool


@dataclass(frozen=True)
class Forecasted:
    """Where a stakeholder model says the talks settle, as a deal in the scenario's terms.

    Attributes:
        model: the model's name.
        deal: ``{issue: option}``.
        terms: the deal in words.
        utilities: every party's utility of it.
        acceptable_to_all: every party accepts it.
        survival_1y: the durability model's survival of it at day 365 (same random numbers as
            the recommended deal's run), if it differs from the recommended deal.
        note: what the model assumes, and the facts of its run, in words.
        disagreements: where the models' forecasts part: ``{issue: sentence}``, the sentence
            naming the gap and the parties that make most of it.
    """

    model: str
    deal: dict[str, str]
    terms: tuple[Term, ...]
    utilities: dict[str, float]
    acceptable_to_all: bool
    survival_1y: float | None = None
    note: str = ""
    disagreements: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rehearsal:
    """A simulated session with every party of the scenario at the table.

    Attributes:
        protocol: the negotiation protocol.
        chair: the party that chaired the single text, else ``None``.
        strategies: ``{party: strategy}``: who plays what.
        result: ``agreement``, ``deadline``, ``walk-away`` or ``impasse``.
        rounds: rounds played.
        deadline: the deadline in rounds.
        agreement: the agreed deal ``{issue: option}``, or ``None``.
        terms: the agreed deal in words (empty without agreement).
        utilities: each party's payoff (its alternative without agreement).
        offers: how many offers were made.
        seed: the session's seed.
    """

    protocol: str
    chair: str | None
    strategies: dict[str, str]
    result: str
    rounds: int
    deadline: int
    agreement: dict[str, str] | None
    terms: tuple[Term, ...]
    utilities: dict[str, float]
    offers: int
    seed: int


@dataclass(frozen=True)
class PastCeasefire:
    """One of the past ceasefires most like the recommended deal (``detente precedents``).

    Attributes:
        country: where it was.
        year: the year it was declared (``None``: not recorded).
        similarity: share of the features known for it on which it agrees with the deal.
        matched: the deal's features it had.
        missing: the deal's features it lacked.
        days: how long it lasted, when its end is recorded.
        end: the recorded end (ISO date), if any.
    """

    country: str
    year: int | None
    similarity: float
    matched: tuple[str, ...]
    missing: tuple[str, ...]
    days: float | None
    end: str | None


@dataclass(frozen=True)
class Precedents:
    """The past ceasefires like the recommended deal: the precedent search on it.

    Attributes:
        compared: ceasefires of the records that know at least half the features.
        matched: ceasefires in the matched set (similarity at least ``threshold``).
        threshold: the similarity of the matched set.
        median_days: Kaplan-Meier median of the matched set in days (``None``: not reached,
            or no match).
        survival_1y: Kaplan-Meier share of the matched set still holding at day 365
            (``None``: no match).
        band_1y: its 95% band ``(lower, upper)`` (``None``: no match).
        most_similar: the most similar past ceasefires, best first.
        features: the deal's features (the ones it has), in words, by name.
        unmapped: the deal's mechanisms with no counterpart in the records.
        source: the records searched.
    """

    compared: int
    matched: int
    threshold: float
    median_days: float | None
    survival_1y: float | None
    band_1y: tuple[float, float] | None
    most_similar: tuple[PastCeasefire, ...]
    features: dict[str, str]
    unmapped: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Briefing(HTMLRepr):
    """Everything a mediator needs about one scenario, from one computation.

    Attributes:
        scenario: the scenario's name.
        title: its title (its name when it has none).
        disclaimer: the scenario's caveat, shown with every rendering.
        parties: party names, in scenario order.
        deal: the deal briefed ``{issue: option}``: the recommended deal, or the one the
            reader named; ``None`` when no deal is acceptable to every party and none was named.
        basis: how the deal was chosen, in words.
        terms: the deal in words.
        stakes: what the deal is worth to each party, in scenario order.
        talking_points: why each party can say yes, in scenario order.
        sweeteners: changes in a party's favour with their effect on acceptance and survival.
        swaps: the deal with another option of an issue whose options provide mechanisms
            (the durability model's swaps), best survival first.
        survival: the durability model's run on the deal (``None`` without a deal).
        forecast: where a stakeholder model says the talks settle (``None``: not available).
        rehearsal: a session with every party seated.
        concessions: without a deal, how much less than its alternative each party would have
            to accept for one to exist (``None``: no concession by it alone opens one).
        assumptions: what the figures rest on, one sentence each.
        seed: the seed of every random process behind the figures.
        fragile_margin: the margin under which a party's yes counts as fragile.
        precedents: the past ceasefires most like the deal (``None``: no records given, or
            no deal).
        chosen: the deal is one the reader named, not the recommended deal.
    """

    scenario: str
    title: str
    disclaimer: str
    parties: tuple[str, ...]
    deal: dict[str, str] | None
    basis: str
    terms: tuple[Term, ...]
    stakes: tuple[Stake, ...]
    talking_points: tuple[TalkingPoints, ...]
    sweeteners: tuple[BriefingSweetener, ...]
    swaps: tuple[Swap, ...]
    survival: Survival | None
    forecast: Forecasted | None
    rehearsal: Rehearsal
    concessions: dict[str, float | None]
    assumptions: tuple[str, ...]
    seed: int
    fragile_margin: float
    precedents: Precedents | None = None
    chosen: bool = False

    @property
    def deal_name(self) -> str:
        """How the renderings call the deal: "the recommended deal" or "the chosen deal"."""
        return "the chosen deal" if self.chosen else "the recommended deal"


def briefing_json(briefing: Briefing) -> dict[str, Any]:
    """The machine contract of ``detente brief --json`` (``docs/reference/brief-json.md``)."""
    stakes = briefing.stakes if briefing.deal is not None else ()
    forecast = briefing.forecast
    rehearsal = briefing.rehearsal
    out: dict[str, Any] = {
        "deal": briefing.deal,
        "chosen": briefing.chosen,
        "utilities": {s.party: s.utility for s in stakes},
        "margins": {s.party: s.margin for s in stakes},
        "survival_1y": None if briefing.survival is None else briefing.survival.survival_1y,
        "reference": None if briefing.survival is None else briefing.survival.reference,
        "sweeteners": [
            {
                "change": dict(s.change),
                "beneficiary": s.beneficiary,
                "utilities": dict(s.utilities),
                "survival_1y": s.survival_1y,
                "fragile": s.fragile,
            }
            for s in briefing.sweeteners
        ],
        "forecast": None
        if forecast is None
        else {"model": forecast.model, "deal": dict(forecast.deal)},
        "rehearsal": {
            "agreement": None if rehearsal.agreement is None else dict(rehearsal.agreement),
            "rounds": rehearsal.rounds,
            "strategies": dict(rehearsal.strategies),
        },
    }
    if briefing.precedents is not None:  # only when records were given
        out["precedents"] = _precedents_json(briefing.precedents)
    return out


def _precedents_json(p: Precedents) -> dict[str, Any]:
    return {
        "compared": p.compared,
        "matched": p.matched,
        "threshold": p.threshold,
        "median_days": p.median_days,
        "survival_1y": p.survival_1y,
        "band_1y": None if p.band_1y is None else list(p.band_1y),
        "most_similar": [
            {
                "country": c.country,
                "year": c.year,
                "similarity": c.similarity,
                "matched": list(c.matched),
                "missing": list(c.missing),
                "days": c.days,
                "end": c.end,
            }
            for c in p.most_similar
        ],
        "unmapped": list(p.unmapped),
        "source": p.source,
    }
