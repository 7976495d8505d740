"""Passwords (argon2id, strength by zxcvbn), and who may do and see what."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from zxcvbn import zxcvbn

from detente.monitor.enums import MISSION, READERS, Role, State
from detente.monitor.errors import InputError, NotFoundError, PermissionDeniedError
from detente.monitor.models import Incident, IncidentEvent, User
from detente.monitor.workflow import RAISED_STATES

__all__ = [
    "DUMMY_HASH",
    "DUPLICATE_JUDGEMENTS",
    "MERGE_DECISIONS",
    "can_read_incident",
    "can_read_notes",
    "can_read_reports",
    "can_report_incidents",
    "can_write_notes",
    "check_can_read_reports",
    "check_can_report_incidents",
    "check_incident_readable",
    "check_password_strength",
    "hash_password",
    "needs_rehash",
    "require_role",
    "verify_password",
    "visible_events",
]

_hasher = PasswordHasher()
#: Checked when the user name is unknown, so that a login costs the same either way.
DUMMY_HASH = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; parameters stored in the hash)."""
    return _hasher.hash(password)


#: zxcvbn's score a password needs: 3 is "safely unguessable: moderate protection from an
#: offline slow-hash scenario" (Wheeler 2016), which argon2id storage is.
MIN_PASSWORD_SCORE = 3
MIN_PASSWORD_LENGTH = 10
#: Words every account of this service shares, so a password made of them is weak.
_SITE_WORDS = ("detente", "monitor", "monitoring", "ceasefire", "mission", "admin")


def check_password_strength(password: str, username: str) -> None:
    """Refuse a password that is short, contains the user name, or zxcvbn finds guessable.

    zxcvbn (Wheeler, "zxcvbn: Low-Budget Password Strength Estimation", USENIX Security 2016)
    estimates the guesses an attacker with dictionaries, keyboard patterns and common
    substitutions needs. The message says why, never the password itself.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if username and username.casefold() in password.casefold():
        raise InputError("a password must not contain the user name", field="password")
    # zxcvbn's run time grows with length; the first 100 characters decide any real password.
    result = zxcvbn(password[:100], user_inputs=[username, *_SITE_WORDS])
    if int(result["score"]) < MIN_PASSWORD_SCORE:
        feedback = result["feedback"]
        hint = feedback["warning"] or " ".join(feedback["suggestions"]) or "use more words"
        raise InputError(
            f"the password is too easy to guess: {hint.rstrip('.').lower()}", field="password"
        )


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other argon2 parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def require_role(user: User, *roles: Role) -> None:
    """Refuse unless the user has one of ``roles``."""
    if user.role not in roles:
        raise PermissionDeniedError(
            f"{user.role.with_article} may not do this (needs {', '.join(r.value for r in roles)})"
        )


def can_read_incident(user: User, incident: Incident) -> bool:
    """Mission staff read everything; a liaison reads only what was raised with its party."""
    if user.role is not Role.LIAISON:
        return True
    return incident.attributed_party_id == user.party_id and incident.state in RAISED_STATES


def check_incident_readable(user: User, incident: Incident | None, incident_id: int) -> Incident:
    """The incident, or 404 when it does not exist or the user may not know of it."""
    if incident is None or not can_read_incident(user, incident):
        raise NotFoundError(f"no incident {incident_id}", field="incident_id")
    return incident


def can_read_notes(user: User) -> bool:
    """Internal notes are the mission's: never shown to party liaisons."""
    return user.role is not Role.LIAISON


#: The timeline's events of the mission's judgements on possible duplicate reports (a pair
#: dismissed, a dismissal undone): like the proposals, never shown to party liaisons.
DUPLICATE_JUDGEMENTS = ("dismiss_duplicate", "restore_duplicate")
#: Timeline actions of merging a report into another and undoing it.
MERGE_DECISIONS = ("merge", "unmerge")


def visible_events(user: User, incident: Incident) -> list[IncidentEvent]:
    """The incident's timeline as the user may see it.

    A liaison's leaves out the judgements on possible duplicates, and the merges and unmerges
    of other reports into this one (which name those reports, as ``merged_ids`` would): it keeps
    those of this report itself, into another or out of it again (its ``merged_into_id``).
    """
    if user.role is not Role.LIAISON:
        return list(incident.events)
    return [
        e
        for e in incident.events
        if e.action not in DUPLICATE_JUDGEMENTS
        and (e.action not in MERGE_DECISIONS or State.MERGED in (e.from_state, e.to_state))
    ]


def can_write_notes(user: User) -> bool:
    """Mission staff write internal notes."""
    return user.role in MISSION


def can_report_incidents(user: User) -> bool:
    """Mission staff report incidents."""
    return user.role in MISSION


def check_can_report_incidents(user: User) -> None:
    """Refuse a user who may not report incidents."""
    if not can_report_incidents(user):
        raise PermissionDeniedError(f"{user.role.with_article} may not report incidents")


def can_read_reports(user: User) -> bool:
    """The daily report and the rates are for mission staff and analysts, not party liaisons."""
    return user.role in READERS


def check_can_read_reports(user: User) -> None:
    """Refuse a user who may not read the daily report."""
    if not can_read_reports(user):
        raise PermissionDeniedError("the daily report is for mission staff")
