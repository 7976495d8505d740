"""Signing in and out in the browser, and the home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from detente.monitor.errors import AuthenticationError, TooManyAttemptsError
from detente.monitor.login import log_in, revoke
from detente.web.deps import CSRF, Sessions, Settings, client_address, csrf_token
from detente.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
#: Where a browser lands after signing in.
HOME = "/incidents"


@router.get("/")
def home() -> RedirectResponse:
    """The home page is the Monitor area's incident list."""
    return RedirectResponse(HOME, status_code=303)


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    """The login form."""
    return render(request, "login.html", None)


@router.post("/login", dependencies=[CSRF])
def login(
    request: Request,
    sessions: Sessions,
    settings: Settings,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    """Check the password; start a fresh session (new CSRF token) on success."""
    try:
        sid, _ = log_in(
            sessions,
            username,
            password,
            client=client_address(request),
            kind="browser",
            policy=settings.throttle,
        )
    except (AuthenticationError, TooManyAttemptsError) as exc:
        return render(request, "login.html", None, status=exc.status, error=exc.message)
    request.session.clear()
    request.session["sid"] = sid
    csrf_token(request)
    return RedirectResponse(HOME, status_code=303)


@router.post("/logout", dependencies=[CSRF])
def logout(request: Request, sessions: Sessions) -> RedirectResponse:
    """End the session, on the server too: a copy of the cookie no longer works."""
    sid = request.session.get("sid")
    if sid is not None:
        with sessions() as session, session.begin():
            revoke(session, str(sid))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
