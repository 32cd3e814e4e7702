"""The one access policy. Every page, API view and job asks here; none decides for itself.

Who sees which cases: clerks, handlers and division heads see their own division's cases
(and a handler also the cases they handle in another division; a head also the divisions
they head or act for); the tracking officer, court leadership, integrations and admins see
every case of their court.

Acting heads: a division's acting head holds the head's powers on the days of the acting period
only (`acting_from` to `acting_until`, both included; a period missing either date gives no
powers). "The day" is the court's local date (Asia/Shanghai) when a person asks, and a job's
as-of date when a job decides (whom to notify, who receives a list). The rule is written twice,
as SQL (`acting_on_q`, `effective_head_expression`) for queries and jobs, and in Python
(`is_acting_on`, `effective_head`) for one division already loaded; a test keeps them together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Case as SqlCase
from django.db.models import F, IntegerField, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Case, Division, User
from .roles import Role


def is_api_only(user: User) -> bool:
    """An account whose only role is integration (another court system): it uses the REST API, and
    of the web only the page that says so (courtflow.security.IntegrationApiOnlyMiddleware)."""
    return bool(user.is_authenticated and not user.is_superuser and user.roles == frozenset({Role.INTEGRATION}))


def court_today() -> dt.date:
    """Today in the court's time zone (settings.TIME_ZONE, Asia/Shanghai), whatever time zone
    a request may have activated: the day every dated power is judged on."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def is_court_wide(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*Role.COURT_WIDE))


# --- division heads and acting heads ----------------------------------------------------------


def acting_on_q(on: dt.date, prefix: str = "") -> Q:
    """Division rows (or rows pointing at a division, through `prefix`) whose acting head stands
    in on `on`: an acting head named, and `on` within the acting period."""
    p = prefix
    return Q(
        **{
            f"{p}acting_head__isnull": False,
            f"{p}acting_from__lte": on,
            f"{p}acting_until__gte": on,
        }
    )


def is_acting_on(division: Division, on: dt.date) -> bool:
    """`acting_on_q` for one loaded division."""
    return bool(
        division.acting_head_id
        and division.acting_from is not None
        and division.acting_until is not None
        and division.acting_from <= on <= division.acting_until
    )


def effective_head(division: Division, on: dt.date) -> User | None:
    """Who leads the division on `on`: the acting head during the acting period, else the head.
    They receive its lists and notifications and sign its part of a bulletin."""
    return division.acting_head if is_acting_on(division, on) else division.head


def effective_head_expression(on: dt.date, prefix: str = "") -> SqlCase:
    """`effective_head` as a queryset expression (the user id), for set-based jobs."""
    return SqlCase(
        When(acting_on_q(on, prefix), then=F(f"{prefix}acting_head_id")),
        default=F(f"{prefix}head_id"),
        output_field=IntegerField(),
    )


def headed_divisions_q(user: User, on: dt.date | None = None) -> Q:
    """Divisions `user` heads (always), or stands in for as acting head on `on` (today)."""
    on = on or court_today()
    return Q(head=user) | (Q(acting_head=user) & acting_on_q(on))


def headed_division_ids(user: User, on: dt.date | None = None) -> set[int]:
    """Divisions the user heads, or stands in for on `on` (today by default). One query; the
    date is a condition of it."""
    if not user.is_authenticated:
        return set()
    return set(Division.objects.filter(headed_divisions_q(user, on)).values_list("id", flat=True))


def effectively_headed_division_ids(user: User, on: dt.date | None = None) -> set[int]:
    """Divisions whose effective head on `on` (today) is `user`: the head outside the acting
    period, the acting head within it (who signs a bulletin's part off)."""
    if not user.is_authenticated:
        return set()
    on = on or court_today()
    acting = acting_on_q(on)
    rows = Division.objects.filter((acting & Q(acting_head=user)) | (~acting & Q(head=user)))
    return set(rows.values_list("id", flat=True))


def _works_in_own_division(user: User) -> bool:
    """A division's cases are for the people who work them: an account with no such role sees
    only the cases it handles (none, usually) and the divisions it heads."""
    return bool(user.division_id) and user.has_role(Role.CLERK, Role.HANDLER, Role.DIVISION_HEAD)


def visible_divisions(user: User, on: dt.date | None = None) -> QuerySet[Division]:
    """The divisions whose cases, lists and figures `user` sees on `on` (today)."""
    if not user.is_authenticated or not user.is_active:
        return Division.objects.none()
    if is_court_wide(user):
        return Division.objects.all()
    condition = headed_divisions_q(user, on)
    if _works_in_own_division(user):
        condition |= Q(pk=user.division_id)
    return Division.objects.filter(condition)


def visible_cases(user: User, queryset: QuerySet[Case] | None = None, on: dt.date | None = None) -> QuerySet[Case]:
    """The cases `user` may see (on `on`, today by default: an acting head's powers are dated)."""
    qs = Case.objects.all() if queryset is None else queryset
    return qs.filter(visible_cases_q(user, on=on))


