"""Rehearsal, durability and forecast runs of a stored scenario, as background jobs.

Each ``start_*`` function checks the actor's role, validates the whole request at once (a bad
strategy, deal, mechanism or model is refused before anything is queued, with the CLI's
wording and the request field it concerns), then queues the run on the :class:`JobRegistry`.
The result of each run is the JSON the matching command prints for the same scenario and
seed (``detente negotiate --json``, ``detente durability --json``, ``detente forecast
--json``), plus what the page draws and the command's table does not carry (a session's
offers, a second deal run beside the first).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from detente import durability, forecast, negotiation
from detente.errors import DetenteError
from detente.monitor.auth import require_role
from detente.monitor.errors import InputError
from detente.monitor.models import User
from detente.negotiation.strategies import strategy_catalogue
from detente.scenario.formats.native import validate_scenario
from detente.space import OutcomeSpace
from detente.workbench.jobs import Job, JobRegistry, Work
from detente.workbench.library import EDITORS, READERS, StoredScenario

__all__ = [
    "MAX_DAYS",
    "MAX_PATHS",
    "MAX_ROUNDS",
    "DurabilityRequest",
    "ForecastRequest",
    "RehearsalRequest",
    "RunRequest",
    "as_input_error",
    "durability_result",
    "forecast_result",
    "queue_run",
    "rehearsal_result",
    "scenario_space",
    "scenario_subject",
    "start_durability",
    "start_forecast",
    "start_rehearsal",
    "strategies_for",
    "strategy_names",
]

#: Limits of a run started from the web (the CLI has none beyond the library's).
MAX_ROUNDS = 10_000
MAX_PATHS = 1_000_000
MAX_DAYS = 3_650

#: A deal: a solution name (``nash``...), or ``{issue: option}`` (issues left out: Nash's).
Deal = str | dict[str, str]


def scenario_space(scenario: StoredScenario) -> OutcomeSpace:
    """The outcome space of a stored scenario version.

    Raises:
        InputError: the stored document is not a valid scenario (the CLI's message).
    """
    source = f"scenario {scenario.id} version {scenario.version}"
    with as_input_error():
        return OutcomeSpace.from_scenario(validate_scenario(dict(scenario.document), source=source))


def scenario_subject(scenario: StoredScenario) -> str:
    """A stored scenario version in words, for a job's list."""
    title = scenario.document.get("title") or scenario.name
    return f"{title} (scenario {scenario.id}, version {scenario.version})"


def queue_run(
    jobs: JobRegistry, actor: User, scenario: StoredScenario, kind: str, work: Work
) -> Job:
    """Queue ``work``, a run of ``kind`` over ``scenario``, as a job of ``actor``."""
    return jobs.submit(
        actor,
        kind,
        work,
        subject=scenario_subject(scenario),
        scenario=(scenario.id, scenario.version),
    )


class RunRequest(BaseModel):
    """The settings of a run: no unknown field, frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RehearsalRequest(RunRequest):
    """A negotiation with a strategy per party (``detente negotiate``)."""

    strategies: dict[str, str] = Field(
        default_factory=dict,
        description="Strategy spec by party name or role (see detente strategies); the "
        "parties left out play their role's default.",
    )
    protocol: Literal["alternating", "single-text"] = "alternating"
    deadline: int = Field(default=100, ge=1, le=MAX_ROUNDS, description="Deadline in rounds.")
    seed: int = Field(default=0, ge=0, le=2**63 - 1)


class DurabilityRequest(RunRequest):
    """A durability run of a deal (``detente durability``), and optionally of a second deal."""

    deal: Deal = Field(default="nash", description="A solution name or {issue: option}.")
    versus: Deal | None = Field(
        default=None,
        description="A second deal simulated beside the first on the same random numbers: "
        "a solution name, or {issue: option} changing the first deal's options (two "
        "oversight options side by side, say).",
    )
    mechanisms: list[str] = Field(
        default_factory=list, max_length=20, description="Mechanisms to add to the deal's."
    )
    deal_terms: bool = Field(
        default=True, description="Let the mechanisms the deal's options provide take effect."
    )
    contexts: list[str] = Field(default_factory=list, max_length=10)
    policy: str = Field(default="", max_length=20)
    compare: bool = Field(default=False, description="What each other mechanism would add.")
    paths: int = Field(default=durability.DEFAULT_PATHS, ge=100, le=MAX_PATHS)
    days: int = Field(default=durability.DEFAULT_DAYS, ge=1, le=MAX_DAYS)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)


class ForecastRequest(RunRequest):
    """The stakeholder forecast of the scenario (``detente forecast``)."""

    model: Literal["smp", "bdm", "compromise"] = "smp"


def strategy_names() -> list[str]:
    """Every registered strategy's name (the choices of a rehearsal's seats)."""
    return [info.name for info in strategy_catalogue()]


def strategies_for(actor: User) -> list[str]:
    """:func:`strategy_names` for a signed-in reader (a party liaison sees no scenario)."""
    require_role(actor, *READERS)
    return strategy_names()


# -- the computations: one function each, called by the job and by tests ---------------------

#: Progress as the jobs take it: ``(share done, message)``.
_Share = Callable[[float, str], None]


def _quiet(_share: float, _message: str) -> None:
    """A reporter that reports nothing."""


def rehearsal_result(
    space: OutcomeSpace, request: RehearsalRequest, report: _Share = _quiet
) -> dict[str, Any]:
    """The session: ``detente negotiate --json`` plus every offer's utilities and the result.

    Raises:
        DetenteError: an unknown strategy, party or role.
    """

    def rounds(done: int, total: int) -> None:
        report(done / total if total else 0.0, f"round {done} of {total}")

    trace = negotiation.negotiate(
        space,
        request.strategies or None,
        protocol=request.protocol,
        rounds=request.deadline,
        seed=request.seed,
        progress=rounds,
    )
    chair = trace.chair or "mediator"
    offers = [
        {
            "round": int(r),
            "by": chair if int(p) < 0 else trace.parties[int(p)],
            "utilities": dict(zip(trace.parties, map(float, u), strict=True)),
        }
        for r, p, u in zip(trace.offer_rounds, trace.proposers, trace.utilities, strict=True)
    ]
    return trace.summary() | {
        "result": trace.result,
        "deadline": request.deadline,
        "seed": trace.seed,
        "parties": list(trace.parties),
        "offers": offers,
    }


def durability_result(
    space: OutcomeSpace, request: DurabilityRequest, report: _Share = _quiet
) -> dict[str, Any]:
    """The run of ``detente durability --json``; with ``versus``, the second deal's beside it.

    Both runs use the request's seed, so they share their random numbers.

    Raises:
        DetenteError: an unknown deal, option, mechanism, context or policy.
    """
    deals = [request.deal] if request.versus is None else [request.deal, _versus(space, request)]
    done = [0]

    def run(deal: Deal, k: int) -> durability.DurabilityRun:
        def paths(finished: int, planned: int) -> None:
            done[0] += finished
            share = (k + done[0] / planned) / len(deals)
            report(share, f"deal {k + 1} of {len(deals)}: {done[0]:,} of {planned:,} paths")

        done[0] = 0
        return durability.run(
            space,
            deal,
            mechanisms=request.mechanisms,
            contexts=request.contexts,
            policy=request.policy,
            deal_terms=request.deal_terms,
            compare=request.compare,
            paths=request.paths,
            days=request.days,
            seed=request.seed,
            progress=paths,
        )

    runs = [run(deal, k) for k, deal in enumerate(deals)]
    return runs[0].to_dict() | {"versus": runs[1].to_dict() if len(runs) > 1 else None}


def _versus(space: OutcomeSpace, request: DurabilityRequest) -> Deal:
    """The second deal: a solution name, or the first deal with the options given changed."""
    versus = request.versus
    assert versus is not None
    if isinstance(versus, str):
        return versus
    return {**durability.resolve_deal(space, request.deal), **versus}


def forecast_result(
    space: OutcomeSpace, request: ForecastRequest, report: _Share = _quiet
) -> dict[str, Any]:
    """The forecast of ``detente forecast SCENARIO --model MODEL --json``.

    Raises:
        DetenteError: the scenario cannot be forecast (rule-based preferences, one party).
    """

    def turns(done: int, total: int) -> None:
        report(done / total, "forecasting")

    result = forecast.forecast_scenario(space, model=request.model, progress=turns)
    return forecast.scenario_forecast_json(result)


# -- the service: check, validate, queue ----------------------------------------------------


def start_rehearsal(
    jobs: JobRegistry, actor: User, scenario: StoredScenario, request: RehearsalRequest
) -> Job:
    """Queue a rehearsal of ``scenario`` (analysts and admins).

    Raises:
        PermissionDeniedError: the actor may not run it.
        InputError: the scenario or a strategy is invalid (nothing is queued).
    """
    require_role(actor, *EDITORS)
    space = scenario_space(scenario)
    with as_input_error("strategies"):
        negotiation.seat_parties(space, request.strategies or None, protocol=request.protocol)
    return queue_run(
        jobs, actor, scenario, "rehearsal", lambda report: rehearsal_result(space, request, report)
    )


def start_durability(
    jobs: JobRegistry, actor: User, scenario: StoredScenario, request: DurabilityRequest
) -> Job:
    """Queue a durability run of a deal of ``scenario`` (analysts and admins).

    Raises:
        PermissionDeniedError: the actor may not run it.
        InputError: the scenario, a deal, a mechanism, a context or the policy is invalid
            (nothing is queued).
    """
    require_role(actor, *EDITORS)
    space = scenario_space(scenario)
    # a one-path, one-day run of each deal raises every error the full run would, at once
    for name in ("deal", "versus"):
        if name == "versus" and request.versus is None:
            continue
        with as_input_error(name):
            deal = request.deal if name == "deal" else _versus(space, request)
            durability.run(
                space,
                deal,
                mechanisms=request.mechanisms,
                contexts=request.contexts,
                policy=request.policy,
                deal_terms=request.deal_terms,
                paths=1,
                days=1,
            )
    return queue_run(
        jobs,
        actor,
        scenario,
        "durability",
        lambda report: durability_result(space, request, report),
    )


def start_forecast(
    jobs: JobRegistry, actor: User, scenario: StoredScenario, request: ForecastRequest
) -> Job:
    """Queue the forecast of ``scenario`` (analysts and admins).

    Raises:
        PermissionDeniedError: the actor may not run it.
        InputError: the scenario is invalid or cannot be forecast (nothing is queued).
    """
    require_role(actor, *EDITORS)
    space = scenario_space(scenario)
    with as_input_error("model"):
        forecast.place(space)  # rule-based preferences or a single party cannot be placed
    return queue_run(
        jobs, actor, scenario, "forecast", lambda report: forecast_result(space, request, report)
    )


@contextlib.contextmanager
def as_input_error(field: str | None = None) -> Iterator[None]:
    """Turn a library's :class:`DetenteError` into the service's 422.

    The words, file and line stay the library's; so does the field, unless the library names
    none or a command-line option (``--deal``): then it is ``field``, the request's.
    """
    try:
        yield
    except DetenteError as exc:
        named = exc.field if exc.field and not exc.field.startswith("--") else field
        raise InputError(exc.message, field=named, source=exc.source, line=exc.line) from None
