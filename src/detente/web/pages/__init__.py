"""Server-rendered pages, one router per area: signing in, the Monitor, the Workbench.

Every page calls the same service functions as the API, so authorisation is the service
layer's. Forms carry the session's CSRF token; a form without it is refused.
"""

from __future__ import annotations

from fastapi import APIRouter

from detente.web.pages import auth, duplicates, monitor, workbench

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
for _area in (auth, monitor, duplicates, workbench):
    router.include_router(_area.router)
