"""The classic expected-utility model (Bueno de Mesquita; Scholz, Calbert & Smith 2011 variant).

The model runs one dimension at a time. Equations, sources and each implementation choice:
``docs/explanation/forecast.md``. In short:

* distances are normalised by the range of the initial positions on the dimension;
* the probability of success is normalised, as in Scholz et al.'s code, by the sum of the absolute
  votes of every actor over every pair of actors (``pairwise=False``, the default; the published
  EC emissions curve needs it) or, optionally, by the votes on the pair alone (``pairwise=True``);
* every expected utility is computed from the perspective of the actor who receives offers, with
  that actor's risk exponent, and with Q = 1;
* an actor takes a confrontation if it has one (the nearest), else a compromise (the one whose
  proposer expects to gain most, E(U_ji), then the shortest move), else a capitulation (the
  nearest); every key depends on distances only, so a mirrored scale gives mirrored trajectories;
  all actors move at once; ties go to the lowest index;
* the probability reported with each accepted offer is the pairwise P of the published equation
  (votes on the pair alone), whichever normalisation drives the model.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from detente.forecast.inputs import Stakeholders
from detente.forecast.result import Challenge, Forecast
from detente.forecast.smp import weighted_outcome

__all__ = ["ROUNDS", "bdm_round", "run_bdm"]

#: Rounds played by default (the published EC emissions curve has ten).
ROUNDS = 10
_KINDS = ("confrontation", "compromise", "capitulation")


def _votes(d: np.ndarray, cs: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``v[k, a, b] = c_k s_k (d_kb^r_k - d_ka^r_k)``: k's vote for a's position over b's."""
    dr = d ** r[:, None]
    return np.asarray(cs[:, None, None] * (dr[:, None, :] - dr[:, :, None]))


def _probability(d: np.ndarray, cs: np.ndarray, r: np.ndarray, pairwise: bool) -> np.ndarray:
    v = _votes(d, cs, r)
    support = np.maximum(v, 0).sum(axis=0)
    if pairwise:
        total = np.abs(v).sum(axis=0)
        return np.asarray(np.divide(support, total, out=np.zeros_like(support), where=total > 0))
    total_all = float(np.abs(v).sum())
    return np.asarray(support / total_all) if total_all > 0 else np.zeros_like(support)


def _expected(
    d: np.ndarray, s_target: np.ndarray, p: np.ndarray, r: np.ndarray | float
) -> np.ndarray:
    """``E(U)`` of challenging: ``s_t [P U_s + (1-P) U_f] + (1 - s_t) U_s - U_sq`` (Q = 1)."""
    u_s = 2 - 4 * (0.5 - 0.5 * d) ** r
    u_f = 2 - 4 * (0.5 + 0.5 * d) ** r
    u_sq = 2 - 4 * 0.5**r
    return np.asarray(s_target * (p * u_s + (1 - p) * u_f) + (1 - s_target) * u_s - u_sq)


def _best_offer(mask: np.ndarray, gain: np.ndarray, move: np.ndarray) -> np.ndarray:
    """Per receiver (row), the offer in ``mask`` whose proposer gains most, then the shortest move.

    Both keys depend on distances only, so the choice is the same on a mirrored scale; remaining
    ties go to the lowest index. Rows without an offer return 0 (the caller ignores them).
    """
    best = np.where(mask, gain, -np.inf).max(axis=1, keepdims=True)
    top = mask & (gain == best)
    return np.asarray(np.where(top, move, np.inf).argmin(axis=1))


