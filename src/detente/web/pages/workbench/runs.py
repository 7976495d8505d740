"""The runs' pages: rehearse, durability, forecast, and brief and put into force.

Each page is a form whose script starts the run through the API, follows the job's progress
(with a Cancel button) and draws its result; the page itself reads the scenario through the
same services as the API. The agreement's durability page draws the deal with the record's
observed rates beside the calibrated run.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from detente.analysis.solutions import SOLUTION_NAMES
from detente.durability import load_mechanisms
from detente.scenario.model import DiscreteIssue
from detente.web.deps import MAX_ID, IdPath, PageWork
from detente.web.templating import render
from detente.workbench import handover, library
from detente.workbench.handover import AgreementDurabilityRequest, agreement_durability
from detente.workbench.runs import scenario_space, strategy_names

__all__ = ["TABS", "router"]

router = APIRouter(include_in_schema=False)
VersionQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
#: The tabs of a scenario's runs: path, title.
TABS = (
    ("rehearse", "Rehearse"),
    ("durability", "Durability"),
    ("forecast", "Forecast"),
    ("brief", "Brief and put into force"),
)


def _page(
    request: Request, work: PageWork, scenario_id: int, version: int | None, tab: str
) -> HTMLResponse:
    with work() as (s, user):
        stored = library.get_scenario(s, user, scenario_id, version)
        space = scenario_space(stored)
        model = space.scenario
        data: dict[str, Any] = {
            "scenario": stored.id,
            "version": stored.version,
            "parties": [{"name": p.name, "role": p.role.value} for p in model.parties],
            "issues": [
                {
                    "name": i.name,
                    "label": i.label or i.name,
                    "options": [
                        {"name": str(v), "label": label}
                        for v, label in zip(i.values, i.labels, strict=True)
                    ],
                    "provides": isinstance(i, DiscreteIssue) and any(o.provides for o in i.options),
                }
                for i in model.issues
            ],
        }
        return render(
            request,
            "workbench/runs.html",
            user,
            area="workbench",
            tab=tab,
            tabs=TABS,
            stored=stored,
            title=model.title or model.name,
            data=data,
            strategies=strategy_names(),
            mechanisms=[m.name for m in load_mechanisms()],
            solutions=SOLUTION_NAMES,
            editor=library.can_edit(user),
            admin=handover.can_put_into_force(user),
        )


@router.get("/workbench/scenarios/{scenario_id}/rehearse", response_class=HTMLResponse)
def rehearse(
    request: Request, scenario_id: IdPath, work: PageWork, version: VersionQuery = None
) -> HTMLResponse:
    """Rehearse the talks: a strategy per party, the deadline; the trace and the agreement."""
    return _page(request, work, scenario_id, version, "rehearse")


@router.get("/workbench/scenarios/{scenario_id}/durability", response_class=HTMLResponse)
def durability(
    request: Request, scenario_id: IdPath, work: PageWork, version: VersionQuery = None
) -> HTMLResponse:
    """Will a deal hold: mechanisms on, off or swapped; two deals side by side."""
    return _page(request, work, scenario_id, version, "durability")


@router.get("/workbench/scenarios/{scenario_id}/forecast", response_class=HTMLResponse)
def forecast(
    request: Request, scenario_id: IdPath, work: PageWork, version: VersionQuery = None
) -> HTMLResponse:
    """Where the stakeholder models say the talks settle, turn by turn."""
    return _page(request, work, scenario_id, version, "forecast")


@router.get("/workbench/scenarios/{scenario_id}/brief", response_class=HTMLResponse)
def brief(
    request: Request, scenario_id: IdPath, work: PageWork, version: VersionQuery = None
) -> HTMLResponse:
    """Export a deal's briefing (HTML, PDF); put a deal into force (admins)."""
    return _page(request, work, scenario_id, version, "brief")


@router.get("/workbench/agreements/{agreement_id}/durability", response_class=HTMLResponse)
def agreement_view(request: Request, agreement_id: IdPath, work: PageWork) -> HTMLResponse:
    """An agreement put into force: its deal with the observed rates, and without them."""
    with work() as (s, user):
        view = agreement_durability(s, user, agreement_id, AgreementDurabilityRequest())
        return render(
            request,
            "workbench/agreement_durability.html",
            user,
            area="workbench",
            view=view,
            agreement_id=agreement_id,
        )
