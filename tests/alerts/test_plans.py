"""Clearance plans: validation, versions, review, and the selectors that read them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alerts.models import ClearancePlan, Notification, NotificationKind, PlanStatus
from alerts.selectors import missing_plan_cases, overdue_plan_cases, plan_slips
from alerts.services import approve_plan, file_plan, return_plan, submit_plan
from cases import services as case_services
from tests.alerts.conftest import at, track
from tests.factories import UserFactory

D = dt.date
TODAY = D(2024, 9, 20)


def plan_for(org, case, **kwargs):
    data = {"reason": "appraisal", "expected_close_on": D(2024, 12, 31), "steps": "Hearing after the appraisal."}
    data.update(kwargs)
    with at(TODAY):
        return file_plan(org.handler, case, today=TODAY, **data)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"expected_close_on": TODAY}, "expected_close_on"),
        ({"expected_close_on": D(2024, 9, 1)}, "expected_close_on"),
        ({"expected_close_on": None}, "expected_close_on"),
        ({"expected_close_on": "2024-12-31"}, "expected_close_on"),
        ({"reason": "bad luck"}, "reason"),
        ({"reason": "other", "reason_text": "  "}, "reason_text"),
        ({"steps": ""}, "steps"),
    ],
)
def test_bad_input_names_the_field(org, data, field):
    case = org.case(D(2024, 3, 1))
    with pytest.raises(ValidationError) as error:
        plan_for(org, case, **data)
    assert field in error.value.message_dict
    assert not ClearancePlan.objects.exists()


def test_every_version_is_kept_through_return_and_approval(org):
    case = org.case(D(2024, 3, 1))
    first = plan_for(org, case, submit=True)
    assert (first.version, first.status) == (1, PlanStatus.SUBMITTED)
    assert Notification.objects.get(kind=NotificationKind.PLAN_SUBMITTED).recipient == org.head

    with pytest.raises(ValidationError) as pending:
        plan_for(org, case)
    assert "case" in pending.value.message_dict

    with at(TODAY), pytest.raises(ValidationError) as no_comment:
        return_plan(org.head, first, comment="")
    assert "review_comment" in no_comment.value.message_dict
    with at(TODAY):
        return_plan(org.head, first, comment="The appraisal was finished last month; set a hearing date.")

    second = plan_for(org, case, reason="parties", expected_close_on=D(2024, 11, 15))
    assert (second.version, second.status) == (2, PlanStatus.DRAFT)
    edited = plan_for(org, case, reason="parties", expected_close_on=D(2024, 11, 20))
    assert edited.pk == second.pk  # a draft is edited in place
    with at(TODAY):
        submit_plan(org.handler, edited, today=TODAY)
        approved = approve_plan(org.head, edited)
    assert approved.status == PlanStatus.APPROVED and approved.reviewer == org.head

    versions = list(case.plans.order_by("version").values_list("version", "status", "expected_close_on"))
    assert versions == [(1, "returned", D(2024, 12, 31)), (2, "approved", D(2024, 11, 20))]
    assert set(Notification.objects.filter(recipient=org.handler).values_list("kind", flat=True)) == {
        NotificationKind.PLAN_RETURNED,
        NotificationKind.PLAN_APPROVED,
    }


def test_only_the_division_head_reviews_and_never_their_own_plan(org):
    case = org.case(D(2024, 3, 1))
    plan = plan_for(org, case, submit=True)
    stranger = UserFactory(username="stranger", court=org.division.court, roles=["handler"])
    with at(TODAY):
        with pytest.raises(PermissionDenied):
            approve_plan(org.handler, plan)
        with pytest.raises(PermissionDenied):
            approve_plan(stranger, plan)
        with pytest.raises(PermissionDenied):
            file_plan(stranger, case, reason="other", reason_text="x", expected_close_on=D(2025, 1, 1), steps="x")
    own_case = org.case(D(2024, 3, 2), handler=org.head)
    with at(TODAY):
        own = file_plan(org.head, own_case, reason="parties", expected_close_on=D(2025, 1, 1), steps="x", submit=True)
        with pytest.raises(ValidationError) as self_review:
            approve_plan(org.head, own)
    assert "reviewer" in self_review.value.message_dict


def test_no_plan_for_a_closed_case(org):
    case = org.case(D(2024, 3, 1))
    with at(D(2024, 9, 10)):
        case_services.close_case(None, case, closed_on=D(2024, 9, 10), closure_method="judgment")
    with pytest.raises(ValidationError) as error:
        plan_for(org, case)
    assert "case" in error.value.message_dict


def test_missing_plan_seven_days_after_the_over_6m_alert(org):
    case = org.case(D(2024, 3, 15))  # over 6 months from 2024-09-16
    track(D(2024, 9, 16))
    assert not missing_plan_cases(D(2024, 9, 22)).exists()
    assert list(missing_plan_cases(D(2024, 9, 23))) == [case]

    returned = plan_for(org, case, submit=True)
    with at(TODAY):
        return_plan(org.head, returned, comment="Too vague.")
    assert list(missing_plan_cases(D(2024, 9, 23))) == [case]  # only a returned plan: still missing

    plan_for(org, case, submit=True)
    assert not missing_plan_cases(D(2024, 9, 23)).exists()


def test_overdue_plan_and_slips(org):
    slipping = org.case(D(2024, 3, 1))
    kept = org.case(D(2024, 3, 2))
    plan_for(org, slipping, expected_close_on=D(2024, 10, 31), submit=True)
    plan_for(org, kept, expected_close_on=D(2024, 10, 15), submit=True)
    with at(D(2024, 10, 15)):
        case_services.close_case(None, kept, closed_on=D(2024, 10, 15), closure_method="judgment")

    assert not overdue_plan_cases(D(2024, 10, 31)).exists()  # due that day: not yet passed
    assert list(overdue_plan_cases(D(2024, 11, 1))) == [slipping]

    [row] = plan_slips(D(2024, 11, 1))
    assert (row["author__username"], row["due"], row["slipped"], row["rate"]) == ("civil-1-judge", 2, 1, 0.5)
