"""Where a browser goes: its landing page by role, and back where it meant to go after login.

Signed in, ``/`` sends whoever edits scenarios (analysts and admins, see
:data:`~detente.monitor.enums.EDITORS`) to the Workbench's scenario library, and the mission's
people (monitors, who may also read scenarios, and party liaisons, who never see them) to the
Monitor's incident list, where their work is. Signed out, a page
sends the browser to the login page with the page's address in ``next``, and a successful
login returns there. Only an address on this site is followed: anything that a browser could
read as another site's (``//host``, a backslash, a scheme, control characters) is ignored, so a
crafted login link cannot send a user elsewhere after they sign in.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

from detente.monitor.models import User
from detente.web.deps import SAFE_METHODS
from detente.workbench import library

__all__ = ["MAX_NEXT", "landing", "local_target", "login_url"]

#: The longest ``next`` address followed (longer ones are ignored).
MAX_NEXT = 2000


def landing(request: Request, user: User) -> str:
    """The page a signed-in user starts from: the scenario library, or the incident list."""
    name = "workbench" if library.can_edit(user) else "incident_list"
    return str(request.app.url_path_for(name))


def local_target(value: str | None) -> str | None:
    """``value`` when it is an address on this site (a path, with its query); None otherwise.

    A path that starts with one slash has no scheme and no host; a browser would read a
    second slash, a backslash (as a slash) or a tab or newline (dropped) otherwise.
    """
    if not value or len(value) > MAX_NEXT or not value.startswith("/"):
        return None
    if value.startswith("//") or "\\" in value or any(c < " " or c == "\x7f" for c in value):
        return None
    return value


def login_url(request: Request) -> str:
    """The login page, with the address asked for in ``next`` when it is a page to return to.

    Only a page read with GET is returned to (a form's POST cannot be repeated), and not
    ``/``, which lands by role anyway. The login page follows ``next`` only when
    :func:`local_target` accepts it.
    """
    login = str(request.app.url_path_for("login_form"))
    if request.method not in SAFE_METHODS or request.url.path == "/":
        return login
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{login}?{urlencode({'next': target})}"
