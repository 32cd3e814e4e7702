"""Dates people can really mean, through the API: every date an integration sends is a
four-digit ISO date within the bounds of cases.dates, or a 400 naming the field."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from cases import services
from cases.models import Case, CaseEvent
from limits import services as limits_services
from limits.models import ExcludedPeriod, Extension

pytestmark = pytest.mark.django_db
D = dt.date
FILED = D(2026, 9, 1)
_numbers = itertools.count(900)


@pytest.fixture
def case(org, today):
    number = f"（2026）{org['court'].code}民初{next(_numbers)}号"
    return services.register_case(
        org["clerk"], case_number=number, filed_on=FILED, division=org["division"], handler=org["handler"], today=today
    )


def refused(response, field: str) -> list[str]:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert field in body, body
    return body[field]


@pytest.mark.parametrize("action", ["suspend", "transfer"])
@pytest.mark.parametrize("on", ["9999-12-31", "0001-01-01", "2026-08-31", "2026-11-28"])
def test_actions_refuse_dates_outside_filing_and_today(api, org, case, action, on):
    body = {"on": on, "note": "x"}
    if action == "transfer":
        body["division"] = org["other"].code
    messages = refused(api("clerk").post(f"/api/v1/cases/{case.pk}/{action}/", body, format="json"), "on")
    assert any("2026-09-01" in m or "2026-11-27" in m for m in messages), messages
    assert not CaseEvent.objects.filter(case=case).exclude(kind="registered").exists()


def test_actions_accept_the_bounds_themselves(api, org, case):
    client = api("clerk")
    assert client.post(f"/api/v1/cases/{case.pk}/suspend/", {"on": "2026-09-01"}, format="json").status_code == 200
    assert client.post(f"/api/v1/cases/{case.pk}/resume/", {"on": "2026-11-27"}, format="json").status_code == 200


@pytest.mark.parametrize("on", ["0001-01-01", "2026-10-09"])
def test_resume_before_the_suspension_is_a_400_naming_on(api, case, on):
    client = api("clerk")
    assert client.post(f"/api/v1/cases/{case.pk}/suspend/", {"on": "2026-10-10"}, format="json").status_code == 200
    messages = refused(client.post(f"/api/v1/cases/{case.pk}/resume/", {"on": on}, format="json"), "on")
    assert Case.objects.get(pk=case.pk).status == "suspended"
    if on == "2026-10-09":
        assert any("2026-10-10" in m for m in messages), messages
    period = ExcludedPeriod.objects.get(case=case)
    assert (period.start, period.end) == (D(2026, 10, 10), None)


def test_resume_on_the_day_of_the_suspension_is_accepted(api, case):
    client = api("clerk")
    client.post(f"/api/v1/cases/{case.pk}/suspend/", {"on": "2026-10-10"}, format="json")
    assert client.post(f"/api/v1/cases/{case.pk}/resume/", {"on": "2026-10-10"}, format="json").status_code == 200


def test_suspending_inside_an_earlier_suspension_is_refused(api, case):
    client = api("clerk")
    client.post(f"/api/v1/cases/{case.pk}/suspend/", {"on": "2026-10-01"}, format="json")
    client.post(f"/api/v1/cases/{case.pk}/resume/", {"on": "2026-10-21"}, format="json")  # suspended 10-01..10-20
    messages = refused(client.post(f"/api/v1/cases/{case.pk}/suspend/", {"on": "2026-10-20"}, format="json"), "on")
    assert any("2026-10-20" in m for m in messages), messages
    assert client.post(f"/api/v1/cases/{case.pk}/suspend/", {"on": "2026-10-21"}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"start": "9999-12-31"}, "start"),
        ({"start": "2026-11-28"}, "start"),
        ({"start": "2026-10-01", "end": "9999-12-31"}, "end"),
        ({"start": "2026-10-01", "end": "2026-11-28"}, "end"),
        ({"start": "0001-01-01"}, "start"),
    ],
)
def test_excluded_periods_refuse_future_and_impossible_dates(api, case, sent, field):
    url = f"/api/v1/cases/{case.pk}/excluded-periods/"
    refused(api("handler").post(url, {"reason_code": "appraisal", **sent}, format="json"), field)
    assert not ExcludedPeriod.objects.filter(case=case).exists()


@pytest.mark.parametrize("end", ["5605-01-15", "9999-12-31", "2026-11-28"])
def test_ending_or_correcting_a_period_in_the_future_is_refused(api, case, end):
    period = limits_services.record_period(None, case, reason_code="appraisal", start=D(2026, 10, 1))
    client = api("handler")
    refused(client.post(f"/api/v1/excluded-periods/{period.pk}/end/", {"end": end}, format="json"), "end")
    refused(client.patch(f"/api/v1/excluded-periods/{period.pk}/", {"end": end}, format="json"), "end")
    refused(client.patch(f"/api/v1/excluded-periods/{period.pk}/", {"start": end}, format="json"), "start")
    period.refresh_from_db()
    assert (period.start, period.end) == (D(2026, 10, 1), None)
    assert client.post(f"/api/v1/excluded-periods/{period.pk}/end/", {"end": "2026-11-27"}).status_code == 200


def test_extension_requested_and_decided_in_the_future_is_refused(api, case):
    before = Case.objects.get(pk=case.pk).deadline
    url = f"/api/v1/cases/{case.pk}/extensions/"
    client = api("handler")
    for day in ("9999-12-31", "2026-11-28", "2026-08-31"):
        refused(client.post(url, {"length": 3, "reason": "x", "requested_on": day}, format="json"), "requested_on")
    assert not Extension.objects.filter(case=case).exists()
    created = client.post(url, {"length": 3, "reason": "x", "requested_on": "2026-11-20"}, format="json").json()
    decide = f"/api/v1/extensions/{created['id']}/decide/"
    for day in ("9999-12-31", "2026-11-28", "2026-11-19"):
        response = api("president").post(decide, {"decision": "approve", "decided_on": day}, format="json")
        refused(response, "decided_on")
    assert Case.objects.get(pk=case.pk).deadline == before
    assert Extension.objects.get(pk=created["id"]).status == "requested"
    ok = api("president").post(decide, {"decision": "approve", "decided_on": "2026-11-27"}, format="json")
    assert ok.status_code == 200
    assert Case.objects.get(pk=case.pk).deadline > before


@pytest.mark.parametrize(
    "spelling",
    [
        "2026-9-1",
        "2026-09-1",
        "２０２６-０９-０１",
        "20260901",
        "2026-W36-2",
        "2026-09-01T00:00",
        " 2026-09-01",
        20260901,
    ],
)
def test_dates_are_four_digit_iso_only(api, org, case, spelling):
    client = api("clerk")
    message = refused(client.post(f"/api/v1/cases/{case.pk}/suspend/", {"on": spelling}, format="json"), "on")
    assert any("YYYY-MM-DD" in m for m in message), message
    url = f"/api/v1/cases/{case.pk}/excluded-periods/"
    refused(client.post(url, {"reason_code": "appraisal", "start": spelling}, format="json"), "start")
    number = f"（2026）{org['court'].code}民初{next(_numbers)}号"
    body = {"case_number": number, "filed_on": spelling, "division": org["division"].code}
    refused(client.post("/api/v1/cases/", body, format="json"), "filed_on")


def test_bulk_rows_get_the_same_bounds(api, org, case):
    number = f"（1900）{org['court'].code}民初{next(_numbers)}号"
    rows = [
        {"case_number": number, "filed_on": "1900-01-01", "division": org["division"].code},
        {"case_number": case.case_number, "status": "closed", "closed_on": "9999-12-31", "closure_method": "judgment"},
    ]
    report = api("integration").post("/api/v1/cases/bulk/", rows, format="json").json()
    assert [r["result"] for r in report["results"]] == ["error", "error"]
    assert "filed_on" in report["results"][0]["errors"]
    assert "closed_on" in report["results"][1]["errors"]


def test_plan_dates_are_after_today_and_within_the_horizon(api, org, today):
    old = services.register_case(
        org["clerk"],
        case_number=f"（2026）{org['court'].code}民初{next(_numbers)}号",
        filed_on=D(2026, 3, 2),
        division=org["division"],
        handler=org["handler"],
        today=today,
    )
    body = {"case": old.pk, "reason": "appraisal", "steps": "催促鉴定机构"}
    client = api("handler")
    for day in ("9999-12-31", "2029-11-28", "2026-11-27"):
        messages = refused(
            client.post("/api/v1/plans/", {**body, "expected_close_on": day}, format="json"), "expected_close_on"
        )
        assert any("2029-11-27" in m or "2026-11-27" in m for m in messages), messages
    refused(
        client.post("/api/v1/plans/", {**body, "expected_close_on": "2027-1-1"}, format="json"), "expected_close_on"
    )
    assert client.post("/api/v1/plans/", {**body, "expected_close_on": "2029-11-27"}, format="json").status_code == 201


def test_an_acting_head_period_ends_within_the_horizon(api, org, today):
    client = api("integration")
    url = f"/api/v1/divisions/{org['division'].code}/"
    refused(
        client.patch(url, {"acting_from": "2026-12-01", "acting_until": "9999-12-31"}, format="json"), "acting_until"
    )
    refused(
        client.patch(url, {"acting_from": "0001-01-01", "acting_until": "2026-12-31"}, format="json"), "acting_from"
    )
    refused(client.patch(url, {"acting_from": "2026-12-1"}, format="json"), "acting_from")
    ok = client.patch(url, {"acting_from": "2026-12-01", "acting_until": "2029-11-27"}, format="json")
    assert ok.status_code == 200, ok.json()
