"""The one set of request dependencies every route of the web application stands on.

Routes never read ``request.app.state`` themselves: they ask for the typed settings, the
session maker or a unit of work here. A unit of work is one transaction with the signed-in
user; the same helper serves the JSON API (bearer token or browser session) and the pages
(browser session), so a deactivated or signed-out user's browser session is cleared for both.
The dependencies that only read the request are coroutines: FastAPI runs them on the event
loop rather than handing each to a thread of its pool.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import login
from detente.monitor.db import MonitorSettings
from detente.monitor.errors import AuthenticationError, PermissionDeniedError
from detente.monitor.models import User
from detente.monitor.writer import GroupWriter
from detente.workbench.jobs import JobRegistry
from detente.workbench.workers import AnalysisPool, SurvivalWorker

__all__ = [
    "CSRF",
    "MAX_ID",
    "SAFE_METHODS",
    "Analyses",
    "ApiWork",
    "Credentials",
    "IdPath",
    "IdQuery",
    "Jobs",
    "PageWork",
    "Sessions",
    "Settings",
    "Survival",
    "UnitOfWork",
    "api_credentials",
    "check_csrf",
    "client_address",
    "csrf_token",
    "get_analyses",
    "get_jobs",
    "get_sessions",
    "get_settings",
    "get_survival",
    "page_credentials",
]

#: The largest id any route accepts (the databases' 32-bit integer keys).
MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> MonitorSettings:
    """The application's settings (frozen; set once by the app factory)."""
    settings: MonitorSettings = request.app.state.settings
    return settings


async def get_sessions(request: Request) -> sessionmaker[Session]:
    """The application's session maker (one engine per app)."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


async def get_jobs(request: Request) -> JobRegistry:
    """The application's background jobs (one registry per app, in memory)."""
    jobs: JobRegistry = request.app.state.jobs
    return jobs


def get_writer(request: Request) -> GroupWriter:
    """The application's group-commit writer for requests that create something."""
    writer: GroupWriter = request.app.state.writer
    return writer


async def get_analyses(request: Request) -> AnalysisPool:
    """The worker processes of the live analysis's plot part (one pool per app)."""
    pool: AnalysisPool = request.app.state.analyses
    return pool


async def get_survival(request: Request) -> SurvivalWorker:
    """The worker of the live analysis's survival part (one per app)."""
    worker: SurvivalWorker = request.app.state.survival
    return worker


async def _settings(request: Request) -> MonitorSettings:
    return get_settings(request)


# Dependencies that do not block are coroutines: FastAPI runs a plain function's dependency in
# its thread pool, a hop that costs the server's process more than the lookup itself.
Settings = Annotated[MonitorSettings, Depends(_settings)]
Sessions = Annotated[sessionmaker[Session], Depends(get_sessions)]
Jobs = Annotated[JobRegistry, Depends(get_jobs)]
Analyses = Annotated[AnalysisPool, Depends(get_analyses)]
Survival = Annotated[SurvivalWorker, Depends(get_survival)]


def client_address(request: Request) -> str:
    """The client's address (the proxy's, unless uvicorn trusts its forwarded headers)."""
    return request.client.host if request.client else "unknown"


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Who a request claims to be: the secret of an API token or of a browser session."""

    token: str
    browser: bool = False


def _has_session(request: Request) -> bool:
    return "session" in request.scope and "sid" in request.session


async def api_credentials(request: Request) -> Credentials:
    """The credentials of an API request: a bearer token, else the browser session.

    A browser's unsafe request must carry the session's CSRF token in ``X-CSRF-Token``.
    """
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return Credentials(token=header[7:].strip())
    if _has_session(request):
        if request.method not in SAFE_METHODS:
            expected = str(request.session.get("csrf", ""))
            given = request.headers.get("x-csrf-token", "")
            if not expected or not secrets.compare_digest(expected, given):
                raise PermissionDeniedError("missing or wrong CSRF token", field="X-CSRF-Token")
        return Credentials(token=str(request.session["sid"]), browser=True)
    raise AuthenticationError(
        "log in first: send 'Authorization: Bearer <token>'", field="Authorization"
    )


async def page_credentials(request: Request) -> Credentials:
    """The credentials of a page request: the browser session (forms carry their CSRF token)."""
    if not _has_session(request):
        raise AuthenticationError("log in first")
    return Credentials(token=str(request.session["sid"]), browser=True)


@dataclasses.dataclass(frozen=True)
class UnitOfWork:
    """Open with ``with work() as (session, user):`` for one transaction as the signed-in user.

    Committed when the block ends normally, rolled back on any error. When the credentials no
    longer name an active session (signed out, expired, user deactivated), a browser's session
    cookie is cleared before the 401.
    """

    request: Request
    sessions: sessionmaker[Session]
    credentials: Credentials

    @contextmanager
    def __call__(self) -> Iterator[tuple[Session, User]]:
        """One transaction with the authenticated user."""
        with self.sessions() as session, session.begin():
            try:
                user = login.session_user(session, self.credentials.token)
            except AuthenticationError:
                if self.credentials.browser:
                    self.request.session.clear()
                raise
            yield session, user


async def _api_work(
    request: Request,
    sessions: Sessions,
    creds: Annotated[Credentials, Depends(api_credentials)],
) -> UnitOfWork:
    return UnitOfWork(request, sessions, creds)


async def _page_work(
    request: Request,
    sessions: Sessions,
    creds: Annotated[Credentials, Depends(page_credentials)],
) -> UnitOfWork:
    return UnitOfWork(request, sessions, creds)


ApiWork = Annotated[UnitOfWork, Depends(_api_work)]
PageWork = Annotated[UnitOfWork, Depends(_page_work)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use; empty without a session)."""
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """Refuse a form whose CSRF token is not the session's."""
    expected = str(request.session.get("csrf", ""))
    if not expected or not secrets.compare_digest(expected, csrf):
        raise PermissionDeniedError(
            "the form has expired or did not come from this site", field="csrf"
        )


CSRF = Depends(check_csrf)
