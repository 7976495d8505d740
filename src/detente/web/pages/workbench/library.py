"""The scenario library's pages: the list, a scenario's history, the changes between versions.

The list creates, imports, exports, duplicates and deletes scenarios. Each page calls the same
:mod:`detente.workbench.library` services as the API; forms carry the session's CSRF token.
After a form, the list says what was done (a notice kept in the session for the next page).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from detente.scenario.io import builtin_names
from detente.web.api.workbench.scenarios import download, read_upload_file
from detente.web.deps import CSRF, MAX_ID, IdPath, PageWork
from detente.web.templating import render
from detente.workbench import library
from detente.workbench.transfer import ExportFormat

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_NOTICE = "workbench_notice"
#: A notice lives in the session cookie: keep it short.
_NOTICE_CHARS = 600
VersionQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Text = Annotated[str, Form(max_length=2000)]


def _done(request: Request, notice: str) -> RedirectResponse:
    """Back to the list, which shows ``notice`` once."""
    if len(notice) > _NOTICE_CHARS:
        notice = notice[: _NOTICE_CHARS - 1] + "…"
    request.session[_NOTICE] = notice
    return RedirectResponse(request.url_for("workbench").path, status_code=303)


@router.get("/workbench/", response_class=HTMLResponse, name="workbench")
def scenario_list(request: Request, work: PageWork) -> HTMLResponse:
    """The library: every scenario, and the forms to add one."""
    with work() as (s, user):
        scenarios = library.list_scenarios(s, user)
        return render(
            request,
            "workbench/library.html",
            user,
            area="workbench",
            scenarios=scenarios,
            editor=library.can_edit(user),
            builtins=builtin_names(),
            formats=list(ExportFormat),
            notice=request.session.pop(_NOTICE, None),
        )


@router.get("/workbench", include_in_schema=False)
def scenario_list_slash(request: Request) -> RedirectResponse:
    """The library's address without its final slash."""
    return RedirectResponse(request.url_for("workbench").path, status_code=308)


@router.post("/workbench/scenarios", dependencies=[CSRF])
def create(
    request: Request,
    work: PageWork,
    name: Annotated[str, Form(max_length=200)] = "",
    builtin: Annotated[str, Form(max_length=200)] = "",
    message: Text = "",
) -> Response:
    """Create a scenario from the list's form (a built-in, or blank with a name)."""
    with work() as (s, user):
        made = library.create_scenario(
            s, user, name=name.strip() or None, builtin=builtin or None, message=message
        )
    return _done(request, f"Created scenario {made.id}, {made.name!r} (version 1).")


@router.post("/workbench/scenarios/import", dependencies=[CSRF])
async def import_file(
    request: Request,
    work: PageWork,
    file: Annotated[UploadFile, File()],
    message: Text = "",
) -> Response:
    """Import an uploaded file from the list's form."""
    name, data = await read_upload_file(file)
    with work() as (s, user):
        done = library.import_scenario(s, user, name, data, message=message)
    stored = done.scenario
    notice = f"Imported {stored.name!r} as scenario {stored.id} ({done.format})."
    if done.repairs:
        notice += " Repaired: " + "; ".join(done.repairs)
    return _done(request, notice)


@router.post("/workbench/scenarios/{scenario_id}/duplicate", dependencies=[CSRF])
def duplicate(
    request: Request,
    scenario_id: IdPath,
    work: PageWork,
    version: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Copy a scenario (a version of it) as a new one."""
    with work() as (s, user):
        made = library.duplicate_scenario(s, user, scenario_id, version=version)
    return _done(request, f"Copied scenario {scenario_id} as scenario {made.id}, {made.name!r}.")


@router.post("/workbench/scenarios/{scenario_id}/delete", dependencies=[CSRF])
def delete(request: Request, scenario_id: IdPath, work: PageWork) -> Response:
    """Take a scenario out of the library."""
    with work() as (s, user):
        gone = library.get_scenario(s, user, scenario_id)
        library.delete_scenario(s, user, scenario_id)
    return _done(request, f"Deleted scenario {scenario_id}, {gone.name!r}.")


@router.get("/workbench/scenarios/{scenario_id}/export")
def export(
    scenario_id: IdPath,
    work: PageWork,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.YAML,
    version: VersionQuery = None,
) -> Response:
    """Download a version of a scenario in a format."""
    with work() as (s, user):
        exported = library.export_scenario(s, user, scenario_id, fmt, version)
    return download(exported)


@router.get("/workbench/scenarios/{scenario_id}/history", response_class=HTMLResponse)
def history(request: Request, scenario_id: IdPath, work: PageWork) -> HTMLResponse:
    """Every version of a scenario, with a form to compare two."""
    with work() as (s, user):
        current = library.get_scenario(s, user, scenario_id)
        versions = library.history(s, user, scenario_id)
        return render(
            request,
            "workbench/history.html",
            user,
            area="workbench",
            scenario=current,
            versions=versions,
            formats=list(ExportFormat),
            editor=library.can_edit(user),
        )


@router.get("/workbench/scenarios/{scenario_id}/diff", response_class=HTMLResponse)
def diff(
    request: Request,
    scenario_id: IdPath,
    work: PageWork,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)],
) -> HTMLResponse:
    """What changed from one version of a scenario to another."""
    with work() as (s, user):
        current = library.get_scenario(s, user, scenario_id)
        changes = library.diff_versions(s, user, scenario_id, from_version, to_version)
        return render(
            request,
            "workbench/diff.html",
            user,
            area="workbench",
            scenario=current,
            changes=changes,
            before=from_version,
            after=to_version,
        )
