"""The scenario library over the API: list, create, import, read, save, history, diff, export.

Every route is one unit of work over :mod:`detente.workbench.library`, which checks the roles.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from detente.monitor.schemas import Text
from detente.web.deps import MAX_ID, ApiWork, IdPath
from detente.workbench import library
from detente.workbench.diff import Change, ChangeKind
from detente.workbench.transfer import MAX_UPLOAD_BYTES, ExportFile, ExportFormat

__all__ = [
    "ChangeOut",
    "DiffOut",
    "DuplicateIn",
    "ImportOut",
    "SaveIn",
    "ScenarioIn",
    "ScenarioOut",
    "SummaryOut",
    "VersionOut",
    "download",
    "read_upload_file",
    "router",
]

router = APIRouter(prefix="/scenarios", tags=["workbench"])
Version = Annotated[int, Field(ge=1, le=MAX_ID)]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="a version number (default: the latest)")
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioIn(_In):
    """A new scenario: blank (``name``) or from a built-in (``builtin``, optionally renamed)."""

    name: Annotated[str, Field(max_length=200)] | None = None
    builtin: Annotated[str, Field(max_length=200)] | None = None
    message: Text = ""


class SaveIn(_In):
    """A save: the whole document and the version it was edited from."""

    document: dict[str, Any]
    base_version: Version
    message: Text = ""


class DuplicateIn(_In):
    """A copy of a version (the latest by default), under a new name (``NAME (copy)``)."""

    name: Annotated[str, Field(max_length=200)] | None = None
    version: Version | None = None


class SummaryOut(BaseModel):
    """A scenario as listed."""

    id: int
    name: str
    version: int
    created_at: dt.datetime
    created_by: str
    saved_at: dt.datetime
    saved_by: str


class ScenarioOut(BaseModel):
    """One version of a scenario, with its document."""

    id: int
    name: str
    version: int
    latest_version: int
    document: dict[str, Any]
    saved_at: dt.datetime
    saved_by: str
    message: str


class VersionOut(BaseModel):
    """One save of the history."""

    version: int
    saved_at: dt.datetime
    saved_by: str
    message: str
    sha256: str


class ImportOut(BaseModel):
    """An imported scenario, how it was read and what was repaired."""

    scenario: ScenarioOut
    format: str
    repairs: list[str]


class ChangeOut(BaseModel):
    """One difference between two versions, with its summary in words."""

    kind: ChangeKind
    path: str
    party: str | None
    issue: str | None
    option: str | None
    before: Any
    after: Any
    summary: str

    @classmethod
    def of(cls, change: Change) -> ChangeOut:
        """The change as the API answers it."""
        return cls(
            kind=change.kind,
            path=change.path,
            party=change.party,
            issue=change.issue,
            option=change.option,
            before=change.before,
            after=change.after,
            summary=change.summary,
        )


class DiffOut(BaseModel):
    """What changed from version ``from`` to version ``to``."""

    model_config = ConfigDict(populate_by_name=True)

    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    changes: list[ChangeOut]


def _out(stored: library.StoredScenario) -> ScenarioOut:
    return ScenarioOut.model_validate(stored, from_attributes=True)


async def read_upload_file(file: UploadFile) -> tuple[str, bytes]:
    """The upload's name and bytes, reading one byte past the limit at most."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    return file.filename or "upload", data


def download(exported: ExportFile) -> Response:
    """An exported file as an attachment; what the format left out in ``X-Detente-Notes``."""
    name = exported.filename
    plain = name.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f'attachment; filename="{plain}"'
    if plain != name:  # RFC 6266: the real name, UTF-8 and percent-encoded, beside an ASCII one
        disposition += f"; filename*=UTF-8''{quote(name)}"
    headers = {"Content-Disposition": disposition}
    if exported.notes:
        notes = " | ".join(exported.notes)
        headers["X-Detente-Notes"] = notes.encode("ascii", "replace").decode()[:2000]
    return Response(exported.content, media_type=exported.media_type, headers=headers)


