"""Two headers on every answer the app makes (pages, API, downloads, error pages):

* `Content-Security-Policy`: scripts, styles, images and fonts come from the app's own origin only
  (htmx and the stylesheet are static files of the app); no inline script, style or event
  handler runs, no plugin loads, no other site frames a page, and forms post to the app only.
  The templates keep to it (tests/security/test_headers.py checks them, the browser tests listen
  for violations). `data:` images are for the API docs' icons. deploy/Caddyfile sets the same
  policy as a default for answers that do not come from the app.
* `Cache-Control: no-store` unless the view said otherwise: pages, API answers and the bulletin
  and dispatch downloads carry case data that no browser or proxy cache should keep on a shared
  court computer. Static files are answered by WhiteNoise before this middleware, with their own
  caching (hashed names: a year, immutable).

One static policy is a header, not a dependency: no django-csp (nonces and per-view policies are
not needed while no page has inline code).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """Placed right after WhiteNoise, so static files keep their caching and everything else,
    including the 403/404/429/503 answers of the middleware below it, gets both headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Cache-Control", "no-store")
        return response
