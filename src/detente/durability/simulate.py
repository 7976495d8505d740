"""The Monte Carlo of a signed ceasefire, vectorised over paths and streamed over days.

Every array has one row per path and one column per party; the loop runs over days only, so
memory depends on the number of paths in a chunk, never on the horizon. Paths are simulated in
chunks, each with its own child seed (``SeedSequence`` spawn key = chunk number), so the result
depends on the seed and the chunk size alone, not on the executor or its workers.

Each path keeps drawing its random numbers after it has collapsed: two runs with the same seed
use the same numbers for the same path and day (common random numbers), which is what makes
mechanism comparisons sharp and the monotonicity of each mechanism exact.

The equations are in ``docs/explanation/durability.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from detente._rng import RNGLike, check_seed
from detente.compute import Executor
from detente.durability.parameters import Parameters, Policy
from detente.durability.results import SPIRAL, DurabilityResult, defection_cause, wilson_band
from detente.errors import DetenteError

__all__ = [
    "CHUNK_SIZE",
    "MAX_DAYS",
    "MAX_PATHS",
    "check_size",
    "credibility",
    "root_seed",
    "simulate",
]

#: Paths per chunk: part of the definition of a seeded result (keep it fixed).
CHUNK_SIZE = 50_000
MAX_PATHS = 100_000_000
MAX_DAYS = 36_525

_F = np.float32
_BITS = 24  # resolution of the dense uniforms (incidents): thresholds are 24-bit integers
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def hashed_uniforms(key: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) from ``uint64`` counters (the SplitMix64 finaliser, Steele et al. 2014).

    Counter-based numbers are drawn only where a decision needs one, yet each (path, day,
    party, purpose) always gets the same number, which keeps runs on common random numbers.
    """
    z = key * _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def credibility(
    violation: np.ndarray | float,
    attribution: np.ndarray | float,
    false_reports: np.ndarray | float,
) -> np.ndarray:
    """Probability that a report is a real violation: ``a v / (a v + f (1 - v))``.

    ``v`` is the believed chance of a violation, ``a`` the chance that a real one is reported
    and pinned on its author, ``f`` the chance of a report when nothing happened (Bayes' rule).
    Without false reports (``f = 0``) every report is credible (1), whatever ``a`` and ``v``.
    """
    v = np.asarray(violation, dtype=np.float64)
    real = np.asarray(attribution, dtype=np.float64) * v
    false = np.asarray(false_reports, dtype=np.float64) * (1.0 - v)
    total = real + false
    out = np.divide(real, total, out=np.ones_like(total), where=total > 0)
    return np.asarray(np.where(false > 0, out, 1.0))


