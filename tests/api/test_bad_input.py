"""Every bad input gets 400 (or 413 for an oversized body) naming the field, never a 500."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import override_settings

from cases.models import Case

pytestmark = pytest.mark.django_db


def good(**overrides):
    data = {
        "case_number": "(2026)黔0281民初77号",
        "division": "civil-1",
        "handler": "judge1",
        "filed_on": "2026-03-15",
    }
    data.update(overrides)
    return data


BAD_CASES = [
    ("unparseable case number", {"case_number": "黔0281民初77号"}, "case_number"),
    ("unknown case type", {"case_number": "(2026)黔0281民鬼77号"}, "case_number"),
    ("another court's number", {"case_number": "(2026)京0101民初77号"}, "case_number"),
    ("sequence zero", {"case_number": "(2026)黔0281民初0号"}, "case_number"),
    ("case number too long", {"case_number": "(2026)黔0281民初" + "1" * 80 + "号"}, "case_number"),
    ("closed before filed", {"status": "closed", "closed_on": "2026-03-01", "closure_method": "judgment"}, "closed_on"),
    ("filed in the future", {"filed_on": "2026-12-01"}, "filed_on"),
    ("closed without method", {"status": "closed", "closed_on": "2026-05-01"}, "closure_method"),
    ("closed without date", {"status": "closed", "closure_method": "judgment"}, "closed_on"),
    ("closing date on an open case", {"closed_on": "2026-05-01"}, "closed_on"),
    ("unknown division", {"division": "nowhere"}, "division"),
    ("unknown handler", {"handler": "ghost"}, "handler"),
    ("bad date", {"filed_on": "2026-02-30"}, "filed_on"),
    ("date in another form", {"filed_on": "2026/03/15"}, "filed_on"),
    ("date as number", {"filed_on": 20260315}, "filed_on"),
    ("wrong type for text", {"case_number": ["(2026)黔0281民初77号"]}, "case_number"),
    ("wrong type for boolean", {"business_environment": "maybe"}, "business_environment"),
    ("wrong type for division", {"division": {"code": "civil-1"}}, "division"),
    ("unknown status", {"status": "pending"}, "status"),
    ("unknown procedure", {"procedure": "fast"}, "procedure"),
    (
        "unknown closure method",
        {"status": "closed", "closed_on": "2026-05-01", "closure_method": "x"},
        "closure_method",
    ),
    ("null character", {"cause": "民间\x00借贷"}, "cause"),
    ("filing year far from the number's year", {"filed_on": "2023-03-15"}, "filed_on"),
]


@pytest.mark.parametrize("label, change, field", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_case_input_on_create_update_and_bulk(api, make_case, today, label, change, field):
    client = api("integration")
    response = client.post("/api/v1/cases/", good(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Case.objects.filter(case_number="（2026）黔0281民初77号").exists()

    existing = make_case(filed_on=dt.date(2026, 3, 15), seq=88, year=2026)
    patch = dict(change)
    if "case_number" not in patch:
        response = client.patch(f"/api/v1/cases/{existing.id}/", patch, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()

    # The same row in a bulk batch is an error row next to a good one.
    response = client.post(
        "/api/v1/cases/bulk/", [good(**change), good(case_number="(2026)黔0281民初78号")], format="json"
    )
    assert response.status_code == 200, response.content
    first, second = response.json()["results"]
    assert first["result"] == "error" and field in first["errors"], first
    assert second["result"] == "created"


@pytest.mark.parametrize(
    "action, payload, field",
    [
        ("close", {"closure_method": "judgment"}, "closed_on"),
        ("close", {"closed_on": "2026-01-01", "closure_method": "judgment"}, "closed_on"),  # before filing
        ("close", {"closed_on": "2026-05-01"}, "closure_method"),
        ("close", {"closed_on": "yesterday", "closure_method": "judgment"}, "closed_on"),
        ("transfer", {}, "division"),
        ("transfer", {"division": "nowhere"}, "division"),
        ("transfer", {"handler": 12}, "handler"),
        ("reopen", {"note": "x"}, "status"),  # not closed
        ("resume", {}, "status"),  # not suspended
        ("suspend", {"on": "soon"}, "on"),
    ],
)
def test_bad_action_input(api, make_case, today, action, payload, field):
    case = make_case(filed_on=dt.date(2026, 3, 15))
    response = api("integration").post(f"/api/v1/cases/{case.id}/{action}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"as_of": "2026-13-01"}, "as_of"),
        ({"as_of": "today"}, "as_of"),
        ({"filed_after": "2026/01/01"}, "filed_after"),
        ({"closed_before": "x"}, "closed_before"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"status": "pending"}, "status"),
        ({"aging_level": "ancient"}, "aging_level"),
        ({"ordering": "cause"}, "ordering"),
        ({"business_environment": "perhaps"}, "business_environment"),
        ({"page_size": "many"}, "page_size"),
        ({"search": "a\x00b"}, "search"),
        ({"case_number": "\x00"}, "case_number"),
    ],
)
def test_bad_query_parameters(api, make_case, today, params, field):
    make_case()
    response = api("clerk").get("/api/v1/cases/", params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_malformed_json_and_wrong_shapes(api, today):
    client = api("integration")
    response = client.generic("POST", "/api/v1/cases/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert client.post("/api/v1/cases/", [good()], format="json").status_code == 400
    assert client.post("/api/v1/cases/bulk/", "text", format="json").status_code == 400
    response = client.generic("POST", "/api/v1/cases/", "case_number=1", content_type="text/plain")
    assert response.status_code == 415


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_oversized_body_is_413(api, today):
    client = api("integration")
    rows = [good(case_number=f"(2026)黔0281民初{i}号", parties="张" * 400) for i in range(1, 40)]
    response = client.generic("POST", "/api/v1/cases/bulk/", json.dumps(rows), content_type="application/json")
    assert response.status_code == 413
    assert not Case.objects.exists()


def test_missing_objects_are_404(api, today):
    client = api("admin")
    assert client.get("/api/v1/cases/999999/").status_code == 404
    assert client.get("/api/v1/cases/abc/").status_code == 404
    assert client.get("/api/v1/divisions/nowhere/").status_code == 404
    assert client.get("/api/v1/staff/ghost/").status_code == 404


def test_bad_organisation_input(api, today):
    client = api("integration")
    assert "code" in client.post("/api/v1/divisions/", {"code": "civil-1", "name": "x", "kind": "civil"}).json()
    assert "kind" in client.post("/api/v1/divisions/", {"code": "new", "name": "x", "kind": "space"}).json()
    response = client.patch(
        "/api/v1/divisions/civil-1/", {"acting_from": "2026-05-01", "acting_until": "2026-04-01"}, format="json"
    )
    assert response.status_code == 400 and "acting_until" in response.json()
    # An acting head holds powers on the days of the period only: no period, no acting head.
    response = client.patch("/api/v1/divisions/civil-1/", {"acting_head": "judge1"}, format="json")
    assert response.status_code == 400 and "acting_until" in response.json()
    assert "head" in client.patch("/api/v1/divisions/civil-1/", {"head": "ghost"}, format="json").json()
    assert "roles" in client.post("/api/v1/staff/", {"username": "x1", "roles": ["wizard"]}, format="json").json()
    # Privileged roles are an administrator's decision, not an integration's.
    assert "roles" in client.post("/api/v1/staff/", {"username": "x2", "roles": ["admin"]}, format="json").json()
    assert "username" in client.post("/api/v1/staff/", {"username": "judge1"}, format="json").json()
    assert "username" in client.post("/api/v1/staff/", {"username": "bad name!"}, format="json").json()
    assert "password" not in client.get("/api/v1/staff/judge1/").json()
