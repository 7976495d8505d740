"""Creating requests that run once per ``Idempotency-Key``: a retry gets the first answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente.monitor import login
from detente.monitor.errors import AuthenticationError, InputError
from detente.monitor.models import IdempotentRequest, User
from detente.web.deps import UnitOfWork, get_writer

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


def _replay(stored: IdempotentRequest, digest: str) -> Response:
    if stored.request_hash != digest:
        raise InputError(
            "this Idempotency-Key was already used for another request", field="Idempotency-Key"
        )
    return Response(
        stored.response,
        status_code=stored.status,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def _encode(result: Any) -> str:
    """The JSON answer of a creating request (a model, or plain data such as a list of ids)."""
    if isinstance(result, BaseModel):
        return result.model_dump_json()
    return json.dumps(jsonable_encoder(result), ensure_ascii=False, separators=(",", ":"))


def once(
    work: UnitOfWork,
    *,
    key: str | None,
    body: bytes,
    status: int,
    run: Callable[[Session, User], Any],
) -> Response:
    """Run a creating request, once per ``Idempotency-Key``: a retry gets the first answer.

    The request runs in the service's group writer (:class:`~detente.monitor.writer.GroupWriter`),
    whose transaction holds the write lock from its start: the key is looked up, the work done
    and the key stored with its answer under that lock, in one transaction, so a request left
    both or neither and no concurrent retry can slip in between. The answer is encoded once,
    for the client and for the key. Without a key the work simply runs.
    """
    digest = "" if key is None else _request_digest(work.request, body)
    token = work.credentials.token

    def job(s: Session) -> Response:
        user = login.session_user(s, token)
        stored = None if key is None else s.get(IdempotentRequest, (user.id, key))
        if stored is not None:
            return _replay(stored, digest)
        answer = _encode(run(s, user))
        if key is not None:
            claim = IdempotentRequest(
                user_id=user.id, key=key, request_hash=digest, status=status, response=answer
            )
            s.add(claim)  # written when the request's savepoint is released
        return Response(answer, status_code=status, media_type="application/json")

    try:
        return get_writer(work.request).submit(job)
    except AuthenticationError:
        if work.credentials.browser:
            work.request.session.clear()
        raise
