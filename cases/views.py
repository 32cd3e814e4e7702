"""Pages of the case register: home, case list and search, case page, registering a case,
status changes and staff changes. Views are thin: who may do what is cases.permissions,
every write is a cases.services call, the ageing rule is cases.ageing."""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from common.pagination import paginate, query_without_page

from . import ageing, import_uploads, imports, permissions, services
from .forms import (
    ACTION_FORMS,
    ActingHeadForm,
    CaseRegisterForm,
    CaseSearchForm,
    ImportForm,
    ReassignForm,
    apply_service_errors,
)
from .models import Case, CaseStatus, Court, Division
from .roles import Role


def warning_days_for(user) -> int:
    court = user.court if user.court_id else Court.default()
    return court.warning_window_days if court else ageing.DEFAULT_WARNING_DAYS


def case_rows(qs, as_of, warning_days):
    return qs.select_related("division", "handler").annotate(level=ageing.level_expression(as_of, warning_days))


# --- home ------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A home that fits the role: leaders go to the overview; others see their own work."""
    user = request.user
    if user.has_role(Role.PRESIDENT, Role.VICE_PRESIDENT) and not user.has_role(Role.CLERK, Role.DIVISION_HEAD):
        try:
            return redirect("reports:overview")
        except NoReverseMatch:  # the overview ships with the reports app
            pass
    today = timezone.localdate()
    warning_days = warning_days_for(user)
    level_tiles: list[dict] = []
    urgent: list[Case] = []
    own_docket = user.has_role(Role.HANDLER) and not user.has_role(Role.DIVISION_HEAD, Role.CLERK)
    if own_docket and not permissions.is_court_wide(user):
        # A handler's own cases are few: counted live in one grouped query on the handler index.
        # Division and court figures come from the day's snapshot and the tracking list (panels
        # of the reports and alerts apps): counting a division's or the court's open cases on
        # every visit would not scale.
        scope = (
            permissions.visible_cases(user)
            .filter(handler=user, status__in=[CaseStatus.OPEN, CaseStatus.SUSPENDED])
            .filter(ageing.open_on_q(today))
        )
        alerting = (
            ageing.Level.APPROACHING_6M,
            ageing.Level.OVER_6M,
            ageing.Level.APPROACHING_15M,
            ageing.Level.OVER_15M,
        )
        counts = scope.aggregate(
            **{level: Count("id", filter=ageing.level_q(level, today, warning_days)) for level in alerting}
        )
        level_labels = dict(ageing.Level.CHOICES)
        level_tiles = [{"level": lv, "label": level_labels[lv], "count": counts[lv]} for lv in alerting]
        # The oldest open cases near or over a line first.
        near = scope.filter(line_6m__lte=today + dt.timedelta(days=warning_days))
        urgent = list(case_rows(near, today, warning_days).order_by("filed_on", "id")[:10])
    context: dict[str, Any] = {
        "today": today,
        "scope_label": _("My cases"),
        "scope_query": "mine=on",
        "level_tiles": level_tiles,
        "urgent": urgent,
        "can_register": permissions.can_register_cases(user),
        "panels": home_panels(request),
        "nav_active": "home",
    }
    return render(request, "home.html", context)


def contributions(hook: str, *args) -> list[dict]:
    """Sections other apps add to the case pages: each installed app's `views.<hook>(…)`, if it
    has one, returns dicts naming a template. The case register names none of those apps (data
    flows one way: alerts and reports read cases, never the reverse)."""
    sections: list[dict] = []
    for config in apps.get_app_configs():
        if config.name == "cases" or not module_has_submodule(config.module, "views"):
            continue
        contribute = getattr(import_module(f"{config.name}.views"), hook, None)
        if contribute is not None:
            sections.extend(contribute(*args))
    return sections


@login_required
def integration_account(request: HttpRequest) -> HttpResponse:
    """The one web page of an integration account (API only): what the account is for, where the
    API's documentation is and how its token is made, and a way to sign out. Staff go home."""
    if not permissions.is_api_only(request.user):
        return redirect("home")
    context = {"username": request.user.get_username(), "api_docs": reverse("api:docs")}
    return render(request, "cases/integration.html", context)


def home_panels(request: HttpRequest) -> list[dict]:
    """Panels in the order each one asks for (figures first), then in app order."""
    return sorted(contributions("home_panels", request), key=lambda panel: panel.get("order", 50))


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (the cookie, for this computer), and for a signed-in person their
    account's language too, so that it follows them to any computer."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in {code for code, _name in settings.LANGUAGES}:
        services.set_language_preference(request.user, language)
    return response


# --- list and page ---------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    warning_days = warning_days_for(user)
    form = CaseSearchForm(request.GET or None, divisions=permissions.visible_divisions(user))
    qs = form.apply(permissions.visible_cases(user), user, today, warning_days)
    page = paginate(request, case_rows(qs, today, warning_days))
    context = {
        "form": form,
        "page": page,
        "today": today,
        "query": query_without_page(request),
        "can_register": permissions.can_register_cases(user),
        "nav_active": "cases",
    }
    template = "cases/_case_table.html" if request.headers.get("HX-Request") else "cases/case_list.html"
    return render(request, template, context)


