"""Reads of the case register for its pages: the home page's own docket, the case list, the case
page (the case, its timeline and links) and the staff page. Views call these and render what they
return; who sees what is cases.permissions, the ageing rule is cases.ageing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from . import ageing, permissions
from .models import Case, CaseEvent, CaseLink, CaseStatus, Court, Division, User
from .roles import Role

OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.SUSPENDED)
URGENT_SHOWN = 10
TIMELINE_SHOWN = 200


def court_of(user: User) -> Court | None:
    """The user's court; the default court for an account without one."""
    return user.court if user.court_id else Court.default()


def warning_days_for(user: User) -> int:
    """The warning window of the user's court (cases.ageing's default without a court)."""
    court = court_of(user)
    return court.warning_window_days if court else ageing.DEFAULT_WARNING_DAYS


def case_rows(qs: QuerySet[Case], as_of: dt.date, warning_days: int) -> QuerySet[Case]:
    """Cases as the lists show them: division and handler loaded, each with its level on `as_of`."""
    return qs.select_related("division", "handler").annotate(level=ageing.level_expression(as_of, warning_days))


# --- home ------------------------------------------------------------------------------------


@dataclass
class Docket:
    """A handler's own cases on the home page: a tile per alerting level, and the oldest cases
    near or over a line. Empty for everyone else."""

    tiles: list[dict[str, Any]] = field(default_factory=list)
    urgent: list[Case] = field(default_factory=list)


def has_own_docket(user: User) -> bool:
    """A handler who is neither a head nor a clerk, and does not see the whole court, works from
    their own cases on the home page."""
    return (
        user.has_role(Role.HANDLER)
        and not user.has_role(Role.DIVISION_HEAD, Role.CLERK)
        and not permissions.is_court_wide(user)
    )


def home_docket(user: User, as_of: dt.date) -> Docket:
    """The handler's open cases counted per alerting level in one grouped query on the handler
    index, and the oldest of those near or over a line (a second query). Division and court
    figures come from the day's snapshot and the tracking list (panels of the reports and
    alerts apps): counting a division's or the court's open cases on every visit would not scale."""
    if not has_own_docket(user):
        return Docket()
    warning_days = warning_days_for(user)
    scope = (
        permissions.visible_cases(user).filter(handler=user, status__in=OPEN_STATUSES).filter(ageing.open_on_q(as_of))
    )
    alerting = ageing.Level.ALERTING
    counts = scope.aggregate(
        **{level: Count("id", filter=ageing.level_q(level, as_of, warning_days)) for level in alerting}
    )
    labels = dict(ageing.Level.CHOICES)
    tiles = [{"level": level, "label": labels[level], "count": counts[level]} for level in alerting]
    near = scope.filter(ageing.alerting_q(as_of, warning_days))
    urgent = list(case_rows(near, as_of, warning_days).order_by("filed_on", "id")[:URGENT_SHOWN])
    return Docket(tiles=tiles, urgent=urgent)


# --- list and page ---------------------------------------------------------------------------


def case_search(user: User, form, as_of: dt.date, warning_days: int) -> QuerySet[Case]:
    """The case list: the cases the user sees, narrowed by the search form (cases.forms.CaseSearchForm)."""
    return case_rows(form.apply(permissions.visible_cases(user), user, as_of, warning_days), as_of, warning_days)


def visible_case(user: User, pk: int) -> Case:
    """A case the user may see, with its court, division, handler and clerk; 404 otherwise (a
    case one may not see is "not found", as one that does not exist)."""
    cases = permissions.visible_cases(user).select_related("court", "division", "handler", "clerk")
    return get_object_or_404(cases, pk=pk)


def field_label(name: str) -> str:
    """The label of a case field (an old event or row error may name a field that no longer exists)."""
    try:
        return str(Case._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001
        return name


def event_changes(event: CaseEvent) -> list[tuple[str, Any, Any]]:
    """(field label, before, after) for the fields an event changed; none for a registration."""
    if event.kind == "registered":
        return []
    names = list(dict.fromkeys([*event.before, *event.after]))
    return [(field_label(n), event.before.get(n), event.after.get(n)) for n in names]


def case_timeline(case: Case, limit: int = TIMELINE_SHOWN) -> list[CaseEvent]:
    """The case's latest events, newest first, each with who made it and `changes` (event_changes)."""
    events = list(case.events.select_related("actor").order_by("-occurred_at", "-id")[:limit])
    for event in events:
        event.changes = event_changes(event)
    return events


def case_links(case: Case) -> list[CaseLink]:
    """The links from the case (with their target), then the links to it (with their case)."""
    return list(case.links.select_related("target")) + list(case.linked_from.select_related("case"))


# --- staff -----------------------------------------------------------------------------------


def managed_divisions(user: User) -> QuerySet[Division]:
    """The divisions whose staff the user manages on the staff page: every division for an
    administrator, else those the user heads or stands in for today."""
    if user.has_role(Role.ADMIN):
        return Division.objects.all()
    return Division.objects.filter(id__in=permissions.headed_division_ids(user))


def manages_staff(user: User, divisions: QuerySet[Division]) -> bool:
    """A head or an administrator with at least one division to manage."""
    return user.has_role(Role.DIVISION_HEAD, Role.ADMIN) and divisions.exists()


def open_cases_of(handler: User, divisions: QuerySet[Division]) -> QuerySet[Case]:
    """The handler's open and suspended cases in these divisions (a departing judge's docket)."""
    return Case.objects.filter(handler=handler, division__in=divisions, status__in=OPEN_STATUSES)


def divisions_of(cases: QuerySet[Case]) -> set[Division]:
    """The divisions these cases are in."""
    return {case.division for case in cases.select_related("division")}


def open_counts_by_handler(divisions: QuerySet[Division]) -> list[dict[str, Any]]:
    """Open and suspended cases per handler in these divisions, most first."""
    return list(
        Case.objects.filter(division__in=divisions, status__in=OPEN_STATUSES)
        .values("handler__id", "handler__name", "handler__username", "handler__is_active")
        .annotate(n=Count("id"))
        .order_by("-n")
    )


def division_heads(divisions: QuerySet[Division]) -> QuerySet[Division]:
    """The divisions with their head and acting head loaded (the staff page's table)."""
    return divisions.select_related("head", "acting_head")
