"""A plain-Python SMP turn written from the definitions (loops, no numpy), for tests to compare."""

from __future__ import annotations

import math


def _dist(s_i: list[float], a: list[float], b: list[float]) -> float:
    num = math.fsum((s * (x - y)) ** 2 for s, x, y in zip(s_i, a, b, strict=True))
    return math.sqrt(num / math.fsum(s * s for s in s_i))


def _u(d: float, r: float) -> float:
    return (1 - d) * (1 + d * r)


def _pce(w: list[float], values: list[list[float]]) -> list[float]:
    """values[a][m]: voter a's value of option m -> conditional probability of each option."""
    m_count = len(values[0])
    strength = [
        [
            1e-8
            + math.fsum(max(0.0, wa * (va[m] - va[n])) for wa, va in zip(w, values, strict=True))
            for n in range(m_count)
        ]
        for m in range(m_count)
    ]
    p = []
    for m in range(m_count):
        prod = 1.0
        for n in range(m_count):
            prod *= 0.5 if m == n else strength[m][n] / (strength[m][n] + strength[n][m])
        p.append(prod)
    total = math.fsum(p)
    return [v / total for v in p]


class NearTieError(ArithmeticError):
    """Two options of an actor's queue are equally likely up to rounding: the order of the
    floating-point sums, not the model, would pick one (e.g. two symmetric actors)."""


def smp_turn(
    x: list[list[float]], s: list[list[float]], c: list[float]
) -> tuple[list[list[float]], list[float], list[tuple[int, int, float, float]]]:
    """One SMP turn on the 0-1 scale: new positions, risk attitudes, challenges (i, j, P, gain)."""
    n = len(c)
    d = [[_dist(s[i], x[i], x[j]) for j in range(n)] for i in range(n)]
    p = _pce(c, [[1 - d[a][b] for b in range(n)] for a in range(n)])
    spread = max(p) - min(p)
    if 0 < spread < 1e-9:  # risk = a ratio of rounding errors: nothing to compare
        raise NearTieError(-1)
    risk = [(3 * pi - (max(p) + 2 * min(p))) / (2 * spread) if spread > 0 else 0.0 for pi in p]
    sigma = [math.fsum(row) for row in s]

    def u_est(h: int, a: int, b: int) -> float:
        return _u(d[a][b], (2 * risk[h] + risk[a]) / 3)

    def value(h: int, i: int, j: int, k: int) -> tuple[float, float]:
        a = sigma[i] * c[i] * (u_est(h, i, i) - u_est(h, i, j))
        b = sigma[j] * c[j] * (u_est(h, j, i) - u_est(h, j, j))
        c0_ij = 1e-10 + max(a, 0) + max(b, 0)
        c0_ji = 1e-10 + max(-a, 0) + max(-b, 0)
        c_ij, c_ji = c0_ij, c0_ji
        for t in range(n):
            if t in (i, j):
                continue
            w = sigma[t] * c[t]
            u_ti, u_tj, u_tt = u_est(h, t, i), u_est(h, t, j), u_est(h, t, t)
            v = w * (u_ti - u_tj)
            pi = (c0_ij + max(v, 0)) / (c0_ij + c0_ji + abs(v))
            big_a = pi * (2 * u_ti + u_tt) + (1 - pi) * 3 * u_tj
            big_b = pi * 3 * u_ti + (1 - pi) * (2 * u_tj + u_tt)
            vote = w * (big_a - big_b)
            c_ij += max(vote, 0)
            c_ji += max(-vote, 0)
        prob = c_ij / (c_ij + c_ji)
        u_ki, u_kj = u_est(h, k, i), u_est(h, k, j)
        s_j = sigma[j]
        gain = (
            (1 - s_j) * 2 * u_ki + s_j * (prob * 2 * u_ki + (1 - prob) * 2 * u_kj) - (u_ki + u_kj)
        )
        return prob, gain

    bargains, challenges = [], []
    for i in range(n):
        best_j, best = -1, -math.inf
        for j in range(n):
            if j != i and (g := value(i, i, j, i)[1]) > best:
                best_j, best = j, g
        if best <= 1e-5:
            continue
        j = best_j
        prob = value(i, i, j, i)[0]
        challenges.append((i, j, prob, best))
        new_i, new_j = [], []
        for k in range(len(x[i])):
            wi = s[i][k] ** 2 * prob**2
            wj = s[j][k] ** 2 * (1 - prob) ** 2
            tot = wi + wj + 1e-6
            new_i.append(math.floor(((wi + 1e-6) * x[i][k] + wj * x[j][k]) / tot * 1e4 + 0.5) / 1e4)
            new_j.append(math.floor((wi * x[i][k] + (wj + 1e-6) * x[j][k]) / tot * 1e4 + 0.5) / 1e4)
        bargains.append((i, j, new_i, new_j))

    u_obj = [[_u(d[a][b], risk[a]) for b in range(n)] for a in range(n)]

    def option_value(a: int, bargain: tuple[int, int, list[float], list[float]] | None) -> float:
        if bargain is None:
            return math.fsum(u_obj[a]) / n
        i, j, new_i, new_j = bargain
        kept = math.fsum(u_obj[a][t] for t in range(n) if t not in (i, j))
        moved = _u(_dist(s[a], x[a], new_i), risk[a]) + _u(_dist(s[a], x[a], new_j), risk[a])
        return (kept + moved) / n

    new_x = [row[:] for row in x]
    for k in range(n):
        queue: list[tuple[int, int, list[float], list[float]] | None] = [None]
        queue += [b for b in bargains if k in (b[0], b[1])]
        if len(queue) == 1:
            continue
        probs = _pce(c, [[option_value(a, opt) for opt in queue] for a in range(n)])
        best = max(range(len(queue)), key=lambda m: (probs[m], -m))
        if any(m != best and abs(probs[m] - probs[best]) < 1e-9 for m in range(len(queue))):
            raise NearTieError(k)
        chosen = queue[best]
        if chosen is not None:
            new_x[k] = chosen[2] if chosen[0] == k else chosen[3]
    return new_x, risk, challenges
