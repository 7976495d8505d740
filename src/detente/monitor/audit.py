"""Append-only, hash-chained audit log: every write adds one entry in the same transaction.

Entry ``n`` stores ``hash_n = HMAC-SHA256(key, hash_{n-1} || canonical JSON of entry n)``
when the service has an audit key (kept outside the database, like the session secret), else
``SHA-256(hash_{n-1} || ...)``. Changing, inserting or deleting a past entry breaks every later
link, which :func:`verify_chain` finds; with a key, whoever can write to the database but does
not hold the key cannot recompute the links after a change. :func:`verify_records` replays the
log and compares it with the incidents and users as they are stored, so a row edited behind
the service's back, or a deleted tail of the log, is found too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, selectinload

from detente.monitor.models import AuditEntry, utcnow

__all__ = [
    "AUDIT_KEY",
    "GENESIS",
    "AuditRecord",
    "AuditReport",
    "entry_hash",
    "lock_chain",
    "record",
    "record_many",
    "verify_chain",
    "verify_records",
]

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x6D6F6E69  # pg_advisory_xact_lock key that serialises appends
#: The key of ``Session.info`` that holds the audit key (set by the service's session maker).
AUDIT_KEY = "audit_key"
#: The key of ``Session.info`` naming the transaction that holds the chain's lock.
_LOCKED_IN = "audit_chain_locked_in"
#: The key of ``Session.info`` holding the transaction and the last entry it appended.
_HEAD = "audit_chain_head"


def lock_chain(session: Session) -> None:
    """Hold the chain's lock until the session's transaction ends (taken once per transaction).

    On PostgreSQL a transaction-level advisory lock serialises appends to the chain, and the
    service's sessions take it before their first write (see
    :func:`detente.monitor.db.sessions`), so every writer takes its locks in the same order and
    none waits for another in a cycle. On SQLite every transaction of the service holds the
    database's write lock from its start: nothing more to take.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    connection = session.connection()  # begins the transaction if none is open
    root = session.get_transaction()
    if root is None or session.info.get(_LOCKED_IN) is root:
        return
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
    session.info[_LOCKED_IN] = root


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: dt.datetime,
    actor: str | None,
    action: str,
    object_type: str,
    object_id: int | None,
    payload: str,
    key: str = "",
) -> str:
    """The chained hash of one entry: HMAC-SHA256 under ``key``, or SHA-256 without one."""
    body = json.dumps(
        [seq, at.astimezone(dt.UTC).isoformat(), actor, action, object_type, object_id, payload],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    message = (prev_hash + body).encode()
    if key:
        return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def record(
    session: Session,
    *,
    actor: str | None,
    action: str,
    object_type: str,
    object_id: int | None,
    payload: dict[str, Any],
) -> AuditEntry:
    """Append one entry (caller's transaction; appends are serialised by :func:`lock_chain`).

    The entry is added to the session and written with its next flush. The transaction's
    last entry is remembered, so a transaction appending many entries (a group commit) reads
    the head of the chain once; an entry undone by a rollback to a savepoint is no longer in
    the session, and the head is then read again.
    """
    lock_chain(session)
    root = session.get_transaction()
    seq, prev = _head(session)
    at = utcnow()
    body = _payload_text(payload)
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        payload=body,
        prev_hash=prev,
        hash=entry_hash(
            prev,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            payload=body,
            key=str(session.info.get(AUDIT_KEY, "")),
        ),
    )
    session.add(entry)
    session.info[_HEAD] = (root, entry)
    return entry


def _payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _head(session: Session) -> tuple[int, str]:
    """The next entry's number and the hash it links to (the transaction's last, else read)."""
    head = session.info.get(_HEAD)
    if head is not None and head[0] is session.get_transaction() and head[1] in session:
        return head[1].seq + 1, head[1].hash
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (1, GENESIS) if last is None else (last[0] + 1, last[1])


@dataclasses.dataclass(frozen=True)
class AuditRecord:
    """One entry for :func:`record_many`: the arguments of :func:`record`."""

    actor: str | None
    action: str
    object_type: str
    object_id: int | None
    payload: dict[str, Any]


