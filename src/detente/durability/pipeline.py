"""One call from a scenario and a deal to everything a renderer shows: :func:`run`.

``detente durability``, the analysis of deals, the briefing and the web pages all call
:func:`run` and read the :class:`DurabilityRun` it returns, so a figure two of them show (a
deal's survival at one year, its margins, the causes of collapse) comes from one computation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from detente._rng import RNGLike
from detente.compute import Executor
from detente.display import HTMLRepr
from detente.durability.calibration import effect_basis
from detente.durability.contexts import apply_contexts
from detente.durability.deal import complete_deal, deal_utilities, parameters_for_deal
from detente.durability.mechanisms import (
    Mechanism,
    check_provisions,
    load_mechanisms,
    resolve_mechanism,
)
from detente.durability.parameters import Parameters, Policy, validate_parameters
from detente.durability.precedents import context_terms
from detente.durability.reference import (
    MODEL_BAND,
    SIMULATION_BAND,
    ReferenceClass,
    fitted_effects,
    record_estimates,
    record_presets,
    reference_class,
    scenario_contexts,
    with_record_effects,
)
from detente.durability.results import Comparison, ComparisonRow, DurabilityResult, Swap
from detente.durability.simulate import check_size, root_seed, simulate
from detente.durability.sweep import compare as compare_mechanisms
from detente.durability.sweep import run_many
from detente.errors import DetenteError
from detente.scenario.model import DiscreteIssue
from detente.space import ACCEPT_TOLERANCE, OutcomeSpace

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_PATHS",
    "ONE_YEAR",
    "DurabilityRun",
    "Standing",
    "outside_zopa_warnings",
    "run",
    "swap_deals",
]

#: Paths of a run unless told otherwise (the one-year share's standard error is then <= 0.35%).
DEFAULT_PATHS = 20_000
#: Horizon of a run unless told otherwise.
DEFAULT_DAYS = 365
#: The day of the headline figure, "still holding at one year".
ONE_YEAR = 365
#: A deal "collapses at once" when at least this share of paths ends on day 1.
_AT_ONCE = 0.99

#: Progress callback: ``(paths just finished, paths planned in all)``.
Progress = Callable[[int, int], None]
#: What a class fitted to the record does to a simulated curve (nothing in the other classes).
Recorder = Callable[[DurabilityResult], DurabilityResult]


@dataclass(frozen=True)
class Standing:
    """One party of the model at signature: what the deal and its alternative are worth."""

    party: str
    utility: float
    """Utility of the deal, fully delivered (``u_p``)."""
    alternative: float
    """Reservation value (``r_p``): the value of breaking at signature."""
    deferred_value: float = 0.0
    """Part of ``utility`` still to come at signature (phased terms)."""
    phase_in_days: int = 0
    power_shift: float = 0.0
    """Known drop in power on ``power_shift_day`` (0: none)."""
    power_shift_day: int = 0

    @property
    def margin(self) -> float:
        """``u_p - r_p``: how far the deal is above the party's alternative."""
        return self.utility - self.alternative


