"""The workbench's pages, under ``/workbench``.

Each feature (scenario library, editor, runs, briefing) is one module of this package with its
own ``router = APIRouter(include_in_schema=False)`` whose paths start with ``/workbench``,
included below. The area's home page is the route named ``workbench``: once it exists, the
nav bar shows the Workbench area. Pages take a :data:`~detente.web.deps.PageWork` and call the
same ``detente.workbench`` services as the API.
"""

from __future__ import annotations

from fastapi import APIRouter

from detente.web.pages.workbench import editor, library, runs

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
# One line per feature module, e.g. ``router.include_router(library.router)``.
router.include_router(library.router)
router.include_router(runs.router)
router.include_router(editor.router)
