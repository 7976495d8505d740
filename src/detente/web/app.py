"""The app factories: the whole application (API + pages of both areas) or the API alone.

The app holds its frozen settings, engine and session maker in ``app.state``; routes reach
them only through :mod:`detente.web.deps`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from detente.monitor.db import MonitorSettings, make_engine, sessions
from detente.monitor.writer import GroupWriter
from detente.web import api, pages
from detente.web.errors import install_error_handlers
from detente.web.middleware import BodySizeLimit, SecurityHeaders, content_security_policy
from detente.workbench.jobs import JobRegistry
from detente.workbench.workers import AnalysisPool, SurvivalWorker

__all__ = ["create_api", "create_app"]

STATIC = Path(__file__).with_name("static")
#: Browsers' session cookie (signed with the settings' secret key).
SESSION_COOKIE = "detente_session"


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On shutdown, stop the live analysis's workers and cancel the jobs (in memory only).

    The workers start when first needed (see :mod:`detente.workbench.workers`): a server
    that only monitors never starts them.
    """
    try:
        yield
    finally:
        app.state.jobs.close()
        app.state.analyses.close()
        app.state.survival.close()


def _new_app(settings: MonitorSettings) -> FastAPI:
    """An app with the database, the error handler, the body limit and the JSON API."""
    # No /docs or /redoc: FastAPI serves those pages from a CDN. The spec is at /openapi.json.
    app = FastAPI(
        title="detente",
        version="1",
        summary="Ceasefire and peace negotiations: the analyst's workbench and the monitor",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    engine = make_engine(settings.db_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessions(engine, settings)
    app.state.jobs = JobRegistry()
    app.state.writer = GroupWriter(app.state.sessionmaker)
    app.state.analyses = AnalysisPool(settings.live_workers)
    app.state.survival = SurvivalWorker(in_process=settings.live_workers == 0)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(api.router)
    return app


def create_api(settings: MonitorSettings) -> FastAPI:
    """The JSON API alone (``/api/...``; bearer tokens only, no pages or browser sessions)."""
    return _new_app(settings)


def create_app(settings: MonitorSettings) -> FastAPI:
    """The whole application: the API, the Workbench and Monitor pages, sessions, static files."""
    app = _new_app(settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        same_site="strict",
        max_age=12 * 3600,
        https_only=settings.secure_cookies,
    )
    app.add_middleware(SecurityHeaders, csp=content_security_policy(settings.tile_url))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """The site's icon (browsers ask for it at this address)."""
        return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon")

    app.include_router(pages.router)
    return app
