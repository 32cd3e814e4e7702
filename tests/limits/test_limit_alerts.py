"""Time-limit warnings in the daily job: raised once each at 30/15/7 days and on overrun,
to the ageing alerts' owners, escalated, acknowledged; hidden-overrun upkeep in the same job."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from alerts.limits import track_limits
from alerts.models import Alert, Notification
from alerts.services import acknowledge_alert
from cases import services
from limits import services as limits_services
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


def test_daily_tracking_runs_the_clock_upkeep_first_and_tells_of_new_flags(org, tracker):
    from alerts.jobs import run_track_daily
    from jobs.models import JobRun

    case = limit_case(org)
    limits_services.record_period(None, case, reason_code="auction", start=D(2024, 4, 1), end=D(2024, 4, 5))
    run_track_daily(D(2024, 5, 1))
    upkeep, tracking = JobRun.objects.order_by("pk")
    assert (upkeep.job, tracking.job) == ("clock_upkeep", "track_daily")
    assert upkeep.counts["raised"] == 1 and tracking.counts["limits_hidden_flagged_today"] == 1
    told = Notification.objects.filter(recipient=tracker, key="hidden-overruns:2024-05-01")
    assert told.count() == 1
    run_track_daily(D(2024, 5, 1))  # a rerun of the day raises nothing new and tells nobody again
    assert JobRun.objects.filter(job="clock_upkeep").latest("pk").counts["raised"] == 0
    assert told.count() == 1
    assert track_limits(D(2024, 5, 2))["hidden_flagged_today"] == 0


def test_the_daily_job_keeps_one_active_alert_per_family(org):
    """Over 6 months (line 15 Sep 2024) and over the time limit (deadline 18 Sep 2024) at once:
    one active alert of each family, each counted in the run's totals."""
    from alerts.tracking import track_daily

    case = limit_case(org)
    totals = track_daily(D(2024, 9, 20))
    active = Alert.objects.filter(case=case, resolved_on__isnull=True, superseded=False)
    assert sorted(active.values_list("kind", "level")) == [("ageing", "over_6m"), ("time_limit", "limit_overdue")]
    assert (totals["raised"], totals["limits_raised"], totals["limits_active"]) == (1, 1, 1)
    rerun = track_daily(D(2024, 9, 20))
    assert (rerun["raised"], rerun["limits_raised"], rerun["limits_notifications"]) == (0, 0, 0)


def test_the_database_refuses_a_second_active_alert_of_a_family(org):
    case = limit_case(org)
    Alert.objects.create(case=case, level="over_6m", line_date=case.line_6m, raised_on=D(2024, 9, 16))
    Alert.objects.create(
        case=case, kind="time_limit", level="limit_7", line_date=D(2024, 9, 18), raised_on=D(2024, 9, 11)
    )
    second_limit = {
        "kind": "time_limit",
        "level": "limit_overdue",
        "line_date": D(2024, 9, 18),
        "raised_on": D(2024, 9, 19),
    }
    second_ageing = {"level": "over_15m", "line_date": case.line_15m, "raised_on": D(2025, 6, 16)}
    for fields in (second_limit, second_ageing):
        with pytest.raises(IntegrityError, match="alert_one_active_per_case_kind"), transaction.atomic():
            Alert.objects.create(case=case, **fields)
    # A resolved one is history, not a second active alert.
    Alert.objects.create(case=case, resolved_on=D(2024, 9, 20), resolution="level_changed", **second_limit)
    # A level belongs to its family.
    for kind, level in (("time_limit", "over_6m"), ("ageing", "limit_30")):
        with pytest.raises(IntegrityError, match="alert_level_valid"), transaction.atomic():
            Alert.objects.create(
                case=case,
                kind=kind,
                level=level,
                line_date=D(2024, 1, 1),
                raised_on=D(2024, 1, 1),
                resolved_on=D(2024, 1, 2),
                resolution="closed",
            )
