"""Pages of reports: the court overview with drill-down (division → handler → cases) and the monthly
bulletin (read, publish, sign off, download). Figures come from reports.selectors (daily snapshots
written by the same rule the bulletin uses); documents from reports.exports; writes from
reports.services. The jobs page is the jobs app's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alerts import selectors as alert_selectors
from cases import dates, permissions
from cases.roles import Role
from common.pagination import paginate, query_without_page

from . import charts, exports, selectors, services
from .fonts import CJKFontMissing
from .models import Bulletin, BulletinStatus

KEY_WARNINGS_SHOWN = 50
# The bulletin page reloads itself this often while its PDF is rendered in the background.
PUBLISHING_REFRESH_SECONDS = 10
LEADERS = (Role.PRESIDENT, Role.VICE_PRESIDENT, Role.TRACKING_OFFICER, Role.ADMIN)


# --- overview and drill-down -------------------------------------------------------------------


def _as_of(request: HttpRequest) -> dt.date | None:
    """`?as_of=` of the dashboards; None (the latest figures) when absent, and, with a warning,
    when it is no date or outside the reading range of cases.dates (the year-end baseline and the 12-month trend
    would overflow at the calendar's ends)."""
    raw = request.GET.get("as_of", "")
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not dates.in_read_range(day):
        messages.warning(
            request,
            _("The requested date is not a date from %(earliest)s to %(latest)s; the latest figures are shown.")
            % {"earliest": dates.READ_EARLIEST.isoformat(), "latest": dates.READ_LATEST.isoformat()},
        )
        return None
    return day


def _overview_context(overview) -> dict[str, Any]:
    return {"overview": overview, "total": overview.total, **charts.overview_charts(overview)}


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_role(*LEADERS):
        raise PermissionDenied
    data = selectors.court_overview(user, _as_of(request))
    context: dict[str, Any] = {"nav_active": "overview", "overview": None}
    if data is not None:
        context.update(_overview_context(data))
        context["division_chart"] = charts.division_chart(data)
    return render(request, "reports/overview.html", context)


@login_required
def division_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    division = selectors.visible_division(user, pk)
    data = selectors.division_overview(user, division, _as_of(request))
    context: dict[str, Any] = {"division": division, "overview": None, "nav_active": "division"}
    if data is not None:
        context.update(_overview_context(data))
    return render(request, "reports/division.html", context)


@login_required
def division_home(request: HttpRequest) -> HttpResponse:
    headed = sorted(permissions.headed_division_ids(request.user))
    if headed:
        return redirect("reports:division", pk=headed[0])
    if request.user.division_id:
        return redirect("reports:division", pk=request.user.division_id)
    raise Http404


# --- bulletins -----------------------------------------------------------------------------


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    page = paginate(request, selectors.bulletin_list(user))
    context = {
        "page": page,
        "query": query_without_page(request),
        "awaiting": list(selectors.bulletins_awaiting_sign_off(user)[:12]),
        "nav_active": "bulletins",
    }
    return render(request, "reports/bulletin_list.html", context)


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    bulletin = selectors.visible_bulletin(user, pk)
    doc = selectors.bulletin_document(bulletin)
    signable = selectors.signable_divisions(user, doc, timezone.localdate())
    division_filter = request.GET.get("division", "")
    key_only = request.GET.get("key") == "1"
    items_qs = selectors.bulletin_items(
        bulletin,
        division_id=int(division_filter) if division_filter.isdecimal() else None,  # int("²") fails
        key_warnings_only=key_only,
    )
    page = paginate(request, items_qs, size=100)
    # The first key warnings here; all of them are the list filtered with ?key=1.
    key_warnings, more_key_warnings = selectors.key_warnings(bulletin, KEY_WARNINGS_SHOWN)
    selectors.label_plan_statuses([*page.rows, *key_warnings])
    context = {
        "bulletin": bulletin,
        "doc": doc,
        "key_warnings": key_warnings,
        "page": page,
        "query": query_without_page(request),
        "division_filter": division_filter,
        "key_only": key_only,
        "more_key_warnings": more_key_warnings,
        # A publication that lost its worker may be started again (services.PUBLISH_STALE_AFTER).
        "can_publish": (bulletin.status == BulletinStatus.DRAFT or services.publishing_stalled(bulletin))
        and permissions.can_publish_bulletin(user),
        "publishing_stalled": services.publishing_stalled(bulletin),
        "pdf_refused": exports.draft_pdf_refused(bulletin),
        "refresh_seconds": PUBLISHING_REFRESH_SECONDS,
        "signable": signable,
        "nav_active": "bulletins",
    }
    return render(request, "reports/bulletin_detail.html", context)


@login_required
@require_POST
def bulletin_publish(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = selectors.visible_bulletin(request.user, pk)
    try:
        started = services.start_publishing(bulletin, request.user, trigger=f"web:{request.user.username}")
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        if started.sent.waiting_run is not None:
            messages.warning(
                request,
                _("The job queue is unavailable: publishing is recorded and starts as soon as the queue is back."),
            )
        else:
            messages.success(request, _("Publishing has started. This page refreshes until it is done."))
    return redirect("reports:bulletin", pk=bulletin.pk)


@login_required
@require_POST
def bulletin_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = selectors.visible_bulletin(request.user, pk)
    division = selectors.division_or_404(request.POST.get("division"))
    try:
        services.sign_off_bulletin(bulletin, division, request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("%(division)s signed off.") % {"division": division})
    return redirect("reports:bulletin", pk=bulletin.pk)


@login_required
def bulletin_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    bulletin = selectors.visible_bulletin(request.user, pk)
    if fmt == "pdf":
        try:
            return exports.bulletin_pdf_download(bulletin, language=get_language())
        except exports.PdfRefused as exc:
            messages.info(request, str(exc))
        except CJKFontMissing as exc:
            messages.error(request, str(exc))
        return redirect("reports:bulletin", pk=bulletin.pk)
    elif fmt == "xlsx":
        response = HttpResponse(exports.bulletin_xlsx(bulletin), content_type=exports.XLSX_CONTENT_TYPE)
    elif fmt == "csv":
        response = StreamingHttpResponse(exports.bulletin_csv(bulletin), content_type=exports.CSV_CONTENT_TYPE)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(bulletin, fmt)}"'
    return response


@login_required
def bulletin_figures_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The bulletin's figures (court, divisions, handlers) as CSV; the case list is download.csv."""
    bulletin = selectors.visible_bulletin(request.user, pk)
    response = StreamingHttpResponse(exports.bulletin_figures_csv(bulletin), content_type=exports.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{exports.figures_filename(bulletin)}"'
    return response


@login_required
def dispatch_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    dl = alert_selectors.visible_dispatch_list(request.user, pk)
    response = HttpResponse(exports.dispatch_xlsx(dl), content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="dispatch-{dl.division.code}-{dl.as_of}.xlsx"'
    return response


# --- contributions to the home page and the case page -------------------------------------


def home_panels(request: HttpRequest) -> list[dict]:
    user = request.user
    panels: list[dict] = []
    awaiting = list(selectors.bulletins_awaiting_sign_off(user)[:5])
    drafts = []
    if permissions.can_publish_bulletin(user):
        drafts = list(selectors.draft_bulletins()[:5])
    if awaiting or drafts:
        panels.append({"template": "reports/panel_bulletins.html", "awaiting": awaiting, "drafts": drafts})
    if permissions.is_court_wide(user):
        overview = selectors.court_overview(user, months=1)
        panels.insert(0, {"template": "reports/panel_court.html", "overview": overview, "division": None, "order": 0})
    else:
        division = selectors.home_division(user)
        if division is not None:
            overview = selectors.division_overview(user, division, months=1)
            panels.insert(
                0, {"template": "reports/panel_court.html", "overview": overview, "division": division, "order": 0}
            )
    return panels


def case_sections(request: HttpRequest, case) -> list[dict]:
    appearances = list(selectors.case_bulletin_appearances(case.pk)[:60])
    return [{"template": "reports/case_section.html", "appearances": appearances}]


def bulletin_url(bulletin: Bulletin) -> str:
    return reverse("reports:bulletin", args=[bulletin.pk])
