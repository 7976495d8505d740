"""The JSON API (FastAPI routers): every handler is one transaction over the service layer.

Clients authenticate with a bearer token from ``POST /api/token``. When the web pages' session
middleware is installed, a logged-in browser session works too; its unsafe requests must carry
the session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detente.monitor import audit, exchange, login, reports, service
from detente.monitor.auth import require_role
from detente.monitor.db import MonitorSettings, make_engine
from detente.monitor.enums import IncidentType, Role, State
from detente.monitor.errors import (
    AuthenticationError,
    MonitorError,
    PermissionDeniedError,
    TooManyAttemptsError,
)
from detente.monitor.models import User
from detente.monitor.schemas import (
    AgreementIn,
    AgreementOut,
    AuditOut,
    DailyReport,
    IncidentIn,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    LoginIn,
    NoteIn,
    NoteOut,
    PasswordChangeIn,
    SessionsEnded,
    TokenOut,
    TransitionIn,
    UserIn,
    UserOut,
    UserPatch,
)

__all__ = ["BodySizeLimit", "Credentials", "create_api", "new_app", "router", "unit_of_work"]

MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Who a request claims to be: the secret of an API token or of a browser session."""

    token: str
    browser: bool = False


def credentials(request: Request) -> Credentials:
    """Read the credentials of a request (no database access yet)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return Credentials(token=header[7:].strip())
    if "session" in request.scope and "sid" in request.session:
        if request.method not in SAFE_METHODS:
            expected = str(request.session.get("csrf", ""))
            given = request.headers.get("x-csrf-token", "")
            if not expected or not secrets.compare_digest(expected, given):
                raise PermissionDeniedError("missing or wrong CSRF token", field="X-CSRF-Token")
        return Credentials(token=str(request.session["sid"]), browser=True)
    raise AuthenticationError(
        "log in first: send 'Authorization: Bearer <token>'", field="Authorization"
    )


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


def client_address(request: Request) -> str:
    """The client's address (the proxy's, unless uvicorn trusts its forwarded headers)."""
    return request.client.host if request.client else "unknown"


@contextmanager
def unit_of_work(request: Request, creds: Credentials) -> Iterator[tuple[Session, User]]:
    """One transaction with the authenticated user: committed on success, else rolled back."""
    with _factory(request)() as session, session.begin():
        yield session, login.session_user(session, creds.token)


Creds = Annotated[Credentials, Depends(credentials)]
router = APIRouter(prefix="/api")


@router.post(
    "/token",
    tags=["auth"],
    responses={401: {"description": "Wrong credentials"}, 429: {"description": "Locked"}},
)
def token(body: LoginIn, request: Request) -> TokenOut:
    """Exchange a username and password for a bearer token (valid 12 hours, until logout).

    After repeated failures the account or the client address is locked for a while (429
    with ``Retry-After``); an admin can unlock an account.
    """
    secret, _ = login.log_in(
        _factory(request),
        body.username,
        body.password,
        client=client_address(request),
        kind="api",
        policy=request.app.state.throttle,
    )
    return TokenOut(access_token=secret)


@router.post("/logout", tags=["auth"], status_code=204)
def logout(request: Request, creds: Creds) -> Response:
    """End the session whose token the request carries."""
    with unit_of_work(request, creds) as (s, _):
        login.revoke(s, creds.token)
    if creds.browser:
        request.session.clear()
    return Response(status_code=204)


@router.post("/me/password", tags=["auth"])
def password(body: PasswordChangeIn, request: Request, creds: Creds) -> SessionsEnded:
    """Change one's password; every session of the account ends (log in again)."""
    ended = login.change_password(
        _factory(request), creds.token, body.current_password, body.new_password
    )
    return SessionsEnded(sessions_ended=ended["sessions_ended"])


@router.post("/users/{user_id}/sign-out", tags=["users"])
def sign_out(user_id: IdPath, request: Request, creds: Creds) -> SessionsEnded:
    """End every session of a user (admins)."""
    with unit_of_work(request, creds) as (s, user):
        return SessionsEnded(sessions_ended=login.sign_out_everywhere(s, user, user_id))


