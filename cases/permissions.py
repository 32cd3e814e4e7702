"""The one access policy. Every page, API view and job asks here; none decides for itself.

Who sees which cases: clerks, handlers and division heads see their own division's cases
(and a handler also the cases they handle in another division; a head also the divisions
they head or act for); the tracking officer, court leadership, integrations and admins see
every case of their court.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from .models import Case, Division, User
from .roles import Role


def is_api_only(user: User) -> bool:
    """An account whose only role is integration (another court system): it uses the REST API, and
    of the web only the page that says so (courtflow.security.IntegrationApiOnlyMiddleware)."""
    return bool(user.is_authenticated and not user.is_superuser and user.roles == frozenset({Role.INTEGRATION}))


def is_court_wide(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*Role.COURT_WIDE))


def headed_division_ids(user: User) -> set[int]:
    """Divisions the user heads, or stands in for as acting head (any time)."""
    return set(Division.objects.filter(Q(head=user) | Q(acting_head=user)).values_list("id", flat=True))


def visible_divisions(user: User) -> QuerySet[Division]:
    if not user.is_authenticated or not user.is_active:
        return Division.objects.none()
    if is_court_wide(user):
        return Division.objects.all()
    ids = headed_division_ids(user)
    if user.division_id:
        ids.add(user.division_id)
    return Division.objects.filter(id__in=ids)


def visible_cases(user: User, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """The cases `user` may see."""
    qs = Case.objects.all() if queryset is None else queryset
    return qs.filter(visible_cases_q(user))


def visible_cases_q(user: User, prefix: str = "") -> Q:
    """The condition of `visible_cases` on the case table, for a query over rows that point at
    cases (`prefix="case__"`): a join filtered by it is planned far better than
    `case__in=visible_cases(user)`, which PostgreSQL meets by hashing a division's cases."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_court_wide(user):
        return Q()
    ids = headed_division_ids(user)
    # A division's cases are for the people who work them; an account with no role sees only
    # the cases it handles (none, usually) and the divisions it heads.
    if user.division_id and user.has_role(Role.CLERK, Role.HANDLER, Role.DIVISION_HEAD):
        ids.add(user.division_id)
    return Q(**{f"{prefix}division_id__in": ids}) | Q(**{f"{prefix}handler": user})


def can_view_case(user: User, case: Case) -> bool:
    return visible_cases(user, Case.objects.filter(pk=case.pk)).exists()


def can_register_cases(user: User) -> bool:
    return user.is_active and user.has_role(Role.CLERK, Role.INTEGRATION, Role.ADMIN)


def can_edit_case(user: User, case: Case) -> bool:
    """Clerks update their division's cases; handlers their own; heads their division's;
    integrations and admins any case."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.has_role(Role.INTEGRATION, Role.ADMIN):
        return True
    if user.has_role(Role.CLERK) and case.division_id == user.division_id:
        return True
    if user.has_role(Role.HANDLER) and case.handler_id == user.id:
        return True
    return user.has_role(Role.DIVISION_HEAD) and case.division_id in headed_division_ids(user)


def can_reassign_division(user: User, division: Division) -> bool:
    """A division head moves a departing handler's cases; admins too."""
    return user.has_role(Role.ADMIN) or (user.has_role(Role.DIVISION_HEAD) and division.id in headed_division_ids(user))


def can_manage_organisation(user: User) -> bool:
    """Divisions and staff: integrations (syncing the org chart) and admins."""
    return user.is_active and user.has_role(Role.INTEGRATION, Role.ADMIN)


# --- monthly bulletin -------------------------------------------------------------------


def can_publish_bulletin(user: User) -> bool:
    """The tracking officer publishes the monthly bulletin (admins may stand in)."""
    return user.is_authenticated and user.is_active and user.has_role(Role.TRACKING_OFFICER, Role.ADMIN)


def can_view_draft_bulletins(user: User) -> bool:
    """Drafts are work in progress of the trial management office and court leadership."""
    return (
        user.is_authenticated
        and user.is_active
        and user.has_role(Role.TRACKING_OFFICER, Role.PRESIDENT, Role.VICE_PRESIDENT, Role.ADMIN)
    )


def can_sign_off_bulletin(user: User, division: Division, on: dt.date) -> bool:
    """Only the division's head, or its acting head during the acting period, signs its part off:
    the sign-off is a personal record of review, so admins do not stand in."""
    if not user.is_authenticated or not user.is_active:
        return False
    effective = division.effective_head(on)
    return effective is not None and effective.pk == user.pk


def can_lead_division(user: User, division: Division) -> bool:
    """The head or acting head of a division acts for it: reviews clearance plans and acknowledges
    the weekly dispatch list. Admins too."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.has_role(Role.ADMIN) or division.id in headed_division_ids(user)


def can_file_plan(user: User, case: Case) -> bool:
    """A clearance plan is filed by the case's handler, or by the division head on their behalf."""
    if not user.is_authenticated or not user.is_active:
        return False
    return case.handler_id == user.id or can_lead_division(user, case.division)


def can_review_plan(user: User, case: Case) -> bool:
    """The division head approves or returns the plans of the division's cases."""
    return can_lead_division(user, case.division)


# --- statutory time limits -----------------------------------------------------------------


def can_record_periods(user: User, case: Case) -> bool:
    """Excluded periods (公告, 鉴定, 中止 …) are recorded by whoever may edit the case."""
    return can_edit_case(user, case)


def can_request_extension(user: User, case: Case) -> bool:
    """An extension is requested by the case's handler, its division's head, or a clerk of the
    division on their behalf (and integrations, admins)."""
    return can_edit_case(user, case)


def can_decide_extension(user: User, by_higher_court: bool = False) -> bool:
    """The president decides extensions; a higher court's decision is recorded by the tracking
    officer or the president. Admins and integrations may do either."""
    if not user.is_authenticated or not user.is_active:
        return False
    if by_higher_court:
        return user.has_role(Role.PRESIDENT, Role.TRACKING_OFFICER, Role.ADMIN, Role.INTEGRATION)
    return user.has_role(Role.PRESIDENT, Role.ADMIN, Role.INTEGRATION)


def can_view_hidden_overruns(user: User) -> bool:
    """The hidden-overrun list is the tracking officer's (and court leadership's) tool."""
    return (is_court_wide(user) and not user.has_role(Role.INTEGRATION)) or user.has_role(Role.ADMIN)
