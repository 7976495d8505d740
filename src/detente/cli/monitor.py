"""Monitoring service commands: ``detente monitor init|serve|seed-demo|verify-audit|rates``.

``export`` and ``import`` (incident files) are in :mod:`detente.cli.monitor_exchange`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from detente.cli import monitor_exchange
from detente.cli._common import console, err_console, guarded, print_json
from detente.files import atomic_write_text

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from detente.monitor.db import MonitorSettings

__all__ = ["register"]

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database: a SQLite file path or URL (default ./detente-monitor.db, or "
        "$DETENTE_MONITOR_DB), or postgresql://user:pass@host/db.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]

monitor_app = typer.Typer(
    help="Ceasefire monitoring service: database, web server, demo data, audit check.",
    no_args_is_help=True,
)


#: Password of the demo users unless --password says otherwise (demo data only).
DEMO_PASSWORD = "demo ceasefire watch"  # noqa: S105 - documented demo accounts


def register(app: typer.Typer) -> None:
    """Add the ``monitor`` command group to ``app``."""
    monitor_exchange.register(monitor_app)
    app.add_typer(monitor_app, name="monitor")


@contextlib.contextmanager
def _open(url: str, *, create: bool = False, write: bool = True) -> Iterator[Engine]:
    """An engine on a database that exists (or, with ``create``, may be created).

    A database that cannot be reached or used ends the command with one line (exit 2); a SQLite
    file this command created is removed again if the command fails.
    """
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    from detente.monitor.db import (  # noqa: PLC0415
        check_database,
        database_problem,
        make_engine,
        sqlite_path,
    )

    check_database(url, create=create, write=write)
    path = sqlite_path(url)
    existed = path is None or path.exists()
    engine = make_engine(url)
    try:
        yield engine
    except DBAPIError as exc:
        raise database_problem(exc, url) from None
    else:
        existed = True
    finally:
        engine.dispose()
        if not existed and path is not None:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)


def _settings(db: str | None) -> MonitorSettings:
    # The monitor extra (SQLAlchemy, FastAPI...) is imported only when a monitor command runs.
    from detente.monitor.db import MonitorSettings  # noqa: PLC0415

    return MonitorSettings.from_env(db)


@monitor_app.command("init")
@guarded
def init(
    db: DbOpt = None,
    admin: Annotated[str, typer.Option(help="User name of the first admin.")] = "admin",
    password: Annotated[
        str | None,
        typer.Option(
            envvar="DETENTE_MONITOR_ADMIN_PASSWORD",
            help="Password of the first admin (else $DETENTE_MONITOR_ADMIN_PASSWORD, else asked).",
        ),
    ] = None,
) -> None:
    """Create or upgrade the database and, if it has no user yet, the first admin."""
    from pydantic import ValidationError  # noqa: PLC0415
    from sqlalchemy import select  # noqa: PLC0415

    from detente.monitor import service  # noqa: PLC0415
    from detente.monitor.db import (  # noqa: PLC0415
        current_revision,
        display_url,
        migrate,
        sessions,
    )
    from detente.monitor.enums import Role  # noqa: PLC0415
    from detente.monitor.errors import InputError  # noqa: PLC0415
    from detente.monitor.models import User  # noqa: PLC0415
    from detente.monitor.schemas import UserIn  # noqa: PLC0415

    settings = _settings(db)
    with _open(settings.db_url, create=True) as engine:
        migrate(engine)
        revision = current_revision(engine)
        with sessions(engine, settings)() as session, session.begin():
            if session.scalars(select(User.id)).first() is not None:
                console.print(f"Database up to date (revision {revision}); users exist.")
                return
            if password is None:
                if not _stdin_is_terminal():
                    raise InputError(
                        "no terminal to ask the first admin's password: pass --password or set "
                        "DETENTE_MONITOR_ADMIN_PASSWORD",
                        field="password",
                    )
                password = typer.prompt(
                    "Password of the first admin", hide_input=True, confirmation_prompt=True
                )
            try:
                first = UserIn(username=admin, password=password, role=Role.ADMIN)
            except ValidationError as exc:
                err = exc.errors()[0]
                field = "admin" if err["loc"][0] == "username" else "password"
                raise InputError(err["msg"], field=field) from None
            service.create_user(session, None, first)
    console.print(
        f"Database ready at {display_url(settings.db_url)}; admin user [bold]{admin}[/] created."
    )


def _stdin_is_terminal() -> bool:
    """Whether a person can be asked for input (stdin is a terminal)."""
    import sys  # noqa: PLC0415

    return sys.stdin.isatty()


@guarded
def serve(
    db: DbOpt = None,
    *,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    tiles: Annotated[
        str | None,
        typer.Option(help="Base-map tile URL template ({z}/{x}/{y}); none draws no base map."),
    ] = None,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Send the session cookie over HTTPS only (when served behind a TLS proxy).",
        ),
    ] = False,
    live_workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Processes computing the workbench's live analysis (default: one per CPU, "
            "or $DETENTE_WORKBENCH_LIVE_WORKERS; 0: the server's own process).",
        ),
    ] = None,
) -> None:
    """Run the web application (Workbench and Monitor areas, JSON API) with uvicorn.

    The database must be initialised first (detente monitor init).
    """
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    from detente.monitor.db import MonitorSettings, current_revision, display_url  # noqa: PLC0415
    from detente.monitor.errors import InputError  # noqa: PLC0415
    from detente.web import create_app  # noqa: PLC0415 - only this command needs the pages

    overrides: dict[str, object] = {"secure_cookies": secure_cookies}
    if tiles is not None:
        overrides["tile_url"] = tiles
    if live_workers is not None:
        overrides["live_workers"] = live_workers
    settings = MonitorSettings.from_env(db, **overrides)
    with _open(settings.db_url) as engine:
        revision = current_revision(engine)
    if revision is None:
        raise InputError("the database is not initialised: run `detente monitor init`", field="db")
    sock = _listen(host, port)
    if not settings.secret_from_env:
        err_console.print(
            "[yellow]warning:[/] DETENTE_MONITOR_SECRET is not set: a key made up now signs "
            "sessions and tokens, so every login ends when the server restarts",
            highlight=False,
            soft_wrap=True,
        )
    if not settings.audit_key:
        err_console.print(
            "[yellow]warning:[/] DETENTE_MONITOR_AUDIT_KEY is not set: whoever can write to the "
            "database can rewrite the audit log and recompute its hashes undetected",
            highlight=False,
            soft_wrap=True,
        )
    err_console.print(
        f"Serving on http://{host}:{port}/ (database {display_url(settings.db_url)})",
        highlight=False,
    )
    config = uvicorn.Config(create_app(settings), log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (bound before anything says the server is up)."""
    from detente.errors import DetenteError  # noqa: PLC0415

    sock: socket.socket | None = None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        if sock is not None:
            sock.close()
        reason = exc.strerror or str(exc)
        raise DetenteError(f"cannot listen on {host}:{port}: {reason}", field="--port") from None
    return sock


