"""``durability.run``: one call, one result object that every renderer reads."""

from __future__ import annotations

import json
import math
import re

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.compute import LocalExecutor, open_executor
from detente.durability import (
    DurabilityRun,
    Standing,
    outside_zopa_warnings,
    run,
)
from detente.errors import DetenteError
from detente.scenario import load_scenario
from detente.space import OutcomeSpace
from tests.durability.recorded import recorded_survival

runner = CliRunner()

#: Russia is 0.001 below its alternative, yet no path breaks on day 1 (issue 11, finding 6).
_THIN = {"ceasefire_scope": "energy_and_sea_30", "sanctions_relief": "none"}


@pytest.fixture(scope="module")
def space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))


def test_the_cli_prints_the_run_as_is(space: OutcomeSpace) -> None:
    answer = run(space, "nash", compare=True, paths=400, days=365, seed=3)
    out = runner.invoke(
        app,
        ["durability", "ceasefire-2025", "--compare", "--paths", "400", "--seed", "3", "--json"],
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == json.loads(json.dumps(answer.to_dict()))


def test_one_year_survival_is_the_simulation_of_the_deal(space: OutcomeSpace) -> None:
    answer = run(space, "nash", paths=1_000, seed=5)
    # independently: the model of the deal, simulated directly with the same seed in the
    # scenario's context (an ongoing war), bent by the record's fitted effects
    p = float(recorded_survival(space, answer.deal, paths=1_000, days=365, seed=5)[364])
    assert answer.survival_1y == pytest.approx(p, rel=1e-12)
    assert answer.survival_1y_se == pytest.approx(math.sqrt(p * (1 - p) / 1_000), rel=1e-12)
    data = answer.to_dict()
    assert data["survival_1y"] == answer.survival_1y
    assert data["reference"].startswith("Reference class: ceasefires agreed during civil conflicts")
    margins = data["margins"]
    assert isinstance(margins, dict)
    for party, u in answer.utilities.items():
        assert margins[party] == u - answer.reservations[party]
    short = run(space, "nash", paths=100, days=30, seed=5)
    assert short.survival_1y is None
    assert short.survival_1y_se is None


def test_standings_are_the_belligerents_with_their_margins(space: OutcomeSpace) -> None:
    answer = run(space, "nash", power_shifts={"Ukraine": (0.1, 200)}, paths=100, days=10)
    assert [s.party for s in answer.standings] == ["Russia", "Ukraine"]
    russia, ukraine = answer.standings
    assert russia.margin == pytest.approx(answer.utilities["Russia"] - 0.6)
    assert russia.phase_in_days == 180  # phased sanctions relief in the Nash deal
    assert (ukraine.power_shift, ukraine.power_shift_day) == (0.1, 200)
    assert set(answer.utilities) == set(space.party_names)


def test_a_warning_says_what_the_table_beside_it_shows(space: OutcomeSpace) -> None:
    answer = run(space, _THIN, paths=2_000, seed=0)
    (warning,) = answer.warnings
    first_day = 1.0 - answer.result.survival[0]
    assert first_day < 0.99
    assert "collapses at once" not in warning
    assert f"{100 * first_day:.1f}% of paths collapse on day 1" in warning
    assert f"{100 * answer.result.final:.1f}% still hold at day 365" in warning
    out = runner.invoke(
        app, ["durability", "ceasefire-2025", "--deal", json.dumps(_THIN), "--paths", "2000"]
    )
    text = " ".join(out.output.split())
    assert "Russia prefers its alternative at signature" in text
    assert f"{100 * answer.result.final:.1f}% still hold at day 365" in text
    row = re.search(r"│ 365 │\s+([0-9.]+%)", out.output)  # the table beside it
    assert row is not None
    assert row.group(1) == f"{100 * answer.result.final:.1f}%"


def test_a_deal_acceptable_up_to_rounding_is_not_outside_the_zopa() -> None:
    result = run(
        OutcomeSpace.from_scenario(load_scenario("ceasefire-2025")), paths=10, days=2
    ).result
    rounding = Standing(party="Ukraine", utility=0.5499999999999998, alternative=0.55)
    below = Standing(party="Ukraine", utility=0.54, alternative=0.55)
    assert outside_zopa_warnings([rounding], result) == ()
    assert len(outside_zopa_warnings([below], result)) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"power_shifts": {"Atlantis": (0.1, 10)}}, "unknown party 'Atlantis'"),
        ({"policy": "pavlov"}, "unknown policy 'pavlov'"),
        ({"mechanisms": ["drones"]}, "unknown mechanism 'drones'"),
        ({"paths": 0}, "paths must be in"),
    ],
)
def test_bad_choices_name_their_field(
    space: OutcomeSpace, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(DetenteError, match=message):
        run(space, "nash", days=5, **kwargs)  # type: ignore[arg-type]


def test_progress_reports_every_planned_path(space: OutcomeSpace) -> None:
    calls: list[tuple[int, int]] = []
    run(space, "nash", compare=True, paths=50, days=5, progress=lambda d, t: calls.append((d, t)))
    assert {t for _, t in calls} == {50 * len(calls)}
    assert sum(d for d, _ in calls) == calls[0][1]


def test_open_executor_closes_what_it_opened() -> None:
    with open_executor("local", None, 1) as none:
        assert none is None
    with open_executor("local", None, 2) as pool:
        assert isinstance(pool, LocalExecutor)
        assert list(pool.map(abs, [-1, -2])) == [1, 2]
    with pytest.raises(DetenteError, match="at least 1"), open_executor("local", None, 0):
        pass  # pragma: no cover - never entered


def test_a_run_is_a_frozen_result(space: OutcomeSpace) -> None:
    answer = run(space, "nash", paths=10, days=5)
    assert isinstance(answer, DurabilityRun)
    with pytest.raises(AttributeError):
        answer.title = "other"  # type: ignore[misc]
