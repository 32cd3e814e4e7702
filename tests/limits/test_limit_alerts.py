"""Time-limit warnings in the daily job: raised once each at 30/15/7 days and on overrun,
to the ageing alerts' owners, escalated, acknowledged; hidden-overrun upkeep in the same job."""

import datetime as dt

import pytest

from alerts.limits import track_limits
from alerts.models import Alert, Notification
from alerts.services import acknowledge_alert
from cases import limits_services, services
from tests.factories import CaseFactory, DivisionFactory, UserFactory

D = dt.date
pytestmark = pytest.mark.django_db
FILED = D(2024, 3, 15)


@pytest.fixture
def org(court):
    division = DivisionFactory(court=court, code="civil-9", name="民九庭")
    handler = UserFactory(username="lj", court=court, division=division, roles=["handler"])
    head = UserFactory(username="lh", court=court, division=division, roles=["division_head"])
    vp = UserFactory(username="lv", court=court, division=None, roles=["vice_president"])
    division.head, division.vice_president = head, vp
    division.save()
    return division, handler, head, vp


def limit_case(org, filed_on=FILED):
    division, handler, _head, _vp = org
    case = CaseFactory(court=division.court, division=division, handler=handler, filed_on=filed_on)
    limits_services.recompute_clock(case, today=D(2026, 11, 27))
    return case  # deadline 18 Sep 2024


def levels(case):
    return list(Alert.objects.time_limit().filter(case=case).order_by("raised_on").values_list("level", "raised_on"))


def test_warnings_raised_once_each_then_overrun_escalates(org):
    division, handler, head, vp = org
    case = limit_case(org)
    for day in [D(2024, 8, 18), D(2024, 8, 19), D(2024, 8, 20)]:
        track_limits(day)
    assert levels(case) == [("limit_30", D(2024, 8, 19))]  # 30 days left on 19 Aug
    track_limits(D(2024, 8, 19))  # a rerun adds nothing
    for day in [D(2024, 9, 3), D(2024, 9, 11), D(2024, 9, 12), D(2024, 9, 19), D(2024, 9, 20)]:
        track_limits(day)
    assert levels(case) == [
        ("limit_30", D(2024, 8, 19)),
        ("limit_15", D(2024, 9, 3)),
        ("limit_7", D(2024, 9, 11)),
        ("limit_overdue", D(2024, 9, 19)),
    ]
    assert Alert.objects.time_limit().filter(case=case, resolved_on__isnull=True).get().level == "limit_overdue"
    keys = set(Notification.objects.filter(case=case).values_list("recipient__username", "key"))
    raised = {(u, k.split(":")[2]) for u, k in keys}
    assert ("lj", "raised") in raised and ("lh", "raised") in raised
    assert Notification.objects.filter(case=case, recipient=handler).count() == 4
    assert Notification.objects.filter(case=case, recipient=head).count() == 2  # 7 days and overrun
    # The overrun escalates to the vice-president after the engine's days (7 by default), once.
    track_limits(D(2024, 9, 26))
    track_limits(D(2024, 9, 27))
    assert Notification.objects.filter(case=case, recipient=vp).count() == 1
    alert = Alert.objects.time_limit().get(case=case, resolved_on__isnull=True)
    assert acknowledge_alert(head, alert).acknowledged_by == head


def test_extension_moves_the_level_and_closing_resolves(org, court):
    division, handler, head, vp = org
    president = UserFactory(username="pres", court=court, division=None, roles=["president"])
    case = limit_case(org)
    track_limits(D(2024, 9, 12))
    assert Alert.objects.time_limit().get(case=case).level == "limit_7"
    request = limits_services.request_extension(handler, case, length=6, reason="x", requested_on=D(2024, 9, 1))
    limits_services.decide_extension(president, request, approve=True, decided_on=D(2024, 9, 12))
    track_limits(D(2024, 9, 13))
    alert = Alert.objects.time_limit().get(case=case)
    assert (alert.resolved_on, alert.resolution) == (D(2024, 9, 13), "level_changed")
    case.refresh_from_db()
    services.close_case(handler, case, closed_on=D(2024, 10, 1), closure_method="judgment")
    track_limits(D(2025, 3, 1))
    assert not Alert.objects.time_limit().filter(case=case, resolved_on__isnull=True).exists()


def test_suspended_case_keeps_its_alert(org, clerk):
    case = limit_case(org)
    track_limits(D(2024, 9, 3))
    case.refresh_from_db()
    services.suspend_case(clerk, case, on=D(2024, 9, 4))
    for day in [D(2024, 9, 10), D(2024, 9, 20), D(2024, 10, 30)]:
        track_limits(day)
    assert levels(case) == [("limit_15", D(2024, 9, 3))]
    assert Alert.objects.time_limit().get(case=case).resolved_on is None


def test_daily_job_runs_the_hidden_overrun_check(org, tracker):
    case = limit_case(org)
    limits_services.record_period(None, case, reason_code="auction", start=D(2024, 4, 1), end=D(2024, 4, 5))
    totals = track_limits(D(2024, 5, 1))
    assert totals["hidden_raised"] == 1
    assert Notification.objects.filter(recipient=tracker, key="hidden-overruns:2024-05-01").exists()
    assert track_limits(D(2024, 5, 1))["hidden_raised"] == 0
