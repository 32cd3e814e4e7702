"""The permission matrix: role × endpoint × method → 401 / 403 / 404 / 2xx."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.roles import EDITS_CIVIL_1_CASE, ROLES, SEES_CIVIL_1

pytestmark = pytest.mark.django_db

REGISTERS = {"clerk", "integration", "admin"}
ORGANISATION = {"integration", "admin"}


def expected(role, allowed, ok=200, hidden=None):
    if role is None:
        return 401
    if role in allowed:
        return ok
    return hidden if hidden is not None else 403


@pytest.fixture
def case(make_case):
    return make_case(filed_on=dt.date(2026, 1, 5))


def body(seq):
    return {"case_number": f"(2026)黔0281民初{seq}号", "division": "civil-1", "filed_on": "2026-02-01"}


@pytest.mark.parametrize("role", ROLES)
def test_case_endpoints(api, case, role, today):
    client = api(role)
    url = f"/api/v1/cases/{case.id}/"
    assert client.get("/api/v1/cases/").status_code == expected(role, set(ROLES) - {None})
    assert client.get("/api/v1/cases/export/").status_code == expected(role, set(ROLES) - {None})
    assert client.get(url).status_code == expected(role, SEES_CIVIL_1, hidden=404)
    assert client.get(url + "events/").status_code == expected(role, SEES_CIVIL_1, hidden=404)
    hidden = 403 if role in SEES_CIVIL_1 else 404
    status = client.patch(url, {"cause": f"改{role}"}, format="json").status_code
    assert status == expected(role, EDITS_CIVIL_1_CASE, hidden=hidden)
    status = client.post(url + "suspend/", {}, format="json").status_code
    assert status == expected(role, EDITS_CIVIL_1_CASE, hidden=hidden)
    assert client.post("/api/v1/cases/", body(500), format="json").status_code == expected(role, REGISTERS, 201)
    assert client.post("/api/v1/cases/bulk/", [body(600)], format="json").status_code == expected(role, REGISTERS)
    assert client.delete(url).status_code == (401 if role is None else 405)  # no hard delete for anyone


@pytest.mark.parametrize("role", ROLES)
def test_organisation_endpoints(api, org, role, today):
    client = api(role)
    readers = set(ROLES) - {None}
    assert client.get("/api/v1/divisions/").status_code == expected(role, readers)
    assert client.get("/api/v1/divisions/civil-1/").status_code == expected(role, readers)
    assert client.get("/api/v1/staff/").status_code == expected(role, readers)
    assert client.get("/api/v1/staff/judge1/").status_code == expected(role, readers)
    new_division = {"code": f"d-{role}", "name": "新庭", "kind": "civil"}
    assert client.post("/api/v1/divisions/", new_division, format="json").status_code == expected(
        role, ORGANISATION, 201
    )
    assert client.patch("/api/v1/divisions/civil-1/", {"sort_order": 3}, format="json").status_code == expected(
        role, ORGANISATION
    )
    person = {"username": f"new-{role}", "name": "新人", "roles": ["clerk"], "division": "civil-1"}
    assert client.post("/api/v1/staff/", person, format="json").status_code == expected(role, ORGANISATION, 201)
    assert client.patch("/api/v1/staff/judge1/", {"name": "改名"}, format="json").status_code == expected(
        role, ORGANISATION
    )


def test_schema_and_docs_need_no_token_but_data_does(client, db):
    # The contract itself is public inside the court network; no data is.
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/v1/cases/").status_code == 401


def test_session_login_works_for_the_browser(client, org, today):
    client.force_login(org["clerk"])
    assert client.get("/api/v1/cases/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases/",
        "/api/v1/cases/export/",
        "/api/v1/divisions/",
        "/api/v1/staff/",
        "/api/v1/alerts/",
        "/api/v1/plans/",
        "/api/v1/dispatches/",
        "/api/v1/bulletins/",
    ],
)
def test_nothing_is_readable_without_authentication(client, db, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_from_the_management_command_authenticates(org, today):
    from io import StringIO

    from django.core.management import call_command
    from rest_framework.test import APIClient

    out = StringIO()
    call_command("drf_create_token", "integration", stdout=out)
    key = out.getvalue().split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/cases/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get("/api/v1/cases/").status_code == 401


def test_token_requests_are_throttled_as_configured(api, settings, today):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "3/minute"}}
    client = api("integration")
    statuses = [client.get("/api/v1/divisions/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    cache.clear()


def test_errors_follow_accept_language(api, today):
    client = api("integration")
    english = client.get("/api/v1/cases/", {"bogus": "1"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english == {"bogus": ["Unknown query parameter."]}
    chinese = client.get("/api/v1/cases/", {"bogus": "1"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese["bogus"][0]  # the UI engineer maintains the translation
