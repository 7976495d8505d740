"""Signing in and out over the API: tokens, the current user, one's password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from detente.monitor import login
from detente.monitor.schemas import LoginIn, PasswordChangeIn, SessionsEnded, TokenOut, UserOut
from detente.web.deps import ApiWork, Sessions, Settings, client_address

__all__ = ["router"]

router = APIRouter(tags=["auth"])


@router.post(
    "/token", responses={401: {"description": "Wrong credentials"}, 429: {"description": "Locked"}}
)
def token(body: LoginIn, request: Request, sessions: Sessions, settings: Settings) -> TokenOut:
    """Exchange a username and password for a bearer token (valid 12 hours, until logout).

    After repeated failures the account or the client address is locked for a while (429
    with ``Retry-After``); an admin can unlock an account.
    """
    secret, _ = login.log_in(
        sessions,
        body.username,
        body.password,
        client=client_address(request),
        kind="api",
        policy=settings.throttle,
    )
    return TokenOut(access_token=secret)


@router.post("/logout", status_code=204)
def logout(work: ApiWork) -> Response:
    """End the session whose token the request carries."""
    with work() as (s, _):
        login.revoke(s, work.credentials.token)
    if work.credentials.browser:
        work.request.session.clear()
    return Response(status_code=204)


@router.post("/me/password")
def password(body: PasswordChangeIn, work: ApiWork) -> SessionsEnded:
    """Change one's password; every session of the account ends (log in again)."""
    ended = login.change_password(
        work.sessions, work.credentials.token, body.current_password, body.new_password
    )
    return SessionsEnded(sessions_ended=ended["sessions_ended"])


@router.get("/me")
def me(work: ApiWork) -> UserOut:
    """The authenticated user."""
    with work() as (_, user):
        return UserOut.model_validate(user)
