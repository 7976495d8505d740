"""The Jinja environment of every page, and the one way to render one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.routing import NoMatchFound

from detente.monitor import auth
from detente.monitor.errors import MonitorError
from detente.monitor.models import User
from detente.web.deps import csrf_token, get_settings
from detente.workbench import library

__all__ = ["error_page", "render", "templates"]

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))


def _has_route(request: Request, name: str) -> bool:
    try:
        request.app.url_path_for(name)
    except NoMatchFound:
        return False
    return True


def render(
    request: Request, name: str, user: User | None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    """A page with the common context: the user, the CSRF token, the areas of the nav bar."""
    settings = get_settings(request)
    context = {
        "user": user,
        "csrf": csrf_token(request),
        "tile_url": settings.tile_url,
        "workbench": _has_route(request, "workbench"),
        "may_report": user is not None and auth.can_report_incidents(user),
        "may_read_reports": user is not None and auth.can_read_reports(user),
        "may_read_scenarios": user is not None and library.can_read(user),
        **ctx,
    }
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, exc: MonitorError) -> HTMLResponse:
    """A page that explains a refused request."""
    return render(request, "error.html", None, status=exc.status, error=exc)