def record_many(session: Session, records: Sequence[AuditRecord]) -> list[int]:
    """Append entries in their order with one multi-row INSERT; return their numbers.

    The same entries, links and hashes as :func:`record` called for each in turn, written at
    once (SQLAlchemy Core, the caller's transaction) rather than each by its own flush.
    Entries the session still holds unwritten are flushed first, so they come before these.
    """
    lock_chain(session)
    session.flush()
    seq, prev = _head(session)
    key = str(session.info.get(AUDIT_KEY, ""))
    rows: list[dict[str, Any]] = []
    for r in records:
        at, body = utcnow(), _payload_text(r.payload)
        digest = entry_hash(
            prev,
            seq=seq,
            at=at,
            actor=r.actor,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            payload=body,
            key=key,
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": r.actor,
                "action": r.action,
                "object_type": r.object_type,
                "object_id": r.object_id,
                "payload": body,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        seq, prev = seq + 1, digest
    if rows:
        session.execute(insert(cast("Table", AuditEntry.__table__)), rows)
    # the head is now the last row written: the next append reads it from the database
    session.info.pop(_HEAD, None)
    return [row["seq"] for row in rows]


@dataclasses.dataclass(frozen=True)
class AuditReport:
    """Result of checking the chain.

    Attributes:
        entries: how many entries were read.
        ok: whether every link holds.
        first_bad_seq: the first entry whose link is broken, if any.
        problem: what is wrong there.
        head_hash: hash of the last entry (keep it elsewhere to detect a truncated tail).
    """

    entries: int
    ok: bool
    first_bad_seq: int | None
    problem: str | None
    head_hash: str


def _hash_of(e: AuditEntry, prev: str, key: str) -> str:
    return entry_hash(
        prev,
        seq=e.seq,
        at=e.at,
        actor=e.actor,
        action=e.action,
        object_type=e.object_type,
        object_id=e.object_id,
        payload=e.payload,
        key=key,
    )


def verify_chain(session: Session) -> AuditReport:
    """Recompute every hash in order (under the session's audit key); report the first bad one.

    Then replay the log against the stored incidents and users (:func:`verify_records`): an
    intact chain that does not account for the rows as they are is reported too.
    """
    report = _verify_links(session)
    if not report.ok:
        return report
    problem = verify_records(session)
    if problem is None:
        return report
    seq, what = problem
    return dataclasses.replace(report, ok=False, first_bad_seq=seq, problem=what)


def _verify_links(session: Session) -> AuditReport:
    key = str(session.info.get(AUDIT_KEY, ""))
    prev, expected_seq, count = GENESIS, 1, 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for e in rows:
        count += 1
        problem = None
        if e.seq != expected_seq:
            problem = f"entry {expected_seq} is missing"
        elif e.prev_hash != prev:
            problem = "its link to the previous entry is broken"
        elif e.hash != _hash_of(e, prev, key):
            problem = "its content does not match its hash" + (
                " under this audit key" if key else ""
            )
        if problem is not None:
            return AuditReport(
                count, ok=False, first_bad_seq=e.seq, problem=problem, head_hash=prev
            )
        prev, expected_seq = e.hash, e.seq + 1
    return AuditReport(count, ok=True, first_bad_seq=None, problem=None, head_hash=prev)


_INCIDENT_FIELDS = (
    "occurred_at",
    "type",
    "sector_id",
    "longitude",
    "latitude",
    "sources",
    "confidence",
    "description",
    "clause_ids",
    "state",
    "attributed_party_id",
    "attribution_confidence",
    "merged_into_id",
)
_USER_FIELDS = ("username", "role", "party_id", "active")


def _plain(value: Any) -> Any:
    """A value as the audit payload holds it (JSON, times and enums as text)."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _apply_incident(state: dict[str, Any], action: str, data: dict[str, Any]) -> None:
    """Advance a replayed incident by one audited action."""
    if action == "incident.correct":
        for field, (_old, new) in data.get("changes", {}).items():
            state[field] = new
    elif "to" in data:
        state["state"] = data["to"]
        if action in {"incident.merge", "incident.unmerge"}:
            state["merged_into_id"] = data.get("into")
        if data.get("action") == "attribute":
            state["attributed_party_id"] = data.get("party_id")
            state["attribution_confidence"] = data.get("confidence")
        elif data.get("action") == "reopen":
            state["attributed_party_id"] = state["attribution_confidence"] = None


def _replay(
    session: Session,
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]], dict[tuple[str, int], int]]:
    """The incidents and users as the audit log says they should be, and each one's last entry."""
    incidents: dict[int, dict[str, Any]] = {}
    users: dict[int, dict[str, Any]] = {}
    last: dict[tuple[str, int], int] = {}
    rows = session.execute(
        select(
            AuditEntry.seq, AuditEntry.action, AuditEntry.object_type, AuditEntry.object_id,
            AuditEntry.payload,
        ).order_by(AuditEntry.seq)
    )  # fmt: skip
    for seq, action, kind, oid, payload in rows:
        if oid is None or kind not in {"incident", "user"}:
            continue
        data = json.loads(payload)
        last[kind, oid] = seq
        if action == "incident.create":
            incidents[oid] = {f: data.get(f) for f in _INCIDENT_FIELDS[:8]} | {
                "clause_ids": sorted(set(data.get("clause_ids", []))),
                "state": "reported",
                "attributed_party_id": None,
                "attribution_confidence": None,
                "merged_into_id": None,
            }
        elif action == "user.create":
            users[oid] = {f: data.get(f) for f in _USER_FIELDS[:3]} | {"active": True}
        elif kind == "incident" and oid in incidents:
            _apply_incident(incidents[oid], action, data)
        elif action in {"user.activate", "user.deactivate"} and oid in users:
            users[oid]["active"] = bool(data.get("active"))
    return incidents, users, last


def verify_records(session: Session) -> tuple[int | None, str] | None:
    """Compare the stored incidents and users with the audit log's replay.

    Returns ``(entry, what)`` for the first disagreement (``entry`` is the object's last
    audit entry, or None when the log has none for it), or None when every row agrees.
    """
    from detente.monitor.models import Incident, User  # noqa: PLC0415 - avoids a cycle

    incidents, users, last = _replay(session)
    checks: list[tuple[str, Any, dict[int, dict[str, Any]], tuple[str, ...]]] = [
        (
            "incident",
            select(Incident).order_by(Incident.id).options(selectinload(Incident.clauses)),
            incidents,
            _INCIDENT_FIELDS,
        ),
        ("user", select(User).order_by(User.id), users, _USER_FIELDS),
    ]
    for kind, query, expected, fields in checks:
        for row in session.scalars(query):
            want = expected.pop(row.id, None)
            if want is None:
                return None, (
                    f"{kind} {row.id} has no record in the audit log (a row added behind the "
                    "service's back, or the end of the log removed)"
                )
            for field in fields:
                value = sorted(c.id for c in row.clauses) if field == "clause_ids" else None
                have = _plain(value if field == "clause_ids" else getattr(row, field))
                if have != _plain(want[field]):
                    return last[kind, row.id], (
                        f"{kind} {row.id}: its {field} differs from what the audit log records"
                    )
        for oid in expected:
            return last[kind, oid], f"{kind} {oid} of the audit log is missing from the database"
    return _verify_dismissals(session)


def _verify_dismissals(session: Session) -> tuple[int | None, str] | None:
    """Compare the dismissed duplicate pairs with the log's dismissals and their undoing.

    A ``duplicate.dismiss`` entry dismisses a pair, a later ``duplicate.restore`` undoes it.
    """
    from detente.monitor.models import DuplicateDismissal  # noqa: PLC0415 - avoids a cycle

    logged: dict[tuple[int, int], int] = {}
    rows = session.execute(
        select(AuditEntry.seq, AuditEntry.action, AuditEntry.payload)
        .where(AuditEntry.action.in_(("duplicate.dismiss", "duplicate.restore")))
        .order_by(AuditEntry.seq)
    )
    for seq, action, payload in rows:
        low, high = json.loads(payload)["pair"]
        if action == "duplicate.dismiss":
            logged[int(low), int(high)] = seq
        else:
            logged.pop((int(low), int(high)), None)
    stored = session.execute(
        select(DuplicateDismissal.low_id, DuplicateDismissal.high_id).order_by(
            DuplicateDismissal.low_id, DuplicateDismissal.high_id
        )
    )
    for low, high in stored:
        if logged.pop((low, high), None) is None:
            return None, (
                f"the dismissal of incidents {low} and {high} as duplicates has no record in "
                "the audit log"
            )
    for (low, high), seq in logged.items():
        return seq, (
            f"the dismissal of incidents {low} and {high} as duplicates is missing from the "
            "database"
        )
    return None
