"""Request and response bodies of the API (validated by pydantic; unknown fields refused)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from detente.monitor.enums import Action, BreachMechanism, Confidence, IncidentType, Role, State
from detente.monitor.geo import validate_geometry

__all__ = [
    "AgreementIn",
    "AgreementOut",
    "AttachmentIn",
    "AuditOut",
    "ClauseIn",
    "DailyReport",
    "DismissIn",
    "EventOut",
    "Id",
    "IncidentIn",
    "IncidentOut",
    "IncidentPage",
    "IncidentPatch",
    "LoginIn",
    "MergeIn",
    "NoteIn",
    "NoteOut",
    "PasswordChangeIn",
    "RestoreIn",
    "SectorIn",
    "SessionsEnded",
    "TokenOut",
    "TransitionIn",
    "UnmergeIn",
    "UserIn",
    "UserOut",
    "UserPatch",
]


def _storable(value: str) -> str:
    """Refuse text no database stores faithfully (NUL characters, lone surrogates)."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


Storable = AfterValidator(_storable)
Text = Annotated[str, StringConstraints(max_length=10_000), Storable]
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), Storable
]
#: A database id (a 32-bit positive integer on every backend).
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
        raise ValueError("the time is out of range") from None


UTCTime = Annotated[dt.datetime, AfterValidator(_aware)]
#: A longitude or latitude in degrees (finite: NaN and infinities are refused).
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClauseIn(_In):
    """A clause of an agreement."""

    ref: Annotated[str, StringConstraints(min_length=1, max_length=40), Storable]
    text: Text


class SectorIn(_In):
    """A sector of the line with its GeoJSON geometry."""

    name: Name
    geometry: Annotated[dict[str, Any], AfterValidator(validate_geometry)]


class AgreementIn(_In):
    """A new agreement."""

    name: Name
    text: Text = ""
    signed_on: dt.date | None = None
    mechanism: BreachMechanism
    parties: Annotated[list[Name], Field(min_length=2, max_length=20)]
    clauses: Annotated[list[ClauseIn], Field(max_length=200)] = []
    sectors: Annotated[list[SectorIn], Field(max_length=200)] = []


class AttachmentIn(_In):
    """A file attached by checksum."""

    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255), Storable]
    size_bytes: Annotated[int, Field(ge=0, le=2**53)] | None = None


class IncidentIn(_In):
    """A new incident report: where is a sector, a point, or both."""

    agreement_id: Id
    occurred_at: UTCTime
    type: IncidentType
    sector_id: Id | None = None
    longitude: Longitude | None = None
    latitude: Latitude | None = None
    sources: Annotated[str, StringConstraints(min_length=0, max_length=2000), Storable] = ""
    confidence: Confidence = Confidence.MEDIUM
    description: Text = ""
    clause_ids: Annotated[list[Id], Field(max_length=50)] = []
    attachments: Annotated[list[AttachmentIn], Field(max_length=20)] = []


class IncidentPatch(_In):
    """A correction of an incident's descriptive fields; only the fields given change."""

    occurred_at: UTCTime | None = None
    type: IncidentType | None = None
    sector_id: Id | None = None
    longitude: Longitude | None = None
    latitude: Latitude | None = None
    sources: Annotated[str, StringConstraints(max_length=2000), Storable] | None = None
    confidence: Confidence | None = None
    description: Text | None = None
    clause_ids: Annotated[list[Id], Field(max_length=50)] | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=5000), Storable]


class UserPatch(_In):
    """A change to a user account (admins): deactivate or reactivate it."""

    active: bool


class TransitionIn(_In):
    """An action on an incident, with its reason (and for ``attribute`` the party)."""

    action: Action
    reason: Annotated[str, StringConstraints(min_length=1, max_length=5000), Storable]
    party_id: Id | None = None
    confidence: Confidence | None = None


Reason = Annotated[str, StringConstraints(min_length=1, max_length=5000), Storable]


