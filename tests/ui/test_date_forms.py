"""Dates typed on the pages: YYYY-MM-DD only, and within the bounds of cases.dates; a date
outside them is an error beside its field, never a 500."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.urls import reverse

from alerts.models import ClearancePlan
from cases import services
from cases.models import Case, CaseEvent
from limits import services as limits_services
from limits.models import ExcludedPeriod

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2026, 11, 27)
FILED = D(2026, 9, 1)
_numbers = itertools.count(800)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


@pytest.fixture
def case(division, handler, clerk):
    number = f"（2026）{division.court.code}民初{next(_numbers)}号"
    return services.register_case(clerk, case_number=number, filed_on=FILED, division=division, handler=handler)


def form_errors(response, field):
    assert response.status_code == 200, response.status_code
    errors = response.context["form"].errors
    assert field in errors, errors
    return errors[field]


@pytest.mark.parametrize("end", ["9999-12-31", "2026-11-28"])
def test_a_period_ending_in_the_future_is_a_form_error(client, case, handler, end):
    client.force_login(handler)
    url = reverse("limits:period_record", args=[case.pk])
    sent = {"period-reason_code": "appraisal", "period-start": "2026-10-01", "period-end": end}
    messages = form_errors(client.post(url, sent), "end")
    assert any("2026-11-27" in m for m in messages), messages
    assert not ExcludedPeriod.objects.exists()
    period = limits_services.record_period(handler, case, reason_code="appraisal", start=D(2026, 10, 1))
    form_errors(client.post(reverse("limits:period_end", args=[period.pk]), {"end-end": end}), "end")
    period.refresh_from_db()
    assert period.end is None


def test_resume_on_0001_01_01_is_a_form_error(client, case, clerk):
    client.force_login(clerk)
    services.suspend_case(clerk, case, on=D(2026, 10, 10))
    response = client.post(reverse("cases:action", args=[case.pk, "resume"]), {"on": "0001-01-01"})
    messages = form_errors(response, "on")
    assert any("2026-10-10" in m for m in messages), messages
    assert Case.objects.get(pk=case.pk).status == "suspended"


@pytest.mark.parametrize("action", ["suspend", "transfer"])
def test_actions_on_impossible_days_are_form_errors(client, case, clerk, other_division, action):
    client.force_login(clerk)
    for day in ("9999-12-31", "0001-01-01"):
        sent = {"on": day, "note": "x", "division": other_division.pk}
        form_errors(client.post(reverse("cases:action", args=[case.pk, action]), sent), "on")
    assert not CaseEvent.objects.filter(case=case).exclude(kind="registered").exists()


@pytest.mark.parametrize("typed", ["2026-9-15", "２０２６-０９-１５", "2026/09/15", "2026年9月15日", "20260915"])
def test_only_yyyy_mm_dd_is_taken(client, case, clerk, typed):
    """The Chinese locale's other input formats and full-width digits are refused, not guessed."""
    client.force_login(clerk)
    response = client.post(reverse("cases:action", args=[case.pk, "suspend"]), {"on": typed, "note": "x"})
    messages = form_errors(response, "on")
    assert any("YYYY-MM-DD" in m for m in messages), messages
    assert Case.objects.get(pk=case.pk).status == "open"
    ok = client.post(reverse("cases:action", args=[case.pk, "suspend"]), {"on": "2026-09-15", "note": "x"})
    assert ok.status_code == 302


def test_registering_with_a_future_filing_date_names_today(client, clerk, division):
    client.force_login(clerk)
    sent = {"case_number": f"（2026）{division.court.code}民初{next(_numbers)}号", "division": division.pk}
    messages = form_errors(client.post(reverse("cases:register"), {**sent, "filed_on": "2026-11-28"}), "filed_on")
    assert messages == ["不得晚于今天（2026-11-27）。"]
    assert client.post(reverse("cases:register"), {**sent, "filed_on": "2026-11-27"}).status_code == 302


def test_a_plan_closing_in_9999_is_a_form_error(client, make_case, handler):
    old = make_case(filed_on=D(2026, 3, 2))
    client.force_login(handler)
    url = reverse("alerts:plan_file", args=[old.pk])
    sent = {"reason": "appraisal", "steps": "催促鉴定机构", "submit": "1"}
    messages = form_errors(client.post(url, {**sent, "expected_close_on": "9999-12-31"}), "expected_close_on")
    assert any("2029-11-27" in m for m in messages), messages
    assert not ClearancePlan.objects.exists()
    assert client.post(url, {**sent, "expected_close_on": "2029-11-27"}).status_code == 302
