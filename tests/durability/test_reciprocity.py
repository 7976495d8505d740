"""Reciprocity under noise against the exact Markov chain and the published shares."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from detente.durability.parameters import ParameterError
from detente.durability.reciprocity import exact_mutual_cooperation, mutual_cooperation


def exact_share(policy: str, error: float, forgiveness: float = 1 / 3) -> float:
    """Stationary P(both cooperate) of two identical memory-one policies with flip errors."""
    states = list(itertools.product([0, 1], [0, 1]))  # (my last, other's last), 1 = defect

    def cooperate(mine: int, other: int) -> float:
        if policy == "wsls":  # cooperate after a matched round
            intended = 1.0 if mine == other else 0.0
        else:
            intended = 1.0 if other == 0 else (forgiveness if policy == "gtft" else 0.0)
        return intended * (1 - error) + (1 - intended) * error

    chain = np.zeros((4, 4))
    for k, (a, b) in enumerate(states):
        first, second = cooperate(a, b), cooperate(b, a)
        for m, (x, y) in enumerate(states):
            chain[k, m] = (first if x == 0 else 1 - first) * (second if y == 0 else 1 - second)
    values, vectors = np.linalg.eig(chain.T)
    stationary = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    return float(stationary[0] / stationary.sum())


@pytest.mark.parametrize(
    ("policy", "error", "published"),
    [
        ("tft", 0.01, 0.25),
        ("tft", 0.05, 0.25),
        ("tft", 0.10, 0.25),
        ("gtft", 0.01, 0.94),
        ("gtft", 0.05, 0.77),
        ("gtft", 0.10, 0.62),
        ("wsls", 0.01, 0.96),
        ("wsls", 0.05, 0.82),
        ("wsls", 0.10, 0.67),
    ],
)
def test_stationary_share_of_mutual_cooperation(
    policy: str, error: float, published: float
) -> None:
    exact = exact_share(policy, error)
    assert exact == pytest.approx(published, abs=0.005)
    assert exact_mutual_cooperation(policy, policy, error=error) == pytest.approx(exact, abs=1e-9)
    result = mutual_cooperation(policy, policy, error=error, paths=20_000, rounds=500, rng=4)
    assert result.share == pytest.approx(exact, abs=0.01)


def test_grim_trigger_never_recovers() -> None:
    result = mutual_cooperation("grim", "grim", error=0.05, paths=2000, rounds=400, rng=1)
    assert result.share < 0.01
    assert result.policies == ("grim", "grim")


def test_bad_arguments() -> None:
    with pytest.raises(ParameterError):
        mutual_cooperation("tft", "tft", error=1.5)
    with pytest.raises(ParameterError):
        mutual_cooperation("tft", "tft", error=0.1, rounds=10, burn_in=10)


def test_exact_chain_of_mixed_pairs_and_its_refusals() -> None:
    # tit-for-tat against win-stay lose-shift: the chain against the simulation
    chain_share = exact_mutual_cooperation("tft", "wsls", error=0.05)
    simulated = mutual_cooperation("tft", "wsls", error=0.05, paths=20_000, rounds=500, rng=3)
    assert simulated.share == pytest.approx(chain_share, abs=0.01)
    assert exact_mutual_cooperation("wsls", "tft", error=0.05) == pytest.approx(chain_share)
    with pytest.raises(ParameterError, match="memory-one"):
        exact_mutual_cooperation("grim", "tft", error=0.05)
    with pytest.raises(ParameterError, match="error"):
        exact_mutual_cooperation("tft", "tft", error=0.0)