def visible_cases_q(user: User, prefix: str = "", on: dt.date | None = None) -> Q:
    """The condition of `visible_cases` on the case table, for a query over rows that point at
    cases (`prefix="case__"`): a join filtered by it is planned far better than
    `case__in=visible_cases(user)`, which PostgreSQL meets by hashing a division's cases."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_court_wide(user):
        return Q()
    ids = headed_division_ids(user, on)
    if _works_in_own_division(user):
        ids.add(user.division_id)
    return Q(**{f"{prefix}division_id__in": ids}) | Q(**{f"{prefix}handler": user})


def can_view_case(user: User, case: Case, on: dt.date | None = None) -> bool:
    return visible_cases(user, Case.objects.filter(pk=case.pk), on).exists()


def can_register_cases(user: User) -> bool:
    return user.is_active and user.has_role(Role.CLERK, Role.INTEGRATION, Role.ADMIN)


def can_edit_case(user: User, case: Case, on: dt.date | None = None) -> bool:
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
    return user.has_role(Role.DIVISION_HEAD) and case.division_id in headed_division_ids(user, on)


def can_reassign_division(user: User, division: Division, on: dt.date | None = None) -> bool:
    """A division head moves a departing handler's cases; admins too."""
    return user.has_role(Role.ADMIN) or (
        user.has_role(Role.DIVISION_HEAD) and division.id in headed_division_ids(user, on)
    )


def can_manage_organisation(user: User) -> bool:
    """Divisions and staff: integrations (syncing the org chart) and admins."""
    return user.is_active and user.has_role(Role.INTEGRATION, Role.ADMIN)


# --- the staff register ----------------------------------------------------------------------


def grantable_roles(user: User) -> frozenset[str]:
    """The roles `user` may give or take through the staff API: every role for an admin; the
    division roles (clerk, handler, division head) for an integration, which syncs people from
    the personnel system; none for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.has_role(Role.ADMIN):
        return frozenset(Role.ALL)
    if user.has_role(Role.INTEGRATION):
        return Role.DIVISION_ROLES
    return frozenset()


def is_administered_account(person: User) -> bool:
    """An account only an administrator changes: it holds a role beyond the division roles
    (admin, integration, president, vice-president, tracking officer) or reaches the admin site."""
    return person.is_superuser or person.is_staff or bool(person.roles - Role.DIVISION_ROLES)


def staff_change_refusals(
    actor: User, person: User | None, fields: Iterable[str], roles: Iterable[str] | None
) -> dict[str, list[str]]:
    """Why `actor` may not make this change to `person` (None: a new person), keyed by field;
    empty when they may. `fields` are the fields sent, `roles` the new roles (None: unchanged).

    Admins may make any change. An integration creates and updates people and their division
    roles; it never changes an account only an administrator changes, and never gives or takes
    another role. Nobody else changes staff."""
    if actor.is_active and actor.has_role(Role.ADMIN):
        return {}
    names = sorted(set(fields) | ({"roles"} if roles is not None else set())) or ["username"]
    if not can_manage_organisation(actor):
        return dict.fromkeys(names, [_("You do not have permission to perform this action.")])
    errors: dict[str, list[str]] = {}
    if person is not None and is_administered_account(person):
        message = _("Only an administrator changes the account of %(username)s.") % {"username": person.username}
        return dict.fromkeys(names, [message])
    if roles is not None:
        before = set(person.roles) if person is not None else set()
        beyond = (set(roles) ^ before) - grantable_roles(actor)
        if beyond:
            errors["roles"] = [
                _("Only an administrator gives or takes the roles %(roles)s.") % {"roles": ", ".join(sorted(beyond))}
            ]
    return errors


# Who oversees a division: court leadership and the trial management office, assigned by an
# administrator, never by a synced personnel system.
DIVISION_OVERSIGHT_FIELDS = ("vice_president", "tracking_officer")


def division_change_refusals(actor: User, division: Division | None, changes: dict) -> dict[str, list[str]]:
    """Why `actor` may not make these changes to a division (None: a new one), keyed by field.

    Admins may make any change. An integration keeps divisions and their heads (and acting heads)
    in step with the personnel system, like the division roles it gives people; it never names the
    vice-president in charge or the tracking officer."""
    if actor.is_active and actor.has_role(Role.ADMIN):
        return {}
    errors: dict[str, list[str]] = {}
    for name in DIVISION_OVERSIGHT_FIELDS:
        if name in changes and changes[name] != (getattr(division, name) if division is not None else None):
            errors[name] = [_("Only an administrator names a division's vice-president in charge or tracking officer.")]
    return errors


# --- monthly bulletin -------------------------------------------------------------------


def can_run_jobs(user: User) -> bool:
    """Who sees the jobs page, starts a job from it and sees the jobs panel (registered with the job
    machinery in cases/jobs.py)."""
    return user.has_role(Role.TRACKING_OFFICER, Role.ADMIN)


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
    effective = effective_head(division, on)
    return effective is not None and effective.pk == user.pk


def can_lead_division(user: User, division: Division, on: dt.date | None = None) -> bool:
    """The head, or the acting head during the acting period, acts for a division: reviews
    clearance plans and acknowledges the weekly dispatch list. Admins too."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.has_role(Role.ADMIN) or division.id in headed_division_ids(user, on)


def can_file_plan(user: User, case: Case, on: dt.date | None = None) -> bool:
    """A clearance plan is filed by the case's handler, or by the division head on their behalf."""
    if not user.is_authenticated or not user.is_active:
        return False
    return case.handler_id == user.id or can_lead_division(user, case.division, on)


def can_review_plan(user: User, case: Case, on: dt.date | None = None) -> bool:
    """The division head approves or returns the plans of the division's cases."""
    return can_lead_division(user, case.division, on)


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
