"""Settings, engines and migrations: SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.pool import QueuePool

from detente.monitor import audit
from detente.monitor.duplicates import DuplicatePolicy
from detente.monitor.errors import InputError
from detente.monitor.login import ThrottlePolicy

__all__ = [
    "DEFAULT_DB_FILE",
    "MonitorSettings",
    "check_database",
    "current_revision",
    "database_problem",
    "display_url",
    "make_engine",
    "migrate",
    "normalise_url",
    "sessions",
    "sqlite_path",
    "transaction",
]

DEFAULT_DB_FILE = "detente-monitor.db"


def normalise_url(url: str) -> str:
    """A SQLAlchemy URL: ``postgresql://`` uses psycopg 3; a bare path is a SQLite file."""
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise InputError(f"not a database URL: {url!r}", field="db") from exc
    if backend not in {"sqlite", "postgresql"}:
        raise InputError(f"unsupported database {backend!r}: use SQLite or PostgreSQL", field="db")
    return url


def display_url(url: str) -> str:
    """A database URL for people: the plain file path for SQLite, the URL without password else."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL, an in-memory or a URI-style database)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def check_database(url: str, *, create: bool = False, write: bool = True) -> None:
    """Refuse a SQLite file that cannot be used, before any connection could create it.

    Args:
        url: the database URL.
        create: whether a missing file may be created (``init``); otherwise a missing file is
            an error and nothing is created.
        write: whether the command writes (the file and its folder must be writable, since
            SQLite's write-ahead log lives beside the file).
    """
    path = sqlite_path(url)
    if path is None:
        return
    if not path.parent.is_dir():
        raise InputError(f"the folder {path.parent} does not exist", source=path, field="db")
    if not path.exists():
        if not create:
            raise InputError(
                "no database here: check the path, or create it with `detente monitor init`",
                source=path,
                field="db",
            )
        path = path.parent
    if write and not os.access(path, os.W_OK):
        raise InputError("it is read-only: the monitor needs to write there", source=path)


def database_problem(exc: Exception, url: str) -> InputError:
    """One line for an operator when the database cannot be reached or used."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return InputError(f"cannot use the database: {first}", source=display_url(url), field="db")


def _live_workers() -> int:
    """``DETENTE_WORKBENCH_LIVE_WORKERS``, or one per CPU."""
    var = "DETENTE_WORKBENCH_LIVE_WORKERS"
    raw = os.environ.get(var, "").strip()
    if not raw:
        return os.cpu_count() or 1
    if not raw.isdigit():
        msg = f"{var} must be a whole number of processes (0 or more), not {raw!r}"
        raise InputError(msg, field=var)
    return int(raw)


@dataclasses.dataclass(frozen=True)
class MonitorSettings:
    """What the service needs to run.

    Attributes:
        db_url: SQLAlchemy URL of the database.
        secret_key: key that signs session cookies and API tokens.
        tile_url: base-map tile URL template for the map page; empty draws no base map.
        max_body_bytes: requests with a larger body are refused with 413.
        secure_cookies: send the session cookie only over HTTPS (behind a TLS proxy).
        secret_from_env: whether ``secret_key`` came from ``DETENTE_MONITOR_SECRET``; a key
            made up at start-up ends every browser session when the server restarts.
        throttle: when failed logins lock an account or a client address.
        audit_key: the key of the audit chain's HMAC (``DETENTE_MONITOR_AUDIT_KEY``), kept
            outside the database; empty chains entries with plain SHA-256.
        duplicates: how near in space and time two reports must be to be proposed as
            possible duplicates (``DETENTE_MONITOR_DUPLICATE_METRES``, ``_MINUTES``).
        live_workers: worker processes computing the workbench's live analysis
            (``DETENTE_WORKBENCH_LIVE_WORKERS``, by default one per CPU); 0 computes it in the
            server's own process, survival included (as the tests of the routes do).
    """

    db_url: str = ""
    secret_key: str = ""
    tile_url: str = ""
    max_body_bytes: int = 1_000_000
    secure_cookies: bool = False
    secret_from_env: bool = True
    throttle: ThrottlePolicy = dataclasses.field(default_factory=ThrottlePolicy)
    audit_key: str = ""
    duplicates: DuplicatePolicy = dataclasses.field(default_factory=DuplicatePolicy)
    live_workers: int = 0

    @classmethod
    def from_env(cls, db_url: str | None = None, **overrides: Any) -> MonitorSettings:
        """Settings from the environment (``DETENTE_MONITOR_DB``, ``_SECRET``, ``_TILES``...).

        Also ``_AUDIT_KEY``, ``_DUPLICATE_METRES``, ``_DUPLICATE_MINUTES`` and
        ``DETENTE_WORKBENCH_LIVE_WORKERS``. Arguments win over the environment.
        """
        url = db_url or os.environ.get("DETENTE_MONITOR_DB") or str(Path.cwd() / DEFAULT_DB_FILE)
        secret = os.environ.get("DETENTE_MONITOR_SECRET")
        values: dict[str, Any] = {
            "db_url": normalise_url(url),
            "secret_key": secret or secrets.token_urlsafe(32),
            "secret_from_env": bool(secret),
            "tile_url": os.environ.get("DETENTE_MONITOR_TILES", ""),
            "audit_key": os.environ.get("DETENTE_MONITOR_AUDIT_KEY", ""),
            "duplicates": DuplicatePolicy.from_env(),
            "live_workers": _live_workers(),
        }
        values.update(overrides)
        return cls(**values)


def make_engine(url: str) -> Engine:
    """An engine; on SQLite every transaction takes the write lock up front (BEGIN IMMEDIATE).

    Taking the lock at the start serialises writers, so the audit chain never forks and a
    writer never fails half-way on a lock upgrade.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # One connection per process for a database file: the process's transactions queue
        # for it in order, rather than polling for SQLite's write lock (which every
        # transaction takes first) in SQLite's busy handler, which sleeps up to 100 ms a try.
        pool: dict[str, Any] = {}
        if sqlite_path(url) is not None:
            pool = {"poolclass": QueuePool, "pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
        connect_args = {"timeout": 30, "check_same_thread": False}
        engine = create_engine(url, connect_args=connect_args, **pool)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def sessions(engine: Engine, settings: MonitorSettings) -> sessionmaker[Session]:
    """The session maker of the service: its sessions carry the audit key.

    On PostgreSQL its sessions take the audit chain's lock before their first write
    (:func:`detente.monitor.audit.lock_chain`): a writer that locked a row and then waited for
    the chain could otherwise deadlock with one that holds the chain and wants that row.
    """
    maker = sessionmaker(engine, expire_on_commit=False, info={"audit_key": settings.audit_key})
    if engine.dialect.name == "postgresql":

        @event.listens_for(maker, "before_flush")
        def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
            audit.lock_chain(session)

        @event.listens_for(maker, "do_orm_execute")
        def _before_write(state: ORMExecuteState) -> None:
            if state.is_insert or state.is_update or state.is_delete:
                audit.lock_chain(state.session)

    return maker


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (the newest by default)."""
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None when it has never been migrated."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with factory() as session, session.begin():
        yield session
