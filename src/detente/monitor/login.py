"""Logins: throttled password checks outside any write transaction, and server-side sessions.

A login runs in three steps so that the slow argon2 check never holds a database lock (on
SQLite every transaction takes the write lock up front):

1. a short transaction reads the account's hash and refuses at once (429) while the account
   or the client address is locked;
2. the password is checked with no transaction open;
3. a short transaction records the outcome: a failure counts against the account and the
   address (and locks them, audited, past a threshold); a success clears the account's count
   and stores a new session.

Sessions (API tokens and browser sessions alike) are rows keyed by the SHA-256 of a random
secret; logout, a password change, deactivation and an admin's "sign out everywhere" revoke
them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit, auth
from detente.monitor.enums import Role
from detente.monitor.errors import AuthenticationError, NotFoundError, TooManyAttemptsError
from detente.monitor.models import AuthSession, LoginThrottle, User, utcnow

__all__ = [
    "SESSION_LIFETIME",
    "ThrottlePolicy",
    "change_password",
    "log_in",
    "revoke",
    "revoke_all",
    "session_user",
    "sign_out_everywhere",
    "unlock",
]

SESSION_LIFETIME = dt.timedelta(hours=12)


@dataclasses.dataclass(frozen=True)
class ThrottlePolicy:
    """When failed logins lock an account or a client address, and for how long.

    After ``account_failures`` failures in a row for one account (or ``address_failures``
    from one address), each further failure locks it for ``first_lock`` doubled per failure
    beyond the threshold, at most ``longest_lock``. A failure older than ``forget_after``
    starts the count again. While locked, a login is refused at once without checking the
    password (429 with ``Retry-After``), so guessing costs the server nothing.
    """

    account_failures: int = 5
    address_failures: int = 20
    first_lock: dt.timedelta = dt.timedelta(seconds=30)
    longest_lock: dt.timedelta = dt.timedelta(minutes=15)
    forget_after: dt.timedelta = dt.timedelta(hours=1)

    def lock_for(self, failures: int, threshold: int) -> dt.timedelta | None:
        """How long ``failures`` in a row lock the key (None below the threshold)."""
        if failures < threshold:
            return None
        doublings = min(failures - threshold, 20)
        lock: dt.timedelta = min(self.first_lock * 2**doublings, self.longest_lock)
        return lock


DEFAULT_POLICY = ThrottlePolicy()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "backslashreplace")).hexdigest()


def _keys(username: str, client: str) -> list[tuple[str, str]]:
    return [("user", f"user:{username[:180]}"), ("address", f"addr:{client[:180]}")]


def _check_not_locked(session: Session, keys: list[tuple[str, str]], now: dt.datetime) -> None:
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_([k for _, k in keys])))
    waits = [r.locked_until - now for r in rows if r.locked_until and r.locked_until > now]
    if waits:
        seconds = max(1, int(max(waits).total_seconds() + 0.999))
        raise TooManyAttemptsError(
            f"too many failed logins: try again in {seconds} seconds", retry_after=seconds
        )


def _record_failure(
    session: Session,
    keys: list[tuple[str, str]],
    now: dt.datetime,
    policy: ThrottlePolicy,
    user_id: int | None,
) -> None:
    """Count one failure against each key; lock (and audit the lock) past the threshold."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for kind, key in keys:
        values = insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now)
        fresh = LoginThrottle.last_failure_at < now - policy.forget_after
        stmt = values.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case((fresh, 1), else_=LoginThrottle.failures + 1),
                "last_failure_at": now,
            },
        ).returning(LoginThrottle.failures)
        failures = int(session.execute(stmt).scalar_one())
        threshold = policy.account_failures if kind == "user" else policy.address_failures
        lock = policy.lock_for(failures, threshold)
        if lock is None:
            continue
        until = now + lock
        session.execute(
            update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=until)
        )
        audit.record(
            session,
            actor=None,
            action="auth.lock",
            object_type=kind,
            object_id=user_id if kind == "user" else None,
            payload={"key": key, "failures": failures, "until": until.isoformat()},
        )


