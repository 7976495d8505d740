"""The scenario editor: the document as a form (or as YAML) beside its live analysis.

The page holds the document the analyst edits; every change asks
``POST /api/workbench/analyze`` for the plot's part and, once the edits pause,
``POST /api/workbench/analyze/survival`` for survival and the recommended deal. Saving is
``PUT /api/workbench/scenarios/{id}`` with the version the edits started from; a 409 says who
saved in between and offers to load their version or to save these edits over it.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from detente.scenario.model import Role
from detente.web.deps import Analyses, IdPath, PageWork
from detente.web.templating import render
from detente.workbench import library

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _script_json(value: object) -> str:
    """JSON safe inside a ``<script type="application/json">`` element (no ``</`` or ``<!``)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@router.get("/workbench/scenarios/{scenario_id}", response_class=HTMLResponse)
def editor(
    request: Request, scenario_id: IdPath, work: PageWork, analyses: Analyses
) -> HTMLResponse:
    """The editor of a scenario's latest version, with the live analysis beside it.

    The live analysis's workers start now, if they have not yet, so that they are ready by
    the time the page asks for its first analysis.
    """
    with work() as (s, user):
        scenario = library.get_scenario(s, user, scenario_id)
        analyses.start()
        return render(
            request,
            "workbench/editor.html",
            user,
            area="workbench",
            scenario=scenario,
            editor=library.can_edit(user),
            document_json=_script_json(scenario.document),
            roles=[r.value for r in Role],
        )
