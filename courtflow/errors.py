"""Error answers outside DRF's views: JSON under /api/, as the schema promises, the HTML pages
elsewhere (ROOT_URLCONF's handler400/403/404/500).

DRF turns the errors of its own views into JSON; these cover what happens before or around them:
a path no route matches (a newline in it, say), a request Django itself refuses (too many form
fields), an unhandled exception. The 500 answer names nothing of the error: it is logged.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def api_error(status: int) -> JsonResponse:
    messages = {
        400: _("Bad request."),
        403: _("You do not have permission to perform this action."),
        404: _("Not found."),
        500: _("Server error: it has been logged. Please try again later."),
    }
    return JsonResponse({"detail": messages[status]}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return api_error(400) if is_api(request) else defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return api_error(403) if is_api(request) else defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return api_error(404) if is_api(request) else defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    return api_error(500) if is_api(request) else defaults.server_error(request)