@router.post("/users/{user_id}/unlock", tags=["users"], status_code=204)
def unlock(user_id: IdPath, request: Request, creds: Creds) -> Response:
    """Clear a user's failed logins and lock (admins)."""
    with unit_of_work(request, creds) as (s, user):
        login.unlock(s, user, user_id)
    return Response(status_code=204)


@router.get("/me", tags=["auth"])
def me(request: Request, creds: Creds) -> UserOut:
    """The authenticated user."""
    with unit_of_work(request, creds) as (_, user):
        return UserOut.model_validate(user)


@router.get("/users", tags=["users"])
def users(request: Request, creds: Creds) -> list[UserOut]:
    """Every user (admins)."""
    with unit_of_work(request, creds) as (s, user):
        return [UserOut.model_validate(u) for u in service.list_users(s, user)]


@router.post("/users", tags=["users"], status_code=201)
def new_user(body: UserIn, request: Request, creds: Creds) -> UserOut:
    """Create a user (admins)."""
    with unit_of_work(request, creds) as (s, user):
        return UserOut.model_validate(service.create_user(s, user, body))


@router.patch("/users/{user_id}", tags=["users"])
def update_user(user_id: IdPath, body: UserPatch, request: Request, creds: Creds) -> UserOut:
    """Deactivate or reactivate a user (admins; not oneself)."""
    with unit_of_work(request, creds) as (s, user):
        return UserOut.model_validate(service.set_user_active(s, user, user_id, body))


@router.get("/agreements", tags=["agreements"])
def agreements(request: Request, creds: Creds) -> list[AgreementOut]:
    """Every agreement."""
    with unit_of_work(request, creds) as (s, user):
        return [AgreementOut.model_validate(a) for a in service.list_agreements(s, user)]


@router.post("/agreements", tags=["agreements"], status_code=201)
def new_agreement(body: AgreementIn, request: Request, creds: Creds) -> AgreementOut:
    """Create an agreement with its parties, clauses and sectors (admins)."""
    with unit_of_work(request, creds) as (s, user):
        return AgreementOut.model_validate(service.create_agreement(s, user, body))


@router.get("/agreements/{agreement_id}", tags=["agreements"])
def agreement(agreement_id: IdPath, request: Request, creds: Creds) -> AgreementOut:
    """One agreement."""
    with unit_of_work(request, creds) as (s, user):
        return AgreementOut.model_validate(service.get_agreement(s, user, agreement_id))


def incident_filter(
    *,
    agreement_id: IdQuery = None,
    since: Annotated[dt.datetime | None, Query(description="occurred at or after")] = None,
    until: Annotated[dt.datetime | None, Query(description="occurred before")] = None,
    sector_id: IdQuery = None,
    type: IncidentType | None = None,  # noqa: A002 - the API's field name
    state: State | None = None,
    party_id: IdQuery = None,
) -> service.IncidentFilter:
    """Query parameters shared by the list and the exports."""

    def utc(t: dt.datetime | None) -> dt.datetime | None:
        return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t

    return service.IncidentFilter(
        agreement_id, utc(since), utc(until), sector_id, type, state, party_id
    )


Filter = Annotated[service.IncidentFilter, Depends(incident_filter)]
MAX_PAGE_SIZE = 1000


def page_url(request: Request, page: int) -> str:
    """The request's path and query with ``page`` replaced (a link relative to the site)."""
    url = request.url.include_query_params(page=page)
    return f"{url.path}?{url.query}"


