"""Traces: JSON lines and Parquet round trips, replay, malformed files, metrics."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest

from detente.errors import DetenteError, FormatError
from detente.negotiation import load_trace, negotiate, replay, save_trace, session_metrics
from detente.negotiation.metrics import benchmarks_of
from detente.space import OutcomeSpace
from tests import reference
from tests.negotiation.conftest import pie


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
@pytest.mark.parametrize("protocol", ["alternating", "single-text"])
def test_save_load_replay(
    tmp_path: Path, suffix: str, protocol: str, table_space: OutcomeSpace
) -> None:
    trace = negotiate(table_space, ["frequency", "conceder"], protocol=protocol, rounds=30, seed=5)
    path = save_trace(trace, tmp_path / f"t{suffix}")
    loaded = load_trace(path)
    assert loaded.same_play(trace)
    assert loaded.summary() == trace.summary()
    assert replay(table_space, loaded).same_play(trace)
    assert not list(tmp_path.glob("*.part"))


def test_jsonl_lines_are_readable(tmp_path: Path, pie_space: OutcomeSpace) -> None:
    trace = negotiate(pie_space, ["boulware", "conceder"], rounds=10)
    deals = [pie_space.deal(int(o)) for o in trace.outcomes]
    path = save_trace(trace, tmp_path / "t.jsonl", deals)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["kind"] == "session"
    assert lines[0]["result"] == trace.result
    assert len(lines) == len(trace) + 1
    assert lines[1]["deal"] == deals[0]
    assert lines[1]["utilities"] == trace.utilities[0].tolist()
    empty = negotiate(pie_space, ["hardliner", "hardliner"], rounds=1)
    assert load_trace(save_trace(empty, tmp_path / "e.jsonl")).same_play(empty)


def test_seed_from_a_generator_is_recorded(pie_space: OutcomeSpace) -> None:
    one = negotiate(pie_space, ["random", "random"], rounds=10, seed=np.random.default_rng(3))
    two = negotiate(pie_space, ["random", "random"], rounds=10, seed=np.random.default_rng(3))
    assert one.same_play(two)
    assert replay(pie_space, one).same_play(one)
    fresh = negotiate(pie_space, ["random", "random"], rounds=10)
    assert replay(pie_space, fresh).same_play(fresh)


def test_replay_refuses_wall_clock_sessions_and_other_scenarios(
    pie_space: OutcomeSpace, table_space: OutcomeSpace
) -> None:
    timed = negotiate(pie_space, ["linear", "linear"], rounds=None, seconds=0.01)
    with pytest.raises(DetenteError, match="seconds"):
        replay(pie_space, timed)
    with pytest.raises(DetenteError, match="scenario 'pie'"):
        replay(table_space, negotiate(pie_space, ["linear", "linear"], rounds=3))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty trace"),
        ("not json\n", "malformed trace line"),
        ('{"kind": "offer"}\n', "unexpected 'offer'"),
        ('{"kind": "session", "parties": ["A"]}\n', "malformed session header"),
        (
            '{"kind": "session", "parties": ["A"]}\n{"kind": "offer", "round": 0}\n',
            "malformed offer record",
        ),
    ],
)
def test_malformed_jsonl(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(FormatError, match=message):
        load_trace(path)


def test_bad_paths(tmp_path: Path, pie_space: OutcomeSpace) -> None:
    trace = negotiate(pie_space, ["linear", "linear"], rounds=3)
    with pytest.raises(FormatError, match="unknown trace format"):
        save_trace(trace, tmp_path / "t.txt")
    with pytest.raises(FormatError, match="no such trace"):
        load_trace(tmp_path / "missing.jsonl")
    (tmp_path / "t.txt").write_text("x")
    with pytest.raises(FormatError, match="unknown trace format"):
        load_trace(tmp_path / "t.txt")
    (tmp_path / "t.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(FormatError, match="not a detente trace"):
        load_trace(tmp_path / "t.parquet")


def test_metrics_against_brute_force(table_space: OutcomeSpace) -> None:
    scenario = table_space.scenario
    every = list(reference.deals(scenario))
    names = scenario.party_names
    points = [
        [reference.utility(scenario, n, deal) for n in names]
        for deal in every
        if all(deal[i] not in opts for p in scenario.parties for i, opts in p.red_lines.items())
    ]
    cloud = np.array(points)
    frontier = np.array(
        [u for u in cloud if not ((cloud >= u).all(axis=1) & (cloud > u).any(axis=1)).any()]
    )
    reservation = np.array([p.reservation_value for p in scenario.parties])
    zopa = cloud[(cloud >= reservation).all(axis=1)]
    nash = zopa[np.argmax(np.prod(zopa - reservation, axis=1))]
    for pair in (("conceder", "conceder"), ("hardliner", "hardliner")):
        trace = negotiate(table_space, list(pair), rounds=20)
        metrics = session_metrics(table_space, trace)
        payoff = np.array(trace.final_utilities)
        assert metrics.agreement == (trace.result == "agreement")
        assert metrics.welfare == pytest.approx(payoff.sum())
        assert metrics.nash_distance == pytest.approx(np.linalg.norm(payoff - nash))
        expected = np.sqrt(((frontier - payoff) ** 2).sum(axis=1)).min()
        assert metrics.pareto_distance == pytest.approx(expected)


def test_metrics_without_a_zopa(pie_space: OutcomeSpace) -> None:
    space = OutcomeSpace.from_scenario(pie(10, reservation=(0.8, 0.8)))
    trace = negotiate(space, ["linear", "linear"], rounds=5)
    benchmarks = benchmarks_of(space)
    assert benchmarks.nash is None
    metrics = session_metrics(space, trace, benchmarks)
    assert math.isnan(metrics.nash_distance)
    assert metrics.pareto_distance > 0
    empty = type(benchmarks)(frontier=np.empty((0, 2)), nash=None)
    assert math.isnan(empty.pareto_distance(np.zeros(2)))


def test_a_fresh_trace_keeps_its_space_outside_its_data(
    tmp_path: Path, table_space: OutcomeSpace
) -> None:
    trace = negotiate(table_space, ["boulware", "conceder"], rounds=20, seed=1)
    assert trace.space is table_space
    assert replay(table_space, trace).space is table_space
    assert "OutcomeSpace" not in repr(trace)
    assert "space" not in trace.header()
    loaded = load_trace(save_trace(trace, tmp_path / "t.jsonl"))
    assert loaded.space is None
    assert loaded.same_play(trace)
    assert trace != loaded  # a trace equals only itself, as before
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.space = None  # type: ignore[misc]


def test_pickling_leaves_the_space_behind(table_space: OutcomeSpace) -> None:
    trace = negotiate(table_space, ["boulware", "conceder"], rounds=20, seed=1)
    data = pickle.dumps(trace)
    back = pickle.loads(data)
    assert back.space is None
    assert back.same_play(trace)
    assert back.summary() == trace.summary()
    assert trace.space is table_space  # the original keeps it
    assert data == pickle.dumps(dataclasses.replace(trace, space=None))  # nothing of the space


def test_copies_share_the_space(table_space: OutcomeSpace) -> None:
    trace = negotiate(table_space, ["boulware", "conceder"], rounds=20, seed=1)
    for twin in (copy.copy(trace), copy.deepcopy(trace), dataclasses.replace(trace)):
        assert twin is not trace
        assert twin.space is table_space
        assert twin.same_play(trace)
    deep = copy.deepcopy(trace)
    assert deep.outcomes is not trace.outcomes
    assert copy.copy(trace).outcomes is trace.outcomes
