"""HTTP plumbing of the API: the body size limit and the one shape of every error answer."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detente.monitor.errors import MonitorError, TooManyAttemptsError

__all__ = [
    "BodySizeLimit",
    "error_body",
    "error_headers",
    "error_response",
    "on_validation_error",
    "printable",
    "validation_body",
]


class BodySizeLimit:
    """ASGI middleware: refuse a body over ``max_bytes`` with 413 before the app sees it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the body up to the limit, then replay it to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        too_big = declared is not None and declared.isdigit() and int(declared) > self.max_bytes
        chunks: list[bytes] = []
        size = 0
        more = not too_big
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                too_big = True
                break
            chunks.append(chunk)
            more = message.get("more_body", False)
        if too_big:
            response = JSONResponse(
                {"detail": f"request body is larger than {self.max_bytes} bytes"}, status_code=413
            )
            await response(scope, receive, send)
            return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def error_body(exc: MonitorError) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {"detail": exc.message, "field": exc.field, "line": exc.line}


def error_headers(exc: MonitorError) -> dict[str, str] | None:
    """``WWW-Authenticate`` on 401, ``Retry-After`` on 429."""
    if isinstance(exc, TooManyAttemptsError):
        return {"Retry-After": str(exc.retry_after)}
    return {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None


def error_response(exc: MonitorError) -> JSONResponse:
    """The API's answer to a refused request."""
    return JSONResponse(error_body(exc), status_code=exc.status, headers=error_headers(exc))


def printable(value: object) -> str | int:
    """A location part or message that JSON in UTF-8 can always carry (lone surrogates escaped)."""
    if isinstance(value, int):
        return value
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def validation_body(exc: RequestValidationError) -> dict[str, Any]:
    """The 422 body of a request that fails validation: where and why, never the value given.

    Pydantic's errors carry the rejected input, which may be a password or text that cannot be
    encoded (a lone surrogate, NaN); only the error's type, location and message are kept.
    """
    return {
        "detail": [
            {
                "type": printable(err.get("type", "value_error")),
                "loc": [printable(part) for part in err.get("loc", ())],
                "msg": printable(err.get("msg", "invalid value")),
            }
            for err in exc.errors()
        ]
    }


async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """Answer 422 with :func:`validation_body`."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(validation_body(exc), status_code=422)