@router.get("")
def scenarios(work: ApiWork) -> list[SummaryOut]:
    """The scenarios of the library, the most recently saved first (readers)."""
    with work() as (s, user):
        found = library.list_scenarios(s, user)
        return [SummaryOut.model_validate(x, from_attributes=True) for x in found]


@router.post("", status_code=201)
def create(body: ScenarioIn, work: ApiWork) -> ScenarioOut:
    """A new scenario, blank or from a built-in (editors)."""
    with work() as (s, user):
        return _out(
            library.create_scenario(
                s, user, name=body.name, builtin=body.builtin, message=body.message
            )
        )


@router.post("/import", status_code=201)
async def import_file(
    work: ApiWork,
    file: Annotated[UploadFile, File(description="a scenario file or a zipped folder")],
    message: Annotated[str, Form(max_length=2000)] = "",
) -> ImportOut:
    """A new scenario from a native, GENIUS (zip) or GeniusWeb file (editors)."""
    name, data = await read_upload_file(file)
    with work() as (s, user):
        done = library.import_scenario(s, user, name, data, message=message)
        return ImportOut(
            scenario=_out(done.scenario), format=done.format, repairs=list(done.repairs)
        )


@router.get("/{scenario_id}")
def scenario(scenario_id: IdPath, work: ApiWork, version: VersionQuery = None) -> ScenarioOut:
    """One version of a scenario (readers)."""
    with work() as (s, user):
        return _out(library.get_scenario(s, user, scenario_id, version))


@router.put("/{scenario_id}")
def save(scenario_id: IdPath, body: SaveIn, work: ApiWork) -> ScenarioOut:
    """Save a new version edited from ``base_version`` (editors; 409 if someone saved since)."""
    with work() as (s, user):
        return _out(
            library.save_scenario(
                s,
                user,
                scenario_id,
                body.document,
                base_version=body.base_version,
                message=body.message,
            )
        )


@router.delete("/{scenario_id}", status_code=204)
def delete(scenario_id: IdPath, work: ApiWork) -> Response:
    """Take a scenario out of the library (editors; its versions are kept)."""
    with work() as (s, user):
        library.delete_scenario(s, user, scenario_id)
    return Response(status_code=204)


@router.post("/{scenario_id}/duplicate", status_code=201)
def duplicate(scenario_id: IdPath, body: DuplicateIn, work: ApiWork) -> ScenarioOut:
    """A new scenario copied from a version of this one (editors)."""
    with work() as (s, user):
        return _out(
            library.duplicate_scenario(s, user, scenario_id, name=body.name, version=body.version)
        )


@router.get("/{scenario_id}/history")
def history(scenario_id: IdPath, work: ApiWork) -> list[VersionOut]:
    """Every version of a scenario, the latest first (readers)."""
    with work() as (s, user):
        versions = library.history(s, user, scenario_id)
        return [VersionOut.model_validate(v, from_attributes=True) for v in versions]


@router.get("/{scenario_id}/diff")
def diff(
    scenario_id: IdPath,
    work: ApiWork,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)],
) -> DiffOut:
    """What changed from one version to another (readers)."""
    with work() as (s, user):
        changes = library.diff_versions(s, user, scenario_id, from_version, to_version)
    return DiffOut(
        from_version=from_version,
        to_version=to_version,
        changes=[ChangeOut.of(c) for c in changes],
    )


@router.get(
    "/{scenario_id}/export",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}, "application/zip": {}}}},
)
def export(
    scenario_id: IdPath,
    work: ApiWork,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.YAML,
    version: VersionQuery = None,
) -> Response:
    """A version of a scenario as a file: native YAML/JSON, or a GENIUS/GeniusWeb zip (readers)."""
    with work() as (s, user):
        exported = library.export_scenario(s, user, scenario_id, fmt, version)
    return download(exported)