@dataclass(frozen=True)
class Constants:
    """Per-party numbers the daily loop reads (arrays of shape ``(n_parties,)``)."""

    deal_value: np.ndarray
    deferred_value: np.ndarray
    phase_in_days: np.ndarray
    alternative: np.ndarray
    drift: np.ndarray
    volatility: np.ndarray
    first_strike: np.ndarray
    penalty: np.ndarray
    noise: np.ndarray
    front_rate: np.ndarray
    answer_retaliation: np.ndarray
    answer_incident: np.ndarray
    grim: np.ndarray
    wsls: np.ndarray
    false_reports: np.ndarray
    report_hit: float
    trust_prior: np.ndarray
    trust_gain: np.ndarray
    trust_loss: np.ndarray
    power_shift: np.ndarray
    power_shift_day: np.ndarray
    patience: np.ndarray
    escalation_threshold: int

    @classmethod
    def of(cls, params: Parameters) -> Constants:
        """The constants of ``params`` (see the equations page for each expression)."""
        parties = params.parties

        def col(name: str) -> np.ndarray:
            return np.array([float(getattr(p, name)) for p in parties], dtype=np.float64)

        known = params.detection * params.attribution
        forgive = np.array([p.effective_forgiveness for p in parties])
        unresolved = 1.0 - params.resolution
        local = col("incident_rate") * unresolved
        quiet_elsewhere = np.array(
            [np.prod(np.delete(1.0 - local, j)) for j in range(len(parties))]
        )
        cleared = 1.0 - params.detection * (1 - params.misattribution)
        spurious = params.false_report_rate * cleared
        false_reports = col("false_reports") * cleared
        front = 1.0 - quiet_elsewhere * (1.0 - spurious) * (1.0 - false_reports)
        return cls(
            deal_value=col("deal_value"),
            deferred_value=col("deferred_value"),
            phase_in_days=col("phase_in_days"),
            alternative=col("alternative"),
            drift=col("drift"),
            volatility=col("volatility"),
            first_strike=col("first_strike"),
            penalty=known * (col("sanction") + col("reputation_cost")),
            noise=col("decision_noise"),
            front_rate=front,
            answer_retaliation=(1.0 - forgive) * unresolved,
            answer_incident=1.0 - forgive,
            grim=np.array([p.policy is Policy.GRIM for p in parties]),
            wsls=np.array([p.policy is Policy.WSLS for p in parties]),
            false_reports=false_reports,
            report_hit=known,
            trust_prior=col("trust_prior"),
            trust_gain=col("trust_gain"),
            trust_loss=col("trust_loss"),
            power_shift=col("power_shift"),
            power_shift_day=col("power_shift_day"),
            patience=col("patience"),
            escalation_threshold=params.escalation_threshold,
        )

    def undelivered(self, days: int) -> np.ndarray:
        """Share of the deferred value not yet delivered on ``t = 1..days``, ``(days, parties)``."""
        t = np.arange(1, days + 1, dtype=np.float64)[:, None]
        span = np.where(self.phase_in_days > 0, self.phase_in_days, 1.0)
        return np.where(self.phase_in_days > 0, np.clip(1.0 - t / span, 0.0, 1.0), 0.0)

    def compliance_value(self, days: int) -> np.ndarray:
        """``x_p(t)`` at zero trust, ``(days, parties)``: promised value not yet counted."""
        return np.asarray(self.deal_value - self.deferred_value * self.undelivered(days))

    def shift_premium(self, days: int) -> np.ndarray:
        """Gain from fighting before a known drop in power, ``(days, parties)``.

        A party whose power falls by ``Delta`` on day ``T_s`` can hold ``Delta`` less at the
        table afterwards, while a war started now is fought at today's power: on day ``t < T_s``
        breaking gains ``Delta delta^(T_s - t)`` (Fearon 1995; Powell 2006). On and after
        ``T_s`` both options have lost ``Delta`` and the premium is gone; with stable power
        (``Delta = 0``) it is zero.
        """
        t = np.arange(1, days + 1, dtype=np.float64)[:, None]
        ahead = self.power_shift_day - t
        premium = self.power_shift * self.patience ** np.maximum(ahead, 0.0)
        return np.asarray(np.where((ahead > 0) & (self.power_shift_day > 0), premium, 0.0))

    def trust_weight(self, days: int) -> np.ndarray:
        """What trust is worth each day, ``(days, parties)``: ``phi + max(D, 0) undelivered``.

        Trust protects against being struck first (``phi``) and makes promised benefits still
        to come (``D > 0``) count; an advance a party grants (``D < 0``) is certain.
        """
        promised = np.maximum(self.deferred_value, 0.0) * self.undelivered(days)
        return np.asarray(self.first_strike + promised)


@dataclass(frozen=True)
class Tally:
    """What one chunk contributes: collapse days (0 = held to the horizon) and causes."""

    paths: int
    collapse_days: np.ndarray  #: histogram over days 0..days, int64
    causes: np.ndarray  #: collapses per cause: defection by each party, then spiral


