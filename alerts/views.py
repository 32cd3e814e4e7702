"""Pages of the escalation engine: notifications inbox, clearance plans (file, review), the daily
tracking list, weekly dispatch lists and the state of the jobs. Writes go through alerts.services;
lists come from alerts.selectors; who may do what is cases.permissions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import permissions
from cases.models import Case, Court, Division
from cases.roles import Role
from cases.views import get_visible_case
from common.forms import apply_service_errors
from common.pagination import paginate, query_without_page

from . import selectors, services
from .forms import PlanForm, ReviewForm, UrgingAnswerForm
from .models import (
    Alert,
    ClearancePlan,
    DispatchItem,
    DispatchList,
    EngineSettings,
    Notification,
    PlanStatus,
    UrgingNotice,
)


def _court(user) -> Court | None:
    return user.court if user.court_id else Court.default()


def _missing_plan_days(user) -> int:
    court = _court(user)
    return EngineSettings.for_court(court).missing_plan_days if court else 7


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


# --- contributions to the home page and the case page -------------------------------------


def home_panels(request: HttpRequest) -> list[dict]:
    user = request.user
    today = timezone.localdate()
    panels: list[dict] = []
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    panels.append(
        {
            "template": "alerts/panel_inbox.html",
            "order": 30,
            "unread_count": unread.count(),
            "latest": list(unread.order_by("-created_at", "-id")[:5]),
        }
    )
    if user.has_role(Role.HANDLER):
        mine = permissions.visible_cases(user).filter(handler=user)
        panels.append(
            {
                "template": "alerts/panel_plans_to_file.html",
                "order": 20,
                "missing": list(
                    selectors.missing_plan_cases(today, _missing_plan_days(user), mine).order_by("filed_on")[:8]
                ),
                "returned": list(_returned_plans(user)[:8]),
                "urging": list(
                    UrgingNotice.objects.filter(handler=user, answered_at__isnull=True).select_related("item__case")[:8]
                ),
            }
        )
    headed = permissions.headed_division_ids(user)
    if headed:
        panels.append(
            {
                "template": "alerts/panel_head.html",
                "order": 10,
                "waiting": list(
                    ClearancePlan.objects.filter(status=PlanStatus.SUBMITTED, case__division_id__in=headed)
                    .select_related("case", "author")
                    .order_by("submitted_at")[:8]
                ),
                "lists": list(
                    DispatchList.objects.filter(division_id__in=headed, acknowledged_at__isnull=True)
                    .select_related("division")
                    .order_by("-as_of")[:5]
                ),
            }
        )
    return panels


def _returned_plans(user):
    """The user's cases whose latest plan version was returned (a new version is due)."""
    later = ClearancePlan.objects.filter(case=OuterRef("case"), version__gt=OuterRef("version"))
    return (
        ClearancePlan.objects.filter(case__handler=user, status=PlanStatus.RETURNED)
        .exclude(Exists(later))
        .select_related("case", "reviewer")
        .order_by("-reviewed_at")
    )


def case_sections(request: HttpRequest, case: Case) -> list[dict]:
    user = request.user
    plans = list(case.plans.select_related("author", "reviewer").order_by("-version"))
    draft = next((p for p in plans if p.status == PlanStatus.DRAFT), None)
    waiting = next((p for p in plans if p.status == PlanStatus.SUBMITTED), None)
    alerts = list(case.alerts.filter(superseded=False).select_related("acknowledged_by").order_by("-raised_on", "-id"))
    dispatch = list(
        DispatchItem.objects.filter(case=case)
        .select_related("dispatch_list", "dispatch_list__division")
        .order_by("-dispatch_list__as_of")
    )
    return [
        {
            "template": "alerts/case_section.html",
            "alerts": alerts,
            "plans": plans,
            "dispatch": dispatch,
            "can_file": permissions.can_file_plan(user, case) and case.is_open and waiting is None,
            "draft": draft,
            "waiting": waiting,
            "can_review": waiting is not None
            and permissions.can_review_plan(user, case)
            and waiting.author_id != user.pk,
            "review_form": ReviewForm(),
        }
    ]


