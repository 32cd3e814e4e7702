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
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alerts.models import DispatchList, PlanStatus
from cases import dates, permissions
from cases.models import Division
from cases.roles import Role
from common.pagination import paginate, query_without_page

from . import exports, selectors, services
from .fonts import CJKFontMissing
from .models import Bulletin, BulletinStatus

KEY_WARNINGS_SHOWN = 50
# The bulletin page reloads itself this often while its PDF is rendered in the background.
PUBLISHING_REFRESH_SECONDS = 10
LEADERS = (Role.PRESIDENT, Role.VICE_PRESIDENT, Role.TRACKING_OFFICER, Role.ADMIN)


# --- charts: server-drawn SVG geometry --------------------------------------------------------


def bar_chart(pairs: list[tuple[str, int]], width: int = 560, height: int = 200) -> dict[str, Any]:
    """Vertical bars for (label, value) pairs, e.g. the age distribution."""
    top = max([v for _label, v in pairs] + [1])
    left, bottom, pad = 40, 28, 18  # room for the value above the tallest bar
    plot_w, plot_h = width - left - pad, height - bottom - pad
    step = plot_w / max(len(pairs), 1)
    bars = []
    for i, (label, value) in enumerate(pairs):
        h = plot_h * value / top
        bars.append(
            {
                "x": round(left + i * step + step * 0.15, 1),
                "y": round(pad + plot_h - h, 1),
                "w": round(step * 0.7, 1),
                "h": round(h, 1),
                "label": label,
                "value": value,
                "cx": round(left + i * step + step / 2, 1),
                "key": i >= 4,
            }
        )
    return {"width": width, "height": height, "bars": bars, "base": pad + plot_h, "left": left, "top": top}


