"""The forecast models' progress callbacks report their turns and change nothing."""

from __future__ import annotations

import numpy as np
import pytest

from detente.forecast import forecast_scenario, run_bdm, run_compromise, run_smp
from detente.forecast.scenario import scenario_forecast_json
from detente.scenario import load_scenario
from tests.forecast.conftest import ec_emissions


class StopError(Exception):
    pass


def test_smp_reports_each_turn_and_gives_the_same_forecast() -> None:
    data = ec_emissions()
    calls: list[tuple[int, int]] = []
    watched = run_smp(data, progress=lambda d, t: calls.append((d, t)))
    plain = run_smp(data)
    np.testing.assert_array_equal(watched.history, plain.history)
    assert watched.challenges == plain.challenges
    turns = len(plain.history) - 1
    assert calls == [(t, 100) for t in range(1, turns + 1)] + [(100, 100)]


def test_bdm_reports_each_round_of_each_dimension() -> None:
    data = ec_emissions()
    calls: list[tuple[int, int]] = []
    watched = run_bdm(data, rounds=4, progress=lambda d, t: calls.append((d, t)))
    np.testing.assert_array_equal(watched.history, run_bdm(data, rounds=4).history)
    assert calls == [(r, 4) for r in range(1, 5)]


def test_compromise_reports_once() -> None:
    calls: list[tuple[int, int]] = []
    run_compromise(ec_emissions(), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 1)]


def test_scenario_forecast_is_the_same_and_progress_reaches_the_end() -> None:
    scenario = load_scenario("ceasefire-2025")
    calls: list[tuple[int, int]] = []
    watched = forecast_scenario(scenario, progress=lambda d, t: calls.append((d, t)))
    assert scenario_forecast_json(watched) == scenario_forecast_json(forecast_scenario(scenario))
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert {t for _, t in calls} == {3000}  # three models, a thousand units each
    assert calls[-1] == (3000, 3000)


def test_an_exception_from_progress_stops_the_forecast() -> None:
    def stop(_done: int, _total: int) -> None:
        raise StopError

    with pytest.raises(StopError):
        forecast_scenario(load_scenario("ceasefire-2025"), progress=stop)
