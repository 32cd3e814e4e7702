"""One step up the ladder, for both families of alerts: which active alerts escalate on a date,
and whom each escalated alert is told to (the vice-president in charge, or the president(s) at
the top). alerts/tracking.py (ageing) and alerts/limits.py (time limits) say only their levels,
their waiting days and their wording."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from django.db.models import Q, QuerySet, Value

from cases.models import Court, User
from cases.roles import Role

from .models import Alert, EngineSettings, NotificationKind
from .notifications import insert_alert_notifications, notify_alert_owners

# (level, days an alert of that level may stay active before it escalates), from a court's settings.
WaitingDays = Callable[[EngineSettings], list[tuple[str, int]]]


def escalate(
    courts: list[Court], as_of: dt.date, active: QuerySet[Alert], waiting: WaitingDays, *, unless: Q | None = None
) -> int:
    """Escalate one step each active alert raised at least its level's waiting days before `as_of`
    (per court's settings), except those matching `unless` (e.g. a standing clearance plan)."""
    escalated = 0
    for court in courts:
        engine = EngineSettings.for_court(court)
        scope = active if len(courts) == 1 else active.filter(case__court=court)
        for level, days in waiting(engine):
            due = scope.filter(level=level, escalation_step=0, raised_on__lte=as_of - dt.timedelta(days=days))
            if unless is not None:
                due = due.exclude(unless)
            escalated += due.update(escalation_step=1, escalated_on=as_of)
    return escalated


def notify_escalated(
    active: QuerySet[Alert],
    as_of: dt.date,
    escalates_to: Mapping[str, str],
    subject: Callable[[str], tuple[str, str]],
) -> int:
    """Tell whom each level escalates to of the alerts escalated on `as_of`, one notification per
    alert and person, keyed so that a rerun finds them written."""
    written = 0
    escalated_today = active.filter(escalation_step=1, escalated_on=as_of)
    for level, role in escalates_to.items():
        alerts = escalated_today.filter(level=level)
        if role == Role.PRESIDENT:
            written += _notify_presidents(alerts, subject=subject(level), as_of=as_of)
        else:
            written += notify_alert_owners(
                alerts,
                role=role,
                kind=NotificationKind.ALERT_ESCALATED,
                key_suffix="escalated",
                subject=subject(level),
                as_of=as_of,
            )
    return written


def _notify_presidents(alerts: QuerySet[Alert], *, subject: tuple[str, str], as_of: dt.date) -> int:
    """The last step of the ladder: the president(s) of the court."""
    presidents = list(User.objects.filter(is_active=True, groups__name=Role.PRESIDENT).values_list("pk", flat=True))
    return sum(  # one or two people, not one per case
        insert_alert_notifications(
            alerts,
            Value(president),
            kind=NotificationKind.ALERT_ESCALATED,
            key_suffix="escalated",
            subject=subject,
            as_of=as_of,
        )
        for president in presidents
    )
