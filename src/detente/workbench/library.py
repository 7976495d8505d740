"""The scenario library's services: pure functions over a Session, taking ``(session, actor)``.

Like :mod:`detente.monitor.service`, each checks who may act, and callers own the transaction
(:func:`detente.monitor.db.transaction`): a function that raises leaves nothing once the caller
rolls back. Analysts and admins edit; monitors read too; a party liaison never sees scenarios
(403 on every call, before anything is looked up). Every write is one entry of the audit log,
which records the SHA-256 of each saved document.

Deleting is soft: the scenario leaves the list and can no longer be read or saved, but its
versions stay in the database, so the audit log still accounts for every save.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from detente.monitor import audit
from detente.monitor.auth import require_role
from detente.monitor.enums import EDITORS, READERS
from detente.monitor.errors import InputError, NotFoundError
from detente.monitor.models import User, utcnow
from detente.scenario.formats.native import load_native, native_document
from detente.scenario.io import builtin_names, builtin_path
from detente.scenario.model import Scenario
from detente.workbench.diff import Change, diff_documents
from detente.workbench.documents import (
    MAX_DOCUMENT_BYTES,
    blank_document,
    canonical_json,
    checked_document,
    document_sha256,
)
from detente.workbench.errors import InvalidDocumentError, VersionConflictError
from detente.workbench.models import ScenarioRecord, ScenarioVersion
from detente.workbench.transfer import ExportFile, ExportFormat, export_file, read_upload

__all__ = [
    "EDITORS",
    "READERS",
    "ImportResult",
    "ScenarioSummary",
    "StoredScenario",
    "VersionInfo",
    "can_edit",
    "can_read",
    "create_scenario",
    "delete_scenario",
    "diff_versions",
    "duplicate_scenario",
    "export_scenario",
    "get_scenario",
    "history",
    "import_scenario",
    "list_scenarios",
    "save_scenario",
]

_MESSAGE_CHARS = 2000


@dataclasses.dataclass(frozen=True)
class ScenarioSummary:
    """A scenario as the library lists it (no document)."""

    id: int
    name: str
    version: int
    created_at: dt.datetime
    created_by: str
    saved_at: dt.datetime
    saved_by: str


@dataclasses.dataclass(frozen=True)
class VersionInfo:
    """One save: its number, who saved it, when, why, and the document's checksum."""

    version: int
    saved_at: dt.datetime
    saved_by: str
    message: str
    sha256: str


@dataclasses.dataclass(frozen=True)
class StoredScenario:
    """One version of a scenario with its document.

    Attributes:
        id: the scenario's id.
        name: the document's name.
        version: the version this document is.
        latest_version: the scenario's latest version (saves start from it).
        document: the native document.
        saved_at: when this version was saved.
        saved_by: who saved it.
        message: the message given with the save.
    """

    id: int
    name: str
    version: int
    latest_version: int
    document: dict[str, Any]
    saved_at: dt.datetime
    saved_by: str
    message: str


@dataclasses.dataclass(frozen=True)
class ImportResult:
    """An imported scenario, the format it came in and the quirks repaired on the way."""

    scenario: StoredScenario
    format: str
    repairs: tuple[str, ...]


def _record(session: Session, scenario_id: int) -> ScenarioRecord:
    record = session.get(ScenarioRecord, scenario_id)
    if record is None or record.deleted_at is not None:
        raise NotFoundError(f"no scenario {scenario_id}", field="scenario_id")
    return record


def _version_row(session: Session, record: ScenarioRecord, version: int) -> ScenarioVersion:
    row = session.get(ScenarioVersion, (record.id, version))
    if row is None:
        raise NotFoundError(
            f"scenario {record.id} has no version {version} (its versions are 1 to "
            f"{record.version})",
            field="version",
        )
    return row


def _stored(record: ScenarioRecord, row: ScenarioVersion) -> StoredScenario:
    return StoredScenario(
        id=record.id,
        name=str(row.document["name"]),
        version=row.version,
        latest_version=record.version,
        document=row.document,
        saved_at=row.saved_at,
        saved_by=row.saved_by.username,
        message=row.message,
    )


def _message(message: str) -> str:
    message = message.strip()
    if len(message) > _MESSAGE_CHARS:
        raise InputError(f"a message has at most {_MESSAGE_CHARS} characters", field="message")
    if "\x00" in message:
        raise InputError("a message must not contain NUL characters", field="message")
    return message


