"""KTAB's Spatial Model of Politics (SMP) with KTAB's default settings, reproduced exactly.

Equations and sources: ``docs/explanation/forecast.md``. Settings reproduced (KTAB names):
VictoryProbModel Linear, VotingRule Prop, PCEModel Conditional, StateTransitions Deterministic,
BigRRange Mid, BigRAdjust OneThird, ThirdPartyCommit SemiCommit, InterVecBrgn S2P2,
BargnModel InitOnlyInterp. Everything is vectorised over actors and dimensions; ties go to the
lowest index, so a run is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from detente.forecast.inputs import Stakeholders
from detente.forecast.result import Challenge, Forecast

__all__ = [
    "MAX_TURNS",
    "STOP_RATIO",
    "challenge_values",
    "distances",
    "own_gains",
    "position_probabilities",
    "probability_of_prevailing",
    "risk_attitudes",
    "run_smp",
    "utility",
]

#: KTAB stops at this turn at the latest.
MAX_TURNS = 100
#: KTAB stops once a turn's change is below this fraction of the first turn's change.
STOP_RATIO = 0.02
#: A challenge is made only when the expected gain exceeds this.
MIN_GAIN = 1e-5
_VOTE_FLOOR = 1e-8  # KTAB: coalition strength floor in the probability of a position
_CHALLENGE_FLOOR = 1e-10  # KTAB: floor of the principals' strengths in a challenge
_BARGAIN_FLOOR = 1e-6  # KTAB: each side's own weight in the interpolated bargain
_SAME_POSITION = 1e-3  # KTAB's posTol: positions closer than this (0-1 scale) are one position
_CHUNK = 4096  # challenge pairs evaluated at once (bounds memory for large inputs)
_BLOCK = 2_000_000  # (challenger, target, third party) triples evaluated at once


def distances(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Salience-weighted distances ``d[i, j]`` from i's view (positions and saliences on 0-1)."""
    diff = x[None, :, :] - x[:, None, :]
    num = np.square(s[:, None, :] * diff).sum(axis=-1)
    return np.asarray(np.sqrt(num / np.square(s).sum(axis=-1)[:, None]))


def utility(d: np.ndarray, risk: np.ndarray | float) -> np.ndarray:
    """KTAB's risk-adjusted utility of a distance: ``(1 - d)(1 + d R)``."""
    return np.asarray((1.0 - d) * (1.0 + d * risk))


