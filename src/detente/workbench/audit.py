"""The audit check of the whole service: the monitor's chain and records, and the scenarios.

The library writes one audit entry per create, save and delete, with the version number and
the SHA-256 of the saved document (:mod:`detente.workbench.library`). :func:`verify_scenarios`
replays those entries against the stored scenarios, so a version added, removed or edited
behind the service's back (a changed weight in the database) is found, as the monitor's own
replay finds an edited incident. :func:`verify_audit` is the check ``detente monitor
verify-audit`` and ``GET /api/audit/verify`` run.
"""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from detente.monitor import audit
from detente.monitor.auth import require_role
from detente.monitor.enums import Role
from detente.monitor.models import AuditEntry, User
from detente.workbench.documents import document_sha256
from detente.workbench.models import ScenarioRecord, ScenarioVersion

__all__ = ["check_audit", "verify_audit", "verify_scenarios"]

_SAVES = ("scenario.create", "scenario.save")


def verify_audit(session: Session) -> audit.AuditReport:
    """The audit chain's links, the monitor's records, then the scenarios, in that order."""
    report = audit.verify_chain(session)
    if not report.ok:
        return report
    problem = verify_scenarios(session)
    if problem is None:
        return report
    seq, what = problem
    return dataclasses.replace(report, ok=False, first_bad_seq=seq, problem=what)


def check_audit(session: Session, actor: User) -> audit.AuditReport:
    """:func:`verify_audit` for a signed-in user (admins)."""
    require_role(actor, Role.ADMIN)
    return verify_audit(session)


def verify_scenarios(session: Session) -> tuple[int | None, str] | None:
    """Compare the stored scenarios and versions with the audit log's entries.

    Returns ``(entry, what)`` for the first disagreement (``entry``: the audit entry
    concerned, None when the log has none), or None when every row agrees.
    """
    saves, deletes = _logged(session)
    latest: dict[int, int] = {}
    return _check_versions(session, saves, latest) or _check_records(session, deletes, latest)


def _logged(session: Session) -> tuple[dict[tuple[int, int], tuple[int, str]], dict[int, int]]:
    """Each saved version's entry and checksum, and each deletion's entry, from the log."""
    saves: dict[tuple[int, int], tuple[int, str]] = {}
    deletes: dict[int, int] = {}
    rows = session.execute(
        select(AuditEntry.seq, AuditEntry.action, AuditEntry.object_id, AuditEntry.payload)
        .where(AuditEntry.object_type == "scenario")
        .order_by(AuditEntry.seq)
    )
    for seq, action, oid, payload in rows:
        if oid is None:  # pragma: no cover - the library always names the scenario
            continue
        data = json.loads(payload)
        if action in _SAVES:
            saves[oid, int(data["version"])] = (seq, str(data["sha256"]))
        elif action == "scenario.delete":
            deletes[oid] = seq
    return saves, deletes


def _check_versions(
    session: Session, saves: dict[tuple[int, int], tuple[int, str]], latest: dict[int, int]
) -> tuple[int | None, str] | None:
    """Every stored version is logged with its document's checksum, and the reverse."""
    for row in session.scalars(
        select(ScenarioVersion).order_by(ScenarioVersion.scenario_id, ScenarioVersion.version)
    ):
        what = f"scenario {row.scenario_id} version {row.version}"
        logged = saves.pop((row.scenario_id, row.version), None)
        if logged is None:
            return None, (
                f"{what} has no record in the audit log (a row added behind the service's "
                "back, or the end of the log removed)"
            )
        seq, sha256 = logged
        if row.sha256 != sha256 or document_sha256(row.document) != sha256:
            return seq, f"{what}: its document differs from what the audit log records"
        latest[row.scenario_id] = row.version
    for (sid, version), (seq, _) in saves.items():
        return (
            seq,
            f"scenario {sid} version {version} of the audit log is missing from the database",
        )
    return None


def _check_records(
    session: Session, deletes: dict[int, int], latest: dict[int, int]
) -> tuple[int | None, str] | None:
    """Every scenario's latest version and deletion agree with the log."""
    for record in session.scalars(select(ScenarioRecord).order_by(ScenarioRecord.id)):
        deleted = deletes.pop(record.id, None)
        if record.version != latest.get(record.id):
            return None, (
                f"scenario {record.id}: its latest version {record.version} is not the last "
                "one the audit log records"
            )
        if (record.deleted_at is None) != (deleted is None):
            state = "deleted" if deleted is None else "not deleted"
            return deleted, f"scenario {record.id} is {state}, unlike what the audit log records"
    return None
