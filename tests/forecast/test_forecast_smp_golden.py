"""SMP reproduces KTAB's own reference run of dummyData_3Dim exactly, and runs on every input."""

from __future__ import annotations

import itertools
import json
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from detente.forecast import load_stakeholders, run_smp
from detente.forecast.smp import MAX_TURNS, distances, risk_attitudes
from tests.forecast.conftest import KTAB_INPUTS, KTAB_REFERENCE

EXPECTED = json.loads((KTAB_REFERENCE / "dummyData_3Dim.expected.json").read_text("utf-8"))
LOG = KTAB_REFERENCE / "20170530_ref-dummyData_3Dim.txt"
_PROB = re.compile(
    r"Est by\s+(\d+) of prob ([\d.]+) that \[\s*(\d+)>\s*(\d+)\], "
    r"with expected gain to\s+(\d+) of ([-+\d.]+)"
)


@dataclass(frozen=True)
class KtabLog:
    """What KTAB's own log of the reference run prints, read from the raw text."""

    risk: list[list[float]]  # "Inferred risk attitudes", one block per state 0..10
    ratios: list[float]  # "Fractional change compared to first step", per turn
    positions: dict[str, dict[str, list[float]]]  # "History of actor positions over time"
    probabilities: dict[str, list[float]]  # "History of actors' winning probabilities"
    states: int  # "There were 11 states"


def _read_log() -> KtabLog:
    lines = LOG.read_text("utf-8").splitlines()
    risk, ratios = [], []
    positions: dict[str, dict[str, list[float]]] = {}
    probabilities: dict[str, list[float]] = {}
    states = 0
    for k, line in enumerate(lines):
        if line.startswith("Inferred risk attitudes"):
            block = [float(v) for v in itertools.takewhile(_is_number, lines[k + 1 :])]
            risk.append(block)
        elif m := re.match(r"Fractional change compared to first step: ([\d.]+)", line):
            ratios.append(float(m.group(1)))
        elif m := re.match(r"There were (\d+) states", line):
            states = int(m.group(1))
        elif m := re.match(r"(SActor-\d+), (Pstn\d): (.*)", line):
            positions.setdefault(m.group(1), {})[m.group(2)] = [
                float(v) for v in m.group(3).split()
            ]
        elif m := re.match(r"(SActor-\d+), prob : (.*)", line):
            probabilities[m.group(1)] = [float(v) for v in m.group(2).split()]
    return KtabLog(risk, ratios, positions, probabilities, states)


def _is_number(text: str) -> bool:
    return re.fullmatch(r"\s*[-+]?\d+\.\d+\s*", text) is not None


RAW = _read_log()