def _run_chunk(task: tuple[Constants, int, int, np.random.SeedSequence]) -> Tally:  # noqa: PLR0915 - one day of the model is one loop body, kept whole to be read against the equations
    """Simulate ``n`` paths for ``days`` days (the kernel; arrays are ``(parties, n)``)."""
    c, n, days, seed = task
    bits = np.random.SFC64(seed)
    p = c.deal_value.shape[0]
    size = n * p
    # counters of the hashed uniforms: ((key (days + 1) + t) 2 + purpose) p n + j n + path,
    # where j n + path is the flat position in a (parties, n) array
    key = int(seed.generate_state(1, np.uint64)[0]) >> 40

    def uniforms(t: int, purpose: int, flat: np.ndarray) -> np.ndarray:
        counter = ((key * (days + 1) + t) * 2 + purpose) * size
        return hashed_uniforms(flat.astype(np.uint64) + np.uint64(counter))

    def column(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=_F)[:, None]

    steps = np.zeros((p, n), dtype=_F)  # up-steps of each party's random walk so far
    trust = np.repeat(column(c.trust_prior), n, axis=1)
    retaliating = np.zeros((p, n), dtype=bool)
    triggered = np.zeros((p, n), dtype=bool)
    escalation = np.zeros(n, dtype=np.int32)
    alive = np.ones(n, dtype=bool)
    day_of = np.zeros(n, dtype=np.int64)
    cause_of = np.full(n, -1, dtype=np.int64)

    two_sigma = column(2.0 * c.volatility)
    front = np.round(c.front_rate * 2.0**_BITS).astype(np.uint32)[:, None]
    loss = c.trust_loss
    gain = column(c.trust_gain)
    # beyond 30 noise scales below zero, the chance of breaking is under 1e-13 a day
    reach = column(-30.0 * c.noise)
    noisy = c.noise > 0
    inv_noise = 1.0 / np.where(noisy, c.noise, 1.0)
    all_noisy, any_noisy = bool(noisy.all()), bool(noisy.any())
    grim = [j for j in range(p) if c.grim[j]]
    wsls = [j for j in range(p) if c.wsls[j]]
    doubted = bool((c.false_reports > 0).any())
    # the deterministic part of every margin, one row per day (a few numbers per day)
    t_axis = np.arange(1, days + 1, dtype=np.float64)[:, None]
    levels = (
        c.alternative
        + 2.0 * c.first_strike
        - c.penalty
        + (c.drift - c.volatility) * t_axis
        - c.compliance_value(days)
        + c.shift_premium(days)
    ).astype(_F)[:, :, None]
    weights = c.trust_weight(days).astype(_F)[:, :, None]

    for t in range(1, days + 1):
        incident = bits.random_raw((size + 1) // 2).view(np.uint32)[:size].reshape(p, n)
        incident >>= np.uint32(32 - _BITS)
        incident = incident < front
        ups = np.unpackbits(bits.random_raw((size + 63) // 64).view(np.uint8), count=size)
        steps += ups.reshape(p, n)

        # interest: margin of breaking over complying,
        # m = W + 2 phi - pen - (u - D undelivered) + shift - tau (phi + D+ undelivered)
        margin = steps * two_sigma
        margin += levels[t - 1]
        margin -= trust * weights[t - 1]
        defect = margin > reach
        defect &= alive
        flat_defect = defect.reshape(-1)
        if any_noisy:  # quantal response, evaluated only where the noise can matter
            near = np.flatnonzero(defect if all_noisy else defect & noisy[:, None])
            rows = near // n
            chance = 1.0 / (1.0 + np.exp(-margin.reshape(-1)[near] * inv_noise[rows]))
            flat_defect[near] = uniforms(t, 0, near) < chance

        # incidents, perception and answers (sparse: only where something happened)
        count = retaliating.sum(axis=0, dtype=np.int8)
        others = count > retaliating
        seen = incident | others
        seen &= alive
        idx = np.flatnonzero(seen)
        rows = idx // n
        u = uniforms(t, 1, idx)
        held = trust.reshape(-1)[idx]
        distrust = 1.0 - held
        by_incident = incident.reshape(-1)[idx]
        by_others = others.reshape(-1)[idx]
        # a report's credibility under the party's belief (1 without false reports)
        credible = (
            credibility(distrust, c.report_hit, c.false_reports[rows])
            if doubted
            else np.ones(idx.size)
        )
        threshold = np.where(by_incident, distrust * credible * c.answer_incident[rows], 0.0)
        np.maximum(threshold, by_others * c.answer_retaliation[rows], out=threshold)
        answer = np.zeros((p, n), dtype=bool)
        answer.reshape(-1)[idx] = u < threshold
        hit = by_others | (by_incident & (u < distrust))
        weight = np.where(by_others[hit], 1.0, credible[hit])
        lowered = held[hit] * (1.0 - loss[rows[hit]] * weight)
        hit_at = idx[hit]
        for j in grim:
            triggered[j] |= answer[j]
            answer[j] |= triggered[j]
        if wsls:  # win-stay lose-shift: a party that retaliated stops once it is answered
            seen_hostile = np.zeros((p, n), dtype=bool)
            believed = np.where(by_incident, distrust * credible, 0.0)
            seen_hostile.reshape(-1)[idx] = u < np.maximum(believed, by_others)
            for j in wsls:
                answer[j] = np.where(retaliating[j], ~seen_hostile[j], answer[j])

        # trust: tau <- tau (1 - loss) after a perceived violation, else tau + gain (1 - tau)
        rise = 1 - trust
        rise *= gain
        trust += rise
        trust.reshape(-1)[hit_at] = lowered

        # escalation: consecutive days on which someone retaliates
        escalation += 1
        escalation *= count > 0
        retaliating = answer

        broke = defect.any(axis=0)
        ended = broke | (escalation >= c.escalation_threshold)
        ended &= alive
        if ended.any():
            idx = np.flatnonzero(ended)
            day_of[idx] = t
            alive[idx] = False
            chosen = np.where(defect[:, idx], margin[:, idx], -np.inf).argmax(axis=0)
            cause_of[idx] = np.where(broke[idx], chosen, p)
    return Tally(
        paths=n,
        collapse_days=np.bincount(day_of, minlength=days + 1).astype(np.int64),
        causes=np.bincount(cause_of[cause_of >= 0], minlength=p + 1).astype(np.int64),
    )


def root_seed(rng: RNGLike) -> np.random.SeedSequence:
    """The seed sequence of a run: from a seed, a ``SeedSequence`` or a ``Generator``."""
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(rng.integers(0, 2**63, size=4).tolist())
    check_seed(rng)
    return np.random.SeedSequence(rng)


def check_size(paths: int, days: int) -> None:
    """Refuse a run outside ``1..MAX_PATHS`` paths or ``1..MAX_DAYS`` days, naming the field."""
    if not 1 <= paths <= MAX_PATHS:
        raise DetenteError(f"paths must be in 1..{MAX_PATHS:,}, got {paths}", field="paths")
    if not 1 <= days <= MAX_DAYS:
        raise DetenteError(f"days must be in 1..{MAX_DAYS:,}, got {days}", field="days")


def chunk_tasks(
    params: Parameters, paths: int, days: int, rng: RNGLike, chunk_size: int = CHUNK_SIZE
) -> tuple[np.random.SeedSequence, list[tuple[Constants, int, int, np.random.SeedSequence]]]:
    """The independent tasks of a run: one per chunk of paths, each with its own child seed."""
    check_size(paths, days)
    if chunk_size < 1:
        raise DetenteError(f"chunk size must be positive, got {chunk_size}", field="chunk_size")
    root = root_seed(rng)
    constants = Constants.of(params)
    tasks = []
    for k, start in enumerate(range(0, paths, chunk_size)):
        child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, k))
        tasks.append((constants, min(chunk_size, paths - start), days, child))
    return root, tasks


def combine(
    params: Parameters, days: int, seed: int | None, tallies: Sequence[Tally]
) -> DurabilityResult:
    """Sum chunk tallies into a :class:`DurabilityResult`."""
    paths = sum(t.paths for t in tallies)
    hist = np.sum([t.collapse_days for t in tallies], axis=0)
    causes = np.sum([t.causes for t in tallies], axis=0)
    collapsed = np.cumsum(hist[1:])
    survival = 1.0 - collapsed / paths
    band = wilson_band(survival, paths)
    below = np.flatnonzero(survival <= 0.5)
    total = int(collapsed[-1])
    median_collapse: float | None = None
    if total:
        days_axis = np.arange(1, days + 1)
        median_collapse = float(
            np.median(np.repeat(days_axis, hist[1:]))
            if total <= 2_000_000
            else days_axis[np.searchsorted(collapsed, total / 2)]
        )
    names = [defection_cause(p) for p in params.party_names] + [SPIRAL]
    return DurabilityResult(
        parties=params.party_names,
        mechanisms=params.mechanisms,
        paths=paths,
        days=days,
        seed=seed,
        survival=tuple(survival.tolist()),
        lower=tuple(band[0].tolist()),
        upper=tuple(band[1].tolist()),
        median_days=int(below[0]) + 1 if below.size else None,
        median_days_to_collapse=median_collapse,
        collapses=total,
        causes={
            name: (int(k) / total if total else 0.0) for name, k in zip(names, causes, strict=True)
        },
    )


def simulate(
    params: Parameters,
    *,
    paths: int = 10_000,
    days: int = 365,
    rng: RNGLike = None,
    chunk_size: int = CHUNK_SIZE,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> DurabilityResult:
    """Simulate ``paths`` futures of the ceasefire over ``days`` days.

    Args:
        params: the model (see :func:`detente.durability.default_parameters`).
        paths: number of simulated paths.
        days: horizon in days.
        rng: seed (int), ``SeedSequence``, ``Generator`` or ``None`` (fresh entropy; the
            entropy used is recorded in the result when it is an int).
        chunk_size: paths per chunk (memory bound; part of what a seed reproduces).
        executor: where chunks run (default: in this process).
        progress: called with the number of paths finished after each chunk.
    """
    root, tasks = chunk_tasks(params, paths, days, rng, chunk_size)
    tallies = []
    results = executor.map(_run_chunk, tasks) if executor is not None else map(_run_chunk, tasks)
    for tally in results:
        tallies.append(tally)
        if progress is not None:
            progress(tally.paths)
    seed = root.entropy if isinstance(root.entropy, int) and not root.spawn_key else None
    return combine(params, days, seed, tallies)