@dataclass(frozen=True)
class DurabilityRun(HTMLRepr):
    """Everything one durability run computed, for every renderer (terminal, JSON, HTML, web).

    ``result`` is the survival of the deal as agreed; ``comparison`` (when asked) holds what
    each mechanism would add, every row on the same random numbers as ``result``.
    """

    title: str
    deal: dict[str, str]
    filled: tuple[str, ...]
    """Issues the deal left out, taken from the Nash deal."""
    utilities: dict[str, float]
    """Every party's utility of the deal (the model's parties and the others)."""
    reservations: dict[str, float]
    """Every party's reservation value."""
    standings: tuple[Standing, ...]
    """The model's parties (the belligerents), at signature."""
    params: Parameters
    result: DurabilityResult
    reference: str
    """The population the baseline hazard is calibrated to, in words."""
    reference_class: ReferenceClass
    """That population: its name, source and the war context that selects it."""
    band: str
    """What ``result``'s band holds: simulation uncertainty, or model plus simulation."""
    warnings: tuple[str, ...] = ()
    comparison: Comparison | None = None
    swaps: tuple[Swap, ...] = ()
    """With a comparison: the deal with each other option of every issue whose options
    provide mechanisms, on the same random numbers (compared at the horizon)."""
    spec: str = ""
    """How the deal was named (``nash``, ``issue=option,...``)."""
    notes: tuple[str, ...] = field(default=())
    """Lines a reader should see beside the answer (issues filled in from the Nash deal)."""

    @property
    def margins(self) -> dict[str, float]:
        """Every party's ``u_p - r_p``."""
        return {p: u - self.reservations[p] for p, u in self.utilities.items()}

    @property
    def survival_1y(self) -> float | None:
        """Share of paths still holding at day 365 (``None`` if the horizon is shorter)."""
        if self.result.days < ONE_YEAR:
            return None
        return self.result.holding_at(ONE_YEAR)

    @property
    def survival_1y_se(self) -> float | None:
        """Monte Carlo standard error of :attr:`survival_1y`: ``sqrt(p (1 - p) / paths)``."""
        p = self.survival_1y
        if p is None:
            return None
        return math.sqrt(p * (1.0 - p) / self.result.paths)

    def to_dict(self) -> dict[str, object]:
        """The run as plain JSON-ready data (what ``detente durability --json`` prints)."""
        result = self.result
        out: dict[str, object] = {
            "title": self.title,
            "deal": dict(self.deal),
            "filled_from_nash": list(self.filled),
            "utilities": dict(self.utilities),
            "margins": self.margins,
            "interests": [
                {
                    "party": s.party,
                    "utility": s.utility,
                    "alternative": s.alternative,
                    "margin": s.margin,
                    "deferred_value": s.deferred_value,
                    "phase_in_days": s.phase_in_days,
                    "power_shift": s.power_shift,
                    "power_shift_day": s.power_shift_day,
                }
                for s in self.standings
            ],
            "survival_1y": self.survival_1y,
            "survival_1y_se": self.survival_1y_se,
            "survival": list(result.survival),
            "lower": list(result.lower),
            "upper": list(result.upper),
            "median_days": result.median_days,
            "median_days_to_collapse": result.median_days_to_collapse,
            "collapses": result.collapses,
            "causes": dict(result.causes),
            "mechanisms": list(result.mechanisms),
            "contexts": list(self.params.contexts),
            "reference": self.reference,
            "reference_class": self.reference_class.to_dict(),
            "band": self.band,
            "parties": list(result.parties),
            "paths": result.paths,
            "days": result.days,
            "seed": result.seed,
            "warnings": list(self.warnings),
        }
        if self.comparison is not None:
            out["comparison"] = [
                _row_dict(row) for row in (self.comparison.baseline, *self.comparison.rows)
            ]
            out["swaps"] = [
                {
                    "issue": w.issue,
                    "option": w.option,
                    "replaces": w.replaces,
                    "mechanisms": list(w.mechanisms),
                    "holding": w.holding,
                    "change": w.change,
                    "accepted": w.accepted,
                    "utilities": dict(w.utilities),
                }
                for w in self.swaps
            ]
        return out


def _record_comparison(
    comparison: Comparison,
    recorded: Callable[[DurabilityResult], DurabilityResult],
    *,
    builtin: bool,
) -> Comparison:
    """The comparison with every row's curve bent by the record's fitted effects.

    Each row is recomputed against the recorded baseline; a row of mechanisms the record codes
    is labelled by the fitted period-specific hazard ratios, a combination as the model's
    product, the others by their published or judged size.
    """
    base = recorded(comparison.baseline.result)
    day = comparison.day

    def row(old: ComparisonRow) -> ComparisonRow:
        result = recorded(old.result)
        holding = result.holding_at(day)
        found = fitted_effects(old.mechanisms)
        shown = record_estimates(old.mechanisms)
        if len(old.mechanisms) == 1 and found:
            label = found[old.mechanisms[0]]
        else:
            label = effect_basis(old.mechanisms, builtin=builtin)
            if len(old.mechanisms) == 1 and shown:
                label = f"{label}; {shown[old.mechanisms[0]]}"
        return replace(
            old,
            result=result,
            holding=holding,
            change=holding - base.holding_at(day),
            hazard_ratio=result.cumulative_hazard_ratio(base, day),
            effect_size=label,
        )

    return replace(
        comparison,
        baseline=replace(comparison.baseline, result=base, holding=base.holding_at(day)),
        rows=tuple(row(r) for r in comparison.rows),
    )


def _same(result: DurabilityResult) -> DurabilityResult:
    return result


def _recorder(terms: Sequence[str], state: np.ndarray) -> Recorder:
    """The record's fitted effects, every curve on the same draws of the coefficients."""

    def recorded(result: DurabilityResult) -> DurabilityResult:
        return with_record_effects(result, terms, rng=np.random.default_rng(state))

    return recorded


