"""Reproducibility across executors and chunks; comparisons and sweeps; results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.compute import DaskExecutor, LocalExecutor
from detente.durability import compare, default_parameters, simulate, sweep
from detente.durability.parameters import ParameterError
from detente.durability.results import SPIRAL, wilson_band
from detente.errors import DetenteError


def test_same_seed_same_curve_and_different_seeds_differ() -> None:
    params = default_parameters()
    first = simulate(params, paths=3000, days=200, rng=42)
    assert first == simulate(params, paths=3000, days=200, rng=42)
    assert first.seed == 42
    assert first != simulate(params, paths=3000, days=200, rng=43)
    generator = np.random.default_rng(5)
    assert simulate(params, paths=100, days=20, rng=generator).seed is None


def test_chunks_on_a_process_pool_give_the_serial_result() -> None:
    params = default_parameters()
    serial = simulate(params, paths=5000, days=120, rng=9, chunk_size=1000)
    pool = LocalExecutor(workers=2)
    try:
        done: list[int] = []
        parallel = simulate(
            params,
            paths=5000,
            days=120,
            rng=9,
            chunk_size=1000,
            executor=pool,
            progress=done.append,
        )
    finally:
        pool.close()
    assert parallel == serial
    assert done == [1000] * 5


def test_survival_is_monotone_with_a_band_around_it() -> None:
    result = simulate(default_parameters(), paths=2000, days=365, rng=1)
    survival = np.array(result.survival)
    assert (np.diff(survival) <= 0).all()
    assert (np.array(result.lower) <= survival).all()
    assert (survival <= np.array(result.upper)).all()
    assert sum(result.causes.values()) == pytest.approx(1.0)
    assert set(result.causes) == {"defection: A", "defection: B", SPIRAL}
    assert result.holding_at(0) == 1.0
    assert result.holding_at(10_000) == result.final


def test_wilson_band_against_its_formula() -> None:
    low, high = wilson_band(np.array([0.5, 0.0, 1.0]), 100)
    z = 1.959963984540054
    centre = (0.5 + z * z / 200) / (1 + z * z / 100)
    half = z * math.sqrt(0.25 / 100 + z * z / 40_000) / (1 + z * z / 100)
    assert low[0] == pytest.approx(centre - half)
    assert high[0] == pytest.approx(centre + half)
    assert low[1] == 0.0
    assert high[2] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"paths": 0}, "paths"), ({"days": 0}, "days"), ({"chunk_size": 0}, "chunk_size")],
)
def test_bad_sizes_are_refused(kwargs: dict[str, int], field: str) -> None:
    args = {"paths": 10, "days": 10, **kwargs}
    with pytest.raises(DetenteError) as info:
        simulate(default_parameters(), **args)
    assert info.value.field == field


def test_comparison_rows_share_random_numbers() -> None:
    params = default_parameters()
    comparison = compare(params, paths=2000, days=365, rng=3)
    assert comparison.baseline.result == simulate(params, paths=2000, days=365, rng=3)
    assert [len(r.mechanisms) for r in comparison.rows] == [1] * 7 + [7]
    for row in comparison.rows:
        assert row.change >= 0
        assert row.hazard_ratio <= 1
    everything = comparison.rows[-1]
    assert everything.holding >= max(r.holding for r in comparison.rows[:-1])
    chosen = compare(params, [["monitoring", "dmz"]], paths=500, days=100, day=50, rng=3)
    assert chosen.day == 50
    assert chosen.rows[0].mechanisms == ("monitoring", "dmz")
    with pytest.raises(ParameterError, match="comparison day"):
        compare(params, [["dmz"]], paths=10, days=10, day=11)


def test_a_sweep_covers_the_grid_in_order() -> None:
    params = default_parameters()
    result = sweep(
        params,
        {"detection": [0.2, 0.9], "incident_rate": [0.0, 0.02], "A.drift": [0.0]},
        paths=1000,
        days=200,
        rng=4,
    )
    assert result.fields == ("detection", "incident_rate", "A.drift")
    assert [p.values for p in result.points][:2] == [
        {"detection": 0.2, "incident_rate": 0.0, "A.drift": 0.0},
        {"detection": 0.2, "incident_rate": 0.02, "A.drift": 0.0},
    ]
    finals = {
        (p.values["detection"], p.values["incident_rate"]): p.result.final for p in result.points
    }
    assert finals[(0.9, 0.0)] >= finals[(0.2, 0.0)]
    assert finals[(0.2, 0.0)] >= finals[(0.2, 0.02)]


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({}, "empty"),
        ({"colour": [1.0]}, "unknown parameter"),
        ({"C.drift": [0.0]}, "unknown party"),
    ],
)
def test_bad_grids(grid: dict[str, list[float]], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        sweep(default_parameters(), grid, paths=10, days=10)


@pytest.mark.slow
def test_local_and_dask_executors_give_the_same_sweep() -> None:
    params = default_parameters()
    grid = {"resolution": [0.0, 0.5], "escalation_threshold": [3, 7]}
    local = LocalExecutor(workers=2)
    try:
        on_pool = sweep(params, grid, paths=1500, days=150, rng=8, executor=local)
    finally:
        local.close()
    from dask.distributed import LocalCluster  # noqa: PLC0415 - optional extra

    # a LocalCluster on free ports (the default dashboard port may be taken on a shared machine)
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        dask = DaskExecutor(address=cluster.scheduler_address)
        try:
            on_dask = sweep(params, grid, paths=1500, days=150, rng=8, executor=dask)
        finally:
            dask.close()
    finally:
        cluster.close()
    assert on_dask == on_pool == sweep(params, grid, paths=1500, days=150, rng=8)


def test_sweep_reports_progress_per_point() -> None:
    done: list[int] = []
    sweep(default_parameters(), {"resolution": [0.0, 0.3]}, paths=50, days=10, progress=done.append)
    assert done == [50, 50]
