"""The one error handler of the application: JSON or a page, by the request.

JSON for the API and for clients asking for JSON; an HTML page (or the login page, on 401,
which returns to the page asked for) for browsers.

Every refusal is a :class:`~detente.monitor.errors.MonitorError` (or a request that fails
validation); its status, message and field are the same whichever way it is answered.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from detente.monitor.errors import InputError, MonitorError, TooManyAttemptsError
from detente.web.landing import login_url
from detente.web.templating import error_page

__all__ = [
    "error_body",
    "error_headers",
    "error_response",
    "install_error_handlers",
    "printable",
    "validation_body",
    "wants_json",
]


def wants_json(request: Request) -> bool:
    """Whether the answer should be JSON: an API path, or a client preferring JSON to HTML."""
    if request.url.path.startswith("/api/") or request.url.path == "/api":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_body(exc: MonitorError) -> dict[str, Any]:
    """The JSON body of an error response, with the error's own :meth:`~MonitorError.details`."""
    return {"detail": exc.message, "field": exc.field, "line": exc.line, **exc.details()}


def error_headers(exc: MonitorError) -> dict[str, str] | None:
    """``WWW-Authenticate`` on 401, ``Retry-After`` on 429."""
    if isinstance(exc, TooManyAttemptsError):
        return {"Retry-After": str(exc.retry_after)}
    return {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None


def error_response(exc: MonitorError) -> JSONResponse:
    """The JSON answer to a refused request."""
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


async def on_error(request: Request, exc: Exception) -> Response:
    """Answer a refusal as JSON or as a page, by the request."""
    assert isinstance(exc, MonitorError)
    if wants_json(request):
        return error_response(exc)
    if exc.status == 401:  # to the login page, and back to this page afterwards
        return RedirectResponse(login_url(request), status_code=303)
    return error_page(request, exc)


async def on_bad_request(request: Request, exc: Exception) -> Response:
    """Answer a request that fails validation: 422 with :func:`validation_body`, or a page."""
    assert isinstance(exc, RequestValidationError)
    if wants_json(request):
        return JSONResponse(validation_body(exc), status_code=422)
    err = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = ".".join(str(printable(p)) for p in err["loc"][1:]) or None
    msg = printable(err["msg"])
    message = f"{field}: {msg}" if field else str(msg)
    return error_page(request, InputError(message, field=field))


def install_error_handlers(app: FastAPI) -> None:
    """Make :func:`on_error` and :func:`on_bad_request` the app's only error handlers."""
    app.add_exception_handler(MonitorError, on_error)
    app.add_exception_handler(RequestValidationError, on_bad_request)
