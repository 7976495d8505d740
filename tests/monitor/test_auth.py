"""Passwords: argon2id hashes, refusals, and rehashing when the parameters change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import auth
from detente.monitor.audit import verify_chain
from detente.monitor.errors import AuthenticationError
from detente.monitor.login import log_in
from detente.monitor.models import AuditEntry, User
from tests.monitor_support import PASSWORD, World

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _hash_of(factory: sessionmaker[Session], name: str) -> str:
    with factory() as s:
        return s.scalars(select(User.password_hash).where(User.username == name)).one()


def test_default_parameters_make_argon2id_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher())  # the production parameters
    stored = auth.hash_password("s3cret-pass")
    assert stored.startswith("$argon2id$")
    params = PasswordHasher()
    assert f"m={params.memory_cost},t={params.time_cost},p={params.parallelism}" in stored
    assert stored != auth.hash_password("s3cret-pass")  # salted
    assert auth.verify_password(stored, "s3cret-pass")
    assert not auth.verify_password(stored, "s3cret-pasS")
    assert not auth.verify_password("not a hash", "s3cret-pass")
    assert not auth.needs_rehash(stored)
    assert auth.needs_rehash("not a hash")


def _log_in(factory: sessionmaker[Session], name: str, password: str) -> int:
    return log_in(factory, name, password, client="127.0.0.1", kind="api")[1]


@SQLITE
def test_login_refusals(factory: sessionmaker[Session], world: World) -> None:
    assert _hash_of(factory, "analyst").startswith("$argon2id$")
    assert _log_in(factory, "analyst", PASSWORD) == world.users["analyst"]
    for name, password in [("analyst", PASSWORD + "x"), ("ghost", PASSWORD), ("analyst", "")]:
        with pytest.raises(AuthenticationError, match="wrong username or password"):
            _log_in(factory, name, password)
    with factory() as s, s.begin():
        s.execute(update(User).where(User.username == "analyst").values(active=False))
    with pytest.raises(AuthenticationError, match="wrong username or password"):
        _log_in(factory, "analyst", PASSWORD)  # right password, inactive account


@SQLITE
def test_rehash_on_login_when_parameters_change(
    factory: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    del world
    old = _hash_of(factory, "monitor")
    assert ",t=1," in old
    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    )
    assert auth.needs_rehash(old)
    with pytest.raises(AuthenticationError):
        _log_in(factory, "monitor", "wrong password")
    assert _hash_of(factory, "monitor") == old  # a wrong password changes nothing
    _log_in(factory, "monitor", PASSWORD)
    new = _hash_of(factory, "monitor")
    assert new.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    _log_in(factory, "monitor", PASSWORD)
    assert _hash_of(factory, "monitor") == new  # current parameters: no second rehash
    with factory() as s:
        rehashes = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "user.rehash")))
        assert [(e.actor, e.object_type) for e in rehashes] == [("monitor", "user")]
        assert new not in rehashes[0].payload
        assert verify_chain(s).ok
