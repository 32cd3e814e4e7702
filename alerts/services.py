"""Writes of the escalation engine that people make: acknowledging alerts, filing and reviewing
clearance plans, reading and answering urging notices, acknowledging dispatch lists.

The jobs' set-based writes live in `tracking.py` (daily) and `dispatch.py` (weekly). Every
function here checks the policy in `cases.permissions`, validates its input and raises a
ValidationError keyed by field; none is called from a signal.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import dates, permissions
from cases.ageing import open_on_q
from cases.models import Case, User

from .models import (
    Alert,
    ClearancePlan,
    DispatchList,
    Notification,
    NotificationKind,
    PlanReason,
    PlanStatus,
    UrgingNotice,
)
from .notifications import notify

# --- alerts -----------------------------------------------------------------------------


def acknowledge_alert(user: User, alert: Alert) -> Alert:
    """Record that `user` saw the alert. The first acknowledgement is kept; escalation goes on
    until a plan is submitted."""
    if not permissions.can_view_case(user, alert.case):
        raise PermissionDenied
    if alert.superseded:
        raise ValidationError({"alert": [_("A superseded alert needs no acknowledgement.")]})
    Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=user, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    return alert


def mark_notifications_read(user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or those in `ids`) read; others' are untouched."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- clearance plans --------------------------------------------------------------------


def _validate_plan_fields(
    *, reason: str, reason_text: str, expected_close_on: dt.date | None, steps: str, today: dt.date
) -> None:
    errors: dict[str, list[str]] = {}
    if reason not in PlanReason.values:
        errors["reason"] = [_("Choose a reason from the list.")]
    elif reason == PlanReason.OTHER and not reason_text.strip():
        errors["reason_text"] = [_("Describe the reason when it is Other.")]
    if expected_close_on is None:
        errors["expected_close_on"] = [_("Enter the expected closing date.")]
    elif not isinstance(expected_close_on, dt.date):
        errors["expected_close_on"] = [_("Enter a valid date.")]
    elif error := dates.planned(expected_close_on, today=today):
        errors["expected_close_on"] = [error]
    if not steps.strip():
        errors["steps"] = [_("Say what will be done to close the case.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def file_plan(
    user: User,
    case: Case,
    *,
    reason: str,
    expected_close_on: dt.date | None,
    steps: str,
    reason_text: str = "",
    submit: bool = False,
    today: dt.date | None = None,
) -> ClearancePlan:
    """Write the case's plan: edit the open draft, or start the next version. With `submit`,
    submit it at once. A version waiting for review must be decided before the next is filed."""
    today = today or timezone.localdate()
    if not permissions.can_file_plan(user, case, today):
        raise PermissionDenied
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not Case.objects.filter(pk=case.pk).filter(open_on_q(today)).exists():
        raise ValidationError({"case": [_("The case is closed; it needs no clearance plan.")]})
    _validate_plan_fields(
        reason=reason, reason_text=reason_text, expected_close_on=expected_close_on, steps=steps, today=today
    )
    if case.plans.filter(status=PlanStatus.SUBMITTED).exists():
        raise ValidationError({"case": [_("A plan for this case is waiting for the division head's review.")]})
    plan = case.plans.filter(status=PlanStatus.DRAFT).first()
    if plan is None:
        latest = case.plans.aggregate(v=Max("version"))["v"] or 0
        plan = ClearancePlan(case=case, version=latest + 1, author=user)
    plan.reason, plan.reason_text, plan.expected_close_on, plan.steps = (
        reason,
        reason_text.strip(),
        expected_close_on,
        steps.strip(),
    )
    plan.author = user
    plan.save()
    if submit:
        plan = submit_plan(user, plan, today=today)
    return plan


@transaction.atomic
def submit_plan(user: User, plan: ClearancePlan, *, today: dt.date | None = None) -> ClearancePlan:
    """Submit a draft for review; from now on this version is never edited."""
    today = today or timezone.localdate()
    plan = ClearancePlan.objects.select_for_update().select_related("case__division").get(pk=plan.pk)
    if not permissions.can_file_plan(user, plan.case, today):
        raise PermissionDenied
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"status": [_("Only a draft can be submitted.")]})
    _validate_plan_fields(
        reason=plan.reason,
        reason_text=plan.reason_text,
        expected_close_on=plan.expected_close_on,
        steps=plan.steps,
        today=today,
    )
    plan.status, plan.submitted_at = PlanStatus.SUBMITTED, timezone.now()
    plan.save(update_fields=["status", "submitted_at"])
    head = permissions.effective_head(plan.case.division, today)
    notify(
        [head],
        kind=NotificationKind.PLAN_SUBMITTED,
        key=f"plan:{plan.pk}:submitted",
        subject=_("Clearance plan for case %(number)s submitted for review") % {"number": plan.case.case_number},
        link=f"/cases/{plan.case_id}/",
        case=plan.case,
        on=today,
    )
    return plan


def _review(user: User, plan: ClearancePlan, status: str, comment: str, today: dt.date | None) -> ClearancePlan:
    today = today or timezone.localdate()
    plan = ClearancePlan.objects.select_for_update().select_related("case__division").get(pk=plan.pk)
    if not permissions.can_review_plan(user, plan.case, today):
        raise PermissionDenied
    if plan.status != PlanStatus.SUBMITTED:
        raise ValidationError({"status": [_("Only a submitted plan can be reviewed.")]})
    if plan.author_id == user.id:
        raise ValidationError({"reviewer": [_("A plan is reviewed by someone other than its author.")]})
    if status == PlanStatus.RETURNED and not comment.strip():
        raise ValidationError({"review_comment": [_("Say why the plan is returned.")]})
    plan.status, plan.reviewer, plan.review_comment, plan.reviewed_at = status, user, comment.strip(), timezone.now()
    plan.save(update_fields=["status", "reviewer", "review_comment", "reviewed_at"])
    if status == PlanStatus.APPROVED:
        kind, subject = NotificationKind.PLAN_APPROVED, _("Clearance plan for case %(number)s approved")
    else:
        kind, subject = NotificationKind.PLAN_RETURNED, _("Clearance plan for case %(number)s returned")
    notify(
        [plan.author],
        kind=kind,
        key=f"plan:{plan.pk}:{status}",
        subject=subject % {"number": plan.case.case_number},
        body=plan.review_comment,
        link=f"/cases/{plan.case_id}/",
        case=plan.case,
        on=today,
    )
    return plan


@transaction.atomic
def approve_plan(user: User, plan: ClearancePlan, *, comment: str = "", today: dt.date | None = None):
    return _review(user, plan, PlanStatus.APPROVED, comment, today)


@transaction.atomic
def return_plan(user: User, plan: ClearancePlan, *, comment: str, today: dt.date | None = None):
    return _review(user, plan, PlanStatus.RETURNED, comment, today)


# --- weekly dispatch --------------------------------------------------------------------


def acknowledge_dispatch(user: User, dispatch_list: DispatchList) -> DispatchList:
    """The division head confirms they received the week's list. The first acknowledgement stays."""
    if not permissions.can_lead_division(user, dispatch_list.division):
        raise PermissionDenied
    DispatchList.objects.filter(pk=dispatch_list.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=user, acknowledged_at=timezone.now()
    )
    dispatch_list.refresh_from_db()
    return dispatch_list


