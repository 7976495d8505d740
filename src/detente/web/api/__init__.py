"""The JSON API, one router per area, all under ``/api``.

Clients authenticate with a bearer token from ``POST /api/token``. When the pages' session
middleware is installed, a signed-in browser session works too; its unsafe requests must
carry the session's CSRF token in ``X-CSRF-Token``. Every handler is one transaction (a
:class:`~detente.web.deps.UnitOfWork`) over the service layer.
"""

from __future__ import annotations

from fastapi import APIRouter

from detente.web.api import (
    agreements,
    audit,
    auth,
    duplicates,
    exchange,
    incidents,
    reports,
    users,
    workbench,
)

__all__ = ["router"]

router = APIRouter(prefix="/api")
# FastAPI tries an app's routes in order, each included router's in full: the live analysis's
# routes, asked several times a second per analyst, come first.
for _area in (workbench, auth, users, agreements, incidents, duplicates, reports, exchange, audit):
    router.include_router(_area.router)
