"""The statutory clock on the case page and the forms that change its inputs.

Thin views: who may act comes from cases.permissions, every rule from limits.services.
`case_sections(request, case)` gives the case page the clock section
(templates/limits/clock_section.html); each form posts to its own view, which on an error
shows the form again with what was typed and the messages beside the fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases import permissions
from cases.models import Case, CaseStatus
from common.forms import apply_service_errors
from common.pagination import paginate, query_without_page

from . import selectors
from . import services as limits_services
from .forms import DecisionForm, EndPeriodForm, ExtensionRequestForm, PeriodForm
from .models import ExcludedPeriod, Extension, ExtensionStatus
from .rule import case_clock


def case_sections(request: HttpRequest, case: Case) -> list[dict[str, Any]]:
    """The clock's section of the case page (see cases.views.contributions), first after the
    case's facts: the clock as of today, its ledger and the forms the user may use (unbound;
    they post to the views below)."""
    user = request.user
    today = timezone.localdate()
    periods, extensions = selectors.case_ledger(case)
    is_open = case.status != CaseStatus.CLOSED
    can_record = permissions.can_record_periods(user, case)
    pending = next((e for e in extensions if e.status == ExtensionStatus.REQUESTED), None)
    can_decide = pending is not None and (
        permissions.can_decide_extension(user) or permissions.can_decide_extension(user, by_higher_court=True)
    )
    clock = case_clock(case, today)
    section = {
        "template": "limits/clock_section.html",
        "order": 10,
        "clock": clock,
        "days_overdue": -clock.days_remaining if clock.days_remaining is not None and clock.days_remaining < 0 else 0,
        "periods": periods,
        "extensions": extensions,
        "can_record": can_record,
        "period_form": PeriodForm(initial={"start": today}, prefix="period") if can_record and is_open else None,
        "end_form": EndPeriodForm(initial={"end": today}, prefix="end") if can_record else None,
        "request_form": (
            ExtensionRequestForm(prefix="extension")
            if is_open and pending is None and permissions.can_request_extension(user, case)
            else None
        ),
        "pending": pending,
        "decision_form": DecisionForm(initial={"decided_on": today}, prefix="decision") if can_decide else None,
    }
    return [section]


def _case(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(permissions.visible_cases(request.user).select_related("court", "division"), pk=pk)


def _ledger_row(request: HttpRequest, model, pk: int):
    """A period or an extension of a case the user may see (404 otherwise), with its case loaded."""
    rows = model.objects.filter(case__in=permissions.visible_cases(request.user))
    return get_object_or_404(rows.select_related("case__court", "case__division"), pk=pk)


def _page(request, case, form, title, action, status=200) -> HttpResponse:
    context = {"case": case, "form": form, "title": title, "action": action}
    return render(request, "limits/form_page.html", context, status=status)


def _done(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("cases:detail", args=[case.pk]) + "#time-limit")


def _handle(request, case, form, title, action, save) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _done(request, case, _("%(what)s: %(number)s saved.") % {"what": title, "number": case.case_number})
    return _page(request, case, form, title, action)


@login_required
@require_http_methods(["GET", "POST"])
def period_record(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    if not permissions.can_record_periods(request.user, case):
        raise PermissionDenied
    form = PeriodForm(request.POST or None, initial={"start": timezone.localdate()}, prefix="period")

    def save(data):
        limits_services.record_period(request.user, case, **data)

    return _handle(request, case, form, _("Record an excluded period"), request.path, save)


@login_required
@require_http_methods(["GET", "POST"])
def period_end(request: HttpRequest, period_pk: int) -> HttpResponse:
    period = _ledger_row(request, ExcludedPeriod, period_pk)
    case = period.case
    if not permissions.can_record_periods(request.user, case):
        raise PermissionDenied
    form = EndPeriodForm(request.POST or None, initial={"end": timezone.localdate()}, prefix="end")

    def save(data):
        limits_services.end_period(request.user, period, data["end"])

    title = _("End the period: %(reason)s from %(start)s") % {
        "reason": period.get_reason_code_display(),
        "start": period.start.isoformat(),
    }
    return _handle(request, case, form, title, request.path, save)


@login_required
@require_http_methods(["GET", "POST"])
def extension_request(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    if not permissions.can_request_extension(request.user, case):
        raise PermissionDenied
    form = ExtensionRequestForm(request.POST or None, prefix="extension")

    def save(data):
        limits_services.request_extension(request.user, case, **data)

    return _handle(request, case, form, _("Request an extension"), request.path, save)


@login_required
@require_http_methods(["GET", "POST"])
def extension_decide(request: HttpRequest, extension_pk: int) -> HttpResponse:
    extension = _ledger_row(request, Extension, extension_pk)
    case = extension.case
    user = request.user
    if not (permissions.can_decide_extension(user) or permissions.can_decide_extension(user, by_higher_court=True)):
        raise PermissionDenied
    form = DecisionForm(request.POST or None, initial={"decided_on": timezone.localdate()}, prefix="decision")
    if request.method == "POST" and form.is_valid():
        higher = form.cleaned_data["by_higher_court"]
        if not permissions.can_decide_extension(user, by_higher_court=higher):
            raise PermissionDenied

    def save(data):
        limits_services.decide_extension(
            user,
            extension,
            approve=data["decision"] == "approve",
            by_higher_court=data["by_higher_court"],
            decided_on=data["decided_on"],
            document_ref=data["document_ref"],
        )

    title = _("Decide extension step %(step)s") % {"step": extension.step}
    return _handle(request, case, form, title, request.path, save)


@login_required
def hidden_overruns(request: HttpRequest) -> HttpResponse:
    """The tracking officer's list of hidden overruns (隐性超审限), with each flag's evidence,
    and the running counts per division. Read-only: the daily check raises and clears flags."""
    if not permissions.can_view_hidden_overruns(request.user):
        raise PermissionDenied
    divisions = list(permissions.visible_divisions(request.user).order_by("sort_order", "code"))
    division = next((d for d in divisions if str(d.pk) == request.GET.get("division")), None)
    page = paginate(request, selectors.hidden_overrun_flags(division=division))
    context = {
        "page": page,
        "query": query_without_page(request),
        "divisions": divisions,
        "division": division,
        "counts": selectors.hidden_overrun_counts_by_division(),
        "nav_active": "hidden_overruns",
    }
    return render(request, "limits/hidden_overruns.html", context)