def read_urging(user: User, notice: UrgingNotice) -> UrgingNotice:
    """Record the first time the handler opened the notice."""
    if notice.handler_id != user.id:
        raise PermissionDenied
    UrgingNotice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())
    notice.refresh_from_db()
    return notice


@transaction.atomic
def answer_urging(
    user: User,
    notice: UrgingNotice,
    *,
    answer: str,
    new_expected_on: dt.date | None = None,
    today: dt.date | None = None,
) -> UrgingNotice:
    """The handler's answer (反馈): what was done and, if it moved, the new expected closing date.
    Answering again replaces the answer; the time of the latest answer is kept."""
    today = today or timezone.localdate()
    notice = UrgingNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.handler_id != user.id:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not answer.strip():
        errors["answer"] = [_("Say what was done.")]
    if new_expected_on is not None and not isinstance(new_expected_on, dt.date):
        errors["new_expected_on"] = [_("Enter a valid date.")]
    elif new_expected_on is not None and (error := dates.planned(new_expected_on, today=today)):
        errors["new_expected_on"] = [error]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    notice.answer, notice.new_expected_on, notice.answered_at = answer.strip(), new_expected_on, now
    notice.read_at = notice.read_at or now
    try:
        notice.save(update_fields=["answer", "new_expected_on", "answered_at", "read_at"])
    except IntegrityError as exc:  # pragma: no cover - the checks above mirror the constraint
        raise ValidationError({"answer": [_("Say what was done.")]}) from exc
    return notice