def _checked(document: Any) -> dict[str, Any]:
    """The canonical form of a valid document; :class:`InvalidDocumentError` otherwise."""
    checked = checked_document(document)
    if isinstance(checked, list):
        raise InvalidDocumentError(checked)
    canonical = checked[1]
    size = len(canonical_json(canonical).encode())
    if size > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"the scenario is {size:,} bytes as JSON, over the {MAX_DOCUMENT_BYTES:,}-byte limit",
            field="document",
        )
    return canonical


def _append(
    session: Session, record: ScenarioRecord, actor: User, document: dict[str, Any], message: str
) -> ScenarioVersion:
    row = ScenarioVersion(
        scenario_id=record.id,
        version=record.version,
        saved_at=utcnow(),
        saved_by=actor,
        message=message,
        sha256=document_sha256(document),
        document=document,
    )
    session.add(row)
    session.flush()
    return row


def _audit(
    session: Session, actor: User, action: str, record: ScenarioRecord, **payload: Any
) -> None:
    audit.record(
        session,
        actor=actor.username,
        action=f"scenario.{action}",
        object_type="scenario",
        object_id=record.id,
        payload={"name": record.name, "version": record.version, **payload},
    )


def _new(
    session: Session, actor: User, document: dict[str, Any], message: str, source: str
) -> StoredScenario:
    """Store a new scenario (version 1) from a canonical document."""
    record = ScenarioRecord(
        name=str(document["name"]), version=1, created_at=utcnow(), created_by=actor
    )
    session.add(record)
    session.flush()
    row = _append(session, record, actor, document, message)
    _audit(session, actor, "create", record, source=source, sha256=row.sha256, message=message)
    return _stored(record, row)


def can_edit(actor: User) -> bool:
    """Whether ``actor`` may create, import, save, duplicate and delete scenarios."""
    return actor.role in EDITORS


def can_read(actor: User) -> bool:
    """Whether ``actor`` may see scenarios at all (a party liaison never does)."""
    return actor.role in READERS


def list_scenarios(session: Session, actor: User) -> list[ScenarioSummary]:
    """The scenarios not deleted, the most recently saved first (readers).

    One query of the columns listed: no document is loaded.
    """
    require_role(actor, *READERS)
    creator, saver = aliased(User), aliased(User)
    rows = session.execute(
        select(
            ScenarioRecord.id,
            ScenarioRecord.name,
            ScenarioRecord.version,
            ScenarioRecord.created_at,
            creator.username,
            ScenarioVersion.saved_at,
            saver.username,
        )
        .join(
            ScenarioVersion,
            (ScenarioVersion.scenario_id == ScenarioRecord.id)
            & (ScenarioVersion.version == ScenarioRecord.version),
        )
        .join(creator, creator.id == ScenarioRecord.created_by_id)
        .join(saver, saver.id == ScenarioVersion.saved_by_id)
        .where(ScenarioRecord.deleted_at.is_(None))
        .order_by(ScenarioVersion.saved_at.desc(), ScenarioRecord.id.desc())
    ).all()
    return [ScenarioSummary(*row) for row in rows]


def get_scenario(
    session: Session, actor: User, scenario_id: int, version: int | None = None
) -> StoredScenario:
    """One version of a scenario (the latest by default; readers)."""
    require_role(actor, *READERS)
    record = _record(session, scenario_id)
    return _stored(record, _version_row(session, record, version or record.version))


def create_scenario(
    session: Session,
    actor: User,
    *,
    name: str | None = None,
    builtin: str | None = None,
    message: str = "",
) -> StoredScenario:
    """A new scenario, blank or from a built-in one (editors).

    Args:
        session: the unit of work.
        actor: who creates it.
        name: its name (a blank scenario needs one; a built-in keeps its own by default).
        builtin: the built-in scenario to start from (``detente scenarios`` lists them).
        message: why, kept with version 1.
    """
    require_role(actor, *EDITORS)
    message = _message(message)
    if builtin is not None:
        if builtin not in builtin_names():
            known = ", ".join(builtin_names())
            raise InputError(
                f"no built-in scenario {builtin!r} (built-ins: {known})", field="builtin"
            )
        document = native_document(load_native(builtin_path(builtin)))
        source = f"builtin:{builtin}"
    elif name is None:
        raise InputError("a blank scenario needs a name", field="name")
    else:
        document, source = blank_document("blank"), "blank"
    if name is not None:
        document = {**document, "name": name}
    return _new(session, actor, _checked(document), message, source)