@router.get("/incidents", tags=["incidents"])
def incidents(
    flt: Filter,
    request: Request,
    creds: Creds,
    page: Annotated[int, Query(ge=1, le=MAX_ID, description="page number, from 1")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="incidents per page")] = 100,
) -> IncidentPage:
    """Incidents the user may see, filtered by time, sector, type, state and party, by page.

    ``total`` counts every match; ``next`` and ``prev`` link the neighbouring pages (null at
    the ends). The exports return every match at once.
    """
    with unit_of_work(request, creds) as (s, user):
        total = service.count_incidents(s, user, flt)
        offset = min((page - 1) * limit, MAX_ID)
        items = service.list_incidents(s, user, flt, limit=limit, offset=offset)
        pages = max(1, -(-total // limit))
        return IncidentPage(
            items=[service.incident_out(i, user) for i in items],
            total=total,
            page=page,
            limit=limit,
            pages=pages,
            next=page_url(request, page + 1) if page < pages else None,
            prev=page_url(request, min(page - 1, pages)) if page > 1 else None,
        )


@router.post("/incidents", tags=["incidents"], status_code=201)
def new_incident(body: IncidentIn, request: Request, creds: Creds) -> IncidentOut:
    """Report an incident (monitors and admins)."""
    with unit_of_work(request, creds) as (s, user):
        return service.incident_out(service.create_incident(s, user, body), user)


@router.patch("/incidents/{incident_id}", tags=["incidents"])
def correct(
    incident_id: IdPath, body: IncidentPatch, request: Request, creds: Creds
) -> IncidentOut:
    """Correct an incident's descriptive fields (its reporter or an admin, until it is raised)."""
    with unit_of_work(request, creds) as (s, user):
        return service.incident_out(service.correct_incident(s, user, incident_id, body), user)


@router.get("/incidents/{incident_id}", tags=["incidents"])
def incident(incident_id: IdPath, request: Request, creds: Creds) -> IncidentOut:
    """One incident with its timeline."""
    with unit_of_work(request, creds) as (s, user):
        return service.incident_out(service.get_incident(s, user, incident_id), user)


@router.post("/incidents/{incident_id}/transitions", tags=["incidents"])
def act(incident_id: IdPath, body: TransitionIn, request: Request, creds: Creds) -> IncidentOut:
    """Move an incident through the workflow."""
    with unit_of_work(request, creds) as (s, user):
        return service.incident_out(service.transition(s, user, incident_id, body), user)


@router.post("/incidents/{incident_id}/notes", tags=["incidents"], status_code=201)
def note(incident_id: IdPath, body: NoteIn, request: Request, creds: Creds) -> NoteOut:
    """Add an internal note (monitors and admins)."""
    with unit_of_work(request, creds) as (s, user):
        n = service.add_note(s, user, incident_id, body)
        return NoteOut(id=n.id, author=user.username, at=n.at, body=n.body)


@router.get("/reports/daily", tags=["reports"])
def daily(
    agreement_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    date: dt.date,
    request: Request,
    creds: Creds,
) -> DailyReport:
    """The daily report of one agreement for one UTC day."""
    with unit_of_work(request, creds) as (s, user):
        return reports.daily_report(s, user, agreement_id, date)


Renderer = Callable[[Session, User, service.IncidentFilter], Iterator[str]]


def _stream(
    request: Request, creds: Creds, render: Renderer, flt: service.IncidentFilter
) -> Iterator[str]:
    """Chunks of an export, rendered inside one read transaction from a batched cursor."""
    with unit_of_work(request, creds) as (s, user):
        yield from render(s, user, flt)


def _started(chunks: Iterator[str]) -> Iterator[str]:
    """Run the export up to its first chunk now, so refusals are 4xx answers, not cut streams."""
    first = next(chunks)
    return itertools.chain([first], chunks)


@router.get(
    "/export/incidents.csv",
    tags=["export"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_csv(flt: Filter, request: Request, creds: Creds) -> StreamingResponse:
    """Every incident matching the filters, as CSV (streamed)."""
    chunks = _started(_stream(request, creds, exchange.csv_chunks, flt))
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8")


@router.get(
    "/export/incidents.geojson",
    tags=["export"],
    response_class=StreamingResponse,
    responses={200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}}},
)
def export_geojson(flt: Filter, request: Request, creds: Creds) -> StreamingResponse:
    """Every incident matching the filters, as a GeoJSON FeatureCollection (streamed)."""
    chunks = _started(_stream(request, creds, exchange.geojson_chunks, flt))
    return StreamingResponse(chunks, media_type="application/geo+json")


_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.post("/import/incidents", tags=["import"], status_code=201, openapi_extra=_CSV_BODY)
async def import_incidents(
    agreement_id: Annotated[int, Query(ge=1, le=MAX_ID)], request: Request, creds: Creds
) -> list[int]:
    """Import incidents from CSV (columns as in the export); a bad row refuses the whole file."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MonitorError("the CSV is not UTF-8", source="csv") from exc

    def work() -> list[int]:
        with unit_of_work(request, creds) as (s, user):
            return [i.id for i in exchange.import_csv(s, user, agreement_id, text)]

    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415 - keeps imports light

    return await run_in_threadpool(work)


@router.get("/audit/verify", tags=["audit"])
def verify(request: Request, creds: Creds) -> AuditOut:
    """Check the audit chain (admins)."""
    with unit_of_work(request, creds) as (s, user):
        require_role(user, Role.ADMIN)
        return AuditOut(**dataclasses.asdict(audit.verify_chain(s)))


class BodySizeLimit:
    """ASGI middleware: refuse a body over ``max_bytes`` with 413 before the app sees it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the body up to the limit, then replay it to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        too_big = declared is not None and declared.isdigit() and int(declared) > self.max_bytes
        chunks: list[bytes] = []
        size = 0
        more = not too_big
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                too_big = True
                break
            chunks.append(chunk)
            more = message.get("more_body", False)
        if too_big:
            response = JSONResponse(
                {"detail": f"request body is larger than {self.max_bytes} bytes"}, status_code=413
            )
            await response(scope, receive, send)
            return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def error_body(exc: MonitorError) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {"detail": exc.message, "field": exc.field, "line": exc.line}


def error_headers(exc: MonitorError) -> dict[str, str] | None:
    """``WWW-Authenticate`` on 401, ``Retry-After`` on 429."""
    if isinstance(exc, TooManyAttemptsError):
        return {"Retry-After": str(exc.retry_after)}
    return {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None


def error_response(exc: MonitorError) -> JSONResponse:
    """The API's answer to a refused request."""
    return JSONResponse(error_body(exc), status_code=exc.status, headers=error_headers(exc))


def printable(value: object) -> str | int:
    """A location part or message that JSON in UTF-8 can always carry (lone surrogates escaped)."""
    if isinstance(value, int):
        return value
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def validation_body(exc: RequestValidationError) -> dict[str, Any]:
    """The 422 body of a request that fails validation: where and why, never the value given.

    Pydantic's errors carry the rejected input, which may be a password or text that cannot be
    encoded (a lone surrogate, NaN); only the error's type, location and message are kept.
    """
    return {
        "detail": [
            {
                "type": printable(err.get("type", "value_error")),
                "loc": [printable(part) for part in err.get("loc", ())],
                "msg": printable(err.get("msg", "invalid value")),
            }
            for err in exc.errors()
        ]
    }


async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """Answer 422 with :func:`validation_body`."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(validation_body(exc), status_code=422)


def install(app: FastAPI, settings: MonitorSettings) -> None:
    """Attach the database, the error handler, the size limit and the API routes to ``app``."""
    engine = make_engine(settings.db_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker(engine, expire_on_commit=False)

    app.state.throttle = settings.throttle

    async def on_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MonitorError)
        return error_response(exc)

    app.add_exception_handler(MonitorError, on_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(router)


def new_app() -> FastAPI:
    """An empty FastAPI app with the service's metadata and no CDN-served pages."""
    # No /docs or /redoc: FastAPI serves those pages from a CDN. The spec is at /openapi.json.
    return FastAPI(
        title="detente monitor",
        version="1",
        summary="Ceasefire monitoring service",
        docs_url=None,
        redoc_url=None,
    )


def create_api(settings: MonitorSettings) -> FastAPI:
    """A FastAPI app serving the JSON API alone (the web pages add to it in detente.web)."""
    app = new_app()
    install(app, settings)
    return app
