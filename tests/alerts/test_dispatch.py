"""Weekly dispatch through the job: contents, immutability, follow-ups, catch-up, acknowledgement."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alerts.dispatch import dispatch_weekly
from alerts.models import (
    Alert,
    DispatchItem,
    DispatchList,
    FollowUpOutcome,
    Notification,
    NotificationKind,
    UrgingNotice,
)
from alerts.services import acknowledge_dispatch, answer_urging, file_plan, read_urging
from cases import services as case_services
from tests.alerts.conftest import at, build_org, track, track_days

D = dt.date
MONDAY = D(2024, 9, 23)  # covers 2024-09-16 (Mon) to 2024-09-22 (Sun)


def build(monday):
    with at(monday, hour=8):
        return dispatch_weekly(monday)


@pytest.fixture
def week(org):
    """Cases in every situation a list knows, tracked daily through the week before MONDAY."""
    cases = {
        "crossed": org.case(D(2024, 3, 18)),  # over 6 months from 2024-09-19, inside the week
        "missing": org.case(D(2024, 2, 20)),  # over 6 months since 2024-08-21, no plan
        "key": org.case(D(2023, 5, 10)),  # over 15 months
        "planned": org.case(D(2024, 2, 21)),  # over 6 months with a plan
        "young": org.case(D(2024, 6, 1)),  # nothing to say
    }
    track(D(2024, 9, 1))
    with at(D(2024, 9, 2)):
        file_plan(
            org.handler,
            cases["planned"],
            reason="publication",
            expected_close_on=D(2024, 12, 1),
            steps="Service by public notice ends in November.",
            submit=True,
        )
    track_days(D(2024, 9, 16), MONDAY)
    return cases


def items_by_name(cases, monday=MONDAY):
    items = DispatchItem.objects.filter(dispatch_list__as_of=monday)
    by_case = {item.case_id: item for item in items}
    return {name: by_case.get(case.pk) for name, case in cases.items()}


def test_the_list_says_why_each_case_is_on_it(org, week):
    counts = build(MONDAY)
    assert counts["weeks_built"] == ["2024-09-23"]
    dispatch_list = DispatchList.objects.get(division=org.division)
    assert (dispatch_list.week_start, dispatch_list.week_end, dispatch_list.head) == (
        D(2024, 9, 16),
        D(2024, 9, 22),
        org.head,
    )
    items = items_by_name(week)
    assert items["young"] is None and items["planned"] is None
    assert (items["crossed"].crossed_level, items["crossed"].missing_plan) == ("over_6m", False)
    assert (items["missing"].crossed_level, items["missing"].missing_plan) == ("", True)
    assert items["key"].over_15m and items["key"].missing_plan and items["key"].level == "over_15m"

    urged = UrgingNotice.objects.filter(item__dispatch_list=dispatch_list)
    assert sorted(urged.values_list("item__case_id", flat=True)) == sorted(
        c.pk for c in (week["crossed"], week["missing"], week["key"])
    )
    assert set(urged.values_list("handler", flat=True)) == {org.handler.pk}
    # One notification to the head for the list, one to the handler for all their notices.
    assert Notification.objects.filter(kind=NotificationKind.DISPATCH_READY).get().recipient == org.head
    assert Notification.objects.filter(kind=NotificationKind.URGING).get().recipient == org.handler


def test_an_overdue_plan_is_listed(org, week):
    later = D(2024, 12, 2)
    track(later)
    build(later)
    assert items_by_name(week, later)["planned"].overdue_plan


def test_a_built_week_never_changes(org, week):
    build(MONDAY)
    before = sorted(DispatchItem.objects.values_list("case_id", "level", "missing_plan", "crossed_level"))
    with at(D(2024, 9, 24)):
        case_services.close_case(None, week["missing"], closed_on=D(2024, 9, 24), closure_method="judgment")
    again = build(MONDAY)
    assert again["weeks_built"] == [] and again["items"] == 0
    assert sorted(DispatchItem.objects.values_list("case_id", "level", "missing_plan", "crossed_level")) == before
    assert UrgingNotice.objects.count() == 3
    assert Notification.objects.filter(kind=NotificationKind.URGING).count() == 1


def test_next_week_shows_what_became_of_each_item(org, week):
    build(MONDAY)
    with at(D(2024, 9, 24)):
        case_services.close_case(None, week["missing"], closed_on=D(2024, 9, 24), closure_method="mediation")
        file_plan(
            org.handler,
            week["crossed"],
            reason="complex_facts",
            expected_close_on=D(2025, 1, 31),
            steps="Site inspection in December.",
            submit=True,
        )
        notice = UrgingNotice.objects.get(item__case=week["key"])
        read_urging(org.handler, notice)
        answer_urging(
            org.handler, notice, answer="Hearing held; judgment being drafted.", new_expected_on=D(2024, 10, 31)
        )
    track(D(2024, 9, 30))
    build(D(2024, 9, 30))

    items = items_by_name(week, D(2024, 9, 30))
    assert items["missing"].outcome == FollowUpOutcome.CLOSED and not items["missing"].needs_action
    assert items["crossed"].outcome == FollowUpOutcome.PLAN_FILED
    assert items["key"].outcome == FollowUpOutcome.ANSWERED and items["key"].over_15m
    assert items["key"].previous_item.dispatch_list.as_of == MONDAY
    # The closed case is on the list to show it closed, but nobody is urged about it.
    assert not UrgingNotice.objects.filter(item=items["missing"]).exists()
    answered = UrgingNotice.objects.get(pk=notice.pk)
    assert answered.read_at is not None and answered.new_expected_on == D(2024, 10, 31)


def test_missed_mondays_are_built_for_their_own_dates(org, week):
    build(MONDAY)
    track(D(2024, 10, 14))
    # Nothing ran on 9-30 or 10-7; the run of 10-14 builds the three weeks, oldest first.
    counts = build(D(2024, 10, 14))
    assert counts["weeks_built"] == ["2024-09-30", "2024-10-07", "2024-10-14"]
    lists = DispatchList.objects.filter(division=org.division).order_by("as_of")
    assert [(x.week_start, x.week_end, x.as_of) for x in lists][1:] == [
        (D(2024, 9, 23), D(2024, 9, 29), D(2024, 9, 30)),
        (D(2024, 9, 30), D(2024, 10, 6), D(2024, 10, 7)),
        (D(2024, 10, 7), D(2024, 10, 13), D(2024, 10, 14)),
    ]
    # Each week's follow-ups point at the week before.
    last = DispatchItem.objects.get(dispatch_list__as_of=D(2024, 10, 14), case=week["key"])
    assert last.previous_item.dispatch_list.as_of == D(2024, 10, 7)
    assert UrgingNotice.objects.filter(sent_on=D(2024, 10, 7)).exists()


def test_only_a_monday_and_not_the_future(org):
    with at(D(2024, 9, 24)):
        with pytest.raises(ValidationError) as not_monday:
            dispatch_weekly(D(2024, 9, 24))
        assert "as_of" in not_monday.value.message_dict
        with pytest.raises(ValidationError):
            dispatch_weekly(D(2024, 9, 30))


def test_the_division_head_acknowledges(org, week, court):
    other = build_org(court, code="civil-2")
    build(MONDAY)
    dispatch_list = DispatchList.objects.get(division=org.division)
    with pytest.raises(PermissionDenied):
        acknowledge_dispatch(other.head, dispatch_list)
    with pytest.raises(PermissionDenied):
        acknowledge_dispatch(org.handler, dispatch_list)
    with at(D(2024, 9, 23), hour=9):
        acknowledge_dispatch(org.head, dispatch_list)
    with at(D(2024, 9, 24), hour=9):
        acknowledge_dispatch(org.head, dispatch_list)  # the first acknowledgement stays
    dispatch_list.refresh_from_db()
    assert dispatch_list.acknowledged_by == org.head
    assert dispatch_list.acknowledged_at.date() == D(2024, 9, 23)


def test_only_the_handler_answers_an_urging_notice(org, week):
    build(MONDAY)
    notice = UrgingNotice.objects.first()
    with at(D(2024, 9, 24)):
        with pytest.raises(PermissionDenied):
            answer_urging(org.head, notice, answer="x")
        with pytest.raises(ValidationError) as empty:
            answer_urging(org.handler, notice, answer=" ")
        assert "answer" in empty.value.message_dict
        with pytest.raises(ValidationError) as past:
            answer_urging(org.handler, notice, answer="Done.", new_expected_on=D(2024, 9, 1))
        assert "new_expected_on" in past.value.message_dict


def test_the_new_expected_date_is_a_plan_within_the_horizon(org, week):
    """The answer's new expected closing date is after today and at most 36 months ahead."""
    build(MONDAY)
    notice = UrgingNotice.objects.first()
    with at(D(2024, 9, 24)):
        for day in (D(9999, 12, 31), D(2027, 9, 25)):
            with pytest.raises(ValidationError) as far:
                answer_urging(org.handler, notice, answer="Done.", new_expected_on=day)
            assert "2027-09-24" in far.value.message_dict["new_expected_on"][0]
        assert answer_urging(org.handler, notice, answer="Done.", new_expected_on=D(2027, 9, 24)).new_expected_on == D(
            2027, 9, 24
        )


def test_time_limit_alerts_put_no_case_on_the_list(org, week):
    """Dispatch lists follow the 6- and 15-month lines: a time-limit alert raised in the week
    (here on a case with nothing to say, and on one that crossed 6 months) changes nothing."""
    for name, raised_on in (("young", D(2024, 9, 17)), ("crossed", D(2024, 9, 21))):
        Alert.objects.create(
            case=week[name], kind="time_limit", level="limit_overdue", line_date=D(2024, 9, 16), raised_on=raised_on
        )
    build(MONDAY)
    items = items_by_name(week)
    assert items["young"] is None
    assert items["crossed"].crossed_level == "over_6m"
