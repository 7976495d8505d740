"""The workbench's JSON API, under ``/api/workbench``.

Each feature of the workbench (scenario library, live analysis, runs, briefing) is one module
of this package with its own ``router = APIRouter(prefix="/<feature>", tags=["workbench"])``,
included below. Routes take a :data:`~detente.web.deps.ApiWork` and call the
``detente.workbench`` services with ``(session, user)``: the services check the roles, never
the routes.
"""

from __future__ import annotations

from fastapi import APIRouter

from detente.web.api.workbench import analysis, documents, runs, scenarios

__all__ = ["router"]

router = APIRouter(prefix="/workbench")
# One line per feature module, e.g. ``router.include_router(scenarios.router)``; the live
# analysis first: its routes are asked most often, and FastAPI tries routes in order.
router.include_router(analysis.router)
router.include_router(scenarios.router)
router.include_router(runs.router)
router.include_router(documents.router)
