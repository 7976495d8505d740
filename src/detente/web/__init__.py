"""Web pages of the monitoring service, served by the same app as the JSON API."""

from detente.web.app import create_app

__all__ = ["create_app"]