class MergeIn(_In):
    """Duplicate reports to merge into the incident of the request's path."""

    duplicate_ids: Annotated[list[Id], Field(min_length=1, max_length=50)]
    reason: Reason


class UnmergeIn(_In):
    """Undo the merge of the report of the request's path."""

    reason: Reason


class DismissIn(_In):
    """Another report judged to be of a different event than the one of the request's path."""

    other_id: Id
    reason: Reason


class RestoreIn(_In):
    """Another report whose dismissal as a different event is undone (it is proposed again)."""

    other_id: Id
    reason: Reason


class NoteIn(_In):
    """An internal note."""

    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000), Storable]


class UserIn(_In):
    """A new user; a liaison names its party."""

    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{2,80}$")]
    password: Annotated[str, StringConstraints(min_length=10, max_length=200), Storable]
    role: Role
    party_id: Id | None = None


class LoginIn(_In):
    """Credentials for a token."""

    username: Annotated[str, StringConstraints(min_length=1, max_length=80), Storable]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]


class PasswordChangeIn(_In):
    """A password change: the current password and the new one."""

    current_password: Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]
    new_password: Annotated[str, StringConstraints(min_length=10, max_length=200), Storable]


class SessionsEnded(BaseModel):
    """How many sessions an action ended."""

    sessions_ended: int


class TokenOut(BaseModel):
    """A bearer token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret


class AuditOut(BaseModel):
    """Result of checking the audit chain."""

    entries: int
    ok: bool
    first_bad_seq: int | None
    problem: str | None
    head_hash: str


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserOut(_Out):
    """A user as shown by the API (never the password hash)."""

    id: int
    username: str
    role: Role
    party_id: int | None
    active: bool


class PartyOut(_Out):
    """A party."""

    id: int
    name: str


class ClauseOut(_Out):
    """A clause."""

    id: int
    ref: str
    text: str


class SectorOut(_Out):
    """A sector."""

    id: int
    name: str
    geometry: dict[str, Any]


class AgreementOut(_Out):
    """An agreement with its parties, clauses and sectors."""

    id: int
    name: str
    text: str
    signed_on: dt.date | None
    mechanism: BreachMechanism
    parties: list[PartyOut]
    clauses: list[ClauseOut]
    sectors: list[SectorOut]


class EventOut(_Out):
    """One step of an incident's timeline."""

    id: int
    action: str
    from_state: State | None
    to_state: State
    actor: str
    at: dt.datetime
    reason: str


class NoteOut(_Out):
    """An internal note."""

    id: int
    author: str
    at: dt.datetime
    body: str


class IncidentOut(_Out):
    """An incident with its timeline (notes only for mission staff)."""

    id: int
    agreement_id: Id
    occurred_at: dt.datetime
    reported_at: dt.datetime
    type: IncidentType
    sector_id: int | None
    longitude: float | None
    latitude: float | None
    reporter: str
    sources: str
    confidence: Confidence
    description: str
    state: State
    attributed_party_id: int | None
    attribution_confidence: Confidence | None
    merged_into_id: int | None = None
    """The incident this report was merged into as a duplicate (state ``merged``)."""
    merged_ids: list[int] = []
    """The duplicate reports merged into this incident (not shown to party liaisons)."""
    clause_ids: list[int]
    attachments: list[AttachmentIn]
    events: list[EventOut]
    notes: list[NoteOut] | None = None


class IncidentPage(BaseModel):
    """One page of a filtered incident list, with the total and links to its neighbours."""

    items: list[IncidentOut]
    total: int
    page: int
    limit: int
    pages: int
    next: str | None
    prev: str | None


class DailyReport(BaseModel):
    """One day's report for an agreement (UTC day)."""

    agreement_id: int
    date: dt.date
    incidents: int
    by_sector: dict[str, int]
    by_type: dict[str, int]
    new_incidents: int
    resolved_incidents: int
    open_breaches_by_party: dict[str, int]
