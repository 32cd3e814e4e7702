"""Excluded periods and extensions through the API: permissions, validation, the clock moving,
and query counts."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case
from limits import services as limits_services
from limits.models import ExcludedPeriod, Extension
from tests.api.roles import EDITS_CIVIL_1_CASE, ROLES, SEES_CIVIL_1

pytestmark = pytest.mark.django_db
D = dt.date

DECIDES = {"president", "integration", "admin"}
_numbers = itertools.count(700)
FILED = D(2026, 9, 1)


@pytest.fixture
def register(org, today):
    """A case registered through the service, so its rule and deadline are stored."""

    def _register(case_type="民初", filed_on=FILED):
        number = f"（{filed_on.year}）{org['court'].code}{case_type}{next(_numbers)}号"
        return services.register_case(
            org["clerk"],
            case_number=number,
            filed_on=filed_on,
            division=org["division"],
            handler=org["handler"],
            today=today,
        )

    return _register


def expected(role, allowed, ok, hidden):
    if role is None:
        return 401
    if role in allowed:
        return ok
    return 403 if role in SEES_CIVIL_1 else hidden


def deadline(case):
    return Case.objects.get(pk=case.pk).deadline


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_period_endpoints_by_role(api, register, role):
    case = register()
    client = api(role)
    base = f"/api/v1/cases/{case.pk}/excluded-periods/"
    assert client.get(base).status_code == expected(role, SEES_CIVIL_1, 200, 404)
    sent = {"reason_code": "appraisal", "start": "2026-10-01", "reason": "鉴定", "document_ref": "委托书1号"}
    response = client.post(base, sent, format="json")
    assert response.status_code == expected(role, EDITS_CIVIL_1_CASE, 201, 404)
    period = ExcludedPeriod.objects.filter(case=case).first()
    if role in EDITS_CIVIL_1_CASE:
        assert response.json()["recorded_by"] == response.wsgi_request.user.username
    else:
        assert period is None
        period = limits_services.record_period(None, case, reason_code="appraisal", start=D(2026, 10, 1))
    url = f"/api/v1/excluded-periods/{period.pk}/"
    assert client.get(url).status_code == expected(role, SEES_CIVIL_1, 200, 404)
    status = client.patch(url, {"reason": "补正"}, format="json").status_code
    assert status == expected(role, EDITS_CIVIL_1_CASE, 200, 404)
    status = client.post(url + "end/", {"end": "2026-10-20"}, format="json").status_code
    assert status == expected(role, EDITS_CIVIL_1_CASE, 200, 404)
    period.refresh_from_db()
    assert (period.end == D(2026, 10, 20)) == (role in EDITS_CIVIL_1_CASE)


@pytest.mark.parametrize("role", ROLES)
def test_extension_endpoints_by_role(api, register, org, role):
    case = register()
    client = api(role)
    base = f"/api/v1/cases/{case.pk}/extensions/"
    assert client.get(base).status_code == expected(role, SEES_CIVIL_1, 200, 404)
    response = client.post(base, {"length": 3, "reason": "案情复杂"}, format="json")
    assert response.status_code == expected(role, EDITS_CIVIL_1_CASE, 201, 404)
    extension = Extension.objects.filter(case=case).first()
    if extension is None:
        extension = limits_services.request_extension(org["clerk"], case, length=3, reason="案情复杂")
    url = f"/api/v1/extensions/{extension.pk}/"
    assert client.get(url).status_code == expected(role, SEES_CIVIL_1, 200, 404)
    status = client.post(url + "decide/", {"decision": "approve"}, format="json").status_code
    # The vice-president and the tracking officer see the case but do not decide it.
    assert status == expected(role, DECIDES, 200, 404)
    extension.refresh_from_db()
    assert (extension.status == "approved") == (role in DECIDES)


# --- the clock moves ------------------------------------------------------------------------


def test_recording_and_ending_a_period_moves_the_deadline(api, register):
    case = register()
    before = deadline(case)
    client = api("handler")
    response = client.post(
        f"/api/v1/cases/{case.pk}/excluded-periods/",
        {"reason_code": "public_notice", "start": "2026-10-01", "end": "2026-10-10", "reason": "公告送达"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["case"] == case.pk and body["end"] == "2026-10-10" and body["reason_code"] == "public_notice"
    assert deadline(case) > before
    running = client.post(
        f"/api/v1/cases/{case.pk}/excluded-periods/",
        {"reason_code": "appraisal", "start": "2026-11-01"},
        format="json",
    ).json()
    assert running["end"] is None
    ended = client.post(f"/api/v1/excluded-periods/{running['id']}/end/", {"end": "2026-11-05"}, format="json")
    assert ended.status_code == 200 and ended.json()["end"] == "2026-11-05"
    listed = client.get(f"/api/v1/cases/{case.pk}/excluded-periods/").json()
    assert [row["reason_code"] for row in listed["results"]] == ["public_notice", "appraisal"]
    assert listed["count"] == 2


def test_request_then_approve_moves_the_deadline(api, register):
    case = register()
    before = deadline(case)
    response = api("clerk").post(
        f"/api/v1/cases/{case.pk}/extensions/", {"length": 6, "reason": "案情复杂"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["step"], body["status"], body["requested_by"]) == (1, "requested", "clerk1")
    decided = api("president").post(
        f"/api/v1/extensions/{body['id']}/decide/", {"decision": "approve", "document_ref": "批1号"}, format="json"
    )
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["decided_by"]) == ("approved", "president")
    assert deadline(case) > before


def test_refusal_leaves_the_deadline(api, register):
    case = register()
    before = deadline(case)
    created = api("handler").post(f"/api/v1/cases/{case.pk}/extensions/", {"length": 2, "reason": "x"}, format="json")
    refused = api("president").post(f"/api/v1/extensions/{created.json()['id']}/decide/", {"decision": "refuse"})
    assert refused.json()["status"] == "refused"
    assert deadline(case) == before


def test_higher_court_step_is_recorded_by_the_tracking_officer(api, register, org):
    case = register()
    first = limits_services.request_extension(org["clerk"], case, length=6, reason="复杂")
    limits_services.decide_extension(org["president"], first, approve=True)
    second = api("clerk").post(f"/api/v1/cases/{case.pk}/extensions/", {"length": 3, "reason": "报请"}, format="json")
    url = f"/api/v1/extensions/{second.json()['id']}/decide/"
    refused = api("president").post(url, {"decision": "approve"}, format="json")
    assert refused.status_code == 400 and "by_higher_court" in refused.json()
    recorded = api("tracking_officer").post(url, {"decision": "approve", "by_higher_court": True}, format="json")
    assert recorded.status_code == 200 and recorded.json()["by_higher_court"] is True


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"reason_code": "appraisal", "start": "2026-10-10", "end": "2026-10-01"}, "end"),
        ({"reason_code": "no_such_reason", "start": "2026-10-01"}, "reason_code"),
        ({"reason_code": "appraisal", "start": "2026-13-01"}, "start"),
        ({"reason_code": "appraisal", "start": "01/10/2026"}, "start"),
        ({"reason_code": "appraisal"}, "start"),
        ({"reason_code": "appraisal", "start": "2026-08-01"}, "start"),  # before filing
        ({"reason_code": "appraisal", "start": "2026-10-01", "end": "yesterday"}, "end"),
        ({"reason_code": "appraisal", "start": "2026-10-01", "awaited_case": 999999}, "awaited_case"),
    ],
)
def test_bad_periods_are_refused_by_field(api, register, sent, field):
    case = register()
    response = api("handler").post(f"/api/v1/cases/{case.pk}/excluded-periods/", sent, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ExcludedPeriod.objects.filter(case=case).exists()


def test_overlapping_periods_of_the_same_kind_are_refused(api, register):
    case = register()
    client = api("handler")
    url = f"/api/v1/cases/{case.pk}/excluded-periods/"
    assert client.post(url, {"reason_code": "appraisal", "start": "2026-10-01", "end": "2026-10-10"}).status_code == 201
    clash = client.post(url, {"reason_code": "appraisal", "start": "2026-10-10", "end": "2026-10-20"})
    assert clash.status_code == 400 and "start" in clash.json()
    other_kind = client.post(url, {"reason_code": "public_notice", "start": "2026-10-05", "end": "2026-10-20"})
    assert other_kind.status_code == 201
    # Correcting a period into an overlap is refused the same way.
    later = client.post(url, {"reason_code": "appraisal", "start": "2026-11-01", "end": "2026-11-03"}).json()
    moved = client.patch(f"/api/v1/excluded-periods/{later['id']}/", {"start": "2026-10-09"}, format="json")
    assert moved.status_code == 400 and "start" in moved.json()
    ended = client.post(f"/api/v1/excluded-periods/{later['id']}/end/", {"end": "2026-10-30"}, format="json")
    assert ended.status_code == 400 and "end" in ended.json()


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"length": 7, "reason": "超过上限"}, "length"),  # first step of ordinary civil: at most 6 months
        ({"length": 0, "reason": "零"}, "length"),
        ({"length": 2}, "reason"),
        ({"length": 2, "reason": "x", "unit": "weeks"}, "unit"),
        ({"length": 2, "reason": "x", "requested_on": "2026-02-30"}, "requested_on"),
    ],
)
def test_bad_extension_requests_are_refused_by_field(api, register, sent, field):
    case = register()
    response = api("handler").post(f"/api/v1/cases/{case.pk}/extensions/", sent, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Extension.objects.filter(case=case).exists()


def test_second_pending_request_and_second_decision_are_refused(api, register):
    case = register()
    client = api("handler")
    url = f"/api/v1/cases/{case.pk}/extensions/"
    first = client.post(url, {"length": 2, "reason": "x"}, format="json").json()
    again = client.post(url, {"length": 1, "reason": "y"}, format="json")
    assert again.status_code == 400 and "case" in again.json()
    decide = f"/api/v1/extensions/{first['id']}/decide/"
    bad = api("president").post(decide, {"decision": "maybe"}, format="json")
    assert bad.status_code == 400 and "decision" in bad.json()
    early = api("president").post(decide, {"decision": "approve", "decided_on": "2020-01-01"}, format="json")
    assert early.status_code == 400 and "decided_on" in early.json()
    assert api("president").post(decide, {"decision": "approve"}, format="json").status_code == 200
    twice = api("president").post(decide, {"decision": "refuse"}, format="json")
    assert twice.status_code == 400 and "status" in twice.json()


def test_unknown_query_parameters_and_fields(api, register):
    case = register()
    client = api("handler")
    listed = client.get(f"/api/v1/cases/{case.pk}/excluded-periods/", {"reson": "x"})
    assert listed.status_code == 400 and "reson" in listed.json()
    assert client.get("/api/v1/excluded-periods/999999/").status_code == 404
    assert client.get("/api/v1/cases/999999/extensions/").status_code == 404


# --- query counts ---------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_lists_do_not_query_per_row(api, register, org):
    case = register()
    client = api("handler")
    periods = f"/api/v1/cases/{case.pk}/excluded-periods/"
    extensions = f"/api/v1/cases/{case.pk}/extensions/"
    limits_services.record_period(org["clerk"], case, reason_code="appraisal", start=D(2026, 9, 5), end=D(2026, 9, 6))
    limits_services.request_extension(org["clerk"], case, length=1, reason="x")
    one = (_count(client, periods), _count(client, extensions))
    for day in range(10, 20, 2):
        limits_services.record_period(
            org["head"], case, reason_code="appraisal", start=D(2026, 9, day), end=D(2026, 9, day)
        )
    ext = Extension.objects.get(case=case)
    limits_services.decide_extension(org["president"], ext, approve=True)
    limits_services.request_extension(org["handler"], case, length=1, reason="y")
    assert (_count(client, periods), _count(client, extensions)) == one
    assert one[0] <= 8 and one[1] <= 8