monitor_app.command("serve")(serve)


@monitor_app.command("seed-demo")
@guarded
def seed(
    db: DbOpt = None,
    password: Annotated[
        str,
        typer.Option(envvar="DETENTE_MONITOR_DEMO_PASSWORD", help="Password of the demo users."),
    ] = DEMO_PASSWORD,
    incidents: Annotated[int, typer.Option(min=0, max=10_000, help="Incidents to create.")] = 60,
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed.")] = 2026,
    as_json: JsonOpt = False,
) -> None:
    """Add a demo agreement, one user per role and incidents in every state."""
    from sqlalchemy import select  # noqa: PLC0415

    from detente.monitor.db import current_revision, sessions  # noqa: PLC0415
    from detente.monitor.enums import Role  # noqa: PLC0415
    from detente.monitor.errors import InputError  # noqa: PLC0415
    from detente.monitor.models import User  # noqa: PLC0415
    from detente.monitor.seed import seed_demo  # noqa: PLC0415

    settings = _settings(db)
    with _open(settings.db_url) as engine:
        if current_revision(engine) is None:
            raise InputError(
                "the database is not initialised: run `detente monitor init`", field="db"
            )
        with sessions(engine, settings)() as session, session.begin():
            admin = session.scalars(
                select(User).where(User.role == Role.ADMIN).order_by(User.id)
            ).first()
            if admin is None:
                raise InputError("no admin user: run `detente monitor init`", field="db")
            summary = seed_demo(
                session, admin, password=password, incidents=incidents, rng=seed_value
            )
    if as_json:
        print_json(summary)
        return
    console.print(f"Demo agreement {summary.agreement_id} with {summary.incidents} incidents.")
    given = password != DEMO_PASSWORD
    shown = "the one given with --password" if given else DEMO_PASSWORD
    for name, role in summary.users.items():
        console.print(f"  user [bold]{name}[/] ({role}), password {shown}")


