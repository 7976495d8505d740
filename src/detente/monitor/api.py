"""The JSON API (FastAPI routers): every handler is one transaction over the service layer.

Clients authenticate with a bearer token from ``POST /api/token``. When the web pages' session
middleware is installed, a logged-in browser session works too; its unsafe requests must carry
the session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import itertools
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit, exchange, login, reports, service
from detente.monitor.auth import require_role
from detente.monitor.db import MonitorSettings, make_engine, sessions
from detente.monitor.enums import IncidentType, Role, State
from detente.monitor.errors import (
    AuthenticationError,
    InputError,
    MonitorError,
    PermissionDeniedError,
)
from detente.monitor.http import (
    BodySizeLimit,
    error_response,
    on_validation_error,
)
from detente.monitor.models import IdempotentRequest, User
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
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,200}$",
        description="Any unique string (a UUID): a retry with the same key returns the first "
        "answer and creates nothing new.",
    ),
]


def _request_digest(request: Request, body: bytes) -> str:
    """What a retry must repeat: method, path, query and body."""
    head = f"{request.method} {request.url.path}?{request.url.query}\n".encode()
    return hashlib.sha256(head + body).hexdigest()


def _replay(stored: IdempotentRequest, digest: str) -> JSONResponse:
    if stored.request_hash != digest:
        raise InputError(
            "this Idempotency-Key was already used for another request", field="Idempotency-Key"
        )
    return JSONResponse(
        json.loads(stored.response),
        status_code=stored.status,
        headers={"Idempotent-Replayed": "true"},
    )


def once(
    request: Request,
    creds: Credentials,
    *,
    key: str | None,
    body: bytes,
    status: int,
    work: Callable[[Session, User], Any],
) -> Any:
    """Run a creating request once per ``Idempotency-Key``: a retry gets the first answer.

    The key is claimed in the same transaction as the work and its answer, so a request
    either left both or neither; a concurrent retry fails on the key's primary key and then
    finds the first answer. Without a key the work simply runs.
    """
    if key is None:
        with unit_of_work(request, creds) as (s, user):
            return work(s, user)
    digest = _request_digest(request, body)
    try:
        with unit_of_work(request, creds) as (s, user):
            stored = s.get(IdempotentRequest, (user.id, key))
            if stored is not None:
                return _replay(stored, digest)
            claim = IdempotentRequest(
                user_id=user.id, key=key, request_hash=digest, status=0, response="null"
            )
            s.add(claim)
            s.flush()  # a concurrent request with this key waits here, then fails
            result = work(s, user)
            claim.status = status
            claim.response = json.dumps(jsonable_encoder(result), ensure_ascii=False)
            return result
    except IntegrityError:
        with unit_of_work(request, creds) as (s, user):
            stored = s.get(IdempotentRequest, (user.id, key))
            if stored is None:
                raise
            return _replay(stored, digest)


def _json(body: BaseModel) -> bytes:
    return body.model_dump_json().encode()


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


@router.post("/users", tags=["users"], status_code=201, response_model=UserOut)
def new_user(body: UserIn, request: Request, creds: Creds, key: IdempotencyKey = None) -> Any:
    """Create a user (admins)."""

    def work(s: Session, user: User) -> UserOut:
        return UserOut.model_validate(service.create_user(s, user, body))

    return once(request, creds, key=key, body=_json(body), status=201, work=work)


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


@router.post("/agreements", tags=["agreements"], status_code=201, response_model=AgreementOut)
def new_agreement(
    body: AgreementIn, request: Request, creds: Creds, key: IdempotencyKey = None
) -> Any:
    """Create an agreement with its parties, clauses and sectors (admins)."""

    def work(s: Session, user: User) -> AgreementOut:
        return AgreementOut.model_validate(service.create_agreement(s, user, body))

    return once(request, creds, key=key, body=_json(body), status=201, work=work)


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
    changed_since: Annotated[
        dt.datetime | None,
        Query(
            description="reported, moved through the workflow or corrected at or after this "
            "time: for incremental pulls, pass the time of the previous pull"
        ),
    ] = None,
) -> service.IncidentFilter:
    """Query parameters shared by the list and the exports."""

    def utc(t: dt.datetime | None) -> dt.datetime | None:
        return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t

    return service.IncidentFilter(
        agreement_id, utc(since), utc(until), sector_id, type, state, party_id, utc(changed_since)
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


@router.post("/incidents", tags=["incidents"], status_code=201, response_model=IncidentOut)
def new_incident(
    body: IncidentIn, request: Request, creds: Creds, key: IdempotencyKey = None
) -> Any:
    """Report an incident (monitors and admins).

    Send an ``Idempotency-Key`` header to retry safely: the retry returns the first answer.
    """

    def work(s: Session, user: User) -> IncidentOut:
        return service.incident_out(service.create_incident(s, user, body), user)

    return once(request, creds, key=key, body=_json(body), status=201, work=work)


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


@router.post("/incidents/{incident_id}/transitions", tags=["incidents"], response_model=IncidentOut)
def act(
    incident_id: IdPath,
    body: TransitionIn,
    request: Request,
    creds: Creds,
    key: IdempotencyKey = None,
) -> Any:
    """Move an incident through the workflow."""

    def work(s: Session, user: User) -> IncidentOut:
        return service.incident_out(service.transition(s, user, incident_id, body), user)

    return once(request, creds, key=key, body=_json(body), status=200, work=work)


@router.post(
    "/incidents/{incident_id}/notes", tags=["incidents"], status_code=201, response_model=NoteOut
)
def note(
    incident_id: IdPath, body: NoteIn, request: Request, creds: Creds, key: IdempotencyKey = None
) -> Any:
    """Add an internal note (monitors and admins)."""

    def work(s: Session, user: User) -> NoteOut:
        n = service.add_note(s, user, incident_id, body)
        return NoteOut(id=n.id, author=user.username, at=n.at, body=n.body)

    return once(request, creds, key=key, body=_json(body), status=201, work=work)


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
def export_csv(
    flt: Filter,
    request: Request,
    creds: Creds,
    hxl: Annotated[bool, Query(description="add a second row of HXL hashtags")] = False,
) -> StreamingResponse:
    """Every incident matching the filters, as CSV (streamed); ``hxl`` adds HXL hashtags."""
    render = functools.partial(exchange.csv_chunks, hxl=hxl)
    chunks = _started(_stream(request, creds, render, flt))
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


@router.post(
    "/import/incidents",
    tags=["import"],
    status_code=201,
    openapi_extra=_CSV_BODY,
    response_model=list[int],
)
async def import_incidents(
    agreement_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    request: Request,
    creds: Creds,
    key: IdempotencyKey = None,
) -> Any:
    """Import incidents from CSV (columns as in the export); a bad row refuses the whole file."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MonitorError("the CSV is not UTF-8", source="csv") from exc

    def work(s: Session, user: User) -> list[int]:
        return [i.id for i in exchange.import_csv(s, user, agreement_id, text)]

    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415 - keeps imports light

    return await run_in_threadpool(
        functools.partial(once, request, creds, key=key, body=raw, status=201, work=work)
    )


@router.get("/audit/verify", tags=["audit"])
def verify(request: Request, creds: Creds) -> AuditOut:
    """Check the audit chain (admins)."""
    with unit_of_work(request, creds) as (s, user):
        require_role(user, Role.ADMIN)
        return AuditOut(**dataclasses.asdict(audit.verify_chain(s)))


def install(app: FastAPI, settings: MonitorSettings) -> None:
    """Attach the database, the error handler, the size limit and the API routes to ``app``."""
    engine = make_engine(settings.db_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessions(engine, settings)

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
