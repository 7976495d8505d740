"""Signing in and out in the browser, and the home page (a landing page by role)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from detente.monitor.errors import AuthenticationError, TooManyAttemptsError
from detente.monitor.login import log_in, revoke
from detente.monitor.models import User
from detente.web.deps import CSRF, PageWork, Sessions, Settings, client_address, csrf_token
from detente.web.landing import landing, local_target
from detente.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
#: Where to go after signing in (``next``): a page of this site, else the landing page.
Next = Annotated[str, Query(alias="next")]
NextField = Annotated[str, Form(alias="next")]


@router.get("/")
def home(request: Request, work: PageWork) -> RedirectResponse:
    """The landing page by role: the scenario library, or the incident list (liaisons).

    Signed out, the login page (see :mod:`detente.web.landing`).
    """
    with work() as (_session, user):
        return RedirectResponse(landing(request, user), status_code=303)


@router.get("/login")
def login_form(request: Request, target: Next = "") -> HTMLResponse:
    """The login form; ``next`` is where to go once signed in."""
    return render(request, "login.html", None, next=local_target(target))


@router.post("/login", dependencies=[CSRF])
def login(
    request: Request,
    sessions: Sessions,
    settings: Settings,
    *,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    target: NextField = "",
) -> Response:
    """Check the password; start a fresh session (new CSRF token) on success.

    Then go to ``next`` when it is a page of this site, else to the user's landing page.
    """
    back = local_target(target)
    try:
        sid, user_id = log_in(
            sessions,
            username,
            password,
            client=client_address(request),
            kind="browser",
            policy=settings.throttle,
        )
    except (AuthenticationError, TooManyAttemptsError) as exc:
        return render(request, "login.html", None, status=exc.status, error=exc.message, next=back)
    request.session.clear()
    request.session["sid"] = sid
    csrf_token(request)
    if back is None:
        with sessions() as session:
            user = session.get(User, user_id)
            assert user is not None  # it has just logged in
            back = landing(request, user)
    return RedirectResponse(back, status_code=303)


@router.post("/logout", dependencies=[CSRF])
def logout(request: Request, sessions: Sessions) -> RedirectResponse:
    """End the session, on the server too: a copy of the cookie no longer works."""
    sid = request.session.get("sid")
    if sid is not None:
        with sessions() as session, session.begin():
            revoke(session, str(sid))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
