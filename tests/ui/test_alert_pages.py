"""Escalation pages: plans (file, approve, return), tracking list, dispatch lists, jobs, inbox."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, ClearancePlan, DispatchItem, DispatchList, Notification

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2025, 6, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def old_case(make_case):
    case = make_case(filed_on=dt.date(2024, 10, 8))  # over 6 months on 2025-06-10
    Alert.objects.create(case=case, level="over_6m", line_date=case.line_6m, raised_on=dt.date(2025, 4, 9))
    return case


def test_handler_files_and_head_approves_a_plan(client, handler, head, old_case):
    client.force_login(handler)
    assert client.get(reverse("alerts:plan_file", args=[old_case.pk])).status_code == 200
    response = client.post(
        reverse("alerts:plan_file", args=[old_case.pk]),
        {"reason": "appraisal", "expected_close_on": "2025-08-31", "steps": "催促鉴定机构", "submit": "1"},
    )
    assert response.status_code == 302
    plan = ClearancePlan.objects.get()
    assert plan.status == "submitted"
    body = client.get(reverse("cases:detail", args=[old_case.pk])).content.decode()
    assert "催促鉴定机构" in body

    client.force_login(head)
    assert "催促鉴定机构" in client.get(reverse("alerts:plans")).content.decode()
    client.post(reverse("alerts:plan_review", args=[plan.pk]), {"decision": "approve", "comment": ""})
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.reviewer == head
    assert Notification.objects.filter(recipient=handler, kind="plan_approved").exists()


def test_plan_errors_beside_fields_and_input_kept(client, handler, old_case):
    client.force_login(handler)
    response = client.post(
        reverse("alerts:plan_file", args=[old_case.pk]),
        {"reason": "other", "expected_close_on": "2025-06-01", "steps": "调解", "submit": "1"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "expected_close_on" in errors and "reason_text" in errors
    assert "调解" in response.content.decode()
    assert not ClearancePlan.objects.exists()


def test_returning_needs_a_comment(client, handler, head, old_case):
    client.force_login(handler)
    client.post(
        reverse("alerts:plan_file", args=[old_case.pk]),
        {"reason": "parties", "expected_close_on": "2025-08-31", "steps": "再次调解", "submit": "1"},
    )
    plan = ClearancePlan.objects.get()
    client.force_login(head)
    client.post(reverse("alerts:plan_review", args=[plan.pk]), {"decision": "return", "comment": ""})
    plan.refresh_from_db()
    assert plan.status == "submitted"
    client.post(reverse("alerts:plan_review", args=[plan.pk]), {"decision": "return", "comment": "日期太晚"})
    plan.refresh_from_db()
    assert plan.status == "returned"
    client.force_login(handler)
    assert "日期太晚" in client.get(reverse("alerts:plans")).content.decode()


def test_a_handler_cannot_review(client, handler, old_case, clerk):
    plan = ClearancePlan.objects.create(
        case=old_case,
        version=1,
        author=clerk,
        reason="parties",
        expected_close_on=dt.date(2025, 9, 1),
        steps="x",
        status="submitted",
        submitted_at=timezone.now(),
    )
    client.force_login(handler)
    assert client.post(reverse("alerts:plan_review", args=[plan.pk]), {"decision": "approve"}).status_code == 403


def test_tracking_list_and_acknowledge(client, tracker, old_case, make_case, django_assert_max_num_queries):
    for _ in range(10):
        c = make_case(filed_on=dt.date(2024, 10, 1))
        Alert.objects.create(case=c, level="over_6m", line_date=c.line_6m, raised_on=dt.date(2025, 4, 2))
    client.force_login(tracker)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("alerts:tracking"))
    assert old_case.case_number in response.content.decode()
    alert = old_case.alerts.get()
    response = client.post(reverse("alerts:alert_acknowledge", args=[alert.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == tracker


def test_tracking_list_with_an_odd_division_number_shows_the_whole_list(client, tracker, old_case):
    client.force_login(tracker)
    for division in ("²", "9999999999999999999999", "-1", "x"):
        response = client.get(reverse("alerts:tracking"), {"division": division})
        assert response.status_code == 200, division
        assert old_case.case_number in response.content.decode()


def test_head_acknowledges_dispatch(client, head, handler, division, old_case, clerk):
    dl = DispatchList.objects.create(
        division=division,
        week_start=dt.date(2025, 6, 2),
        week_end=dt.date(2025, 6, 8),
        as_of=dt.date(2025, 6, 9),
        head=head,
        built_at=timezone.now(),
    )
    DispatchItem.objects.create(
        dispatch_list=dl, case=old_case, handler=handler, level="over_6m", missing_plan=True, filed_on=old_case.filed_on
    )
    client.force_login(clerk)
    page = client.get(reverse("alerts:dispatch_detail", args=[dl.pk]))
    assert page.status_code == 200 and not page.context["can_acknowledge"]
    client.force_login(head)
    assert old_case.case_number in client.get(reverse("alerts:dispatch_detail", args=[dl.pk])).content.decode()
    client.post(reverse("alerts:dispatch_acknowledge", args=[dl.pk]))
    dl.refresh_from_db()
    assert dl.acknowledged_by == head
    assert client.get(reverse("alerts:dispatch_list")).status_code == 200


def test_inbox_and_mark_read(client, handler):
    Notification.objects.create(
        recipient=handler,
        kind="alert_raised",
        key="k1",
        subject="案件超6个月",
        created_at=timezone.now(),
        created_on=dt.date(2025, 6, 10),
    )
    client.force_login(handler)
    assert "案件超6个月" in client.get(reverse("alerts:inbox")).content.decode()
    client.post(reverse("alerts:inbox_read"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_home_panels_for_each_role(client, handler, head, tracker, old_case, django_assert_max_num_queries):
    for user in (handler, head, tracker):
        client.force_login(user)
        with django_assert_max_num_queries(30):
            assert client.get(reverse("home")).status_code == 200


def test_handler_answers_an_urging_notice(client, handler, head, division, old_case):
    from alerts.models import UrgingNotice

    dl = DispatchList.objects.create(
        division=division,
        week_start=dt.date(2025, 6, 2),
        week_end=dt.date(2025, 6, 8),
        as_of=dt.date(2025, 6, 9),
        head=head,
        built_at=timezone.now(),
    )
    item = DispatchItem.objects.create(
        dispatch_list=dl, case=old_case, handler=handler, level="over_6m", missing_plan=True, filed_on=old_case.filed_on
    )
    notice = UrgingNotice.objects.create(item=item, handler=handler, sent_on=dt.date(2025, 6, 9))
    client.force_login(handler)
    assert old_case.case_number in client.get(reverse("alerts:inbox")).content.decode()
    response = client.post(
        reverse("alerts:urging_answer", args=[notice.pk]), {"answer": "", "new_expected_on": "2025-01-01"}
    )
    assert response.status_code == 200 and {"answer", "new_expected_on"} <= set(response.context["form"].errors)
    client.post(
        reverse("alerts:urging_answer", args=[notice.pk]), {"answer": "已联系鉴定机构", "new_expected_on": "2025-08-01"}
    )
    notice.refresh_from_db()
    assert notice.answer == "已联系鉴定机构" and notice.read_at is not None
    client.force_login(head)
    assert client.get(reverse("alerts:urging_answer", args=[notice.pk])).status_code == 404


def _overrun_cases(make_case, count):
    """Cases over their statutory time limit on 2025-06-10, with the daily job's time-limit part run."""
    from alerts.limits import track_limits
    from limits import services as limits_services

    cases = [make_case(filed_on=dt.date(2024, 11, 20 - i)) for i in range(count)]
    for case in cases:
        limits_services.recompute_clock(case, today=dt.date(2025, 6, 10))
    track_limits(dt.date(2025, 6, 10))
    return cases