def line_chart(points: list, width: int = 560, height: int = 200) -> dict[str, Any]:
    """Two lines (over 6 and over 15 months) over month ends."""
    left, bottom, pad = 48, 28, 10
    plot_w, plot_h = width - left - pad - 16, height - bottom - pad  # room for the last month label
    top = max([p.over_6m for p in points] + [1])
    n = max(len(points) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return round(left + plot_w * i / n, 1), round(pad + plot_h - plot_h * v / top, 1)

    six = " ".join(f"{x},{y}" for x, y in (xy(i, p.over_6m) for i, p in enumerate(points)))
    fifteen = " ".join(f"{x},{y}" for x, y in (xy(i, p.over_15m) for i, p in enumerate(points)))
    ticks = [{"x": xy(i, 0)[0], "label": p.as_of.strftime("%y-%m")} for i, p in enumerate(points)]
    return {
        "width": width,
        "height": height,
        "six": six,
        "fifteen": fifteen,
        "ticks": ticks,
        "base": pad + plot_h,
        "left": left,
        "top": top,
        "points": points,
    }


def hbar_chart(rows: list[tuple[str, int, int]], width: int = 560) -> dict[str, Any]:
    """Horizontal bars per division: (name, over 6 months, of which over 15 months)."""
    top = max([r[1] for r in rows] + [1])
    label_w, pad, row_h = 110, 40, 22
    plot_w = width - label_w - pad
    bars = []
    for i, (name, six, fifteen) in enumerate(rows):
        bars.append(
            {
                "y": i * row_h + 4,
                "name": name,
                "w6": round(plot_w * six / top, 1),
                "w15": round(plot_w * fifteen / top, 1),
                "six": six,
                "fifteen": fifteen,
                "tx": round(label_w + plot_w * six / top + 4, 1),
            }
        )
    return {"width": width, "height": len(rows) * row_h + 8, "bars": bars, "x0": label_w}


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
    total = overview.total
    return {
        "overview": overview,
        "total": total,
        "age_chart": bar_chart([(label, n) for label, n in total.age_distribution]),
        "trend_chart": line_chart(overview.trend),
    }


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_role(*LEADERS):
        raise PermissionDenied
    data = selectors.court_overview(user, _as_of(request))
    context: dict[str, Any] = {"nav_active": "overview", "overview": None}
    if data is not None:
        context.update(_overview_context(data))
        context["division_chart"] = hbar_chart(
            [(r.division.name, r.figures.over_6m, r.figures.over_15m) for r in data.rows if r.division]
        )
    return render(request, "reports/overview.html", context)


@login_required
def division_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    division = get_object_or_404(permissions.visible_divisions(user), pk=pk)
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
    page = paginate(request, selectors.visible_bulletins(user).order_by("-period"))
    context = {
        "page": page,
        "query": query_without_page(request),
        "awaiting": list(selectors.bulletins_awaiting_sign_off(user)[:12]),
        "nav_active": "bulletins",
    }
    return render(request, "reports/bulletin_list.html", context)


def _visible_bulletin(user, pk: int) -> Bulletin:
    return get_object_or_404(selectors.visible_bulletins(user).select_related("publishing_by"), pk=pk)


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    bulletin = _visible_bulletin(user, pk)
    doc = selectors.bulletin_document(bulletin)
    today = timezone.localdate()
    division_ids = [d.division_id for d in doc.divisions]
    signable = []
    if bulletin.is_published:
        divisions = Division.objects.in_bulk(division_ids)
        for d in doc.divisions:
            division = divisions.get(d.division_id)
            if (
                division
                and d.division_id not in doc.sign_offs
                and permissions.can_sign_off_bulletin(user, division, today)
            ):
                signable.append(division)
    division_filter = request.GET.get("division", "")
    key_only = request.GET.get("key") == "1"
    items_qs = selectors.bulletin_items(
        bulletin,
        division_id=int(division_filter) if division_filter.isdigit() else None,
        key_warnings_only=key_only,
    )
    page = paginate(request, items_qs, size=100)
    # The first key warnings here; all of them are the list filtered with ?key=1.
    key_warnings = list(selectors.bulletin_items(bulletin, key_warnings_only=True)[: KEY_WARNINGS_SHOWN + 1])
    more_key_warnings = len(key_warnings) > KEY_WARNINGS_SHOWN
    key_warnings = key_warnings[:KEY_WARNINGS_SHOWN]
    statuses = dict(PlanStatus.choices)
    for item in [*page.rows, *key_warnings]:
        item.plan_status_label = statuses.get(item.plan_status, "")
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
    bulletin = _visible_bulletin(request.user, pk)
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
    bulletin = _visible_bulletin(request.user, pk)
    division = get_object_or_404(Division, pk=request.POST.get("division") or 0)
    try:
        services.sign_off_bulletin(bulletin, division, request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("%(division)s signed off.") % {"division": division})
    return redirect("reports:bulletin", pk=bulletin.pk)


@login_required
def bulletin_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    bulletin = _visible_bulletin(request.user, pk)
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
    bulletin = _visible_bulletin(request.user, pk)
    response = StreamingHttpResponse(exports.bulletin_figures_csv(bulletin), content_type=exports.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{exports.figures_filename(bulletin)}"'
    return response


@login_required
def dispatch_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    qs = DispatchList.objects.select_related("division")
    if not permissions.is_court_wide(user):
        qs = qs.filter(division__in=permissions.visible_divisions(user))
    dl = get_object_or_404(qs, pk=pk)
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
        drafts = list(Bulletin.objects.filter(status=BulletinStatus.DRAFT).order_by("-period")[:5])
    if awaiting or drafts:
        panels.append({"template": "reports/panel_bulletins.html", "awaiting": awaiting, "drafts": drafts})
    if permissions.is_court_wide(user):
        overview = selectors.court_overview(user, months=1)
        panels.insert(0, {"template": "reports/panel_court.html", "overview": overview, "division": None, "order": 0})
    else:
        headed = sorted(permissions.headed_division_ids(user))
        division_id = headed[0] if headed else user.division_id
        if division_id and (user.has_role(Role.CLERK) or headed):
            division = Division.objects.get(pk=division_id)
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
