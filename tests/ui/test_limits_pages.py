"""The statutory clock on the case page and its forms: periods and extensions."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import Case
from limits import services as limits_services
from limits.models import ExcludedPeriod, Extension
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2026, 11, 27)
FILED = D(2026, 9, 1)
_numbers = itertools.count(500)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


@pytest.fixture
def case(division, handler, clerk):
    number = f"（2026）{division.court.code}民初{next(_numbers)}号"
    return services.register_case(
        clerk, case_number=number, filed_on=FILED, division=division, handler=handler, today=TODAY
    )


@pytest.fixture
def outsider(court, other_division):
    return UserFactory(username="judge9", court=court, division=other_division, roles=["handler"])


def page(client, user, case):
    client.force_login(user)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response


def clock_section(response) -> dict:
    """The clock's section among the case page's sections (limits.views.case_sections)."""
    [section] = [s for s in response.context["sections"] if s["template"] == "limits/clock_section.html"]
    return section


def test_case_page_shows_the_clock_and_its_ledger(client, case, clerk):
    limits_services.record_period(
        clerk, case, reason_code="public_notice", start=D(2026, 10, 1), end=D(2026, 10, 10), reason="公告送达"
    )
    limits_services.request_extension(clerk, case, length=2, reason="案情复杂")
    response = page(client, clerk, case)
    section = clock_section(response)
    stored = Case.objects.get(pk=case.pk)
    assert section["clock"].deadline == stored.deadline
    assert section["clock"].excluded_days == 10
    assert section["clock"].days_remaining == (stored.deadline - TODAY).days
    html = response.content.decode()
    assert 'id="time-limit"' in html
    assert "法定审限" in html and "扣除审限期间" in html  # the page speaks Chinese by default
    assert stored.deadline.strftime("%Y") in html and "公告送达" in html and "案情复杂" in html
    # The clerk records periods and could request, but a request is pending; the clerk does not decide.
    assert section["period_form"] is not None
    assert section["request_form"] is None and section["decision_form"] is None
    assert reverse("limits:period_record", args=[case.pk]) in html


def test_forms_shown_by_role(client, case, clerk, president, tracker):
    limits_services.request_extension(clerk, case, length=2, reason="x")
    for user, record, decide in [(clerk, True, False), (president, False, True), (tracker, False, True)]:
        section = clock_section(page(client, user, case))
        assert (section["period_form"] is not None, section["decision_form"] is not None) == (record, decide)


def test_record_and_end_a_period(client, case, handler):
    client.force_login(handler)
    before = Case.objects.get(pk=case.pk).deadline
    response = client.post(
        reverse("limits:period_record", args=[case.pk]),
        {"period-reason_code": "appraisal", "period-start": "2026-10-01", "period-reason": "鉴定"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#time-limit")
    period = ExcludedPeriod.objects.get(case=case)
    assert (period.end, period.recorded_by) == (None, handler)
    response = client.post(reverse("limits:period_end", args=[period.pk]), {"end-end": "2026-10-20"})
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.end == D(2026, 10, 20)
    assert Case.objects.get(pk=case.pk).deadline > before


def test_request_and_approve_an_extension(client, case, handler, president):
    before = Case.objects.get(pk=case.pk).deadline
    client.force_login(handler)
    url = reverse("limits:extension_request", args=[case.pk])
    response = client.post(url, {"extension-length": "3", "extension-unit": "months", "extension-reason": "复杂"})
    assert response.status_code == 302
    extension = Extension.objects.get(case=case)
    client.force_login(president)
    response = client.post(
        reverse("limits:extension_decide", args=[extension.pk]),
        {"decision-decision": "approve", "decision-decided_on": "2026-11-27"},
    )
    assert response.status_code == 302
    extension.refresh_from_db()
    assert (extension.status, extension.decided_by) == ("approved", president)
    assert Case.objects.get(pk=case.pk).deadline > before


def test_refuse_an_extension(client, case, clerk, president):
    extension = limits_services.request_extension(clerk, case, length=3, reason="x")
    client.force_login(president)
    client.post(
        reverse("limits:extension_decide", args=[extension.pk]),
        {"decision-decision": "refuse", "decision-decided_on": "2026-11-27"},
    )
    extension.refresh_from_db()
    assert extension.status == "refused"


def test_forms_are_refused_to_other_roles(client, case, clerk, president, tracker, outsider):
    period = limits_services.record_period(clerk, case, reason_code="appraisal", start=D(2026, 10, 1))
    extension = limits_services.request_extension(clerk, case, length=3, reason="x")
    record = reverse("limits:period_record", args=[case.pk])
    end = reverse("limits:period_end", args=[period.pk])
    request = reverse("limits:extension_request", args=[case.pk])
    decide = reverse("limits:extension_decide", args=[extension.pk])
    period_data = {"period-reason_code": "auction", "period-start": "2026-10-01"}
    for user in (president, tracker):  # see the case, may not edit it
        client.force_login(user)
        assert client.post(record, period_data).status_code == 403
        assert client.post(end, {"end-end": "2026-10-05"}).status_code == 403
        assert client.post(request, {"extension-length": "1", "extension-reason": "x"}).status_code == 403
    client.force_login(clerk)  # edits the case, does not decide
    assert client.post(decide, {"decision-decision": "approve", "decision-decided_on": "2026-11-27"}).status_code == 403
    # The tracking officer records a higher court's decision only.
    client.force_login(tracker)
    sent = {"decision-decision": "approve", "decision-decided_on": "2026-11-27"}
    assert client.post(decide, sent).status_code == 403
    client.force_login(outsider)  # does not see the case at all
    assert client.post(record, period_data).status_code == 404
    assert client.get(decide).status_code == 404
    period.refresh_from_db()
    extension.refresh_from_db()
    assert period.end is None and extension.status == "requested"
    assert ExcludedPeriod.objects.filter(case=case).count() == 1


def test_bad_period_keeps_the_input_and_shows_the_error_beside_the_field(client, case, handler):
    client.force_login(handler)
    response = client.post(
        reverse("limits:period_record", args=[case.pk]),
        {
            "period-reason_code": "appraisal",
            "period-start": "2026-10-10",
            "period-end": "2026-10-01",
            "period-reason": "鉴定意见",
            "period-document_ref": "委托书7号",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_period-end_errors"' in html
    assert response.context["form"].errors["end"]
    for typed in ('value="2026-10-10"', 'value="2026-10-01"', "鉴定意见", 'value="委托书7号"'):
        assert typed in html
    assert '<label for="id_period-start">' in html
    assert not ExcludedPeriod.objects.filter(case=case).exists()


def test_extension_beyond_the_maximum_is_shown_beside_length(client, case, handler):
    client.force_login(handler)
    response = client.post(
        reverse("limits:extension_request", args=[case.pk]),
        {"extension-length": "9", "extension-unit": "months", "extension-reason": "需要九个月"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_extension-length_errors"' in html and 'value="9"' in html and "需要九个月" in html
    assert not Extension.objects.filter(case=case).exists()


def test_case_page_queries_do_not_grow_with_the_ledger(client, case, clerk, president):
    def count():
        client.force_login(president)
        with CaptureQueriesContext(connection) as ctx:
            page(client, president, case)
        return len(ctx.captured_queries)

    limits_services.record_period(clerk, case, reason_code="appraisal", start=D(2026, 9, 2), end=D(2026, 9, 2))
    limits_services.request_extension(clerk, case, length=1, reason="x")
    first = count()
    for day in range(5, 25, 2):
        limits_services.record_period(clerk, case, reason_code="appraisal", start=D(2026, 9, day), end=D(2026, 9, day))
    limits_services.decide_extension(president, Extension.objects.get(case=case), approve=True)
    limits_services.request_extension(clerk, case, length=1, reason="y")
    assert count() == first
