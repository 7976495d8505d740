"""``detente monitor export|import``: incidents as CSV (HXL), GeoJSON or UCDP GED files."""

from __future__ import annotations

import datetime as dt
import enum
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from detente.cli._common import console, guarded, print_json, writable_output
from detente.errors import DetenteError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from detente.monitor.models import User
    from detente.monitor.service import IncidentFilter

__all__ = ["ExportFormat", "ImportFormat", "register"]


class ExportFormat(enum.StrEnum):
    """The file formats of ``detente monitor export``."""

    CSV = "csv"
    HXL = "hxl"
    GEOJSON = "geojson"
    GED = "ged"


class ImportFormat(enum.StrEnum):
    """The file formats of ``detente monitor import``."""

    CSV = "csv"
    GEOJSON = "geojson"
    GED = "ged"


_SUFFIXES = {
    ExportFormat.CSV: (".csv",),
    ExportFormat.HXL: (".csv",),
    ExportFormat.GEOJSON: (".geojson", ".json"),
    ExportFormat.GED: (".csv",),
}

UserOpt = Annotated[
    str | None,
    typer.Option(
        "--user", help="The account the command acts as (default: the first admin account)."
    ),
]


def _time(text: str | None, option: str) -> dt.datetime | None:
    """An ISO 8601 time option (UTC when it names no zone)."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise DetenteError(
            f"{text!r} is not an ISO 8601 time (2026-03-01 or 2026-03-01T10:00:00Z)", field=option
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _actor(session: Session, username: str | None) -> User:
    from sqlalchemy import select  # noqa: PLC0415

    from detente.monitor.enums import Role  # noqa: PLC0415
    from detente.monitor.errors import InputError  # noqa: PLC0415
    from detente.monitor.models import User  # noqa: PLC0415

    query = select(User).where(User.active.is_(True)).order_by(User.id)
    if username is None:
        user = session.scalars(query.where(User.role == Role.ADMIN)).first()
        if user is None:
            raise InputError("no admin user: run `detente monitor init`", field="db")
        return user
    user = session.scalars(query.where(User.username == username)).first()
    if user is None:
        raise InputError(f"no active user {username!r}", field="--user")
    return user


def _renderer(fmt: ExportFormat) -> Callable[[Session, User, IncidentFilter], Iterator[str]]:
    from detente.monitor import exchange, ged  # noqa: PLC0415

    if fmt is ExportFormat.GEOJSON:
        return exchange.geojson_chunks
    if fmt is ExportFormat.GED:
        return ged.ged_chunks
    hxl = fmt is ExportFormat.HXL
    return lambda s, u, f: exchange.csv_chunks(s, u, f, hxl=hxl)


def export(
    *,
    db: Annotated[str | None, typer.Option("--db", help="Database (as for `init`).")] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="File format.")] = (
        ExportFormat.CSV
    ),
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: standard output).")
    ] = None,
    agreement: Annotated[
        int | None, typer.Option(min=1, help="Only this agreement's incidents.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Occurred at or after (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Occurred before (ISO 8601).")] = None,
    changed_since: Annotated[
        str | None,
        typer.Option(help="Reported, moved or corrected at or after (incremental pulls)."),
    ] = None,
    user: UserOpt = None,
) -> None:
    """Export incidents as CSV (--format hxl adds HXL hashtags), GeoJSON or UCDP GED CSV."""
    from detente.cli.monitor import _open, _settings  # noqa: PLC0415
    from detente.files import atomic_write_text  # noqa: PLC0415
    from detente.monitor.db import sessions  # noqa: PLC0415
    from detente.monitor.service import IncidentFilter  # noqa: PLC0415

    writable_output(out, "--out", _SUFFIXES[fmt])
    flt = IncidentFilter(
        agreement_id=agreement,
        since=_time(since, "--since"),
        until=_time(until, "--until"),
        changed_since=_time(changed_since, "--changed-since"),
    )
    settings = _settings(db)
    with _open(settings.db_url, write=False) as engine, sessions(engine, settings)() as session:
        text = "".join(_renderer(fmt)(session, _actor(session, user), flt))
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        atomic_write_text(out, text, make_folder=False)
        console.print(f"Incidents written to {out}")


def import_incidents(
    path: Annotated[Path, typer.Argument(help="The file to import.", show_default=False)],
    *,
    agreement: Annotated[int, typer.Option(min=1, help="The agreement the incidents belong to.")],
    db: Annotated[str | None, typer.Option("--db", help="Database (as for `init`).")] = None,
    fmt: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="File format (default: geojson for .geojson/.json, csv)."),
    ] = None,
    user: UserOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Import incidents from a CSV (HXL allowed), GeoJSON or UCDP GED file: all or nothing."""
    from detente.cli.monitor import _open, _settings  # noqa: PLC0415
    from detente.files import read_bytes  # noqa: PLC0415
    from detente.monitor import exchange, ged  # noqa: PLC0415
    from detente.monitor.db import sessions  # noqa: PLC0415
    from detente.monitor.errors import InputError  # noqa: PLC0415

    if fmt is None:
        geo = path.suffix.lower() in {".geojson", ".json"}
        fmt = ImportFormat.GEOJSON if geo else ImportFormat.CSV
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DetenteError("the file is not UTF-8", source=path) from None
    importer = {
        ImportFormat.CSV: exchange.import_csv,
        ImportFormat.GEOJSON: exchange.import_geojson,
        ImportFormat.GED: ged.import_ged,
    }[fmt]
    settings = _settings(db)
    with _open(settings.db_url) as engine, sessions(engine, settings)() as session:
        try:
            with session.begin():
                ids = [i.id for i in importer(session, _actor(session, user), agreement, text)]
        except InputError as exc:
            if exc.source != fmt.value:
                raise
            raise InputError(exc.message, source=path, field=exc.field, line=exc.line) from None
    if as_json:
        print_json({"agreement_id": agreement, "incident_ids": ids})
        return
    console.print(f"Imported {len(ids)} incidents into agreement {agreement}.")


def register(group: typer.Typer) -> None:
    """Add ``export`` and ``import`` to the ``monitor`` command group."""
    group.command("export")(guarded(export))
    group.command("import")(guarded(import_incidents))