def test_time_limit_alert_in_the_inbox_and_acknowledged_there(
    client,
    handler,
    make_case,
):
    first, *others = _overrun_cases(make_case, 4)
    alert = Alert.objects.time_limit().get(case=first)
    assert alert.level == "limit_overdue" and alert.is_active
    assert Notification.objects.filter(recipient=handler, alert=alert).exists()
    client.force_login(handler)
    # The alert (level label, acknowledge button) of each notification comes with the page's query.
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("alerts:inbox"))
    queries_for_four = len(ctx.captured_queries)
    body = response.content.decode()
    assert first.case_number in body and "超审限" in body
    assert reverse("alerts:alert_acknowledge", args=[alert.pk]) in body
    Notification.objects.filter(alert__case__in=others).delete()
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("alerts:inbox"))
    assert len(ctx.captured_queries) == queries_for_four
    english = client.get(reverse("alerts:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Over the statutory time limit" in english

    response = client.post(reverse("alerts:alert_acknowledge", args=[alert.pk]), {"next": reverse("alerts:inbox")})
    assert response.status_code == 302 and response["Location"] == reverse("alerts:inbox")
    alert.refresh_from_db()
    assert alert.acknowledged_by == handler and alert.acknowledged_at is not None
    assert (
        reverse("alerts:alert_acknowledge", args=[alert.pk]) not in client.get(reverse("alerts:inbox")).content.decode()
    )


def test_case_page_shows_both_families_of_alerts(client, handler, make_case):
    (case,) = _overrun_cases(make_case, 1)
    Alert.objects.create(case=case, level="over_6m", line_date=case.line_6m, raised_on=dt.date(2025, 5, 21))
    client.force_login(handler)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "超审限" in body and "超6个月" in body
    limit = Alert.objects.time_limit().get(case=case)
    assert limit.line_date.isoformat() in body  # the deadline, in the "line or deadline" column
    client.post(reverse("alerts:alert_acknowledge", args=[limit.pk]), HTTP_HX_REQUEST="true")
    limit.refresh_from_db()
    assert limit.acknowledged_by == handler