def _row_dict(row: ComparisonRow) -> dict[str, object]:
    hr = row.hazard_ratio
    return {
        "label": row.label,
        "mechanisms": list(row.mechanisms),
        "holding": row.holding,
        "change": row.change,
        "hazard_ratio": hr if math.isfinite(hr) else None,
        "effect_size": row.effect_size,
        "median_days": row.result.median_days,
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def run(
    space: OutcomeSpace,
    deal: str | Mapping[str, object] = "nash",
    *,
    mechanisms: Iterable[str] = (),
    contexts: Iterable[str] = (),
    power_shifts: Mapping[str, tuple[float, int]] | None = None,
    policy: Policy | str | None = None,
    params: Parameters | None = None,
    presets: Sequence[Mechanism] | None = None,
    deal_terms: bool = True,
    compare: bool = False,
    paths: int = DEFAULT_PATHS,
    days: int = DEFAULT_DAYS,
    seed: RNGLike = 0,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> DurabilityRun:
    """Simulate ``deal`` after signature and gather what every renderer needs.

    Args:
        space: the scenario's outcome space.
        deal: a solution name, ``"issue=option,..."``, a JSON object, a YAML/JSON file or a
            mapping (see :func:`detente.durability.deal.complete_deal`).
        mechanisms: presets to add to those the deal's own terms put in place.
        contexts: context presets (how the war ended, what was signed, the era); without a
            ``war`` preset, the one the scenario's context implies (its reference class).
        power_shifts: known coming drops in a party's power, ``{party: (drop, day)}``.
        policy: how every party answers what it perceives (default: as calibrated).
        params: parameters whose party of the same name (else the first) is the template of
            each party.
        presets: mechanism presets to use instead of the built-in ones.
        deal_terms: whether the deal's own terms put mechanisms in place.
        compare: also run what each other mechanism would add, and the deal with each other
            option of every issue whose options provide mechanisms (swaps), all on the same
            random numbers.
        paths: simulated paths (the same number gives the same paths for the same seed).
        days: horizon in days.
        seed: the seed shared by every simulation of the run.
        executor: where the simulations run (default: this process); the caller closes it.
        progress: called with ``(paths finished, paths planned)`` as the work advances.

    Raises:
        DetenteError: the deal, a mechanism, a context, a power shift or the size of the run
            is invalid (each names its field).
    """
    check_size(paths, days)
    pool = tuple(presets) if presets is not None else load_mechanisms()
    builtin = pool == load_mechanisms()
    if deal_terms:
        check_provisions(space.scenario, pool)
    chosen, filled = complete_deal(space, deal)
    extra = [resolve_mechanism(m, pool).name for m in mechanisms]
    context_names = scenario_contexts(space.scenario.context, contexts)
    reference = reference_class(context_names, space.scenario.context)
    if reference.fitted:  # the record's mechanisms act through its fitted effects
        pool = record_presets(pool)

    def model_of(terms: Mapping[str, str]) -> Parameters:
        built = parameters_for_deal(
            space, terms, mechanisms=extra, base=params, deal_terms=deal_terms, presets=pool
        )
        built = apply_contexts(built, context_names)
        built = _with_power_shifts(built, power_shifts or {})
        return _with_policy(built, policy)

    model = model_of(chosen)
    root = root_seed(seed)  # resolved once: every simulation below uses the same numbers
    alternatives = swap_deals(space, chosen) if compare and deal_terms else []
    rest = [m for m in pool if m.name not in model.mechanisms] if compare else []
    # the deal, each other preset, all of them, each swap
    rows = 1 + len(rest) + (len(rest) > 1) + len(alternatives)
    tick = None if progress is None else (lambda done: progress(done, paths * rows))
    comparison: Comparison | None = None
    if compare:
        comparison = compare_mechanisms(
            model, paths=paths, days=days, rng=root, executor=executor, progress=tick, presets=pool
        )
        result = comparison.baseline.result
    else:
        result = simulate(model, paths=paths, days=days, rng=root, executor=executor, progress=tick)
    band = SIMULATION_BAND
    recorded: Recorder = _same
    if reference.fitted:  # fitted effects; the coefficients' uncertainty widens the band
        recorded = _recorder(context_terms(space.scenario), root.generate_state(4))
        result = recorded(result)
        band = MODEL_BAND
        if comparison is not None:
            comparison = _record_comparison(comparison, recorded, builtin=builtin)
    swaps: tuple[Swap, ...] = ()
    if alternatives:
        swapped = run_many(
            [model_of(terms) for _, _, terms in alternatives],
            paths=paths,
            days=days,
            rng=root,
            executor=executor,
            progress=tick,
        )
        swaps = tuple(
            _swap(space, chosen, (issue, option, terms), recorded(outcome), result)
            for (issue, option, terms), outcome in zip(alternatives, swapped, strict=True)
        )

    utilities = deal_utilities(space, chosen)
    reservations = {
        name: float(space.reservation[space.party_index(name)]) for name in space.party_names
    }
    standings = tuple(
        Standing(
            party=p.name,
            utility=utilities[p.name],
            alternative=reservations[p.name],
            deferred_value=p.deferred_value,
            phase_in_days=p.phase_in_days,
            power_shift=p.power_shift,
            power_shift_day=p.power_shift_day,
        )
        for p in model.parties
    )
    notes: tuple[str, ...] = ()
    if filled:
        notes = (f"Issues not given in --deal are the Nash deal's: {', '.join(filled)}.",)
    return DurabilityRun(
        title=space.scenario.title or space.scenario.name,
        deal=chosen,
        filled=filled,
        utilities=utilities,
        reservations=reservations,
        standings=standings,
        params=model,
        result=result,
        reference=reference.describe(),
        reference_class=reference,
        band=band,
        warnings=outside_zopa_warnings(standings, result),
        comparison=comparison,
        swaps=swaps,
        spec=deal if isinstance(deal, str) else "",
        notes=notes,
    )


def swap_deals(
    space: OutcomeSpace, deal: Mapping[str, str]
) -> list[tuple[str, str, dict[str, str]]]:
    """``(issue, option, swapped deal)`` for every other option of each issue with mechanisms.

    An issue takes part when any of its options provides a mechanism (``provides``): swapping
    its option is how a mediator trades one mechanism for another, or for none.
    """
    return [
        (issue.name, option.name, {**deal, issue.name: option.name})
        for issue in space.scenario.issues
        if isinstance(issue, DiscreteIssue) and any(o.provides for o in issue.options)
        for option in issue.options
        if option.name != deal[issue.name]
    ]


def _swap(
    space: OutcomeSpace,
    deal: Mapping[str, str],
    swap: tuple[str, str, Mapping[str, str]],
    outcome: DurabilityResult,
    base: DurabilityResult,
) -> Swap:
    issue, option, terms = swap
    row = space.options_of(terms)
    holding = outcome.final
    return Swap(
        issue=issue,
        option=option,
        replaces=deal[issue],
        mechanisms=outcome.mechanisms,
        utilities=deal_utilities(space, terms),
        accepted=bool(space.in_zopa_options(row[None, :])[0]),
        result=outcome,
        holding=holding,
        change=holding - base.final,
    )


def outside_zopa_warnings(
    standings: Sequence[Standing], result: DurabilityResult
) -> tuple[str, ...]:
    """A warning for each party that prefers its alternative at signature (outside its ZOPA).

    The words follow the numbers they sit beside: "collapses at once" only when (nearly)
    every path ends on day 1; otherwise the warning gives the share ending on day 1 and the
    share still holding at the horizon, the figures of the survival table.
    """
    first_day = 1.0 - result.survival[0]
    held = result.final
    out = []
    for s in standings:
        if s.utility >= s.alternative - ACCEPT_TOLERANCE:  # acceptable, as in the ZOPA
            continue
        head = (
            f"{s.party} prefers its alternative at signature ({s.alternative:.3f} > "
            f"{s.utility:.3f}, outside its ZOPA)"
        )
        if first_day >= _AT_ONCE:
            tail = f"the deal collapses at once ({_pct(first_day)} of paths on day 1)"
        else:
            tail = (
                f"{_pct(first_day)} of paths collapse on day 1 and {_pct(held)} still hold at "
                f"day {result.days}: the cost of breaking first (penalties, trust) keeps the "
                "rest in place, and the margin it leaves is thin"
            )
        out.append(f"{head}: {tail}.")
    return tuple(out)


def _with_policy(params: Parameters, policy: Policy | str | None) -> Parameters:
    """``params`` with every party answering by ``policy`` (``None`` or "": as calibrated)."""
    if policy is None or (isinstance(policy, str) and not policy.strip()):
        return params
    try:
        chosen = Policy(policy.strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in Policy)
        raise DetenteError(f"unknown policy {policy!r} (known: {known})", field="policy") from None
    return params.replace_parties(policy=chosen)


def _with_power_shifts(params: Parameters, shifts: Mapping[str, tuple[float, int]]) -> Parameters:
    """``params`` with each party's known ``(drop, day)`` power shift set."""
    if not shifts:
        return params
    data = params.model_dump()
    by_name = {p["name"]: p for p in data["parties"]}
    for name, (drop, day) in shifts.items():
        if name not in by_name:
            known = ", ".join(by_name)
            raise DetenteError(
                f"unknown party {name!r} for a power shift (parties: {known})",
                field="power_shift",
            )
        by_name[name].update(power_shift=drop, power_shift_day=day)
    return validate_parameters(data, source="power_shift")
