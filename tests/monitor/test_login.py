"""Logins: throttling, the password check outside transactions, sessions and their revocation."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import auth, login
from detente.monitor.audit import verify_chain
from detente.monitor.errors import AuthenticationError, InputError, TooManyAttemptsError
from detente.monitor.login import ThrottlePolicy, log_in
from detente.monitor.models import AuditEntry, AuthSession, LoginThrottle, User
from tests.monitor.api_support import Api
from tests.monitor_support import PASSWORD, World

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _try(factory: sessionmaker[Session], name: str, password: str, client: str = "10.0.0.1") -> str:
    return log_in(factory, name, password, client=client, kind="api")[0]


def _actions(factory: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_lock_schedule_doubles_up_to_the_longest() -> None:
    policy = ThrottlePolicy()
    assert policy.lock_for(4, 5) is None
    assert policy.lock_for(5, 5) == dt.timedelta(seconds=30)
    assert policy.lock_for(6, 5) == dt.timedelta(seconds=60)
    assert policy.lock_for(9, 5) == dt.timedelta(minutes=8)
    assert policy.lock_for(10, 5) == dt.timedelta(minutes=15)
    assert policy.lock_for(10_000, 5) == dt.timedelta(minutes=15)


def test_account_locks_after_repeated_failures_and_an_admin_unlocks(
    factory: sessionmaker[Session], world: World
) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            _try(factory, "analyst", "wrong guess")
    with pytest.raises(TooManyAttemptsError) as locked:
        _try(factory, "analyst", PASSWORD)  # the right password, but locked: refused at once
    assert 1 <= locked.value.retry_after <= 30
    assert locked.value.status == 429
    locks = _actions(factory, "auth.lock")
    assert len(locks) == 1
    assert locks[0].object_id == world.users["analyst"]
    assert '"key":"user:analyst"' in locks[0].payload
    with factory() as s, s.begin():
        admin = s.get(User, world.users["admin"])
        assert admin is not None
        login.unlock(s, admin, world.users["analyst"])
    assert _try(factory, "analyst", PASSWORD)
    assert [e.actor for e in _actions(factory, "user.unlock")] == ["admin"]
    with factory() as s:
        assert verify_chain(s).ok


def test_an_expired_lock_lets_one_try_and_the_next_failure_locks_longer(
    factory: sessionmaker[Session], world: World
) -> None:
    del world
    policy = ThrottlePolicy(account_failures=2)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            log_in(factory, "ghost", "x", client="a", kind="api", policy=policy)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with factory() as s, s.begin():
        s.execute(update(LoginThrottle).values(locked_until=past))
    with pytest.raises(AuthenticationError):  # unlocked: the password is checked (and wrong)
        log_in(factory, "ghost", "x", client="a", kind="api", policy=policy)
    with factory() as s:
        row = s.get(LoginThrottle, "user:ghost")
        assert row is not None
        assert row.failures == 3
        assert row.locked_until is not None
        wait = row.locked_until - row.last_failure_at
    assert wait == dt.timedelta(seconds=60)
    assert len(_actions(factory, "auth.lock")) == 2  # each lock is audited; none for "addr:a"


def test_an_address_locks_across_accounts(factory: sessionmaker[Session], world: World) -> None:
    del world
    policy = ThrottlePolicy(account_failures=100, address_failures=3)
    for name in ("u1", "u2", "u3"):
        with pytest.raises(AuthenticationError):
            log_in(factory, name, "x", client="198.51.100.7", kind="api", policy=policy)
    with pytest.raises(TooManyAttemptsError):
        log_in(factory, "monitor", PASSWORD, client="198.51.100.7", kind="api", policy=policy)
    # Another address is not held back by it.
    assert log_in(factory, "monitor", PASSWORD, client="198.51.100.8", kind="api", policy=policy)


def test_old_failures_are_forgotten(factory: sessionmaker[Session], world: World) -> None:
    del world
    with pytest.raises(AuthenticationError):
        _try(factory, "analyst", "wrong")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    with factory() as s, s.begin():
        s.execute(update(LoginThrottle).values(failures=4, last_failure_at=long_ago))
    with pytest.raises(AuthenticationError):
        _try(factory, "analyst", "wrong")
    with factory() as s:
        row = s.get(LoginThrottle, "user:analyst")
        assert row is not None
        assert row.failures == 1
        assert row.locked_until is None


@SQLITE
def test_the_password_is_checked_outside_any_write_transaction(
    factory: sessionmaker[Session], world: World, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While argon2 runs, another writer gets SQLite's write lock at once."""
    del world
    path = db_url.removeprefix("sqlite:///")
    checked: list[bool] = []
    real = auth.verify_password

    def verify_while_probing(stored: str, password: str) -> bool:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")  # raises "database is locked" if a writer holds it
            probe.execute("ROLLBACK")
            checked.append(True)
        finally:
            probe.close()
        return real(stored, password)

    monkeypatch.setattr(auth, "verify_password", verify_while_probing)
    _try(factory, "monitor", PASSWORD)
    with pytest.raises(AuthenticationError):
        _try(factory, "monitor", "wrong")
    assert checked == [True, True]


