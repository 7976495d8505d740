"""Live analysis over the API: the edited document in, the panel's figures out.

``POST /api/workbench/analyze`` answers the plot's part (tens of milliseconds, computed by
the app's analysis worker processes); ``POST /api/workbench/analyze/survival`` the survival
part (about a second, computed in turn by one worker process; a request whose client has gone
away is dropped while it waits and stopped while it computes).
See :mod:`detente.workbench.workers`.
Both take the document the editor holds, saved or not, and give the figures
``detente analyze --json`` prints for it (see ``docs/reference/workbench-api.md``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from detente.monitor.models import User
from detente.web.deps import Analyses, ApiWork, Survival
from detente.workbench.workers import to_json

__all__ = ["AnalyzeIn", "SurvivalIn", "router"]

router = APIRouter(prefix="/analyze", tags=["workbench"])

Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="Seed of every Monte Carlo estimate.")]


class AnalyzeIn(BaseModel):
    """A document to analyse and the two parties on the plot's axes."""

    document: dict[str, Any] = Field(description="The native scenario mapping.")
    x: str | None = Field(default=None, max_length=200, description="Party on the x axis.")
    y: str | None = Field(default=None, max_length=200, description="Party on the y axis.")
    seed: Seed = 0


class SurvivalIn(BaseModel):
    """A document whose deals to assess."""

    document: dict[str, Any] = Field(description="The native scenario mapping.")
    seed: Seed = 0


M = TypeVar("M", bound=BaseModel)


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that parses its JSON itself (see :func:`_parsed`)."""
    schema = {"schema": model.model_json_schema()}
    return {"requestBody": {"required": True, "content": {"application/json": schema}}}


async def _parsed(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model``; a 422 worded as FastAPI words it otherwise.

    Every edit sends a document of some 20 kB: orjson parses it in a fifth of the standard
    parser's time, in the server's one process, and the document itself is passed on as parsed
    (``dict[str, Any]``), not walked again.
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        error: dict[str, Any] = {"type": "content_type", "loc": ("body",), "msg": "send JSON"}
        raise RequestValidationError([error])
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error"}
        raise RequestValidationError([error]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def _json(body: bytes, took_ms: float) -> Response:
    """The answer's JSON as it is (encoded where it was computed).

    ``Server-Timing`` says how long the server computed (queueing excluded), for the page's
    performance entries and the latency benchmark.
    """
    headers = {"Cache-Control": "no-store", "Server-Timing": f"compute;dur={took_ms:.1f}"}
    return Response(body, media_type="application/json", headers=headers)


async def _gone(request: Request) -> None:
    """Return once the client has closed its connection.

    The body has been read, so the server's next message is the disconnection; nothing polls.
    """
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _reader(work: ApiWork) -> User:
    """The signed-in user (the transaction ends before the computation starts)."""
    with work() as (_, user):
        return user


@router.post("", response_class=Response, openapi_extra=_schema(AnalyzeIn))
async def analyze(request: Request, work: ApiWork, pool: Analyses) -> Response:
    """ZOPA, frontier and cloud in the plane of x and y, solutions, sweeteners, talking points.

    The request waits for a worker without holding one of the server's threads.
    """
    body = await _parsed(request, AnalyzeIn)
    user = await run_in_threadpool(_reader, work)
    answer = await pool.analyze(user, body.document, x=body.x, y=body.y, seed=body.seed)
    return _json(answer.body, answer.compute_ms)


@router.post(
    "/survival",
    response_class=Response,
    responses={204: {"description": "The client went away before its answer was ready."}},
    openapi_extra=_schema(SurvivalIn),
)
async def survival(request: Request, work: ApiWork, worker: Survival) -> Response:
    """Margins and one-year survival of every deal put forward, and the recommended deal.

    The request waits for its turn without holding one of the server's threads; when its
    client goes away it is dropped, or its computation stopped (204 either way).
    """
    started = time.perf_counter()
    body = await _parsed(request, SurvivalIn)
    user = await run_in_threadpool(_reader, work)
    answer = await worker.assess(user, body.document, seed=body.seed, gone=lambda: _gone(request))
    if answer is None:
        return Response(status_code=204)
    return _json(to_json(answer), 1000 * (time.perf_counter() - started))
