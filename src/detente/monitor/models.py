"""Database models (SQLAlchemy 2, typed); the Alembic migrations create exactly this schema."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from detente.monitor.enums import BreachMechanism, Confidence, IncidentType, Role, State

__all__ = [
    "Agreement",
    "Attachment",
    "AuditEntry",
    "AuthSession",
    "Base",
    "Clause",
    "DuplicateDismissal",
    "IdempotentRequest",
    "Incident",
    "IncidentEvent",
    "IncidentNote",
    "LoginThrottle",
    "Party",
    "Sector",
    "User",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC, to the microsecond."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as naive UTC on every backend and read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, _dialect: Dialect
    ) -> dt.datetime | None:
        """Convert to naive UTC (a naive input is taken to be UTC already)."""
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, _dialect: Dialect) -> dt.datetime | None:
        """Attach the UTC zone."""
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints the same way."""

    metadata = MetaData(naming_convention=NAMING)


class Agreement(Base):
    """A ceasefire agreement: its text, parties, clauses, sectors of the line and mechanism."""

    __tablename__ = "agreement"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text, default="")
    signed_on: Mapped[dt.date | None] = mapped_column(default=None)
    mechanism: Mapped[BreachMechanism] = mapped_column(_enum(BreachMechanism))
    parties: Mapped[list[Party]] = relationship(back_populates="agreement", order_by="Party.id")
    clauses: Mapped[list[Clause]] = relationship(back_populates="agreement", order_by="Clause.id")
    sectors: Mapped[list[Sector]] = relationship(back_populates="agreement", order_by="Sector.id")


class Party(Base):
    """A party to an agreement (the side incidents are attributed to and raised with)."""

    __tablename__ = "party"
    __table_args__ = (UniqueConstraint("agreement_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    agreement: Mapped[Agreement] = relationship(back_populates="parties")


class Clause(Base):
    """A numbered clause of an agreement that incidents can be linked to."""

    __tablename__ = "clause"
    __table_args__ = (UniqueConstraint("agreement_id", "ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    ref: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    agreement: Mapped[Agreement] = relationship(back_populates="clauses")


class Sector(Base):
    """A sector or zone of the line, its geometry as a GeoJSON geometry object."""

    __tablename__ = "sector"
    __table_args__ = (UniqueConstraint("agreement_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    agreement: Mapped[Agreement] = relationship(back_populates="sectors")


class User(Base):
    """A person who logs in; a liaison belongs to exactly one party."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    party: Mapped[Party | None] = relationship()


class Incident(Base):
    """An incident: what happened, when and where, and where it is in the workflow."""

    __tablename__ = "incident"
    __table_args__ = (
        # Time windows within an agreement: duplicate proposals, lists, reports, rates.
        Index("ix_incident_agreement_id_occurred_at", "agreement_id", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    type: Mapped[IncidentType] = mapped_column(_enum(IncidentType), index=True)
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id"), index=True)
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    sources: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(_enum(Confidence))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[State] = mapped_column(_enum(State), index=True)
    attributed_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    attribution_confidence: Mapped[Confidence | None] = mapped_column(_enum(Confidence))
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id"), index=True, default=None
    )
    """The incident this report was merged into as a duplicate (its state is then ``merged``)."""
    agreement: Mapped[Agreement] = relationship()
    sector: Mapped[Sector | None] = relationship()
    reporter: Mapped[User] = relationship()
    attributed_party: Mapped[Party | None] = relationship()
    clauses: Mapped[list[Clause]] = relationship(secondary="incident_clause", order_by="Clause.id")
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id"
    )
    notes: Mapped[list[IncidentNote]] = relationship(order_by="IncidentNote.id")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")
    merged: Mapped[list[Incident]] = relationship(order_by="Incident.id", viewonly=True)
    """The duplicate reports merged into this incident."""


class IncidentClause(Base):
    """Link between an incident and the clauses it may breach."""

    __tablename__ = "incident_clause"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clause.id"), primary_key=True)


class IncidentEvent(Base):
    """One step of an incident's life: who moved it from which state to which, when and why."""

    __tablename__ = "incident_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[State | None] = mapped_column(_enum(State))
    to_state: Mapped[State] = mapped_column(_enum(State))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), default=None)
    """The party an ``attribute`` event names (history of attributions, for past reports)."""
    incident: Mapped[Incident] = relationship(back_populates="events")
    actor: Mapped[User] = relationship()


class IncidentNote(Base):
    """An internal note of the mission on an incident (never shown to party liaisons)."""

    __tablename__ = "incident_note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[User] = relationship()


class Attachment(Base):
    """A file attached to an incident, known by its SHA-256 checksum (stored elsewhere)."""

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("incident_id", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)


class DuplicateDismissal(Base):
    """Two incidents a monitor judged to be different events: never proposed as duplicates again.

    The pair is stored once, the lower id first.
    """

    __tablename__ = "duplicate_dismissal"
    low_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    high_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True, index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """One record of the append-only audit log; ``hash`` chains it to the entry before."""

    __tablename__ = "audit_entry"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuthSession(Base):
    """A login: an API token or a browser session, known by the SHA-256 of its secret.

    The secret itself is never stored, so a copy of the database holds no usable token.
    Logout, a password change, deactivation and an admin's "sign out everywhere" set
    ``revoked_at``; an expired or revoked session no longer authenticates anyone.
    """

    __tablename__ = "auth_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    client: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class LoginThrottle(Base):
    """Failed logins of one account (``user:NAME``) or one client address (``addr:IP``)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class IdempotentRequest(Base):
    """The first answer to a creating request sent with an ``Idempotency-Key`` header.

    Stored in the same transaction as what the request created, so a retry finds either both
    or neither; the primary key makes a concurrent retry fail instead of creating twice.
    """

    __tablename__ = "idempotent_request"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
