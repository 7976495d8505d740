"""One answer: every deal the analysis puts forward, with its margins and its survival.

The analysis (``detente.analysis``) finds the deals every party can accept; the durability model
(``detente.durability``) says whether a deal would hold. This module sits above both and joins
them: each deal ``detente analyze`` puts forward (the four bargaining solutions, each
sweetener, the most robust frontier deal) gets each party's margin over its alternative
(``u_p - r_p``) and its one-year survival from :func:`detente.durability.run` with the same
seed, so ``detente durability --deal`` on that deal gives the same figure. A deal that leaves
some party within ``fragile_margin`` of its alternative is *fragile*. The **recommended deal**
is the candidate acceptable to all with the best product of one-year survival and fairness
(the worst-off party's share of its possible gain); the rule is in
``docs/explanation/analysis.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from detente import durability
from detente.analysis import Analysis, Sweetener
from detente.display import HTMLRepr
from detente.space import ACCEPT_TOLERANCE, OutcomeSpace

__all__ = [
    "DEFAULT_FRAGILE_MARGIN",
    "DEFAULT_PATHS",
    "AssessedSweetener",
    "Assessment",
    "DealAssessment",
    "assess",
    "assess_deal",
    "ideal_utilities",
    "sweetener_group",
]

#: A party within this utility of its alternative makes a deal fragile.
DEFAULT_FRAGILE_MARGIN = 0.02
#: Simulated paths per deal (one-year standard error at most 0.71 percentage points).
DEFAULT_PATHS = 5_000


@dataclass(frozen=True)
class DealAssessment:
    """One deal: what each party gets, how far above its alternative, and whether it holds."""

    deal: dict[str, str]
    utilities: dict[str, float]
    margins: dict[str, float]
    """``u_p - r_p`` for every party."""
    accepted: bool
    """Acceptable to every party (``u_p >= r_p`` up to rounding, no red line crossed)."""
    fragile: bool
    """Some party is within the fragile margin of its alternative (or below it)."""
    survival_1y: float
    """Share of simulated paths still holding at day 365 (``detente durability``'s model)."""
    survival_1y_se: float
    """Monte Carlo standard error of ``survival_1y``."""
    fairness: float
    """``min_p (u_p - r_p) / (ideal_p - r_p)``: the worst-off party's share of its possible
    gain in the ZOPA (0 when some party gains nothing, 1 when all get their best)."""

    @property
    def score(self) -> float:
        """``survival_1y * fairness``: what the recommended deal maximises."""
        return self.survival_1y * self.fairness

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready data."""
        return {
            "deal": dict(self.deal),
            "utilities": dict(self.utilities),
            "margins": dict(self.margins),
            "accepted": self.accepted,
            "fragile": self.fragile,
            "survival_1y": self.survival_1y,
            "survival_1y_se": self.survival_1y_se,
            "fairness": self.fairness,
        }


@dataclass(frozen=True)
class AssessedSweetener:
    """A sweetener of the analysis, with the changed deal assessed."""

    sweetener: Sweetener
    assessment: DealAssessment


@dataclass(frozen=True, eq=False)
class Assessment(HTMLRepr):
    """The analysis of a scenario with every deal it puts forward assessed, and the answer.

    Attributes:
        analysis: the deal-space analysis.
        solutions: each bargaining solution's deal, assessed (``None`` when the ZOPA is empty).
        sweeteners: for each party the analysis considered, its sweeteners re-ranked with
            survival in view (see :func:`assess`).
        robust: the most robust frontier deal of the sensitivity analysis, assessed.
        recommended: the recommended deal (``None`` when no candidate is acceptable to all).
        recommended_from: which candidate it is (``"nash"``, ``"sweetener for Russia"``...).
        fragile_margin: the margin under which a deal is fragile.
        paths: simulated paths per deal.
        seed: the seed of every simulation.
        reference: the population the durability model is calibrated to.
        headlines: for each party with sweeteners, the analysis's headline with the order
            they are now listed in.
    """

    analysis: Analysis
    solutions: dict[str, DealAssessment | None]
    sweeteners: dict[str, tuple[AssessedSweetener, ...]]
    robust: DealAssessment | None
    recommended: DealAssessment | None
    recommended_from: str
    fragile_margin: float
    paths: int
    seed: int
    reference: str
    headlines: dict[str, str]

    @property
    def recommended_words(self) -> str:
        """Where the recommended deal comes from, in words (``""`` when there is none).

        A sweetened deal is named with the deal it sweetens, e.g. "the Nash bargaining
        solution, sweetened for Russia".
        """
        source = self.recommended_from
        if source.startswith(_SWEETENED):
            base = _SOURCE_WORDS.get(self.analysis.reference, "the reference deal")
            return f"{base}, sweetened for {source.removeprefix(_SWEETENED)}"
        return _SOURCE_WORDS.get(source, source)


#: How a candidate source reads in a sentence.
_SOURCE_WORDS = {
    "nash": "the Nash bargaining solution",
    "kalai_smorodinsky": "the Kalai-Smorodinsky solution",
    "egalitarian": "the egalitarian solution",
    "utilitarian": "the utilitarian solution",
    "given": "the deal given",
}
_SWEETENED = "sweetener for "


def ideal_utilities(analysis: Analysis) -> np.ndarray:
    """Each party's best utility in the ZOPA (attained on the Pareto frontier)."""
    space, frontier = analysis.space, analysis.frontier
    inside = frontier.utilities[frontier.in_zopa(space)]
    if len(inside) == 0:
        return np.asarray(space.reservation, dtype=np.float64)
    return np.asarray(inside.max(axis=0))


def assess_deal(
    space: OutcomeSpace,
    deal: Mapping[str, str],
    *,
    ideal: np.ndarray,
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    fragile_margin: float = DEFAULT_FRAGILE_MARGIN,
) -> DealAssessment:
    """Margins, acceptance, fragility, fairness and one-year survival of ``deal``.

    The survival is :func:`detente.durability.run` on ``deal`` with ``paths`` and ``seed``:
    ``detente durability --deal ... --paths PATHS --seed SEED`` prints the same figure.
    """
    answer = durability.run(space, dict(deal), paths=paths, days=durability.DEFAULT_DAYS, seed=seed)
    survival, error = answer.survival_1y, answer.survival_1y_se
    if survival is None or error is None:  # pragma: no cover - DEFAULT_DAYS is a year
        msg = "the durability horizon must reach one year"
        raise AssertionError(msg)
    row = space.options_of(answer.deal)
    margins = answer.margins
    reservation = np.asarray(space.reservation, dtype=np.float64)
    span = np.asarray(ideal, dtype=np.float64) - reservation
    gains = np.array([margins[p] for p in space.party_names])
    counted = span > ACCEPT_TOLERANCE
    shares = np.clip(gains[counted] / span[counted], 0.0, 1.0)
    return DealAssessment(
        deal=dict(answer.deal),
        utilities=dict(answer.utilities),
        margins=margins,
        accepted=bool(space.in_zopa_options(row[None, :])[0]),
        fragile=bool(gains.min() < fragile_margin - ACCEPT_TOLERANCE),
        survival_1y=survival,
        survival_1y_se=error,
        fairness=float(shares.min()) if shares.size else 1.0,
    )


def assess(
    analysis: Analysis,
    *,
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    fragile_margin: float = DEFAULT_FRAGILE_MARGIN,
    checkpoint: Callable[[], None] | None = None,
) -> Assessment:
    """Assess every deal ``analysis`` puts forward and name the recommended deal.

    Sweeteners are re-ranked with survival in view: those that lose no other party and leave
    no party within ``fragile_margin`` of its alternative (or below it) come first, then the
    fragile ones, then those that lose another party (:func:`sweetener_group`); within each
    group the higher one-year survival comes first, and the analysis's own order (cheapest
    first) breaks ties.

    The recommended deal is, among the candidates acceptable to every party (the four
    solutions, every sweetened deal, the most robust frontier deal), the one with the largest
    ``survival_1y * fairness``; ties go to the larger sum of utilities, then to the lower
    outcome index. Each distinct deal is simulated once.

    Args:
        analysis: the deal-space analysis.
        paths: simulated paths per deal.
        seed: the seed of every simulation (``detente durability --seed``).
        fragile_margin: a party within this utility of its alternative makes a deal fragile.
        checkpoint: called before each distinct deal is simulated; whatever it raises stops
            the assessment there (a caller whose answer is no longer wanted stops it so).
    """
    space = analysis.space
    ideal = ideal_utilities(analysis)
    cache: dict[tuple[tuple[str, str], ...], DealAssessment] = {}

    def assessed(deal: Mapping[str, str]) -> DealAssessment:
        key = tuple((k, str(v)) for k, v in deal.items())
        if key not in cache:
            if checkpoint is not None:
                checkpoint()
            cache[key] = assess_deal(
                space, deal, ideal=ideal, paths=paths, seed=seed, fragile_margin=fragile_margin
            )
        return cache[key]

    candidates: list[tuple[str, DealAssessment]] = []
    solutions: dict[str, DealAssessment | None] = {}
    for name, solution in analysis.solutions.items():
        solutions[name] = None if solution.deal is None else assessed(solution.deal)
        if solutions[name] is not None:
            candidates.append((name, assessed(solution.deal or {})))
    ranked: dict[str, tuple[AssessedSweetener, ...]] = {}
    advice = analysis.sweeteners
    if advice is not None:
        for party, found in advice.by_party.items():
            rows = [AssessedSweetener(s, assessed(_changed(advice.deal, s))) for s in found]
            order = sorted(range(len(rows)), key=lambda k: _rank(rows[k], k))
            ranked[party] = tuple(rows[k] for k in order)
            candidates += [(f"{_SWEETENED}{party}", r.assessment) for r in ranked[party]]
    robust = None
    if analysis.sensitivity is not None and analysis.sensitivity.robust_deal is not None:
        robust = assessed(analysis.sensitivity.robust_deal)
        candidates.append(("most robust frontier deal", robust))
    recommended, source = _recommend(space, candidates)
    return Assessment(
        analysis=analysis,
        solutions=solutions,
        sweeteners=ranked,
        robust=robust,
        recommended=recommended,
        recommended_from=source,
        fragile_margin=fragile_margin,
        paths=paths,
        seed=seed,
        reference=durability.reference_population(
            durability.scenario_contexts(space.scenario.context), space.scenario.context
        ),
        headlines={
            party: advice.headlines.get(party, "").replace(
                "cheapest first:", "the safest first (then by survival at one year):"
            )
            for party in ranked
        }
        if advice is not None
        else {},
    )


def _changed(deal: Mapping[str, str], sweetener: Sweetener) -> dict[str, str]:
    out = {k: str(v) for k, v in deal.items()}
    for change in sweetener.changes:
        out[change.issue] = change.after
    return out


def sweetener_group(row: AssessedSweetener) -> int:
    """0: keeps every other party on board, not fragile; 1: fragile; 2: loses a party."""
    if row.sweetener.loses:
        return 2
    return 1 if row.assessment.fragile else 0


def _rank(row: AssessedSweetener, position: int) -> tuple[int, float, int]:
    return sweetener_group(row), -row.assessment.survival_1y, position


def _recommend(
    space: OutcomeSpace, candidates: list[tuple[str, DealAssessment]]
) -> tuple[DealAssessment | None, str]:
    """The acceptable candidate with the best ``survival_1y * fairness`` (see :func:`assess`)."""
    best: tuple[float, float, tuple[int, ...]] | None = None
    chosen: tuple[DealAssessment | None, str] = (None, "")
    for source, a in candidates:
        if not a.accepted:
            continue
        options = tuple(int(k) for k in space.options_of(a.deal))
        key = (-a.score, -sum(a.utilities.values()), options)
        if best is None or key < best:
            best, chosen = key, (a, source)
    return chosen
