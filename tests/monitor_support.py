"""Fixtures shared by the monitor and web tests: databases (SQLite and a real PostgreSQL), users.

PostgreSQL: ``DETENTE_TEST_POSTGRES`` names a server (CI sets it); otherwise a throwaway cluster
is started with Debian's initdb/pg_ctl on a free loopback port, and stopped at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import auth, service
from detente.monitor.db import make_engine, migrate
from detente.monitor.enums import BreachMechanism, Role
from detente.monitor.models import Agreement, User
from detente.monitor.schemas import AgreementIn, ClauseIn, SectorIn, UserIn

PASSWORD = "correct horse battery"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[20.0, 45.0], [20.5, 45.0], [20.5, 45.5], [20.0, 45.5], [20.0, 45.0]]],
}
SQUARE2 = {
    "type": "Polygon",
    "coordinates": [[[20.0, 44.5], [20.5, 44.5], [20.5, 45.0], [20.0, 45.0], [20.0, 44.5]]],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str:
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    found = shutil.which(name) or (str(candidates[0]) if candidates else None)
    if found is None:
        msg = f"{name} not found: install Debian's postgresql package or set DETENTE_TEST_POSTGRES"
        raise RuntimeError(msg)
    return found


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a PostgreSQL cluster in a temporary folder; yield its URL; stop and remove it."""
    root = Path(tempfile.mkdtemp(prefix="detente-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as postgres
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    port = _free_port()
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        [
            *as_user,
            _pg_bin("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_user,
            _pg_bin("pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, _pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters in tests (the default parameters are tested in test_auth)."""
    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database."""
    url = os.environ.get("DETENTE_TEST_POSTGRES")
    if url:
        probe = create_engine(url)
        try:
            with probe.connect():
                pass
        except OperationalError as exc:
            pytest.fail(f"DETENTE_TEST_POSTGRES={url} is unreachable: {exc}")
        finally:
            probe.dispose()  # a pooled connection left open warns when collected
        yield url
        return
    try:
        server = throwaway_postgres()
        started = server.__enter__()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        detail = (
            exc.stderr.decode(errors="replace").strip()
            if isinstance(exc, subprocess.CalledProcessError) and exc.stderr
            else str(exc)
        )
        pytest.skip(f"PostgreSQL tests skipped: no server could be started ({detail})")
    try:
        yield started
    finally:
        server.__exit__(None, None, None)


@contextlib.contextmanager
def fresh_postgres_db(server_url: str) -> Iterator[str]:
    """A new empty database on the server; dropped afterwards."""
    name = "detente_" + uuid.uuid4().hex[:12]
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = server_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test on both database backends."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of an empty database on the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.db'}"
        return
    server = request.getfixturevalue("pg_server")
    with fresh_postgres_db(server) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database."""
    eng = make_engine(db_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@dataclasses.dataclass
class World:
    """An agreement with two parties and two sectors, and one user of each role."""

    agreement_id: int
    party_ids: list[int]
    sector_ids: list[int]
    clause_ids: list[int]
    users: dict[str, int]


def make_world(factory: sessionmaker[Session]) -> World:
    with factory() as s, s.begin():
        admin = service.create_user(
            s, None, UserIn(username="admin", password=PASSWORD, role=Role.ADMIN)
        )
        agreement: Agreement = service.create_agreement(
            s,
            admin,
            AgreementIn(
                name="Test ceasefire",
                text="Cease fire.",
                signed_on=dt.date(2026, 1, 1),
                mechanism=BreachMechanism.JOINT_COMMISSION,
                parties=["Red", "Blue"],
                clauses=[ClauseIn(ref="1", text="No firing."), ClauseIn(ref="2", text="Withdraw.")],
                sectors=[
                    SectorIn(name="North", geometry=SQUARE),
                    SectorIn(name="South", geometry=SQUARE2),
                ],
            ),
        )
        red, blue = (p.id for p in agreement.parties)
        users: dict[str, User] = {"admin": admin}
        for name, role, party in [
            ("monitor", Role.MONITOR, None),
            ("analyst", Role.ANALYST, None),
            ("liaison_red", Role.LIAISON, red),
            ("liaison_blue", Role.LIAISON, blue),
        ]:
            users[name] = service.create_user(
                s, admin, UserIn(username=name, password=PASSWORD, role=role, party_id=party)
            )
        return World(
            agreement_id=agreement.id,
            party_ids=[red, blue],
            sector_ids=[x.id for x in agreement.sectors],
            clause_ids=[c.id for c in agreement.clauses],
            users={k: u.id for k, u in users.items()},
        )


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    return make_world(factory)
