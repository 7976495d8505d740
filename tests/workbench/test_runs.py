"""Runs of a stored scenario: the CLI's figures, validation before queuing, progress, roles."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest

from detente.monitor.enums import Role
from detente.monitor.errors import InputError, PermissionDeniedError
from detente.workbench.jobs import JobRegistry, JobState
from detente.workbench.runs import (
    DurabilityRequest,
    ForecastRequest,
    RehearsalRequest,
    durability_result,
    forecast_result,
    rehearsal_result,
    scenario_space,
    start_durability,
    start_forecast,
    start_rehearsal,
    strategy_names,
)
from tests.workbench.support import as_json, ceasefire_document, cli_json, stored, user

ANALYST = user(1, Role.ANALYST)
MONITOR = user(2, Role.MONITOR)
WAIT = 60.0


@pytest.fixture
def jobs() -> Iterator[JobRegistry]:
    registry = JobRegistry(workers=1)
    yield registry
    registry.close()


def edited() -> dict[str, object]:
    """ceasefire-2025 with Russia caring more for sanctions relief (a stored edit)."""
    document = copy.deepcopy(ceasefire_document())
    russia = document["parties"][0]["preferences"]["issues"]
    russia["sanctions_relief"]["weight"] = 0.25
    russia["territorial_line"]["weight"] = 0.12
    return document


def test_rehearsal_is_the_negotiate_command(tmp_path: Path) -> None:
    document = edited()
    request = RehearsalRequest(
        strategies={"Russia": "boulware", "Ukraine": "conceder"}, deadline=40, seed=3
    )
    mine = as_json(rehearsal_result(scenario_space(stored(document)), request))
    cli = cli_json(
        tmp_path,
        document,
        "negotiate",
        "-s",
        "Russia=boulware,Ukraine=conceder",
        "--deadline",
        "40",
        "--seed",
        "3",
    )
    assert {k: mine[k] for k in cli} == cli
    assert mine["offers"], "the trace is drawn from the offers"
    last = mine["offers"][-1]
    if mine["agreement"] is not None:
        assert last["utilities"] == pytest.approx(mine["utilities"])
    assert set(last["utilities"]) == set(mine["parties"])


def test_durability_and_a_second_deal_are_the_durability_command(tmp_path: Path) -> None:
    document = edited()
    space = scenario_space(stored(document))
    nash = durability_result(space, DurabilityRequest(paths=400, days=60, seed=2))
    deal = dict(nash["deal"])
    other = {**deal, "oversight": "hotline" if deal["oversight"] != "hotline" else "none"}
    request = DurabilityRequest(
        deal=deal, versus=other, mechanisms=["dmz"], paths=400, days=60, seed=2
    )
    mine = as_json(durability_result(space, request))
    common = ("--mechanisms", "dmz", "--paths", "400", "--days", "60", "--seed", "2")
    first = cli_json(tmp_path, document, "durability", "--deal", _pairs(deal), *common)
    second = cli_json(tmp_path, document, "durability", "--deal", _pairs(other), *common)
    assert {k: mine[k] for k in first} == first
    assert mine["versus"] == second


def test_durability_with_compare_is_the_command_with_compare(tmp_path: Path) -> None:
    document = ceasefire_document()
    request = DurabilityRequest(compare=True, deal_terms=False, paths=200, days=30, seed=1)
    mine = as_json(durability_result(scenario_space(stored(document)), request))
    cli = cli_json(
        tmp_path,
        document,
        "durability",
        "--compare",
        "--no-deal-terms",
        "--paths",
        "200",
        "--days",
        "30",
        "--seed",
        "1",
    )
    assert {k: mine[k] for k in cli} == cli
    assert mine["versus"] is None


@pytest.mark.parametrize("model", ["smp", "bdm"])
def test_forecast_is_the_forecast_command(tmp_path: Path, model: str) -> None:
    document = edited()
    mine = as_json(forecast_result(scenario_space(stored(document)), ForecastRequest(model=model)))
    assert mine == cli_json(tmp_path, document, "forecast", "--model", model)


def _pairs(deal: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in deal.items())


def test_jobs_run_each_kind_and_report_progress(jobs: JobRegistry) -> None:
    scenario = stored()
    started = [
        start_rehearsal(jobs, ANALYST, scenario, RehearsalRequest(deadline=20)),
        start_durability(
            jobs, ANALYST, scenario, DurabilityRequest(compare=True, paths=200, days=20)
        ),
        start_forecast(jobs, ANALYST, scenario, ForecastRequest()),
    ]
    for job in started:
        jobs.wait(job.id, WAIT)
        done = jobs.get(ANALYST, job.id)
        assert done.state is JobState.DONE, done.error
        assert done.progress == 1.0
        assert (done.scenario_id, done.scenario_version) == (7, 3)
        assert "scenario 7, version 3" in done.subject
    assert [j.kind for j in jobs.list(ANALYST)] == ["forecast", "durability", "rehearsal"]


def test_progress_is_reported_in_words() -> None:
    seen: list[tuple[float, str]] = []
    space = scenario_space(stored())
    durability_result(
        space,
        DurabilityRequest(versus="kalai_smorodinsky", compare=True, paths=100, days=10),
        lambda share, message: seen.append((share, message)),
    )
    shares = [s for s, _ in seen]
    assert shares == sorted(shares)
    assert shares[-1] == pytest.approx(1.0)
    assert seen[0][1].startswith("deal 1 of 2: 100 of ")
    assert seen[-1][1].startswith("deal 2 of 2")
    rounds: list[str] = []
    rehearsal_result(space, RehearsalRequest(deadline=10), lambda _s, m: rounds.append(m))
    assert rounds[-1].endswith("of 10")
    steps: list[float] = []
    forecast_result(space, ForecastRequest(), lambda s, _m: steps.append(s))
    assert steps[-1] == 1.0


@pytest.mark.parametrize(
    ("start", "request_", "field", "words"),
    [
        (start_rehearsal, RehearsalRequest(strategies={"Russia": "no-such"}), None, "no-such"),
        (start_rehearsal, RehearsalRequest(strategies={"Atlantis": "boulware"}), None, "Atlantis"),
        (start_durability, DurabilityRequest(deal={"oversight": "drones"}), None, "drones"),
        (start_durability, DurabilityRequest(versus="best"), "versus", "unknown deal"),
        (start_durability, DurabilityRequest(mechanisms=["magic"]), None, "magic"),
        (start_durability, DurabilityRequest(policy="spite"), "policy", "spite"),
    ],
)
def test_bad_requests_are_refused_before_queuing(
    jobs: JobRegistry, start: object, request_: object, field: str | None, words: str
) -> None:
    with pytest.raises(InputError, match=words) as caught:
        start(jobs, ANALYST, stored(), request_)  # type: ignore[operator]
    assert caught.value.status == 422
    if field is not None:
        assert caught.value.field == field
    assert jobs.list(ANALYST) == []


def test_an_invalid_stored_document_is_refused_with_the_cli_words(jobs: JobRegistry) -> None:
    document = ceasefire_document()
    document["parties"][0]["reservation_value"] = 1.5
    with pytest.raises(InputError, match="reservation_value") as caught:
        start_forecast(jobs, ANALYST, stored(document), ForecastRequest())
    assert caught.value.source == "scenario 7 version 3"


def test_a_scenario_that_cannot_be_forecast_is_refused(jobs: JobRegistry) -> None:
    document = ceasefire_document()
    document["parties"] = document["parties"][:1]
    document.pop("mediator", None)
    with pytest.raises(InputError):
        start_forecast(jobs, ANALYST, stored(document), ForecastRequest())


def test_only_analysts_and_admins_start_runs(jobs: JobRegistry) -> None:
    for start, request in (
        (start_rehearsal, RehearsalRequest()),
        (start_durability, DurabilityRequest()),
        (start_forecast, ForecastRequest()),
    ):
        with pytest.raises(PermissionDeniedError):
            start(jobs, MONITOR, stored(), request)  # type: ignore[operator]


def test_strategy_names_are_the_registry_names() -> None:
    names = strategy_names()
    assert "boulware" in names
    assert len(names) == len(set(names))


def test_a_second_deal_given_by_options_changes_the_first_deal() -> None:
    space = scenario_space(stored())
    request = DurabilityRequest(
        deal="kalai_smorodinsky", versus={"oversight": "hotline"}, paths=100, days=5
    )
    result = durability_result(space, request)
    assert result["versus"]["deal"] == {**result["deal"], "oversight": "hotline"}
