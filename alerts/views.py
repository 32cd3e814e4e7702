"""Pages of the escalation engine: notifications inbox, clearance plans (file, review), the daily
tracking list and weekly dispatch lists, and this app's panels on the home page and section on the
case page. Thin views: every read is an alerts.selectors call, every write an alerts.services
call; who may do what is cases.permissions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import permissions
from cases import selectors as case_selectors
from cases.models import Case
from cases.roles import Role
from common.forms import apply_service_errors
from common.pagination import paginate, query_without_page

from . import selectors, services
from .forms import PlanForm, ReviewForm, UrgingAnswerForm
from .models import Alert, DispatchList


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


# --- contributions to the home page and the case page -------------------------------------


def home_panels(request: HttpRequest) -> list[dict]:
    user = request.user
    today = timezone.localdate()
    unread_count, latest = selectors.unread_notifications(user)
    panels: list[dict] = [
        {"template": "alerts/panel_inbox.html", "order": 30, "unread_count": unread_count, "latest": latest}
    ]
    if user.has_role(Role.HANDLER):
        due = selectors.plans_to_file(user, today)
        panels.append(
            {
                "template": "alerts/panel_plans_to_file.html",
                "order": 20,
                "missing": due.missing,
                "returned": due.returned,
                "urging": due.urging,
            }
        )
    headed = permissions.headed_division_ids(user)
    if headed:
        desk = selectors.head_desk(headed)
        panels.append({"template": "alerts/panel_head.html", "order": 10, "waiting": desk.waiting, "lists": desk.lists})
    return panels


def case_sections(request: HttpRequest, case: Case) -> list[dict]:
    user = request.user
    found = selectors.case_alerts(case)
    waiting = found.waiting
    return [
        {
            "template": "alerts/case_section.html",
            "alerts": found.alerts,
            "plans": found.plans,
            "dispatch": found.dispatch,
            "can_file": permissions.can_file_plan(user, case) and case.is_open and waiting is None,
            "draft": found.draft,
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
    page = paginate(request, selectors.inbox(request.user, unread_only=bool(request.GET.get("unread"))))
    urging = selectors.urging_to_answer(request.user, 50)
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
    notice = selectors.own_urging_notice(request.user, pk)
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
    found = selectors.plans_page(request.user, timezone.localdate())
    context = {
        "waiting": found.waiting,
        "is_head": found.is_head,
        "missing": found.missing,
        "returned": found.returned,
        "drafts": found.drafts,
        "overdue": found.overdue,
        "review_form": ReviewForm(),
        "nav_active": "plans",
    }
    return render(request, "alerts/plans.html", context)


@login_required
def plan_file(request: HttpRequest, case_pk: int) -> HttpResponse:
    user = request.user
    case = case_selectors.visible_case(user, case_pk)
    if not permissions.can_file_plan(user, case):
        raise PermissionDenied
    draft, previous = selectors.plan_sources(case)
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
    plan = selectors.visible_plan(user, pk)
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
    division = selectors.division_among(divisions, request.GET.get("division", ""))
    level = request.GET.get("level", "")
    qs = selectors.tracking_page_list(user, today, division=division, level=level)
    # Two steps: the page's alert ids, then those alerts with all they show (alerts.selectors).
    page = paginate(request, selectors.tracking_ids(qs))
    page.rows = selectors.tracking_rows(qs, page.rows)
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


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.visible_alert(request.user, pk)
    try:
        alert = services.acknowledge_alert(request.user, alert)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    if request.headers.get("HX-Request"):
        return render(request, "alerts/_ack_cell.html", {"alert": alert})
    return redirect(_safe_next(request, reverse("alerts:tracking")))


# --- weekly dispatch -----------------------------------------------------------------------


@login_required
def dispatch_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.dispatch_lists(request.user))
    context = {"page": page, "query": query_without_page(request), "nav_active": "dispatch"}
    return render(request, "alerts/dispatch_list.html", context)


@login_required
def dispatch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dl = selectors.visible_dispatch_list(request.user, pk)
    items = selectors.dispatch_items(dl)
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
    dl = selectors.visible_dispatch_list(request.user, pk)
    services.acknowledge_dispatch(request.user, dl)
    messages.success(request, _("Dispatch list acknowledged."))
    return redirect("alerts:dispatch_detail", pk=dl.pk)