@pytest.fixture(scope="module", params=["dummyData_3Dim.csv", "dummyData_3Dim.xml"])
def run(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return run_smp(load_stakeholders(KTAB_INPUTS / request.param))


def _log_prob_lines() -> dict[tuple[int, int, int, int, int], tuple[float, float]]:
    """Every "prob" line of KTAB's log: (turn, challenger, target, observer, valued for)."""
    lines = {}
    turn = 0
    for line in LOG.read_text("utf-8").splitlines():
        if m := re.match(r"Starting Model::run iteration (\d+)", line):
            turn = int(m.group(1))
        if m := _PROB.match(line):
            h, p, i, j, k, gain = m.groups()
            lines[(turn, int(i), int(j), int(h), int(k))] = (float(p), float(gain))
    return lines


def test_the_raw_log_was_read_in_full() -> None:
    """11 states, 10 turns, 7 actors x 3 dimensions: the parser found every block."""
    assert RAW.states == 11
    assert len(RAW.risk) == 11
    assert all(len(block) == 7 for block in RAW.risk)
    assert len(RAW.ratios) == 10
    assert len(RAW.positions) == 7
    assert all(len(v) == 11 for dims in RAW.positions.values() for v in dims.values())
    # the extracted JSON agrees with the raw log (it was made from it)
    assert RAW.positions == EXPECTED["position_history_0_100"]
    assert RAW.ratios == EXPECTED["fractional_change_per_iteration"]
    assert RAW.risk[0] == EXPECTED["turn1_inferred_risk_attitudes"]


def test_iterations_and_stop_ratios(run) -> None:  # type: ignore[no-untyped-def]
    assert run.iterations == RAW.states - 1 == 10
    assert run.stop_reason.startswith("settled")
    np.testing.assert_allclose(run.stop_ratios, RAW.ratios, atol=0.5e-4 + 1e-12)


def test_risk_attitudes_of_every_turn(run) -> None:  # type: ignore[no-untyped-def]
    """KTAB prints R for every state; turn t works on state t - 1; the last state is logged too."""
    np.testing.assert_allclose(run.risk, RAW.risk[: run.iterations], atol=0.5e-3 + 1e-12)
    data = load_stakeholders(KTAB_INPUTS / "dummyData_3Dim.csv")
    final = risk_attitudes(data.capability, distances(run.final / 100, data.salience / 100))
    np.testing.assert_allclose(final, RAW.risk[-1], atol=0.5e-3 + 1e-12)


def test_every_position_every_turn_to_one_decimal(run) -> None:  # type: ignore[no-untyped-def]
    for i, actor in enumerate(run.actors):
        for k, dim in enumerate(run.dimensions):
            printed = [float(f"{v:.1f}") for v in run.history[:, i, k]]
            assert printed == RAW.positions[actor][dim], (actor, dim)


def test_every_prob_line_to_1e4(run) -> None:  # type: ignore[no-untyped-def]
    reference = _log_prob_lines()
    assert len(reference) == 236
    mine = {}
    index = {a: i for i, a in enumerate(run.actors)}
    for c in run.challenges:
        i, j = index[c.challenger], index[c.target]
        mine[(c.turn, i, j, i, i)] = (c.probability, c.challenger_gain)
        mine[(c.turn, i, j, i, j)] = (c.probability, c.target_gain)
        mine[(c.turn, i, j, j, i)] = (c.target_view_probability, c.target_view_challenger_gain)
        mine[(c.turn, i, j, j, j)] = (c.target_view_probability, c.target_view_target_gain)
    assert set(mine) == set(reference)
    for key, (p, gain) in reference.items():
        assert mine[key][0] == pytest.approx(p, abs=0.5e-4 + 1e-12), key
        assert mine[key][1] == pytest.approx(gain, abs=0.5e-4 + 1e-12), key


def test_probability_of_each_position_every_turn(run) -> None:  # type: ignore[no-untyped-def]
    """KTAB's state probabilities, with near-identical positions sharing one probability."""
    assert run.position_probability is not None
    assert run.position_probability.shape == (run.iterations + 1, len(run.actors))
    for i, actor in enumerate(run.actors):
        np.testing.assert_allclose(
            run.position_probability[:, i],
            RAW.probabilities[actor],
            atol=0.5e-4 + 1e-12,
        )


def test_first_challenge_as_documented(run) -> None:  # type: ignore[no-untyped-def]
    first = run.challenges[0]
    assert (first.challenger, first.target) == ("SActor-00", "SActor-06")
    assert round(first.probability, 4) == 0.7643
    assert round(first.challenger_gain, 4) == 0.0947
    assert [float(f"{v:.1f}") for v in run.history[1, 0]] == [79.5, 44.7, 72.0]
    # KTAB's log: "0 proposes 0 adopt: 75.610 24.780 71.950", "0 proposes 6 adopt: ... 24.790"
    np.testing.assert_allclose(first.challenger_offer, [75.61, 24.78, 71.95], atol=1e-9)
    np.testing.assert_allclose(first.target_offer, [75.61, 24.79, 71.95], atol=1e-9)
    # actor 0 adopted 4's bargain [4:0], actor 6 adopted this one [0:6]
    assert first.adopted_by_challenger is False
    assert first.adopted_by_target is True
    from_4 = next(c for c in run.challenges if c.turn == 1 and c.challenger == "SActor-04")
    assert from_4.adopted_by_challenger is True
    assert from_4.adopted_by_target is True


def test_adopted_bargains_give_the_next_positions(run) -> None:  # type: ignore[no-untyped-def]
    index = {a: i for i, a in enumerate(run.actors)}
    for c in run.challenges:
        if c.adopted_by_challenger:
            np.testing.assert_allclose(run.history[c.turn, index[c.challenger]], c.challenger_offer)
        if c.adopted_by_target:
            np.testing.assert_allclose(run.history[c.turn, index[c.target]], c.target_offer)


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in KTAB_INPUTS.iterdir() if p.suffix in {".csv", ".xml"}),
)
def test_runs_on_every_ktab_input(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_stakeholders(KTAB_INPUTS / name)
    result = run_smp(data)
    assert 1 <= result.iterations <= MAX_TURNS
    assert result.history.shape == (result.iterations + 1, len(data.actors), len(data.dimensions))
    lo, hi = data.position.min(axis=0), data.position.max(axis=0)
    assert np.all(result.history >= lo - 0.01)
    assert np.all(result.history <= hi + 0.01)
    assert np.all((result.risk >= -0.5 - 1e-12) & (result.risk <= 1 + 1e-12))
    assert len(result.stop_ratios) == result.iterations
    assert result.stop_ratios[0] == pytest.approx(1.0, abs=1e-3) or result.iterations >= 2


def test_smp_example_starts_where_the_reference_run_starts() -> None:
    """The stochastic reference run: same actors, dimensions and turn-0 positions, same shape.

    KTAB read the empty first coordinate of Alice as 52.8 (a value the file does not hold);
    detente repairs it to the mean of the other actors' positions on that dimension.
    """
    expected = json.loads((KTAB_REFERENCE / "smpExample.expected.json").read_text("utf-8"))
    reference = expected["position_history_0_100"]
    with pytest.warns(UserWarning, match=r"Actor\[0\]\.Position\.dCoord\[0\] is empty"):
        data = load_stakeholders(KTAB_INPUTS / "smpExample.xml")
    result = run_smp(data)
    assert list(result.actors) == list(reference)
    compared = 0
    for i, actor in enumerate(result.actors):
        assert list(reference[actor]) == list(result.dimensions)
        for k, dim in enumerate(result.dimensions):
            if (i, k) == (0, 0):
                continue
            assert result.history[0, i, k] == pytest.approx(reference[actor][dim][0], abs=1e-9)
            compared += 1
    assert compared == 14
    others = [reference[a]["FirstDim"][0] for a in result.actors[1:]]
    assert result.history[0, 0, 0] == pytest.approx(np.mean(others))  # 44.15, not KTAB's 52.8
    assert len(expected["turn1_inferred_risk_attitudes"]) == len(result.risk[0])
