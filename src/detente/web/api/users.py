"""User administration over the API (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from detente.monitor import login, service
from detente.monitor.models import User
from detente.monitor.schemas import SessionsEnded, UserIn, UserOut, UserPatch
from detente.web.api.idempotency import IdempotencyKey, json_bytes, once
from detente.web.deps import ApiWork, IdPath

__all__ = ["router"]

router = APIRouter(prefix="/users", tags=["users"])


@router.post("/{user_id}/sign-out")
def sign_out(user_id: IdPath, work: ApiWork) -> SessionsEnded:
    """End every session of a user (admins)."""
    with work() as (s, user):
        return SessionsEnded(sessions_ended=login.sign_out_everywhere(s, user, user_id))


@router.post("/{user_id}/unlock", status_code=204)
def unlock(user_id: IdPath, work: ApiWork) -> Response:
    """Clear a user's failed logins and lock (admins)."""
    with work() as (s, user):
        login.unlock(s, user, user_id)
    return Response(status_code=204)


@router.get("")
def users(work: ApiWork) -> list[UserOut]:
    """Every user (admins)."""
    with work() as (s, user):
        return [UserOut.model_validate(u) for u in service.list_users(s, user)]


@router.post("", status_code=201, response_model=UserOut)
def new_user(body: UserIn, work: ApiWork, key: IdempotencyKey = None) -> Any:
    """Create a user (admins)."""

    def run(s: Session, user: User) -> UserOut:
        return UserOut.model_validate(service.create_user(s, user, body))

    return once(work, key=key, body=json_bytes(body), status=201, run=run)


@router.patch("/{user_id}")
def update_user(user_id: IdPath, body: UserPatch, work: ApiWork) -> UserOut:
    """Deactivate or reactivate a user (admins; not oneself)."""
    with work() as (s, user):
        return UserOut.model_validate(service.set_user_active(s, user, user_id, body))
