"""Response headers: one Content-Security-Policy (`default-src 'self'`: scripts and styles from the
app's own static files only) on every answer the app makes, the same as the TLS proxy's default;
`Cache-Control: no-store` on pages, API answers and downloads, which carry case data; and no
template with an inline script, style or event handler that the policy would block."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from courtflow.headers import CONTENT_SECURITY_POLICY
from reports import services as report_services
from reports.periods import Period
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# The policy, read as a browser would.
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def parse(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.fixture
def officer(court, division):
    user = UserFactory(username="officer", court=court, division=None, roles=["tracking_officer"])
    CaseFactory(court=court, division=division, filed_on=dt.date(2024, 3, 15))
    return user


@pytest.fixture
def bulletin(officer):
    last_month = Period.containing(timezone.localdate().replace(day=1) - dt.timedelta(days=1))
    return report_services.build_bulletin(last_month).bulletin


def test_the_policy_is_strict():
    assert parse(CONTENT_SECURITY_POLICY) == POLICY


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/cases/",
        "/cases/register/",
        "/cases/import/",
        "/alerts/inbox/",
        "/alerts/tracking/",
        "/reports/overview/",
        "/reports/bulletins/",
        "/reports/jobs/",
        "/no-such-page/",  # the 404 page
    ],
)
def test_pages_carry_the_policy_and_are_not_stored(client, officer, url):
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code in (200, 403, 404), url
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response["Cache-Control"] == "no-store"


def test_downloads_and_the_api_are_not_stored(client, officer, bulletin):
    client.force_login(officer)
    for fmt in ("xlsx", "csv", "pdf"):
        response = client.get(f"/reports/bulletins/{bulletin.pk}/download.{fmt}")
        assert response.status_code == 200, fmt
        assert response["Cache-Control"] == "no-store", fmt
    token = Token.objects.create(user=UserFactory(username="integration", roles=["integration"]))
    response = client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_login_page_and_a_refused_request_carry_the_policy(client):
    for response in (client.get("/accounts/login/"), client.get("/cases/")):
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "no-store" in response["Cache-Control"]


def test_the_tls_proxy_sets_the_same_policy_by_default():
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    # Defaults ("?"), each in its own directive: the app's own headers win where it sets them.
    assert f'header ?Content-Security-Policy "{CONTENT_SECURITY_POLICY}"' in caddyfile
    assert 'header ?Cache-Control "no-store"' in caddyfile


# What `default-src 'self'` without 'unsafe-inline' blocks in a page the browser renders.
_BLOCKED = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on…= event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"hx-on", re.I), "hx-on (evaluated script)"),
]
# Rendered to PDF by WeasyPrint only, never served to a browser.
_PDF_ONLY = {"reports/templates/reports/bulletin_pdf_base.html"}


def test_no_template_needs_inline_script_or_style():
    templates = [
        path
        for folder in ("templates", "reports/templates")
        for path in (ROOT / folder).rglob("*.html")
        if str(path.relative_to(ROOT)) not in _PDF_ONLY
    ]
    assert len(templates) > 30
    found = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}: {what}"
        for path in templates
        for text in [path.read_text()]
        for pattern, what in _BLOCKED
        for match in pattern.finditer(text)
    ]
    assert found == []