def import_scenario(
    session: Session, actor: User, filename: str, data: bytes, *, message: str = ""
) -> ImportResult:
    """A new scenario from an uploaded file (editors; :func:`~.transfer.read_upload` reads it).

    Nothing is stored unless the whole file is read and valid.
    """
    require_role(actor, *EDITORS)
    message = _message(message)
    imported = read_upload(filename, data)
    document = _checked(native_document(imported.scenario))
    source = f"import:{imported.format}"
    stored = _new(session, actor, document, message, source)
    return ImportResult(scenario=stored, format=imported.format, repairs=imported.repairs)


def export_scenario(
    session: Session,
    actor: User,
    scenario_id: int,
    fmt: ExportFormat,
    version: int | None = None,
) -> ExportFile:
    """A version of a scenario as a file (readers)."""
    stored = get_scenario(session, actor, scenario_id, version)
    return export_file(Scenario.model_validate(stored.document), fmt)


def duplicate_scenario(
    session: Session,
    actor: User,
    scenario_id: int,
    *,
    name: str | None = None,
    version: int | None = None,
) -> StoredScenario:
    """A new scenario whose version 1 is a copy of a version of another (editors)."""
    require_role(actor, *EDITORS)
    original = get_scenario(session, actor, scenario_id, version)
    new_name = name if name is not None else f"{original.name} (copy)"[:200]
    document = _checked({**original.document, "name": new_name})
    message = f"copy of scenario {original.id} version {original.version}"
    return _new(session, actor, document, message, f"duplicate:{original.id}@{original.version}")


def save_scenario(
    session: Session,
    actor: User,
    scenario_id: int,
    document: Any,
    *,
    base_version: int,
    message: str = "",
) -> StoredScenario:
    """Save a new version, edited from ``base_version`` (editors).

    The document is validated as ``detente validate`` does. The save succeeds only if
    ``base_version`` is still the latest version: the version counter is compared and
    incremented in one statement, so of two analysts who saved from the same version, the
    second gets a :class:`VersionConflictError` naming the version the first saved, who saved
    it and when, and nothing of theirs is written.

    Raises:
        InvalidDocumentError: the document is not a valid scenario (every problem listed).
        VersionConflictError: someone saved since ``base_version``.
    """
    require_role(actor, *EDITORS)
    message = _message(message)
    record = _record(session, scenario_id)
    canonical = _checked(document)
    bumped = session.execute(
        update(ScenarioRecord)
        .where(
            ScenarioRecord.id == scenario_id,
            ScenarioRecord.version == base_version,
            ScenarioRecord.deleted_at.is_(None),
        )
        .values(version=base_version + 1, name=str(canonical["name"]))
        .execution_options(synchronize_session=False)
    )
    session.refresh(record)
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        record = _record(session, scenario_id)  # deleted since it was read: 404
        latest = _version_row(session, record, record.version)
        raise VersionConflictError(
            scenario_id, base_version, record.version, latest.saved_by.username, latest.saved_at
        )
    row = _append(session, record, actor, canonical, message)
    _audit(
        session, actor, "save", record, base_version=base_version, sha256=row.sha256,
        message=message,
    )  # fmt: skip
    return _stored(record, row)


def delete_scenario(session: Session, actor: User, scenario_id: int) -> None:
    """Delete a scenario (editors): it leaves the library; its versions are kept (soft delete)."""
    require_role(actor, *EDITORS)
    record = _record(session, scenario_id)
    record.deleted_at = utcnow()
    record.deleted_by_id = actor.id
    session.flush()
    _audit(session, actor, "delete", record)


def history(session: Session, actor: User, scenario_id: int) -> list[VersionInfo]:
    """Every version of a scenario, the latest first (readers; no document is loaded)."""
    require_role(actor, *READERS)
    record = _record(session, scenario_id)
    rows = session.execute(
        select(
            ScenarioVersion.version,
            ScenarioVersion.saved_at,
            User.username,
            ScenarioVersion.message,
            ScenarioVersion.sha256,
        )
        .join(User, User.id == ScenarioVersion.saved_by_id)
        .where(ScenarioVersion.scenario_id == record.id)
        .order_by(ScenarioVersion.version.desc())
    ).all()
    return [VersionInfo(*row) for row in rows]


def diff_versions(
    session: Session, actor: User, scenario_id: int, before: int, after: int
) -> list[Change]:
    """What changed from version ``before`` to version ``after`` of a scenario (readers)."""
    require_role(actor, *READERS)
    record = _record(session, scenario_id)
    old = _version_row(session, record, before)
    new = _version_row(session, record, after)
    return diff_documents(old.document, new.document)