def test_sessions_end_on_logout_deactivation_and_sign_out(
    factory: sessionmaker[Session], world: World
) -> None:
    tokens = [_try(factory, "analyst", PASSWORD) for _ in range(3)]
    with factory() as s:
        assert login.session_user(s, tokens[0]).username == "analyst"
        assert s.get(AuthSession, tokens[0]) is None  # only the digest is stored
    with factory() as s, s.begin():
        login.revoke(s, tokens[0])
    with factory() as s, pytest.raises(AuthenticationError, match="session has ended"):
        login.session_user(s, tokens[0])
    with factory() as s, s.begin():
        admin = s.get(User, world.users["admin"])
        assert admin is not None
        assert login.sign_out_everywhere(s, admin, world.users["analyst"]) == 2
    for token in tokens:
        with factory() as s, pytest.raises(AuthenticationError):
            login.session_user(s, token)
    with factory() as s, s.begin():
        s.execute(update(AuthSession).values(expires_at=dt.datetime.now(dt.UTC)))
    token = _try(factory, "analyst", PASSWORD)
    with factory() as s, s.begin():
        s.execute(update(AuthSession).values(expires_at=dt.datetime.now(dt.UTC)))
    with factory() as s, pytest.raises(AuthenticationError):
        login.session_user(s, token)  # expired


def test_password_change_checks_strength_and_ends_every_session(
    factory: sessionmaker[Session], world: World
) -> None:
    del world
    first, second = (_try(factory, "monitor", PASSWORD) for _ in range(2))
    with pytest.raises(InputError, match="guess"):
        login.change_password(factory, first, PASSWORD, "password1234")
    with pytest.raises(InputError, match="user name"):
        login.change_password(factory, first, PASSWORD, "monitor-of-the-north")
    with pytest.raises(AuthenticationError, match="current password"):
        login.change_password(factory, first, "not it at all", "quiet river lantern")
    assert login.change_password(factory, first, PASSWORD, "quiet river lantern") == {
        "sessions_ended": 2
    }
    for token in (first, second):
        with factory() as s, pytest.raises(AuthenticationError):
            login.session_user(s, token)
    with pytest.raises(AuthenticationError):
        _try(factory, "monitor", PASSWORD)
    assert _try(factory, "monitor", "quiet river lantern")
    assert len(_actions(factory, "user.password")) == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("passw0rd", "10 characters"),
        ("12345678", "10 characters"),
        ("password12345", "guess"),
        ("qwertyuiop", "guess"),
        ("xmonitor-1x-really", "user name"),
    ],
)
def test_weak_passwords_are_refused(api: Api, password: str, reason: str) -> None:
    body = {"username": "xmonitor-1x", "password": password, "role": "monitor"}
    r = api.post("admin", "/api/users", json=body)
    assert r.status_code == 422
    assert reason in r.text
    assert password not in r.text


def test_api_logout_password_and_admin_routes(api: Api) -> None:
    w = api.world
    r = api.post("analyst", "/api/logout")
    assert r.status_code == 204
    assert api.get("analyst", "/api/me").status_code == 401
    assert api.post("monitor", f"/api/users/{w.users['analyst']}/sign-out").status_code == 403
    r = api.post("admin", f"/api/users/{w.users['monitor']}/sign-out")
    assert r.json() == {"sessions_ended": 1}
    assert api.get("monitor", "/api/me").status_code == 401
    assert api.post("admin", "/api/users/999/unlock").status_code == 404
    assert api.post("admin", f"/api/users/{w.users['monitor']}/unlock").status_code == 204
    body = {"current_password": PASSWORD, "new_password": "quiet river lantern"}
    r = api.post("liaison_red", "/api/me/password", json=body)
    assert r.json() == {"sessions_ended": 1}
    assert api.get("liaison_red", "/api/me").status_code == 401
    for _ in range(5):
        api.client.post("/api/token", json={"username": "admin", "password": "nope"})
    r = api.client.post("/api/token", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
