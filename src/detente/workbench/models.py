"""Database tables of the scenario library, on the monitor's declarative base (one database).

A scenario is a row of ``scenario`` (its name and latest version number, the counter that
optimistic concurrency compares) and one row of ``scenario_version`` per save: saves append,
never overwrite. Deleting a scenario marks it deleted (``deleted_at``); its versions stay, so
the history and the audit log still account for every save.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from detente.monitor.models import Base, User, UTCDateTime, utcnow

__all__ = ["AgreementOrigin", "ScenarioRecord", "ScenarioVersion"]


class ScenarioRecord(Base):
    """A scenario of the library: its current name and version, who made it, whether deleted."""

    __tablename__ = "scenario"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    """The ``name`` of the latest version's document (listed without loading documents)."""
    version: Mapped[int] = mapped_column(Integer)
    """The latest version number; a save succeeds only from this version."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class ScenarioVersion(Base):
    """One save of a scenario: the native document as JSON, who saved it, when and why."""

    __tablename__ = "scenario_version"
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenario.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    message: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the document's canonical JSON, as the audit log records it."""
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_by: Mapped[User] = relationship()


class AgreementOrigin(Base):
    """Where an agreement put into force came from: a deal of one version of a scenario.

    The agreement itself (parties, clauses, sectors) is the monitor's ``agreement``; this row
    links it back to the scenario version and the deal, and keeps the mechanisms the deal's
    options provide, which the agreement's durability view simulates.
    """

    __tablename__ = "agreement_origin"
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenario.id"), index=True)
    scenario_version: Mapped[int] = mapped_column(Integer)
    deal: Mapped[dict[str, str]] = mapped_column(JSON)
    """``{issue: option}``: every issue of the scenario."""
    mechanisms: Mapped[list[str]] = mapped_column(JSON)
    """The durability mechanisms the deal's options provide (``provides:``)."""
    forced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    forced_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    forced_by: Mapped[User] = relationship()
