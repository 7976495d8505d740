"""The app factory: JSON API + server-rendered pages, sessions and static files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detente.monitor import api, http
from detente.monitor.db import MonitorSettings
from detente.monitor.errors import InputError, MonitorError
from detente.web import pages

__all__ = ["create_app"]

STATIC = Path(__file__).with_name("static")


def content_security_policy(tile_url: str) -> str:
    """Scripts and styles from this site only; map tiles also from the tile server, if any."""
    parts = urlsplit(tile_url.replace("{s}", "a"))
    tiles = f" {parts.scheme}://{parts.netloc.replace('a.', '*.', 1)}" if parts.netloc else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data:{tiles}; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


class SecurityHeaders:
    """Add the CSP and related headers to every response."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through, adding headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *self.headers]
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(settings: MonitorSettings) -> FastAPI:
    """The whole service: ``/api/...`` (JSON, OpenAPI at ``/openapi.json``) and the pages."""
    app = api.new_app()
    api.install(app, settings)

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, MonitorError)
        if request.url.path.startswith("/api/"):
            return http.error_response(exc)
        if exc.status == 401:
            return RedirectResponse("/login", status_code=303)
        return pages.error_page(request, exc)

    async def on_bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith("/api/"):
            return await http.on_validation_error(request, exc)
        err = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(http.printable(p)) for p in err["loc"][1:]) or None
        msg = http.printable(err["msg"])
        message = f"{field}: {msg}" if field else str(msg)
        return pages.error_page(request, InputError(message, field=field))

    app.add_exception_handler(MonitorError, on_error)
    app.add_exception_handler(RequestValidationError, on_bad_request)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="detente_session",
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