# --- inbox ---------------------------------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    # Notifications about an alert (either family) carry it, with its acknowledge button.
    qs = (
        Notification.objects.filter(recipient=request.user)
        .select_related("case", "alert", "alert__acknowledged_by")
        .order_by("-created_at", "-id")
    )
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    page = paginate(request, qs)
    urging = list(
        UrgingNotice.objects.filter(handler=request.user, answered_at__isnull=True)
        .select_related("item__case", "item__dispatch_list")
        .order_by("-sent_on")[:50]
    )
    context = {"page": page, "query": query_without_page(request), "urging": urging, "nav_active": "inbox"}
    return render(request, "alerts/inbox.html", context)


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    services.mark_notifications_read(request.user, ids)
    return redirect(_safe_next(request, reverse("alerts:inbox")))


@login_required
def urging_answer(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(UrgingNotice.objects.select_related("item__case"), pk=pk, handler=request.user)
    services.read_urging(request.user, notice)
    form = UrgingAnswerForm(
        request.POST or None, initial={"answer": notice.answer, "new_expected_on": notice.new_expected_on}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_urging(request.user, notice, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your answer was recorded."))
            return redirect("alerts:inbox")
    return render(request, "alerts/urging_answer.html", {"notice": notice, "form": form})


# --- clearance plans -----------------------------------------------------------------------


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    headed = permissions.headed_division_ids(user)
    if user.has_role(Role.ADMIN):
        headed = set(Division.objects.values_list("id", flat=True))
    waiting = (
        ClearancePlan.objects.filter(status=PlanStatus.SUBMITTED, case__division_id__in=headed)
        .select_related("case", "case__division", "author")
        .order_by("submitted_at")
    )
    mine = permissions.visible_cases(user).filter(handler=user)
    missing = selectors.missing_plan_cases(today, _missing_plan_days(user), mine).select_related("division")
    context = {
        "waiting": list(waiting[:200]),
        "is_head": bool(headed),
        "missing": list(missing.order_by("filed_on")[:200]),
        "returned": list(_returned_plans(user)[:200]),
        "drafts": list(
            ClearancePlan.objects.filter(case__handler=user, status=PlanStatus.DRAFT).select_related("case")[:200]
        ),
        "overdue": list(selectors.overdue_plan_cases(today, mine).order_by("expected_close_on")[:200]),
        "review_form": ReviewForm(),
        "nav_active": "plans",
    }
    return render(request, "alerts/plans.html", context)


@login_required
def plan_file(request: HttpRequest, case_pk: int) -> HttpResponse:
    user = request.user
    case = get_visible_case(user, case_pk)
    if not permissions.can_file_plan(user, case):
        raise PermissionDenied
    draft = case.plans.filter(status=PlanStatus.DRAFT).first()
    previous = case.plans.exclude(status=PlanStatus.DRAFT).order_by("-version").first()
    source = draft or previous
    initial: dict[str, Any] = {}
    if source is not None:
        initial = {
            "reason": source.reason,
            "reason_text": source.reason_text,
            "expected_close_on": source.expected_close_on,
            "steps": source.steps,
        }
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        try:
            services.file_plan(user, case, submit=submit, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if submit:
                messages.success(request, _("The plan was submitted to the division head."))
            else:
                messages.success(request, _("The draft was saved."))
            return redirect("cases:detail", pk=case.pk)
    context = {"case": case, "form": form, "previous": previous, "draft": draft}
    return render(request, "alerts/plan_form.html", context)


@login_required
@require_POST
def plan_review(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    # A plan of a case the user cannot see is "not found", as a plan that does not exist.
    visible = ClearancePlan.objects.filter(permissions.visible_cases_q(user, "case__"))
    plan = get_object_or_404(visible.select_related("case", "case__division"), pk=pk)
    if not permissions.can_review_plan(user, plan.case):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    try:
        if request.POST.get("decision") == "approve":
            services.approve_plan(user, plan, comment=comment)
            messages.success(request, _("Plan for %(number)s approved.") % {"number": plan.case.case_number})
        else:
            services.return_plan(user, plan, comment=comment)
            messages.success(request, _("Plan for %(number)s returned.") % {"number": plan.case.case_number})
    except ValidationError as exc:
        text = "; ".join(exc.messages)
        messages.error(request, _("%(number)s: %(error)s") % {"number": plan.case.case_number, "error": text})
    return redirect(_safe_next(request, reverse("alerts:plans")))


# --- daily tracking ------------------------------------------------------------------------


@login_required
def tracking(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    divisions = permissions.visible_divisions(user)
    division = None
    if request.GET.get("division", "").isdecimal():  # not isdigit(): int("²") fails
        division = divisions.filter(pk=int(request.GET["division"])).first()
    level = request.GET.get("level", "")
    qs = selectors.tracking_list(user, today, division=division)
    if level:
        qs = qs.filter(level=level)
    # Two steps: first the page's alert ids, sorted on the alerts table alone (within a level
    # the alert's line date orders cases as the 6-month line does); then those rows with their
    # case, division, handler and plan flag. Sorting the joined rows would hash the case table.
    page = paginate(request, _alert_ids(qs))
    page.rows = _alerts_in_order(qs, page.rows)
    context = {
        "page": page,
        "today": today,
        "divisions": divisions,
        "division": division,
        "level": level,
        "levels": Alert.AGEING_LEVEL_CHOICES,
        "query": query_without_page(request),
        "nav_active": "tracking",
    }
    return render(request, "alerts/tracking.html", context)


def _alert_ids(qs):
    return qs.order_by("-level_rank", "line_date", "case_id").values_list("pk", flat=True)


def _alerts_in_order(qs, ids: list[int]) -> list[Alert]:
    rows = {a.pk: a for a in qs.filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    visible = Alert.objects.filter(permissions.visible_cases_q(request.user, "case__"))
    alert = get_object_or_404(visible.select_related("case"), pk=pk)
    try:
        alert = services.acknowledge_alert(request.user, alert)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    if request.headers.get("HX-Request"):
        return render(request, "alerts/_ack_cell.html", {"alert": alert})
    return redirect(_safe_next(request, reverse("alerts:tracking")))


# --- weekly dispatch -----------------------------------------------------------------------


def _dispatch_visible(user):
    qs = DispatchList.objects.select_related("division", "head", "acknowledged_by")
    if permissions.is_court_wide(user):
        return qs
    return qs.filter(division__in=permissions.visible_divisions(user))


@login_required
def dispatch_list(request: HttpRequest) -> HttpResponse:
    lists = _dispatch_visible(request.user).order_by("-as_of", "division__sort_order")
    page = paginate(request, lists)
    context = {"page": page, "query": query_without_page(request), "nav_active": "dispatch"}
    return render(request, "alerts/dispatch_list.html", context)


@login_required
def dispatch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dl = get_object_or_404(_dispatch_visible(request.user), pk=pk)
    items = dl.items.select_related("case", "handler", "urging").order_by("-over_15m", "filed_on", "case_id")
    # 100 rows a page; ?all=1 shows the whole list on one page for printing.
    show_all = request.GET.get("all") == "1"
    page = paginate(request, items, size=100_000 if show_all else 100)
    context = {
        "dl": dl,
        "items": page.rows,
        "page": page,
        "query": query_without_page(request),
        "show_all": show_all,
        "can_acknowledge": dl.acknowledged_at is None and permissions.can_lead_division(request.user, dl.division),
        "xlsx_url": _dispatch_xlsx_url(dl),
        "nav_active": "dispatch",
    }
    return render(request, "alerts/dispatch_detail.html", context)


def _dispatch_xlsx_url(dl: DispatchList) -> str:
    try:
        return reverse("reports:dispatch_xlsx", args=[dl.pk])
    except NoReverseMatch:
        return ""


@login_required
@require_POST
def dispatch_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    dl = get_object_or_404(_dispatch_visible(request.user), pk=pk)
    services.acknowledge_dispatch(request.user, dl)
    messages.success(request, _("Dispatch list acknowledged."))
    return redirect("alerts:dispatch_detail", pk=dl.pk)
