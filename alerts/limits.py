"""Time-limit warnings in the daily job: alerts at 30, 15 and 7 days before the statutory
deadline and on overrun, with the ageing alerts' owners, dedup, acknowledgement, digest and
escalation; plus the time-limit upkeep (running clocks, hidden-overrun check) of the day.

The deadline and days remaining come from `limits.rule` (the one rule); this module only
compares every open case's level on the as-of date with its active alert, in set-based
statements, so a second run for the same date changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from cases.models import Case, Court
from limits import rule as limits
from limits import services as limits_services

from .models import Alert, AlertKind, AlertResolution, EngineSettings, LimitLevel, NotificationKind
from .notifications import notify_alert_owners, notify_raised, notify_tracking_officers, split_subject
from .sql import insert_alerts

# Highest first: the level of a case is the first whose condition holds.
LEVEL_DAYS = [(LimitLevel.DAYS_7, 7), (LimitLevel.DAYS_15, 15), (LimitLevel.DAYS_30, 30)]

# Who hears of an alert when it is raised (一级抓一级), and whom an overrun escalates to.
OWNERS = {
    LimitLevel.DAYS_30: ("handler",),
    LimitLevel.DAYS_15: ("handler",),
    LimitLevel.DAYS_7: ("handler", "head"),
    LimitLevel.OVERDUE: ("handler", "head"),
}
ESCALATES_TO = {LimitLevel.OVERDUE: "vice_president"}

SUBJECTS = {
    LimitLevel.DAYS_30: lambda: _("Case %(number)s: 30 days or less to its statutory deadline"),
    LimitLevel.DAYS_15: lambda: _("Case %(number)s: 15 days or less to its statutory deadline"),
    LimitLevel.DAYS_7: lambda: _("Case %(number)s: 7 days or less to its statutory deadline"),
    LimitLevel.OVERDUE: lambda: _("Case %(number)s is over its statutory time limit"),
}


def level_expression() -> SqlCase:
    """The time-limit alert level of a case annotated by `limits.rule.annotate_clock`."""
    return SqlCase(
        When(days_remaining__lt=0, then=Value(LimitLevel.OVERDUE)),
        *[When(days_remaining__lte=days, then=Value(level)) for level, days in LEVEL_DAYS],
        default=Value(""),
        output_field=CharField(),
    )


def cases_at_levels(court: Court, as_of: dt.date) -> QuerySet[Case]:
    """Open cases of `court` at a time-limit alert level on `as_of`, with `limit_level` and
    `limit_deadline` annotated."""
    # Only a running clock whose stored deadline is within 30 days, or a stopped one, can be at a
    # level: the indexed `deadline` keeps the daily scan to those.
    near = Q(deadline__lte=as_of + dt.timedelta(days=LEVEL_DAYS[-1][1])) | Q(limit_paused_from__isnull=False)
    return (
        limits.annotate_clock(Case.objects.filter(court=court).filter(limits.open_on_q(as_of)).filter(near), as_of)
        .annotate(limit_level=level_expression())
        .exclude(limit_level="")
    )


def _track_court(court: Court, as_of: dt.date) -> dict[str, int]:
    counts: dict[str, int] = {}
    engine = EngineSettings.for_court(court)
    alerts = Alert.objects.time_limit().filter(case__court=court)
    active = alerts.filter(resolved_on__isnull=True)
    current = cases_at_levels(court, as_of)

    # 1. Resolve alerts of cases no longer open, and alerts whose level no longer holds (an
    #    extension or an excluded period moved the deadline). While a period runs the level
    #    stays, so a suspended case keeps its alert.
    counts["resolved_closed"] = active.exclude(case__in=Case.objects.filter(limits.open_on_q(as_of))).update(
        resolved_on=as_of, resolution=AlertResolution.CLOSED
    )
    same_level = current.filter(pk=OuterRef("case_id"), limit_level=OuterRef("level"))
    # A stopped clock (a running excluded period) keeps its alert: its days remaining only
    # wobble with the holidays the moving deadline lands on.
    counts["resolved_level_changed"] = (
        active.exclude(Exists(same_level))
        .exclude(case__limit_paused_from__lte=as_of)
        .update(resolved_on=as_of, resolution=AlertResolution.LEVEL_CHANGED)
    )

    # 2. Cases at a level without an active alert: reactivate the alert of the same level and
    #    deadline if there is one (a closing undone), else raise one.
    has_active = Exists(Alert.objects.time_limit().filter(case=OuterRef("pk"), resolved_on__isnull=True))
    candidates = current.exclude(has_active).exclude(limit_paused_from__lte=as_of)
    same_alert = candidates.filter(
        pk=OuterRef("case_id"), limit_level=OuterRef("level"), limit_deadline=OuterRef("line_date")
    )
    counts["reactivated"] = (
        alerts.filter(resolved_on__isnull=False).filter(Exists(same_alert)).update(resolved_on=None, resolution="")
    )
    counts["raised"] = insert_alerts(
        candidates,
        case="pk",
        kind=AlertKind.TIME_LIMIT,
        level=F("limit_level"),
        line=F("limit_deadline"),
        as_of=as_of,
    )

    # 3. Escalate an overrun one step when it is still active N days after it was raised.
    counts["escalated"] = active.filter(
        level=LimitLevel.OVERDUE,
        escalation_step=0,
        raised_on__lte=as_of - dt.timedelta(days=engine.over_6m_escalation_days),
    ).update(escalation_step=1, escalated_on=as_of)

    # 4. Notifications keyed per alert: a rerun finds them written.
    written = notify_raised(active.filter(raised_on=as_of), owners=OWNERS, subjects=SUBJECTS, as_of=as_of)
    for level, role in ESCALATES_TO.items():
        written += notify_alert_owners(
            active.filter(level=level, escalation_step=1, escalated_on=as_of),
            role=role,
            kind=NotificationKind.ALERT_ESCALATED,
            key_suffix="escalated",
            subject=split_subject(_("Escalated: case %(number)s is over its statutory time limit")),
            as_of=as_of,
        )
    counts["notifications"] = written
    return counts


def track_limits(as_of: dt.date) -> dict[str, Any]:
    """The time-limit part of the daily job, for `as_of`. Called by `alerts.tracking.track_daily`."""
    totals: dict[str, Any] = {}
    upkeep = limits_services.daily_limits_job(as_of)  # running clocks, hidden-overrun flags
    for court in Court.objects.order_by("pk"):
        for name, value in _track_court(court, as_of).items():
            totals[name] = totals.get(name, 0) + value
    if upkeep["raised"]:
        notify_tracking_officers(
            kind=NotificationKind.ALERT_RAISED,
            key=f"hidden-overruns:{as_of.isoformat()}",
            subject=_("%(count)s new hidden-overrun flags") % {"count": upkeep["raised"]},
            on=as_of,
        )
    totals.update({f"hidden_{k}": v for k, v in upkeep.items() if k != "refreshed"})
    totals["clocks_refreshed"] = upkeep["refreshed"]
    totals["active"] = Alert.objects.time_limit().filter(resolved_on__isnull=True).count()
    return totals
