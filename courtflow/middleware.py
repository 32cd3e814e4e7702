"""Answer 503 with a clear body while the database is away, instead of a 500.

With CONN_HEALTH_CHECKS on, the next request after the database returns opens a fresh
connection, so the app recovers without a restart.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Errors that mean "cannot reach the database", not "this query is wrong".
_UNAVAILABLE_MARKERS = (
    "could not connect",
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "the database system is",
    "connection already closed",
    "no connection to the server",
    "database is locked",
)


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return any(marker in text for marker in _UNAVAILABLE_MARKERS)
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    message = _(
        "The case database is unavailable for a moment. Nothing you saved is lost; please try again in a minute."
    )
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
    if wants_json:
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        try:
            body = render_to_string("503.html", {"message": message})
        except Exception:  # the template itself may need the database (e.g. a context processor)
            body = f"<!doctype html><meta charset=utf-8><title>503</title><p>{message}</p>"
        response = HttpResponse(body, status=503)
    response["Retry-After"] = "30"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseError) and is_database_unavailable(exception):
            logger.warning("database unavailable: %s", exception)
            # Drop the broken connection so that the next request reconnects.
            for conn in connections.all(initialized_only=True):
                conn.close_if_unusable_or_obsolete()
            return unavailable_response(request)
        return None


class UserLanguageMiddleware:
    """A signed-in person's own language (User.language) wins over the browser's and the computer's
    cookie, so that it follows them from desk to desk. Placed after AuthenticationMiddleware;
    LocaleMiddleware has already chosen a language from the cookie or the browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        try:
            language = user.language if user is not None and user.is_authenticated else ""
        except DatabaseError:
            # The database is away: leave it to the view, whose own query meets the outage inside
            # the view and answers 503 (DatabaseUnavailableMiddleware); here it would be a 500.
            language = ""
        if language and language != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
