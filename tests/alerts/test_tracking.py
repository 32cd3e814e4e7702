"""Daily tracking through the job: boundary dates, first run, reruns, gaps, closing, escalation."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from alerts.models import Alert, AlertResolution, Notification, NotificationKind
from alerts.selectors import tracking_counts, tracking_list
from alerts.services import acknowledge_alert, file_plan
from alerts.tracking import track_daily
from cases import services as case_services
from cases.models import Division
from cases.permissions import effective_head, effective_head_expression
from tests.alerts.conftest import at, build_org, track, track_days
from tests.factories import UserFactory

D = dt.date


def active(case):
    return Alert.objects.ageing().get(case=case, resolved_on__isnull=True, superseded=False)


def alert_rows():
    return sorted(
        Alert.objects.ageing().values_list(
            "case_id", "level", "line_date", "raised_on", "superseded", "resolved_on", "escalation_step"
        )
    )


def notification_rows():
    return sorted(Notification.objects.values_list("recipient_id", "key", "subject"))


@pytest.mark.parametrize(
    ("filed_on", "line_day"),
    [
        (D(2024, 3, 15), D(2024, 9, 15)),  # the domain brief's example
        (D(2023, 8, 31), D(2024, 2, 29)),  # clipped to the month's end, in a leap year
        (D(2022, 8, 31), D(2023, 2, 28)),  # clipped, common year
        (D(2024, 1, 31), D(2024, 7, 31)),  # month end to month end
        (D(2023, 12, 31), D(2024, 6, 30)),  # across the year end
    ],
)
def test_over_6_months_from_the_day_after_the_line(org, filed_on, line_day):
    case = org.case(filed_on)
    warning_start = line_day - dt.timedelta(days=30)
    track(warning_start - dt.timedelta(days=1))
    assert not Alert.objects.ageing().exists()

    track(warning_start)
    assert active(case).level == "approaching_6m"
    assert active(case).line_date == line_day

    track(line_day)  # exactly 6 months: not over
    assert active(case).level == "approaching_6m"

    track(line_day + dt.timedelta(days=1))
    over = active(case)
    assert (over.level, over.line_date, over.raised_on) == ("over_6m", line_day, line_day + dt.timedelta(days=1))
    approaching = Alert.objects.ageing().get(case=case, level="approaching_6m")
    assert approaching.resolved_on == line_day + dt.timedelta(days=1)
    assert approaching.resolution == AlertResolution.LEVEL_CHANGED
    assert not Alert.objects.ageing().filter(superseded=True).exists()


def test_fifteen_month_line_on_leap_day(org):
    case = org.case(D(2022, 11, 29))  # 15-month line: 2024-02-29
    track(D(2024, 2, 29))
    assert active(case).level == "approaching_15m"
    track(D(2024, 3, 1))
    assert active(case).level == "over_15m"
    assert active(case).line_date == D(2024, 2, 29)


def test_first_run_raises_the_current_level_only(org):
    old = org.case(D(2022, 1, 10))
    track(D(2024, 9, 16))
    current = active(old)
    assert current.level == "over_15m"
    superseded = Alert.objects.ageing().filter(case=old, superseded=True)
    assert sorted(superseded.values_list("level", flat=True)) == ["approaching_15m", "approaching_6m", "over_6m"]
    assert not superseded.filter(resolved_on__isnull=False).exists()
    # Only the over-15-month owners hear of it, once each: the head and the vice-president.
    notified = Notification.objects.filter(kind=NotificationKind.ALERT_RAISED)
    assert sorted(notified.values_list("recipient__username", flat=True)) == ["civil-1-head", "civil-1-vp"]
    assert set(notified.values_list("alert_id", flat=True)) == {current.pk}


def test_owners_by_level(org):
    approaching = org.case(D(2024, 3, 20))
    over = org.case(D(2024, 3, 1))
    track(D(2024, 9, 16))
    by_alert = {}
    for alert_id, username in Notification.objects.values_list("alert_id", "recipient__username"):
        by_alert.setdefault(alert_id, set()).add(username)
    assert by_alert[active(approaching).pk] == {"civil-1-judge"}
    assert by_alert[active(over).pk] == {"civil-1-judge", "civil-1-head"}


def test_acting_head_is_notified_during_the_acting_period(org):
    acting = UserFactory(username="acting", court=org.division.court, division=org.division)
    Division.objects.filter(pk=org.division.pk).update(
        acting_head=acting, acting_from=D(2024, 9, 10), acting_until=D(2024, 9, 20)
    )
    org.case(D(2024, 3, 1))
    track(D(2024, 9, 16))
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"civil-1-judge", "acting"}


def test_acting_head_is_not_notified_outside_the_acting_period(org):
    # The job's as-of date decides, not the day it runs: 2024-09-21 is after the period.
    acting = UserFactory(username="acting", court=org.division.court, division=org.division)
    Division.objects.filter(pk=org.division.pk).update(
        acting_head=acting, acting_from=D(2024, 9, 10), acting_until=D(2024, 9, 20)
    )
    org.case(D(2024, 3, 5))
    track(D(2024, 9, 21))
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"civil-1-judge", "civil-1-head"}


def test_effective_head_expression_agrees_with_the_python_rule(org):
    acting = UserFactory(username="acting", court=org.division.court, division=org.division)
    other = Division.objects.create(court=org.division.court, code="civil-2", name="民二庭", kind="civil")
    # An acting head with a period missing a date (written around the service) has no powers.
    for code, start, end in (("civil-3", None, D(2024, 9, 20)), ("civil-4", D(2024, 9, 10), None)):
        Division.objects.create(
            court=org.division.court,
            code=code,
            name=code,
            kind="civil",
            head=org.head,
            acting_head=acting,
            acting_from=start,
            acting_until=end,
        )
    Division.objects.filter(pk=org.division.pk).update(
        acting_head=acting, acting_from=D(2024, 9, 10), acting_until=D(2024, 9, 20)
    )
    for day in (D(2024, 9, 9), D(2024, 9, 10), D(2024, 9, 20), D(2024, 9, 21)):
        for division in Division.objects.annotate(eh=effective_head_expression(day)):
            expected = effective_head(division, day)
            assert division.eh == (expected.pk if expected else None), (division, day)
            if division.code in ("civil-3", "civil-4"):
                assert expected == org.head
    assert other.head is None


def test_second_run_for_the_same_day_changes_nothing(org):
    org.case(D(2024, 3, 15))
    org.case(D(2023, 1, 5))
    org.case(D(2024, 3, 30))
    first = track(D(2024, 9, 16))
    alerts, notes = alert_rows(), notification_rows()
    assert first["raised"] == 3 and first["notifications"] > 0

    again = track(D(2024, 9, 16))
    assert alert_rows() == alerts
    assert notification_rows() == notes
    changes = {k: v for k, v in again.items() if k not in ("active", "alerting")}
    assert changes == dict.fromkeys(changes, 0) and again["active"] == 3


def test_catch_up_after_a_gap_across_a_month_end(org):
    crossing = org.case(D(2024, 3, 15))  # over 6 months from 2024-09-16
    month_end = org.case(D(2024, 3, 31))  # line 2024-09-30: over from 2024-10-01
    closed_in_gap = org.case(D(2024, 3, 10))
    track(D(2024, 9, 10))
    assert active(crossing).level == active(month_end).level == "approaching_6m"
    with at(D(2024, 9, 20)):
        case_services.close_case(None, closed_in_gap, closed_on=D(2024, 9, 20), closure_method="judgment")

    # Beat was down from 9-11 to 10-1; the next run recomputes the state for every case.
    track(D(2024, 10, 2))
    for case in (crossing, month_end):
        assert (active(case).level, active(case).raised_on) == ("over_6m", D(2024, 10, 2))
        assert Alert.objects.ageing().get(case=case, level="approaching_6m").resolved_on == D(2024, 10, 2)
    gone = Alert.objects.ageing().get(case=closed_in_gap)
    assert (gone.resolved_on, gone.resolution) == (D(2024, 10, 2), AlertResolution.CLOSED)


def test_a_gap_past_a_whole_level_records_it_superseded(org):
    case = org.case(D(2023, 6, 1))  # approaching 15 months from 2024-08-02, over from 2024-09-02
    track(D(2024, 7, 1))
    assert active(case).level == "over_6m"
    track(D(2024, 9, 10))
    assert active(case).level == "over_15m"
    skipped = Alert.objects.ageing().get(case=case, level="approaching_15m")
    assert skipped.superseded and skipped.raised_on == D(2024, 9, 10)
    assert not Notification.objects.filter(alert=skipped).exists()


def test_closing_resolves_and_undoing_the_closing_reactivates(org):
    case = org.case(D(2024, 3, 15))
    track(D(2024, 9, 16))
    alert = active(case)
    with at(D(2024, 9, 17)):
        case_services.close_case(None, case, closed_on=D(2024, 9, 17), closure_method="mediation")
    track(D(2024, 9, 17))
    alert.refresh_from_db()
    assert (alert.resolved_on, alert.resolution) == (D(2024, 9, 17), AlertResolution.CLOSED)
    assert tracking_list(org.officer, D(2024, 9, 17)).count() == 0
    assert tracking_list(org.officer, D(2024, 9, 16)).get() == alert

    case.refresh_from_db()
    with at(D(2024, 9, 18)):
        case_services.reopen_case(None, case, note="closing recorded on the wrong case")
    track(D(2024, 9, 18))
    alert.refresh_from_db()
    assert alert.is_active and alert.resolution == ""
    assert Alert.objects.ageing().filter(case=case, level="over_6m").count() == 1  # the same row, not a second one


def test_corrected_filing_date_moves_the_line_and_raises_a_new_alert(org):
    case = org.case(D(2024, 3, 15))
    track(D(2024, 9, 16))
    with at(D(2024, 9, 17)):
        case_services.change_case(None, case, {"filed_on": D(2024, 2, 10)})
    track(D(2024, 9, 17))
    old = Alert.objects.ageing().get(case=case, level="over_6m", line_date=D(2024, 9, 15))
    new = active(case)
    assert old.resolution == AlertResolution.LEVEL_CHANGED
    assert (new.level, new.line_date) == ("over_6m", D(2024, 8, 10))


def test_escalation_seven_days_after_raised_without_a_plan(org):
    no_plan = org.case(D(2024, 3, 15))
    with_plan = org.case(D(2024, 3, 14))
    key_warning = org.case(D(2023, 6, 1))  # over 15 months when first seen
    track(D(2024, 9, 16))
    with at(
        D(
            2024,
            9,
            17,
        ),
        hour=9,
    ):
        acknowledge_alert(org.head, active(no_plan))  # seen, but that does not stop escalation
        file_plan(
            org.handler,
            with_plan,
            reason="appraisal",
            expected_close_on=D(2024, 12, 31),
            steps="Waiting for the appraisal report.",
            submit=True,
        )
    track_days(D(2024, 9, 17), D(2024, 9, 22))
    assert not Alert.objects.ageing().filter(escalation_step__gt=0).exists()

    track(D(2024, 9, 23))  # 7 days after 9-16
    assert (active(no_plan).escalation_step, active(no_plan).escalated_on) == (1, D(2024, 9, 23))
    assert active(with_plan).escalation_step == 0
    assert active(key_warning).escalation_step == 1
    escalations = Notification.objects.filter(kind=NotificationKind.ALERT_ESCALATED)
    assert sorted(escalations.values_list("recipient__username", "case_id")) == [
        ("civil-1-vp", no_plan.pk),
        ("president", key_warning.pk),
    ]
    track(D(2024, 9, 24))
    assert escalations.count() == 2


def test_refuses_a_future_date_or_one_before_the_last_run(org):
    org.case(D(2024, 3, 15))
    with at(D(2024, 9, 16)):
        with pytest.raises(ValidationError) as future:
            track_daily(D(2024, 9, 17))
        assert "as_of" in future.value.message_dict
    track(D(2024, 9, 16))
    with at(D(2024, 9, 20)), pytest.raises(ValidationError) as earlier:
        track_daily(D(2024, 9, 15))
    assert "2024-09-16" in earlier.value.message_dict["as_of"][0]


def test_tracking_list_follows_the_access_policy(org, court):
    other = build_org(court, code="civil-2")
    org.case(D(2024, 3, 15))
    other.case(D(2024, 3, 15))
    track(D(2024, 9, 16))
    assert tracking_list(org.officer, D(2024, 9, 16)).count() == 2
    assert tracking_list(org.officer, D(2024, 9, 16), division=org.division).count() == 1
    Division.objects.filter(pk=other.division.pk).update(tracking_officer=None)
    followed = tracking_list(org.officer, D(2024, 9, 16), followed_only=True)
    assert [a.case.division_id for a in followed] == [org.division.pk]
    mine = tracking_list(org.handler, D(2024, 9, 16))
    assert [a.case.division_id for a in mine] == [org.division.pk]
    counts = tracking_counts(D(2024, 9, 16), court.pk)
    assert sorted((c["case__division__code"], c["level"], c["count"]) for c in counts) == [
        ("civil-1", "over_6m", 1),
        ("civil-2", "over_6m", 1),
    ]


def test_tracking_list_loads_related_rows_in_one_query(org, django_assert_num_queries):
    for day in range(1, 6):
        org.case(D(2024, 3, day))
    track(D(2024, 9, 16))
    with django_assert_num_queries(2):  # the list, and the user's groups for the policy
        rows = list(tracking_list(org.officer, D(2024, 9, 16)))
        assert {(a.case.division.code, a.case.handler.username) for a in rows} == {("civil-1", "civil-1-judge")}


def test_tracking_list_and_counts_hold_ageing_alerts_only(org, court):
    case = org.case(D(2024, 3, 15))
    young = org.case(D(2024, 7, 1))
    track(D(2024, 9, 16))
    for c in (case, young):
        Alert.objects.create(
            case=c, kind="time_limit", level="limit_7", line_date=D(2024, 9, 20), raised_on=D(2024, 9, 13)
        )
    assert [(a.case_id, a.level) for a in tracking_list(org.officer, D(2024, 9, 16))] == [(case.pk, "over_6m")]
    counts = tracking_counts(D(2024, 9, 16), court.pk)
    assert [(c["level"], c["count"]) for c in counts] == [("over_6m", 1)]