def get_visible_case(user, pk: int) -> Case:
    case = get_object_or_404(
        permissions.visible_cases(user).select_related("court", "division", "handler", "clerk"), pk=pk
    )
    return case


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = get_visible_case(user, pk)
    today = timezone.localdate()
    state = case.ageing(today)
    events = list(case.events.select_related("actor").order_by("-occurred_at", "-id")[:200])
    for event in events:
        event.changes = event_changes(event)
    links = list(case.links.select_related("target")) + list(case.linked_from.select_related("case"))
    can_edit = permissions.can_edit_case(user, case)
    actions = []
    if can_edit:
        if case.status == CaseStatus.OPEN:
            actions = ["suspend", "transfer", "close"]
        elif case.status == CaseStatus.SUSPENDED:
            actions = ["resume", "transfer", "close"]
        else:
            actions = ["reopen"]
    context = {
        "case": case,
        "state": state,
        "level_label": dict(ageing.Level.CHOICES)[state.level],
        "events": events,
        "links": links,
        "actions": [(a, ACTION_LABELS[a]) for a in actions],
        "today": today,
        "sections": case_sections(request, case),
    }
    return render(request, "cases/case_detail.html", context)


def field_label(name: str) -> str:
    try:
        return str(Case._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - an old event may name a field that no longer exists
        return name


def event_changes(event) -> list[tuple[str, Any, Any]]:
    """(field label, before, after) for the fields an event changed; none for a registration."""
    if event.kind == "registered":
        return []
    names = list(dict.fromkeys([*event.before, *event.after]))
    return [(field_label(n), event.before.get(n), event.after.get(n)) for n in names]


def case_sections(request: HttpRequest, case: Case) -> list[dict]:
    """The statutory clock, alerts, plans, dispatch and bulletin appearances, from the apps that
    own them: in the order each one asks for, then in app order."""
    return sorted(contributions("case_sections", request, case), key=lambda section: section.get("order", 50))


# --- register and change --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_register(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.can_register_cases(user):
        raise PermissionDenied
    court = user.court if user.court_id else Court.default()
    court_id = court.id if court else None
    initial = {"filed_on": timezone.localdate(), "division": user.division_id}
    if user.has_role(Role.CLERK):
        initial["clerk"] = user.id
    form = CaseRegisterForm(request.POST or None, initial=initial, court_id=court_id)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not data.get("procedure"):
            data.pop("procedure")
        try:
            case = services.register_case(user, court=court, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Case %(number)s registered.") % {"number": case.case_number})
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_register.html", {"form": form, "nav_active": "register"})


ACTION_LABELS = {
    "suspend": _("Suspend"),
    "resume": _("Resume"),
    "transfer": _("Transfer"),
    "close": _("Close"),
    "reopen": _("Reopen"),
}


def run_action(user, case: Case, action: str, data: dict) -> None:
    note = data.get("note", "")
    if action == "suspend":
        services.suspend_case(user, case, on=data["on"], note=note)
    elif action == "resume":
        services.resume_case(user, case, on=data["on"], note=note)
    elif action == "transfer":
        services.transfer_case(
            user, case, division=data.get("division"), handler=data.get("handler"), on=data["on"], note=note
        )
    elif action == "close":
        services.close_case(user, case, closed_on=data["closed_on"], closure_method=data["closure_method"], note=note)
    elif action == "reopen":
        services.reopen_case(user, case, note=note)
    else:  # pragma: no cover - the URL pattern only allows the names above
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    if action not in ACTION_FORMS:
        raise Http404
    case = get_visible_case(user, pk)
    if not permissions.can_edit_case(user, case):
        raise PermissionDenied
    form_class = ACTION_FORMS[action]
    kwargs: dict[str, Any] = {}
    if action == "transfer":
        kwargs["court_id"] = case.court_id
    today = timezone.localdate()
    initial = {"on": today, "closed_on": today}
    form = form_class(request.POST or None, initial=initial, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            run_action(user, case, action, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(action)s: %(number)s saved.") % {"action": ACTION_LABELS[action], "number": case.case_number},
            )
            if not permissions.can_view_case(user, case):  # transferred out of the clerk's division
                return redirect("cases:list")
            return redirect("cases:detail", pk=case.pk)
    context = {"case": case, "form": form, "action": action, "action_label": ACTION_LABELS[action]}
    return render(request, "cases/case_action.html", context)


# --- staff changes --------------------------------------------------------------------------


def headed_divisions(user):
    if user.has_role(Role.ADMIN):
        return Division.objects.all()
    return Division.objects.filter(id__in=permissions.headed_division_ids(user))


@login_required
@require_http_methods(["GET", "POST"])
def reassign(request: HttpRequest) -> HttpResponse:
    """A division head moves a departing handler's open cases to another handler."""
    user = request.user
    divisions = headed_divisions(user)
    if not user.has_role(Role.DIVISION_HEAD, Role.ADMIN) or not divisions.exists():
        raise PermissionDenied
    posted = request.POST if request.method == "POST" else None
    form = ReassignForm(posted if posted and posted.get("form") == "reassign" else None, divisions=divisions)
    acting = ActingHeadForm(posted if posted and posted.get("form") == "acting" else None, divisions=divisions)
    if posted and posted.get("form") == "reassign" and form.is_valid():
        source = form.cleaned_data["from_handler"]
        cases = Case.objects.filter(
            handler=source, division__in=divisions, status__in=[CaseStatus.OPEN, CaseStatus.SUSPENDED]
        )
        for division in {c.division for c in cases.select_related("division")}:
            if not permissions.can_reassign_division(user, division):
                raise PermissionDenied
        try:
            moved = services.reassign_cases(
                user, cases, form.cleaned_data["to_handler"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(count)s cases moved from %(from)s to %(to)s.")
                % {"count": moved, "from": source, "to": form.cleaned_data["to_handler"]},
            )
            return redirect("cases:reassign")
    if posted and posted.get("form") == "acting" and acting.is_valid():
        division = acting.cleaned_data["division"]
        if not permissions.can_reassign_division(user, division):
            raise PermissionDenied
        try:
            services.set_acting_head(
                user,
                division,
                acting.cleaned_data["acting_head"],
                acting_from=acting.cleaned_data["acting_from"],
                acting_until=acting.cleaned_data["acting_until"],
            )
        except ValidationError as exc:
            apply_service_errors(acting, exc)
        else:
            messages.success(request, _("Acting head of %(division)s saved.") % {"division": division})
            return redirect("cases:reassign")
    open_counts = (
        Case.objects.filter(division__in=divisions, status__in=[CaseStatus.OPEN, CaseStatus.SUSPENDED])
        .values("handler__id", "handler__name", "handler__username", "handler__is_active")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    context = {
        "form": form,
        "acting": acting,
        "divisions": divisions.select_related("head", "acting_head"),
        "open_counts": list(open_counts),
        "today": timezone.localdate(),
        "nav_active": "staff",
    }
    return render(request, "cases/reassign.html", context)


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


# --- import --------------------------------------------------------------------------------

IMPORT_SESSION_KEY = "case_import"


def _can_import(user) -> bool:
    return user.has_role(Role.CLERK, Role.TRACKING_OFFICER, Role.ADMIN)


@login_required
@require_http_methods(["GET", "POST"])
def case_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (a dry run of the same upsert the API uses) → import or cancel. The uploaded
    file waits in storage between the steps, named in the session, and is deleted by the import or
    the cancel (cases.import_uploads; the daily cleanup deletes abandoned ones); importing twice
    changes nothing."""
    user = request.user
    if not _can_import(user):
        raise PermissionDenied
    form = ImportForm()
    report = None
    pending = request.session.get(IMPORT_SESSION_KEY)
    if request.method == "POST" and request.POST.get("step") == "preview":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            stored = import_uploads.store_upload(user, upload)
            try:
                with default_storage.open(stored, "rb") as fh:
                    report = imports.import_file(user, fh, stored, dry_run=True)
            except ValidationError as exc:
                import_uploads.discard_upload(stored)
                apply_service_errors(form, exc)
            else:
                if pending:
                    import_uploads.discard_upload(pending["path"])
                pending = {"path": stored, "name": upload.name}
                request.session[IMPORT_SESSION_KEY] = pending
    elif request.method == "POST" and request.POST.get("step") == "cancel":
        if pending:
            import_uploads.discard_upload(pending["path"])
            del request.session[IMPORT_SESSION_KEY]
            messages.info(request, _("Import of %(name)s cancelled; nothing was saved.") % {"name": pending["name"]})
        return redirect("cases:import")
    elif request.method == "POST" and request.POST.get("step") == "commit":
        try:
            if not pending:
                raise FileNotFoundError
            fh = default_storage.open(pending["path"], "rb")
        except FileNotFoundError:  # never previewed, or deleted by the daily cleanup
            request.session.pop(IMPORT_SESSION_KEY, None)
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect("cases:import")
        try:
            with fh:
                report = imports.import_file(user, fh, pending["path"])
        finally:
            import_uploads.discard_upload(pending["path"])
            del request.session[IMPORT_SESSION_KEY]
        messages.success(
            request,
            _(
                "%(name)s imported: %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged, %(errors)s errors."
            )
            % {
                "name": pending["name"],
                "created": report.count("created"),
                "updated": report.count("updated"),
                "unchanged": report.count("unchanged"),
                "errors": report.count("error"),
            },
        )
        pending = None
    summary = []
    if report is not None:
        labels = {
            "created": _("created"),
            "updated": _("updated"),
            "unchanged": _("unchanged"),
            "error": _("error"),
        }
        for row in report.results:
            row.label = labels.get(row.result, row.result)
            row.error_list = [(field_label(f) if f != "non_field_errors" else "", e) for f, e in row.errors.items()]
        summary = [(key, labels[key], report.count(key)) for key in labels]
    context = {
        "form": form,
        "report": report,
        "summary": summary,
        "pending": pending,
        "headers": imports.HEADERS,
        "max_rows": imports.MAX_ROWS,
        "nav_active": "import",
    }
    return render(request, "cases/import.html", context)
