"""The whole deal-space analysis of a scenario, as one result object for every renderer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from detente._rng import RNGLike, spawn_seeds
from detente.analysis._exact import exact_utilities, thresholds
from detente.analysis.pareto import ParetoFrontier, opposition, pareto_frontier
from detente.analysis.sensitivity import Sensitivity, sensitivity
from detente.analysis.solutions import Solution, bargaining_solutions
from detente.analysis.sweeteners import LogrollPair, Sweeteners, logrolling, sweeteners
from detente.analysis.talking import TalkingPoints, talking_points
from detente.analysis.zopa import EXACT_LIMIT, Concessions, Zopa, concessions, zopa
from detente.display import HTMLRepr
from detente.errors import ScenarioError
from detente.scenario.model import OptionValue
from detente.space import OutcomeSpace

__all__ = ["Analysis", "analyze"]


@dataclass(frozen=True, eq=False)
class Analysis(HTMLRepr):
    """Everything ``detente analyze`` reports about a scenario.

    Attributes:
        space: the outcome space analysed.
        zopa: size of the zone of possible agreement.
        frontier: the exact Pareto frontier.
        solutions: the four bargaining solutions.
        opposition: distance of the frontier from the ideal point.
        concessions: how far the parties are from a ZOPA (zeros when one exists).
        reference: which deal the advice is about (``"nash"``, ``"closest"`` or ``"given"``).
        sweeteners: cheap changes of the reference deal for reluctant parties.
        logrolling: trade candidates between pairs of parties.
        talking_points: what the reference deal offers each party.
        sensitivity: robustness of the solutions, if computed.
        sample_utilities: utilities ``(n, n_parties)`` of a sample of deals (for plots).
        sample_in_zopa: ``(n,)`` whether each sampled deal is in the ZOPA.
        sample_options: ``(n, n_issues)`` option positions of the sampled deals.
    """

    space: OutcomeSpace
    zopa: Zopa
    frontier: ParetoFrontier
    solutions: dict[str, Solution]
    opposition: float
    concessions: Concessions
    reference: str
    sweeteners: Sweeteners | None
    logrolling: tuple[LogrollPair, ...]
    talking_points: tuple[TalkingPoints, ...]
    sensitivity: Sensitivity | None
    sample_utilities: np.ndarray
    sample_in_zopa: np.ndarray
    sample_options: np.ndarray

    @property
    def parties(self) -> tuple[str, ...]:
        """Party names, in scenario order."""
        return self.space.party_names

    def describe(self, deal: Mapping[str, str]) -> str:
        """A deal in a few words: how it differs from the Nash deal (every term if none).

        For example ``"the Nash deal, except Humanitarian measures: an exchange of prisoners
        of war"``.
        """
        nash = self.solutions["nash"].deal
        terms = []
        for issue in self.space.scenario.issues:
            option = str(deal[issue.name])
            if nash is None or nash[issue.name] != option:
                label = issue.labels[[str(v) for v in issue.values].index(option)]
                terms.append(f"{issue.label or issue.name}: {label}")
        if nash is None:
            return "; ".join(terms)
        return f"the Nash deal, except {'; '.join(terms)}" if terms else "the Nash deal itself"


def analyze(
    space: OutcomeSpace,
    *,
    deal: Mapping[str, OptionValue] | None = None,
    parties: Sequence[str] | None = None,
    exact_limit: int = EXACT_LIMIT,
    zopa_samples: int = 100_000,
    with_sensitivity: bool = True,
    concentration: float = 50.0,
    reservation_range: float = 0.05,
    sensitivity_samples: int = 2000,
    plot_samples: int = 5000,
    rng: RNGLike = None,
) -> Analysis:
    """Run the whole analysis.

    Args:
        space: the outcome space.
        deal: the reference deal for sweeteners and talking points; by default the Nash deal,
            or, when the ZOPA is empty, the deal that needs the smallest joint concession.
            Issues it leaves out are taken from that default deal.
        parties: the parties to find sweeteners for (default: those that reject the reference
            deal or nearly do).
        exact_limit: count the ZOPA exactly up to this many deals.
        zopa_samples: Monte Carlo draws for a ZOPA estimate.
        with_sensitivity: whether to run the sensitivity analysis.
        concentration: Dirichlet concentration of the weights for the sensitivity analysis.
        reservation_range: half-width of the reservation perturbation.
        sensitivity_samples: Monte Carlo draws for the sensitivity analysis.
        plot_samples: how many deals to sample for plots (every deal when the space is smaller).
        rng: seed; the ZOPA estimate and the sensitivity analysis get independent child streams.

    Raises:
        ScenarioError: the scenario has fewer than two parties (there is nothing to bargain).
    """
    if space.n_parties < 2:
        raise ScenarioError(
            f"a deal-space analysis needs at least two parties; {space.scenario.name!r} has "
            f"{space.n_parties} ({', '.join(space.party_names)}). A GENIUS domain needs its "
            "domain file and at least two profile files",
            source=space.scenario.name,
        )
    zopa_seed, sensitivity_seed, sample_seed = spawn_seeds(_seed_of(rng), 3)
    frontier = pareto_frontier(space)
    solutions = bargaining_solutions(space, frontier)
    gaps = concessions(space, frontier)
    size = zopa(
        space, frontier=frontier, exact_limit=exact_limit, samples=zopa_samples, rng=zopa_seed
    )
    nash = solutions["nash"]
    reference, options = ("nash", nash.options) if nash.options else ("closest", gaps.joint_options)
    if deal is not None:
        missing = [name for name in space.issue_names if name not in deal]
        if missing and options is not None:
            known = space.deal(np.asarray(options, dtype=np.int64))
            deal = {**{name: known[name] for name in missing}, **deal}
        reference, options = "given", tuple(int(k) for k in space.options_of(deal))
    advice = None
    points: tuple[TalkingPoints, ...] = ()
    if options is not None:
        advice = sweeteners(space, options, parties)
        points = tuple(talking_points(space, options, name) for name in space.party_names)
    robustness = None
    if with_sensitivity and len(frontier):
        robustness = sensitivity(
            space,
            frontier,
            solutions,
            concentration=concentration,
            reservation_range=reservation_range,
            samples=sensitivity_samples,
            rng=sensitivity_seed,
        )
    if space.size <= plot_samples:
        sample = space.unravel(np.arange(space.size))
    else:
        sample = space.sample(plot_samples, np.random.default_rng(sample_seed))
    utilities = exact_utilities(space, sample)
    return Analysis(
        space=space,
        zopa=size,
        frontier=frontier,
        solutions=solutions,
        opposition=opposition(frontier),
        concessions=gaps,
        reference=reference,
        sweeteners=advice,
        logrolling=tuple(logrolling(space)),
        talking_points=points,
        sensitivity=robustness,
        sample_utilities=utilities,
        sample_options=sample,
        sample_in_zopa=np.asarray(
            (utilities >= thresholds(space)).all(axis=1)
            & space.acceptable_options(sample).all(axis=1)
        ),
    )


def _seed_of(rng: RNGLike) -> int | np.random.SeedSequence | None:
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    return rng