def probability_of_prevailing(weight: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Conditional probability of each option prevailing (KTAB's Linear/Prop/Conditional PCE).

    Args:
        weight: capability of each voter, shape ``(A,)``.
        value: each voter's value of each option, shape ``(A, M)``.

    Returns:
        Probabilities, shape ``(M,)``, adding up to 1.
    """
    diff = value[:, :, None] - value[:, None, :]
    strength = _VOTE_FLOOR + np.maximum(weight[:, None, None] * diff, 0.0).sum(axis=0)
    victory = strength / (strength + strength.T)
    np.fill_diagonal(victory, 0.5)
    p = victory.prod(axis=1)
    return np.asarray(p / p.sum())


def risk_attitudes(capability: np.ndarray, d: np.ndarray) -> np.ndarray:
    """KTAB's inferred risk attitudes R in [-1/2, 1] from the risk-neutral values ``1 - d``."""
    p = probability_of_prevailing(capability, 1.0 - d)
    spread = p.max() - p.min()
    if spread <= 0:  # every position equally likely: no one is more secure than another
        return np.zeros_like(p)
    return np.asarray((3 * p - (p.max() + 2 * p.min())) / (2 * spread))


def position_probabilities(x: np.ndarray, capability: np.ndarray, u_obj: np.ndarray) -> np.ndarray:
    """Probability that each actor's position prevails (KTAB's state probabilities).

    Positions closer than KTAB's tolerance count as one option (the first actor's copy stands for
    it); every actor votes with its risk-aware utilities ``u_obj``; each actor gets the probability
    of its position.
    """
    close = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=-1) < _SAME_POSITION
    first = np.tril(close).argmax(axis=1)  # the earliest actor at (nearly) the same position
    unique = np.unique(first)
    p = probability_of_prevailing(capability, u_obj[:, unique])
    return np.asarray(p[np.searchsorted(unique, first)])


@dataclass(frozen=True)
class _Valuation:
    probability: np.ndarray
    gain_challenger: np.ndarray
    gain_target: np.ndarray


def challenge_values(
    u_est: np.ndarray,
    weight: np.ndarray,
    sigma: np.ndarray,
    *,
    challenger: np.ndarray,
    target: np.ndarray,
    observer: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value challenges ``challenger -> target`` as ``observer`` sees them.

    Args:
        u_est: ``u_est[h, i, j]``: h's estimate of i's utility for j's position.
        weight: ``sigma_i c_i`` per actor.
        sigma: total salience per actor.
        challenger: index array of challengers.
        target: index array of targets (same length).
        observer: index array of observers h (same length).

    Returns:
        ``(P, gain to challenger, gain to target)`` per pair.
    """
    out = [
        _challenge_chunk(u_est, weight, sigma, (challenger[a:b], target[a:b], observer[a:b]))
        for a, b in _chunks(len(challenger))
    ]
    return (
        np.concatenate([v.probability for v in out]),
        np.concatenate([v.gain_challenger for v in out]),
        np.concatenate([v.gain_target for v in out]),
    )


def _chunks(n: int) -> list[tuple[int, int]]:
    return [(a, min(a + _CHUNK, n)) for a in range(0, max(n, 1), _CHUNK)]


def _challenge_chunk(
    u: np.ndarray,
    weight: np.ndarray,
    sigma: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> _Valuation:
    i, j, h = pairs
    n = u.shape[1]
    u_ii, u_ij, u_ji, u_jj = u[h, i, i], u[h, i, j], u[h, j, i], u[h, j, j]
    a = weight[i] * (u_ii - u_ij)
    b = weight[j] * (u_ji - u_jj)
    c0_ij = _CHALLENGE_FLOOR + np.maximum(a, 0) + np.maximum(b, 0)
    c0_ji = _CHALLENGE_FLOOR + np.maximum(-a, 0) + np.maximum(-b, 0)
    third = np.arange(n)[None, :]
    hh = h[:, None]
    u_ni = u[hh, third, i[:, None]]  # (P, N): observer's estimate of n's value of i's position
    u_nj = u[hh, third, j[:, None]]
    u_nn = u[hh, third, third]
    w = weight[None, :]
    v = w * (u_ni - u_nj)
    pi = (c0_ij[:, None] + np.maximum(v, 0)) / (c0_ij[:, None] + c0_ji[:, None] + np.abs(v))
    for_i = pi * (2 * u_ni + u_nn) + (1 - pi) * 3 * u_nj
    for_j = pi * 3 * u_ni + (1 - pi) * (2 * u_nj + u_nn)
    vote = w * (for_i - for_j)
    vote = np.where((third != i[:, None]) & (third != j[:, None]), vote, 0.0)
    c_ij = c0_ij + np.maximum(vote, 0).sum(axis=1)
    c_ji = c0_ji + np.maximum(-vote, 0).sum(axis=1)
    p = c_ij / (c_ij + c_ji)
    s_j = sigma[j]

    def gain(k: np.ndarray) -> np.ndarray:
        u_ki, u_kj = u[h, k, i], u[h, k, j]
        return np.asarray(
            (1 - s_j) * 2 * u_ki + s_j * (p * 2 * u_ki + (1 - p) * 2 * u_kj) - (u_ki + u_kj)
        )

    return _Valuation(p, gain(i), gain(j))


def own_gains(
    d: np.ndarray, risk: np.ndarray, u_est: np.ndarray, weight: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    """Table ``g[i, j]``: i's expected gain from challenging j, as i sees it (``-inf`` on i = j).

    The same numbers as :func:`challenge_values` with observer = challenger, computed by
    broadcasting: i's estimate of n's utility for j's position is
    ``(1 - d_nj)(1 + d_nj R_n / 3) + (1 - d_nj) d_nj (2 R_i / 3)``.
    """
    n = len(risk)
    base = (1 - d) * (1 + d * risk[:, None] / 3)  # [n, j]
    slope = (1 - d) * d  # [n, j]
    q = 2 * risk / 3
    w = weight[None, None, :]
    idx = np.arange(n)
    u_own = u_est[idx, idx, :]  # u_own[i, j] = u_est[i, i, j]
    u_tgt = u_est[idx[:, None], idx[None, :], idx[:, None]]  # [i, j] = u_est[i, j, i]
    u_tgt_own = u_est[idx[:, None], idx[None, :], idx[None, :]]  # [i, j] = u_est[i, j, j]
    out = np.empty((n, n))
    step = max(1, _BLOCK // (n * n))
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        rows = idx[lo:hi]
        qi = q[rows][:, None, None]
        u_nj = base.T[None, :, :] + slope.T[None, :, :] * qi  # [i, j, n]
        u_ni = (base.T[rows] + slope.T[rows] * q[rows][:, None])[:, None, :]  # [i, 1, n]
        u_nn = (np.diagonal(base) + np.diagonal(slope) * q[rows][:, None])[:, None, :]
        a = weight[rows][:, None] * (u_own[rows, rows][:, None] - u_own[rows])
        b = weight[None, :] * (u_tgt[rows] - u_tgt_own[rows])
        c0_ij = (_CHALLENGE_FLOOR + np.maximum(a, 0) + np.maximum(b, 0))[:, :, None]
        c0_ji = (_CHALLENGE_FLOOR + np.maximum(-a, 0) + np.maximum(-b, 0))[:, :, None]
        v = w * (u_ni - u_nj)
        pi = (c0_ij + np.maximum(v, 0)) / (c0_ij + c0_ji + np.abs(v))
        vote = w * (pi * (u_nn - u_ni) + (1 - pi) * (u_nj - u_nn))
        vote[:, idx, idx] = 0.0  # third parties only: n != j
        vote[np.arange(hi - lo), :, rows] = 0.0  # n != i
        c_ij = c0_ij[:, :, 0] + np.maximum(vote, 0).sum(axis=2)
        c_ji = c0_ji[:, :, 0] + np.maximum(-vote, 0).sum(axis=2)
        p = c_ij / (c_ij + c_ji)
        u_ki = u_own[rows, rows][:, None]
        u_kj = u_own[rows]
        s_j = sigma[None, :]
        out[lo:hi] = (
            (1 - s_j) * 2 * u_ki + s_j * (p * 2 * u_ki + (1 - p) * 2 * u_kj) - (u_ki + u_kj)
        )
    out[idx, idx] = -np.inf
    return out


def _round4(x: np.ndarray) -> np.ndarray:
    """KTAB rounds bargains half up at 1e-4 (on the 0-1 scale)."""
    return np.asarray(np.floor(x * 1e4 + 0.5) / 1e4)


def run_smp(
    data: Stakeholders,
    *,
    max_turns: int = MAX_TURNS,
    record: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Forecast:
    """Run KTAB's SMP with its default settings until it settles or ``max_turns`` is reached.

    With ``record=False`` the positions, risk attitudes and stop ratios are the same, but the
    challenges (and their valuation from the target's view) and the state probabilities are not
    kept: ``challenges`` is empty and ``position_probability`` None. The evaluation on many
    issues needs only the positions, and skips about half the work. ``progress`` is called
    with ``(turn, max_turns)`` after each turn, and ``(max_turns, max_turns)`` once settled;
    it changes nothing in the run (an exception it raises stops it).
    """
    cap = np.asarray(data.capability, dtype=float)
    sal = np.asarray(data.salience, dtype=float) / 100.0
    x = np.asarray(data.position, dtype=float) / 100.0
    n = len(cap)
    sigma = sal.sum(axis=1)
    weight = sigma * cap
    history, risks, challenges, ratios, probs = [x.copy()], [], [], [], []
    first_change = 0.0
    stop_reason = f"turn limit ({max_turns}) reached"
    for turn in range(1, max_turns + 1):
        d = distances(x, sal)
        risk = risk_attitudes(cap, d)
        risks.append(risk)
        estimate = (2 * risk[:, None] + risk[None, :]) / 3  # r[h, i]: h's estimate of i's R
        u_est = utility(d[None, :, :], estimate[:, :, None])
        u_obj = utility(d, risk[:, None])
        if record:
            probs.append(position_probabilities(x, cap, u_obj))

        table = own_gains(d, risk, u_est, weight, sigma)
        best = table.argmax(axis=1)  # ties: lowest index
        active = np.nonzero(table[np.arange(n), best] > MIN_GAIN)[0]
        tgt = best[active]
        p_i, g_ii, g_ij = challenge_values(
            u_est, weight, sigma, challenger=active, target=tgt, observer=active
        )

        # bargains: S2P2 interpolation from the challenger's view
        w_i = np.square(sal[active]) * np.square(p_i)[:, None]
        w_j = np.square(sal[tgt]) * np.square(1 - p_i)[:, None]
        total = w_i + w_j + _BARGAIN_FLOOR
        new_i = _round4(((w_i + _BARGAIN_FLOOR) * x[active] + w_j * x[tgt]) / total)
        new_j = _round4((w_i * x[active] + (w_j + _BARGAIN_FLOOR) * x[tgt]) / total)

        x_next, adopted = _resolve_queues(
            x, sal, cap, risk, u_obj, bargains=(active, tgt, new_i, new_j)
        )
        if record:
            challenges.extend(
                _records(
                    data.actors,
                    turn,
                    (u_est, weight, sigma),
                    (active, tgt, p_i, g_ii, g_ij),
                    (new_i, new_j, adopted),
                )
            )
        change = float(np.linalg.norm(x_next - x, axis=1).sum())
        if turn == 1:
            first_change = change
        ratio = change / (first_change + 1e-4)
        ratios.append(ratio)
        x = x_next
        history.append(x.copy())
        if progress is not None:
            progress(turn, max_turns)
        if turn >= 2 and ratio < STOP_RATIO:
            stop_reason = (
                f"settled: turn {turn} moved positions {ratio:.4f} of turn 1's change "
                f"(below {STOP_RATIO})"
            )
            break
    if record:
        d = distances(x, sal)
        probs.append(position_probabilities(x, cap, utility(d, risk_attitudes(cap, d)[:, None])))
    if progress is not None:
        progress(max_turns, max_turns)
    positions = np.array(history) * 100.0
    return Forecast(
        model="smp",
        name=data.name,
        actors=data.actors,
        dimensions=data.dimensions,
        history=positions,
        risk=np.array(risks),
        challenges=tuple(challenges),
        stop_ratios=tuple(ratios),
        stop_reason=stop_reason,
        outcome=weighted_outcome(positions[-1], cap, data.salience),
        disclaimer=data.disclaimer,
        dimension_labels=data.dimension_labels,
        position_probability=np.array(probs) if record else None,
    )


def _records(
    actors: tuple[str, ...],
    turn: int,
    valuation: tuple[np.ndarray, np.ndarray, np.ndarray],
    challenges: tuple[np.ndarray, ...],
    bargains: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> list[Challenge]:
    """The turn's challenges, valued from both principals' views, with the bargains on 0-100.

    Bargains are exact at 1e-4 on the 0-1 scale (KTAB's rounding), so they are reported with two
    decimals on 0-100.
    """
    u_est, weight, sigma = valuation
    active, tgt, p_i, g_ii, g_ij = challenges
    new_i, new_j, adopted = bargains
    p_j, g_ji, g_jj = challenge_values(
        u_est, weight, sigma, challenger=active, target=tgt, observer=tgt
    )
    offer_i, offer_j = np.round(new_i * 100, 2), np.round(new_j * 100, 2)
    return [
        Challenge(
            turn=turn,
            challenger=actors[ci],
            target=actors[tj],
            kind="challenge",
            probability=float(p_i[m]),
            challenger_gain=float(g_ii[m]),
            target_gain=float(g_ij[m]),
            target_view_probability=float(p_j[m]),
            target_view_challenger_gain=float(g_ji[m]),
            target_view_target_gain=float(g_jj[m]),
            challenger_offer=tuple(offer_i[m].tolist()),
            target_offer=tuple(offer_j[m].tolist()),
            adopted_by_challenger=bool(adopted[ci] == m),
            adopted_by_target=bool(adopted[tj] == m),
        )
        for m, (ci, tj) in enumerate(zip(active.tolist(), tgt.tolist(), strict=True))
    ]


def weighted_outcome(final: np.ndarray, capability: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Capability x salience weighted mean position per dimension (capability alone if all 0)."""
    w = capability[:, None] * salience
    w = np.where(w.sum(axis=0, keepdims=True) > 0, w, capability[:, None])
    return np.asarray((w * final).sum(axis=0) / w.sum(axis=0))


def _resolve_queues(
    x: np.ndarray,
    sal: np.ndarray,
    cap: np.ndarray,
    risk: np.ndarray,
    u_obj: np.ndarray,
    *,
    bargains: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Every actor picks the most likely option of its queue and adopts its own side of it.

    Returns:
        The new positions, and per actor the index of the bargain it adopted (-1: status quo).
    """
    challenger, target, new_i, new_j = bargains
    n = len(cap)
    sal_norm = np.square(sal).sum(axis=1)

    # value to every actor a of every bargain m: the two moved actors at their new points
    def value_of(points: np.ndarray) -> np.ndarray:  # points (M, K) -> (N, M)
        diff = points[None, :, :] - x[:, None, :]
        dist = np.sqrt(np.square(sal[:, None, :] * diff).sum(axis=-1) / sal_norm[:, None])
        return utility(dist, risk[:, None])

    base = u_obj.sum(axis=1)
    values = (
        base[:, None] - u_obj[:, challenger] - u_obj[:, target] + value_of(new_i) + value_of(new_j)
    ) / n
    options = np.concatenate([(base / n)[:, None], values], axis=1)  # option 0: status quo
    # queues[k]: status quo (0), then the bargains involving k in challenger order; -1 pads
    m_all = len(challenger)
    member = np.zeros((n, m_all + 1), dtype=bool)
    member[:, 0] = True
    member[challenger, np.arange(m_all) + 1] = True
    member[target, np.arange(m_all) + 1] = True
    lengths = member.sum(axis=1)
    order = np.argsort(~member, axis=1, kind="stable")  # each row: its queue first, in order
    chosen = np.zeros(n, dtype=int)
    for width in np.unique(lengths[lengths > 1]).tolist():  # queues of equal length together
        actors = np.nonzero(lengths == width)[0]
        step = max(1, _BLOCK // (n * width * width))
        for lo in range(0, len(actors), step):
            rows = actors[lo : lo + step]
            chosen[rows] = _most_likely(cap, options, order[rows, :width])
    adopted = chosen - 1
    x_next = x.copy()
    movers = np.nonzero(adopted >= 0)[0]
    picks = adopted[movers]
    own = challenger[picks] == movers
    x_next[movers] = np.where(own[:, None], new_i[picks], new_j[picks])
    return x_next, adopted


def _most_likely(weight: np.ndarray, options: np.ndarray, queues: np.ndarray) -> np.ndarray:
    """For each queue (a row of option indices, all of one length), its most likely option.

    The same conditional probability as :func:`probability_of_prevailing`, for many queues at
    once; ties go to the first option in the queue.
    """
    value = options[:, queues]  # (A, Q, M)
    diff = value[:, :, :, None] - value[:, :, None, :]
    strength = _VOTE_FLOOR + np.maximum(weight[:, None, None, None] * diff, 0.0).sum(axis=0)
    victory = strength / (strength + strength.transpose(0, 2, 1))
    width = queues.shape[1]
    victory[:, np.arange(width), np.arange(width)] = 0.5
    best = victory.prod(axis=2).argmax(axis=1)
    return np.asarray(queues[np.arange(len(queues)), best])
