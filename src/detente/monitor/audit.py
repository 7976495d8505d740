"""Append-only, hash-chained audit log: every write adds one entry in the same transaction.

Entry ``n`` stores ``hash_n = sha256(hash_{n-1} || canonical JSON of entry n)``; changing,
inserting or deleting a past entry breaks every later link, which :func:`verify_chain` finds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from detente.monitor.models import AuditEntry, utcnow

__all__ = ["GENESIS", "AuditReport", "entry_hash", "record", "verify_chain"]

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x6D6F6E69  # pg_advisory_xact_lock key that serialises appends


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
) -> str:
    """The chained hash of one entry."""
    body = json.dumps(
        [seq, at.astimezone(dt.UTC).isoformat(), actor, action, object_type, object_id, payload],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record(
    session: Session,
    *,
    actor: str | None,
    action: str,
    object_type: str,
    object_id: int | None,
    payload: dict[str, Any],
) -> AuditEntry:
    """Append one entry (caller's transaction; on PostgreSQL appends are serialised by a lock)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (1, GENESIS) if last is None else (last[0] + 1, last[1])
    at = utcnow()
    body = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
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
        ),
    )
    session.add(entry)
    session.flush()
    return entry


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


def _hash_of(e: AuditEntry, prev: str) -> str:
    return entry_hash(
        prev,
        seq=e.seq,
        at=e.at,
        actor=e.actor,
        action=e.action,
        object_type=e.object_type,
        object_id=e.object_id,
        payload=e.payload,
    )


def verify_chain(session: Session) -> AuditReport:
    """Recompute every hash in order; report the first entry that does not match."""
    prev, expected_seq, count = GENESIS, 1, 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for e in rows:
        count += 1
        problem = None
        if e.seq != expected_seq:
            problem = f"entry {expected_seq} is missing"
        elif e.prev_hash != prev:
            problem = "its link to the previous entry is broken"
        elif e.hash != _hash_of(e, prev):
            problem = "its content does not match its hash"
        if problem is not None:
            return AuditReport(
                count, ok=False, first_bad_seq=e.seq, problem=problem, head_hash=prev
            )
        prev, expected_seq = e.hash, e.seq + 1
    return AuditReport(count, ok=True, first_bad_seq=None, problem=None, head_hash=prev)
