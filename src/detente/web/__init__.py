"""The web application: the JSON API and the pages of the Workbench and Monitor areas.

Layout: :mod:`~detente.web.deps` (settings, unit of work, credentials, CSRF),
:mod:`~detente.web.errors` (the one error handler), :mod:`~detente.web.middleware`,
:mod:`~detente.web.api` and :mod:`~detente.web.pages` (one router per area),
:mod:`~detente.web.app` (the factories).
"""

from detente.web.app import create_api, create_app

__all__ = ["create_api", "create_app"]