def log_in(
    factory: sessionmaker[Session],
    username: str,
    password: str,
    *,
    client: str,
    kind: str,
    policy: ThrottlePolicy = DEFAULT_POLICY,
) -> tuple[str, int]:
    """Check the credentials and open a session: ``(secret token, user id)``.

    Raises:
        TooManyAttemptsError: the account or the address is locked (429).
        AuthenticationError: wrong name or password, or an inactive account (one message).
    """
    keys = _keys(username, client)
    with factory() as session, session.begin():
        _check_not_locked(session, keys, utcnow())
        row = session.execute(
            select(User.id, User.password_hash, User.active).where(User.username == username)
        ).first()
    stored = None if row is None else str(row.password_hash)
    ok = auth.verify_password(stored or auth.DUMMY_HASH, password) and stored is not None
    ok = ok and row is not None and bool(row.active)
    fresh_hash = auth.hash_password(password) if ok and auth.needs_rehash(str(stored)) else None
    with factory() as session, session.begin():
        now = utcnow()
        user = session.get(User, row.id) if ok and row is not None else None
        if user is None or not user.active or user.password_hash != stored:
            _record_failure(session, keys, now, policy, None if row is None else int(row.id))
        else:
            session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0][1]))
            if fresh_hash is not None:
                user.password_hash = fresh_hash
                audit.record(
                    session,
                    actor=user.username,
                    action="user.rehash",
                    object_type="user",
                    object_id=user.id,
                    payload={"reason": "argon2 parameters changed"},
                )
            token = open_session(session, user, kind=kind, client=client)
            return token, user.id
    raise AuthenticationError("wrong username or password", field="username")


def open_session(session: Session, user: User, *, kind: str, client: str = "") -> str:
    """Store a new session for ``user``; return its secret (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AuthSession(
            id=_digest(token),
            user_id=user.id,
            kind=kind,
            client=client[:64],
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.flush()
    return token


#: One indexed query for a session and its user, built once: every request asks it, and
#: building the statement each time cost about a third of its Python calls. Only the user is
#: loaded as an object; of the session, the two columns that say whether it is still live.
_SESSION_USER = (
    select(AuthSession.revoked_at, AuthSession.expires_at, User)
    .join(User, User.id == AuthSession.user_id)
    .where(AuthSession.id == bindparam("digest"))
)


def session_user(session: Session, token: str) -> User:
    """The active user of a live session (401 when it is unknown, expired or revoked)."""
    found = session.execute(_SESSION_USER, {"digest": _digest(token)}).first()
    if found is None:
        raise AuthenticationError("your session has ended: log in again", field="Authorization")
    revoked_at, expires_at, user = found
    if revoked_at is not None or expires_at <= utcnow() or not user.active:
        raise AuthenticationError("your session has ended: log in again", field="Authorization")
    return user


def revoke(session: Session, token: str) -> None:
    """End one session (logout)."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == _digest(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all(session: Session, user_id: int) -> int:
    """End every open session of a user; return how many were open."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _target(session: Session, actor: User, user_id: int) -> User:
    auth.require_role(actor, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}", field="user_id")
    return user


def sign_out_everywhere(session: Session, actor: User, user_id: int) -> int:
    """End every session of a user (admins); audited. Returns how many were open."""
    user = _target(session, actor, user_id)
    ended = revoke_all(session, user.id)
    audit.record(
        session,
        actor=actor.username,
        action="user.sign_out",
        object_type="user",
        object_id=user.id,
        payload={"username": user.username, "sessions": ended},
    )
    return ended


def unlock(session: Session, actor: User, user_id: int) -> None:
    """Clear an account's failed logins and lock (admins); audited."""
    user = _target(session, actor, user_id)
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == f"user:{user.username}"))
    audit.record(
        session,
        actor=actor.username,
        action="user.unlock",
        object_type="user",
        object_id=user.id,
        payload={"username": user.username},
    )


def change_password(
    factory: sessionmaker[Session], token: str, current: str, new: str
) -> dict[str, Any]:
    """Change the password of the session's user and end every one of its sessions.

    The current password is checked outside any transaction, like a login.
    """
    with factory() as session, session.begin():
        user = session_user(session, token)
        user_id, username, stored = user.id, user.username, user.password_hash
    auth.check_password_strength(new, username)
    if not auth.verify_password(stored, current):
        raise AuthenticationError("the current password is wrong", field="current_password")
    new_hash = auth.hash_password(new)
    with factory() as session, session.begin():
        again = session.get(User, user_id)
        if again is None or again.password_hash != stored:
            raise AuthenticationError("the password changed meanwhile: log in again")
        again.password_hash = new_hash
        ended = revoke_all(session, user_id)
        audit.record(
            session,
            actor=username,
            action="user.password",
            object_type="user",
            object_id=user_id,
            payload={"username": username, "sessions_ended": ended},
        )
    return {"sessions_ended": ended}
