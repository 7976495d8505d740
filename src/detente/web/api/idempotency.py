"""Creating requests that run once per ``Idempotency-Key``: a retry gets the first answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from detente.monitor.errors import InputError
from detente.monitor.models import IdempotentRequest, User
from detente.web.deps import UnitOfWork

__all__ = ["IdempotencyKey", "json_bytes", "once"]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,200}$",
        description="Any unique string (a UUID): a retry with the same key returns the first "
        "answer and creates nothing new.",
    ),
]


def json_bytes(body: BaseModel) -> bytes:
    """The canonical bytes of a parsed body (what a retry must repeat)."""
    return body.model_dump_json().encode()


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
    work: UnitOfWork,
    *,
    key: str | None,
    body: bytes,
    status: int,
    run: Callable[[Session, User], Any],
) -> Any:
    """Run a creating request once per ``Idempotency-Key``: a retry gets the first answer.

    The key is claimed in the same transaction as the work and its answer, so a request
    either left both or neither; a concurrent retry fails on the key's primary key and then
    finds the first answer. Without a key the work simply runs.
    """
    if key is None:
        with work() as (s, user):
            return run(s, user)
    digest = _request_digest(work.request, body)
    try:
        with work() as (s, user):
            stored = s.get(IdempotentRequest, (user.id, key))
            if stored is not None:
                return _replay(stored, digest)
            claim = IdempotentRequest(
                user_id=user.id, key=key, request_hash=digest, status=0, response="null"
            )
            s.add(claim)
            s.flush()  # a concurrent request with this key waits here, then fails
            result = run(s, user)
            claim.status = status
            claim.response = json.dumps(jsonable_encoder(result), ensure_ascii=False)
            return result
    except IntegrityError:
        with work() as (s, user):
            stored = s.get(IdempotentRequest, (user.id, key))
            if stored is None:
                raise
            return _replay(stored, digest)