@monitor_app.command("verify-audit")
@guarded
def verify_audit(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Check the audit log (under $DETENTE_MONITOR_AUDIT_KEY) against the stored records.

    Exit 1 if an entry was changed, inserted or removed, or an incident, user or scenario row
    does not match what the log records.
    """
    from detente.monitor.db import sessions  # noqa: PLC0415
    from detente.workbench.audit import verify_audit  # noqa: PLC0415

    settings = _settings(db)
    with _open(settings.db_url, write=False) as engine, sessions(engine, settings)() as session:
        report = verify_audit(session)
    if as_json:
        print_json(dataclasses.asdict(report))
    elif report.ok:
        console.print(f"Audit chain intact: {report.entries} entries, head {report.head_hash}")
    else:
        err_console.print(
            f"[bold red]audit chain broken[/] at entry {report.first_bad_seq}: {report.problem}"
        )
    if not report.ok:
        raise typer.Exit(1)


@monitor_app.command("rates")
@guarded
def rates(
    *,
    db: DbOpt = None,
    agreement: Annotated[int, typer.Option(help="Agreement id.")] = 1,
    days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=36_500,
            help="Window: the last N days (default: from the day of the first incident to now).",
        ),
    ] = None,
    params_out: Annotated[
        Path | None,
        typer.Option(
            "--params-out",
            help="Write a durability parameters file (YAML) with the observed rates, for "
            "`detente durability SCENARIO --params FILE`.",
        ),
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option(
            "--base",
            help="Parameters file whose other fields the output keeps (default: calibrated).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Estimate per-party incident rates, shares and delays: durability model inputs."""
    import datetime as dt  # noqa: PLC0415

    from sqlalchemy import select  # noqa: PLC0415
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from detente.durability.parameters import load_parameters  # noqa: PLC0415
    from detente.monitor.enums import Role  # noqa: PLC0415
    from detente.monitor.errors import InputError  # noqa: PLC0415
    from detente.monitor.models import User  # noqa: PLC0415
    from detente.monitor.rates import default_window, observed_rates, to_parameters  # noqa: PLC0415

    base_params = load_parameters(base) if base is not None else None
    now = dt.datetime.now(dt.UTC)
    with _open(_settings(db).db_url, write=False) as engine, Session(engine) as session:
        admin = session.scalars(select(User).where(User.role == Role.ADMIN)).first()
        if admin is None:
            raise InputError("no admin user: run `detente monitor init`", field="db")
        since, until = (
            (now - dt.timedelta(days=days), now)
            if days is not None
            else default_window(session, agreement, now)
        )
        result = observed_rates(session, admin, agreement, since, until)
    params = to_parameters(result, base_params)
    if params_out is not None:
        _write_atomically(params_out, _parameters_yaml(params, result))
    if as_json:
        print_json(result)
        return
    _render_rates(result)
    if params_out is not None:
        console.print(f"Durability parameters written to {params_out}")


def _parameters_yaml(params: object, result: object) -> str:
    import yaml  # noqa: PLC0415

    from detente.durability.parameters import Parameters  # noqa: PLC0415
    from detente.monitor.rates import ObservedRates  # noqa: PLC0415

    assert isinstance(params, Parameters)
    assert isinstance(result, ObservedRates)
    header = (
        "# Durability parameters from the monitoring record of agreement "
        f"{result.agreement_id}:\n# {result.since} to {result.until}\n"
        f"# ({result.days:.1f} days, {result.incidents} incidents). Observed: incident_rate of\n"
        "# each party, detection, attribution, resolution; every other field from the base.\n"
    )
    body = yaml.safe_dump(params.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    return header + body


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file: never a half-written file."""
    from detente.errors import DetenteError  # noqa: PLC0415

    if not path.parent.is_dir():
        raise DetenteError("its folder does not exist", source=path, field="--params-out")
    atomic_write_text(path, text, make_folder=False)


def _render_rates(result: object) -> None:
    from rich.table import Table  # noqa: PLC0415

    from detente.monitor.rates import ObservedRates  # noqa: PLC0415

    assert isinstance(result, ObservedRates)

    def shown(value: object) -> str:
        if value is None:
            return "n/a"
        return f"{value:.3g}" if isinstance(value, float) else str(value)

    title = (
        f"Observed rates, agreement {result.agreement_id}, "
        f"{result.since[:16]} to {result.until[:16]} UTC ({result.days:.1f} days)"
    )
    table = Table(title=title)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for field in dataclasses.fields(result):
        if field.name in {"agreement_id", "since", "until", "parties"}:
            continue
        table.add_row(field.name.replace("_", " "), shown(getattr(result, field.name)))
    console.print(table)
    per_party = Table(title="Per party (model field incident_rate = daily probability)")
    for name in ("party", "incidents", "per day", "daily probability"):
        per_party.add_column(name, justify="left" if name == "party" else "right")
    for p in result.parties:
        per_party.add_row(
            p.party, str(p.incidents), shown(p.daily_rate), shown(p.daily_probability)
        )
    console.print(per_party)
