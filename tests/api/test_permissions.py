"""The permission matrix: role × endpoint × method → 401 / 403 / 404 / 2xx."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import User
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


# --- what an integration may change in the staff register (docs/permissions.md) ----------------

ACCOUNT_CHANGES = [
    {"active": False},
    {"username": "renamed"},
    {"name": "改名"},
    {"division": "civil-1"},
    {"roles": ["clerk"]},
]


@pytest.mark.parametrize("target", ["admin", "integration", "president", "vice_president", "tracking_officer"])
@pytest.mark.parametrize("change", ACCOUNT_CHANGES, ids=lambda change: next(iter(change)))
def test_an_integration_never_changes_an_administered_account(api, org, target, change, today):
    person = org[target]
    before = (person.username, person.name, person.division_id, person.is_active, sorted(person.roles))
    response = api("integration").patch(f"/api/v1/staff/{person.username}/", change, format="json")
    assert response.status_code == 403, response.content
    body = response.json()
    assert set(change) <= set(body) and body["detail"], body  # the refused field is named
    person.refresh_from_db()
    person.__dict__.pop("roles", None)
    assert (person.username, person.name, person.division_id, person.is_active, sorted(person.roles)) == before
    assert api(target).get("/api/v1/divisions/").status_code == 200  # the account still works


def test_an_integration_never_disables_the_admin(api, org, today):
    assert api("integration").patch("/api/v1/staff/admin/", {"active": False}, format="json").status_code == 403
    replace = {"username": "admin", "active": False}
    assert api("integration").put("/api/v1/staff/admin/", replace, format="json").status_code == 403
    assert api("admin").get("/api/v1/cases/").status_code == 200


@pytest.mark.parametrize("role", ["admin", "integration", "president", "vice_president", "tracking_officer"])
def test_an_integration_neither_gives_nor_takes_a_court_wide_role(api, org, role, today):
    client = api("integration")
    response = client.patch("/api/v1/staff/clerk1/", {"roles": ["clerk", role]}, format="json")
    assert response.status_code == 403 and role in response.json()["roles"][0], response.content
    person = {"username": f"new-{role}", "name": "新人", "roles": [role], "division": "civil-1"}
    response = client.post("/api/v1/staff/", person, format="json")
    assert response.status_code == 403 and "roles" in response.json(), response.content
    assert not User.objects.filter(username=f"new-{role}").exists()
    assert sorted(User.objects.get(username="clerk1").roles) == ["clerk"]
    # An administrator may.
    assert api("admin").patch("/api/v1/staff/clerk1/", {"roles": ["clerk", role]}, format="json").status_code == 200


def test_an_integration_syncs_people_and_their_division_roles(api, org, today):
    client = api("integration")
    person = {"username": "newjudge", "name": "新法官", "roles": ["handler"], "division": "civil-1"}
    assert client.post("/api/v1/staff/", person, format="json").status_code == 201
    response = client.patch("/api/v1/staff/judge1/", {"roles": ["division_head", "handler"]}, format="json")
    assert response.status_code == 200 and response.json()["roles"] == ["division_head", "handler"]
    response = client.patch("/api/v1/staff/judge2/", {"username": "judge2b", "division": "civil-1"}, format="json")
    assert response.status_code == 200 and response.json()["division"] == "civil-1"
    response = client.patch("/api/v1/staff/clerk1/", {"active": False, "roles": []}, format="json")
    assert response.status_code == 200 and (response.json()["active"], response.json()["roles"]) == (False, [])
    assert User.objects.get(username="newjudge").has_usable_password() is False


def test_every_accepted_role_change_is_in_the_audit_trail_with_its_source(api, org, today):
    from audit.models import Source

    response = api("integration").patch("/api/v1/staff/clerk1/", {"roles": ["clerk", "handler"]}, format="json")
    assert response.status_code == 200
    # The latest row by id: the clock is pinned earlier than when the fixture's rows were written.
    latest = User.objects.get(username="clerk1").history.order_by("-history_id").first()
    assert latest.history_user == org["integration"]
    assert latest.history_source == Source.API_TOKEN
    assert latest.history_change_reason == "roles: clerk -> clerk, handler"
    assert sorted(latest.groups.values_list("group__name", flat=True)) == ["clerk", "handler"]


@pytest.mark.parametrize("role", ["clerk", "head", "president", "tracking_officer", "nobody"])
def test_nobody_else_changes_staff_even_through_the_service(org, role, today):
    from django.core.exceptions import PermissionDenied

    from cases import services

    with pytest.raises(PermissionDenied):
        services.update_person(org[role], org["handler"], name="改名")
    with pytest.raises(PermissionDenied):
        services.create_person(org[role], username="newcomer", roles=["clerk"])
    assert User.objects.get(username="judge1").name != "改名"
    assert not User.objects.filter(username="newcomer").exists()


# --- what an integration may change in a division ---------------------------------------------


@pytest.mark.parametrize(("field", "person"), [("vice_president", "vp1"), ("tracking_officer", "tracker1")])
def test_an_integration_never_names_a_divisions_overseers(api, org, field, person, today):
    response = api("integration").patch("/api/v1/divisions/civil-1/", {field: person}, format="json")
    assert response.status_code == 403, response.content
    assert response.json()[field] and response.json()["detail"]
    org["division"].refresh_from_db()
    assert getattr(org["division"], field) is None
    created = api("integration").post(
        "/api/v1/divisions/", {"code": "civil-9", "name": "民九庭", "kind": "civil", field: person}, format="json"
    )
    assert created.status_code == 403 and field in created.json()
    assert api("admin").patch("/api/v1/divisions/civil-1/", {field: person}, format="json").status_code == 200


def test_an_integration_keeps_divisions_and_their_heads_in_step(api, org, today):
    changed = {"name": "民一庭（新）", "head": "judge1", "vice_president": None, "tracking_officer": None}
    response = api("integration").patch("/api/v1/divisions/civil-1/", changed, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["head"] == "judge1"