def bdm_round(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, span: float, pairwise: bool = False
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, int, float, float, float]]]:
    """One round on one dimension.

    Args:
        x: positions.
        c: capabilities.
        s: saliences in [0, 1].
        span: the range that normalises distances.
        pairwise: normalise the probability of success by the pair's votes only.

    Returns:
        ``(new positions, risk acceptance R, accepted offers)``; an offer is
        ``(receiver, proposer, kind index, pairwise P of the proposer, proposer's and receiver's
        expected utility)``.
    """
    n = len(x)
    d = np.abs(x[:, None] - x[None, :]) / span if span > 0 else np.zeros((n, n))
    cs = c * s
    ones = np.ones(n)
    e1 = _expected(d, s[None, :], _probability(d, cs, ones, pairwise), 1.0)
    np.fill_diagonal(e1, 0.0)
    danger = e1.sum(axis=0)  # sum over j of E^j(U_ji): how much others gain by challenging i
    spread = danger.max() - danger.min()
    risk = (2 * danger - danger.max() - danger.min()) / spread if spread > 0 else np.zeros(n)
    r = (1 - risk / 3) / (1 + risk / 3)
    p = _probability(d, cs, r, pairwise)
    p_pair = p if pairwise else _probability(d, cs, r, pairwise=True)
    rr = r[:, None]
    e_ij = _expected(d, s[None, :], p, rr)  # i challenging j, from i's view
    e_ji = _expected(d, s[:, None], p.T, rr)  # j challenging i, from i's view
    valid = (d > 0) & ~np.eye(n, dtype=bool)
    confront = valid & (e_ji > e_ij) & (e_ij > 0)
    yielding = valid & (e_ji > 0) & (e_ij < 0)
    compromise = yielding & (e_ji > np.abs(e_ij))
    capitulate = yielding & ~compromise
    with np.errstate(divide="ignore", invalid="ignore"):
        meet = x[:, None] + (x[None, :] - x[:, None]) * np.abs(e_ij / e_ji)
    toward = np.broadcast_to(x[None, :], (n, n))
    new = x.copy()
    offers: list[tuple[int, int, int, float, float, float]] = []
    level = np.zeros((n, n))
    for kind, mask, target, rank in (
        (2, capitulate, toward, level),
        (1, compromise, np.where(compromise, meet, toward), e_ji),
        (0, confront, toward, level),
    ):  # later kinds override earlier ones: confrontation > compromise > capitulation
        pick = _best_offer(mask, rank, np.abs(target - x[:, None]))
        has = np.asarray(mask.any(axis=1), dtype=bool)
        new = np.where(has, target[np.arange(n), pick], new)
        offers = [o for o in offers if not has[o[0]]] + [
            (
                i,
                int(pick[i]),
                kind,
                float(p_pair[pick[i], i]),
                float(e_ji[i, pick[i]]),
                float(e_ij[i, pick[i]]),
            )
            for i in np.nonzero(has)[0].tolist()
        ]
    return new, risk, sorted(offers)


def run_bdm(
    data: Stakeholders,
    *,
    rounds: int = ROUNDS,
    pairwise: bool = False,
    record: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Forecast:
    """Run the expected-utility model on every dimension independently for ``rounds`` rounds.

    Saliences enter per dimension on 0-1 (a KTAB salience of 40 is 0.4). With ``record=False``
    the accepted offers are not kept (``challenges`` is empty); positions and risk are the same.
    ``progress`` is called with ``(rounds played, rounds x dimensions)`` after each round of
    each dimension; it changes nothing in the run (an exception it raises stops it).
    """
    cap = np.asarray(data.capability, dtype=float)
    n, k = data.position.shape
    history = np.empty((rounds + 1, n, k))
    history[0] = data.position
    risk = np.zeros((rounds, n, k))
    challenges: list[Challenge] = []
    for dim in range(k):
        x = np.asarray(data.position[:, dim], dtype=float)
        s = np.asarray(data.salience[:, dim], dtype=float) / 100.0
        span = float(x.max() - x.min())
        for t in range(rounds):
            x, risk[t, :, dim], offers = bdm_round(x, cap, s, span, pairwise)
            history[t + 1, :, dim] = x
            if progress is not None:
                progress(dim * rounds + t + 1, k * rounds)
            if not record:
                continue
            challenges.extend(
                Challenge(
                    turn=t + 1,
                    challenger=data.actors[j],
                    target=data.actors[i],
                    kind=_KINDS[kind],
                    probability=prob,
                    challenger_gain=gain,
                    target_gain=loss,
                    target_offer=(float(history[t + 1, i, dim]),),
                    adopted_by_target=True,
                    dimension=data.dimensions[dim],
                )
                for i, j, kind, prob, gain, loss in offers
            )
    challenges.sort(key=lambda c: c.turn)
    changes = np.linalg.norm(np.diff(history, axis=0), axis=2).sum(axis=1)
    ratios = tuple(float(v / (changes[0] + 1e-4)) for v in changes) if rounds else ()
    return Forecast(
        model="bdm",
        name=data.name,
        actors=data.actors,
        dimensions=data.dimensions,
        history=history,
        risk=risk.mean(axis=2),
        challenges=tuple(challenges),
        stop_ratios=ratios,
        stop_reason=f"fixed number of rounds ({rounds})",
        outcome=weighted_outcome(history[-1], cap, data.salience),
        disclaimer=data.disclaimer,
        dimension_labels=data.dimension_labels,
    )
