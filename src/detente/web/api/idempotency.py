"""Creating requests that run once per ``Idempotency-Key``: a retry gets the first answer."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, cast

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from detente.monitor import login
from detente.monitor.errors import AuthenticationError, InputError
from detente.monitor.models import IdempotentRequest, User, utcnow
from detente.web.deps import UnitOfWork, get_writer

__all__ = ["BatchedCreate", "IdempotencyKey", "json_bytes", "once"]

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


def _replay(request_hash: str, status: int, response: str, digest: str) -> Response:
    if request_hash != digest:
        raise InputError(
            "this Idempotency-Key was already used for another request", field="Idempotency-Key"
        )
    return Response(
        response,
        status_code=status,
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
            return _replay(stored.request_hash, stored.status, stored.response, digest)
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


@dataclasses.dataclass(frozen=True)
class _Pending:
    """One creating request waiting for its batch: who asks, its key and what it creates."""

    token: str
    key: str | None
    digest: str
    payload: Any


#: Creates many things at once: one outcome per ``(user, payload)``, a result or an error.
Create = Callable[[Session, Sequence[tuple[User, Any]]], Sequence[Any]]


class BatchedCreate:
    """A creating request that is applied together with the others of its kind waiting.

    What :func:`once` does for one request, for every such request of a group of the
    service's writer at once (:meth:`~detente.monitor.writer.GroupWriter.submit_batched`):
    the keys already used are looked up with one query, ``create`` makes everything new in
    one call, and the keys are stored with their answers with one multi-row INSERT, in the
    same transaction. Two requests of one batch with the same key make the writer apply the
    batch's requests one by one, where the second finds the first's answer.

    Args:
        create: makes the new things (e.g. :func:`detente.monitor.intake.create_incidents`).
        status: the HTTP status of a new thing's answer.
    """

    def __init__(self, create: Create, *, status: int) -> None:
        self._create = create
        self._status = status

    async def submit(
        self, work: UnitOfWork, *, key: str | None, body: bytes, payload: Any
    ) -> Response:
        """Create ``payload`` as the signed-in user, once per ``Idempotency-Key``.

        Awaits the writer's answer on the event loop: no thread of the server's pool waits.
        """
        digest = "" if key is None else _request_digest(work.request, body)
        pending = _Pending(work.credentials.token, key, digest, payload)
        try:
            future = get_writer(work.request).submit_batched(self, pending)
            return cast("Response", await asyncio.wrap_future(future))
        except AuthenticationError:
            if work.credentials.browser:
                work.request.session.clear()
            raise

    def __call__(self, session: Session, pending: Sequence[_Pending]) -> list[Any]:
        """The answers (or errors) of ``pending``, in order (the writer's batch function)."""
        out: list[Any] = [None] * len(pending)
        users = self._users(session, pending, out)
        keys = [(users[i].id, pending[i].key) for i in users if pending[i].key is not None]
        if len(set(keys)) < len(keys):
            msg = "two requests of one batch share an Idempotency-Key"
            raise RuntimeError(msg)  # the writer then applies them one by one
        stored = self._stored(session, keys)
        fresh: list[int] = []
        for index, user in users.items():
            row = stored.get((user.id, pending[index].key))
            if row is None:
                fresh.append(index)
                continue
            try:
                out[index] = _replay(*row, pending[index].digest)
            except InputError as exc:
                out[index] = exc
        results = self._create(session, [(users[i], pending[i].payload) for i in fresh])
        claims: list[dict[str, Any]] = []
        for index, result in zip(fresh, results, strict=True):
            out[index] = self._answer(result, users[index], pending[index], claims)
        if claims:
            session.execute(insert(cast("Table", IdempotentRequest.__table__)), claims)
        return out

    def _answer(self, result: Any, user: User, p: _Pending, claims: list[dict[str, Any]]) -> Any:
        """A new thing's answer (its key's claim added to ``claims``), or its refusal."""
        if isinstance(result, BaseException):
            return result
        answer = _encode(result)
        if p.key is not None:
            claims.append(
                {
                    "user_id": user.id,
                    "key": p.key,
                    "request_hash": p.digest,
                    "status": self._status,
                    "response": answer,
                    "created_at": utcnow(),
                }
            )
        return Response(answer, status_code=self._status, media_type="application/json")

    @staticmethod
    def _users(session: Session, pending: Sequence[_Pending], out: list[Any]) -> dict[int, User]:
        """The user of each request by its index; a request refused sign-in gets the error."""
        users: dict[int, User] = {}
        known: dict[str, User] = {}  # a client's token is looked up once per batch
        for index, p in enumerate(pending):
            try:
                user = known.get(p.token) or login.session_user(session, p.token)
            except AuthenticationError as exc:
                out[index] = exc
                continue
            known[p.token] = users[index] = user
        return users

    @staticmethod
    def _stored(
        session: Session, keys: list[tuple[int, str | None]]
    ) -> dict[tuple[int, str | None], tuple[str, int, str]]:
        """The stored answers of the keys already used: one query for the whole batch."""
        if not keys:
            return {}
        t = IdempotentRequest
        query = select(t.user_id, t.key, t.request_hash, t.status, t.response).where(
            t.user_id.in_({u for u, _ in keys}), t.key.in_({k for _, k in keys})
        )
        return {(u, k): (h, st, r) for u, k, h, st, r in session.execute(query)}
