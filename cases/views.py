"""Pages of the case register: home, case list and search, case page, registering a case,
status changes, staff changes and the import page. Views are thin: they parse the request, call
and render. Who may do what is cases.permissions, every read is a cases.selectors call, every
write a cases.services call (the import page's steps: cases.imports)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from common.pagination import paginate, query_without_page

from . import ageing, imports, permissions, selectors, services
from .forms import (
    ACTION_FORMS,
    ActingHeadForm,
    CaseRegisterForm,
    CaseSearchForm,
    ImportForm,
    ReassignForm,
    apply_service_errors,
)
from .models import Case, CaseStatus
from .roles import Role

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
    docket = selectors.home_docket(user, today)
    context: dict[str, Any] = {
        "today": today,
        "scope_label": _("My cases"),
        "scope_query": "mine=on",
        "level_tiles": docket.tiles,
        "urgent": docket.urgent,
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
    form = CaseSearchForm(request.GET or None, divisions=permissions.visible_divisions(user))
    page = paginate(request, selectors.case_search(user, form, today, selectors.warning_days_for(user)))
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


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = selectors.visible_case(user, pk)
    today = timezone.localdate()
    state = case.ageing(today)
    actions = case_actions(case) if permissions.can_edit_case(user, case) else []
    context = {
        "case": case,
        "state": state,
        "level_label": dict(ageing.Level.CHOICES)[state.level],
        "events": selectors.case_timeline(case),
        "links": selectors.case_links(case),
        "actions": [(a, ACTION_LABELS[a]) for a in actions],
        "today": today,
        "sections": case_sections(request, case),
    }
    return render(request, "cases/case_detail.html", context)


def case_actions(case: Case) -> list[str]:
    """The status changes offered on the case page of a case one may edit."""
    if case.status == CaseStatus.OPEN:
        return ["suspend", "transfer", "close"]
    if case.status == CaseStatus.SUSPENDED:
        return ["resume", "transfer", "close"]
    return ["reopen"]


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
    court = selectors.court_of(user)
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
    case = selectors.visible_case(user, pk)
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


@login_required
@require_http_methods(["GET", "POST"])
def reassign(request: HttpRequest) -> HttpResponse:
    """A division head moves a departing handler's open cases to another handler."""
    user = request.user
    divisions = selectors.managed_divisions(user)
    if not selectors.manages_staff(user, divisions):
        raise PermissionDenied
    posted = request.POST if request.method == "POST" else None
    form = ReassignForm(posted if posted and posted.get("form") == "reassign" else None, divisions=divisions)
    acting = ActingHeadForm(posted if posted and posted.get("form") == "acting" else None, divisions=divisions)
    if posted and posted.get("form") == "reassign" and form.is_valid():
        source = form.cleaned_data["from_handler"]
        cases = selectors.open_cases_of(source, divisions)
        if not all(permissions.can_reassign_division(user, d) for d in selectors.divisions_of(cases)):
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
    context = {
        "form": form,
        "acting": acting,
        "divisions": selectors.division_heads(divisions),
        "open_counts": selectors.open_counts_by_handler(divisions),
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
    """Upload → preview (a dry run of the same upsert the API uses) → import or cancel: the steps
    are cases.imports' (preview_upload, import_pending, cancel_pending); the file waiting between
    them is named in the session. Importing twice changes nothing."""
    user = request.user
    if not _can_import(user):
        raise PermissionDenied
    form = ImportForm()
    report = None
    pending = request.session.get(IMPORT_SESSION_KEY)
    step = request.POST.get("step") if request.method == "POST" else None
    if step == "preview":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report, pending = imports.preview_upload(user, form.cleaned_data["file"], pending)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                request.session[IMPORT_SESSION_KEY] = pending
    elif step == "cancel":
        if pending:
            imports.cancel_pending(pending)
            del request.session[IMPORT_SESSION_KEY]
            messages.info(request, _("Import of %(name)s cancelled; nothing was saved.") % {"name": pending["name"]})
        return redirect("cases:import")
    elif step == "commit":
        try:
            report = imports.import_pending(user, pending)
        except imports.PreviewExpired:
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect("cases:import")
        finally:
            request.session.pop(IMPORT_SESSION_KEY, None)
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
    context = {
        "form": form,
        "report": report,
        "summary": imports.report_summary(report) if report is not None else [],
        "pending": pending,
        "headers": imports.HEADERS,
        "max_rows": imports.MAX_ROWS,
        "nav_active": "import",
    }
    return render(request, "cases/import.html", context)
