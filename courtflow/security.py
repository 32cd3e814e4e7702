"""Login throttling glue for django-axes.

* `LoginAttemptsBackend` is axes' standalone backend, except that an `authenticate()` call made
  without a request (the test client's `login()`, a shell, a management command) is let through
  to the next backend instead of failing: only logins that come in over HTTP carry an address
  to count failures against, and those always pass the request.
* `client_ip` names the address a failure is counted against. Behind the TLS proxy every request
  arrives from the proxy, so with `TRUSTED_PROXY_COUNT=1` the client is the last address the
  proxy appended to X-Forwarded-For; with 0 (no proxy) it is REMOTE_ADDR. Addresses further left
  in the header are written by the client and are not trusted.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse


class LoginAttemptsBackend(AxesStandaloneBackend):
    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


# Paths an integration account may use besides the API: logging out, health, language, static files.
_INTEGRATION_PATHS = ("/api/", "/accounts/logout/", "/healthz", "/i18n/", "/static/")


def is_integration_only(user) -> bool:
    """An account whose only role is integration (another court system): API only."""
    from cases.permissions import is_api_only

    return is_api_only(user)


class IntegrationApiOnlyMiddleware:
    """Integration accounts use the REST API only. Signed in through the login page, such an account
    is sent to one page (cases:integration) that says so, points to the API docs and how to get a
    token, and offers to sign out: every staff page and the admin redirect there (a form sent to
    them answers 403, whose link home leads there too). Anonymous requests cost nothing here (the
    user is only looked up when a session cookie is present)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.COOKIES.get(settings.SESSION_COOKIE_NAME) and not request.path.startswith(_INTEGRATION_PATHS):
            page = reverse("cases:integration")
            try:
                refused = request.path != page and is_integration_only(request.user)
            except DatabaseError:
                # The database is away: let the view meet the same error, which answers 503.
                refused = False
            if refused:
                if request.method in ("GET", "HEAD"):
                    return redirect(page)
                raise PermissionDenied("Integration accounts use the API only.")
        return self.get_response(request)
