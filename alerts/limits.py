"""Time-limit warnings in the daily job: alerts at 30, 15 and 7 days before the statutory
deadline and on overrun, with the ageing alerts' owners, dedup, acknowledgement, digest and
escalation; and the tracking officer told of the day's new hidden-overrun flags. The clocks'
upkeep itself (running clocks, hidden-overrun check) is the `clock_upkeep` job of limits
(limits/jobs.py), which runs before daily tracking.

The deadline and days remaining come from `limits.rule` (the one rule); this module only
compares every open case's level on the as-of date with its active alert, in set-based
statements, so a second run for the same date changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import BooleanField, CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models import Case as SqlCase
from django.utils.translation import gettext as _

from cases.models import Case, Court
from common.sql import analyze, drop_table, insert_select
from limits import rule as limits
from limits.models import HiddenOverrunFlag

from .escalation import escalate, notify_escalated
from .models import (
    Alert,
    AlertKind,
    AlertResolution,
    LimitLevel,
    LimitTrackingState,
    NotificationKind,
)
from .notifications import notify_raised, notify_tracking_officers, split_subject
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


def near_arms(as_of: dt.date) -> list[Q]:
    """Open cases whose clock can be at a level on `as_of` -- a running clock whose stored deadline
    is within 30 days, or a stopped one -- as three disjoint conditions, each answered by an index:
    open cases' deadlines and open cases' stopped clocks (partial indexes holding the columns the
    rule reads, so that no table row is read), and cases closed after `as_of` (a past day only)."""
    still_open, closed_later = limits.open_on_parts(as_of)
    near = Q(deadline__lte=as_of + dt.timedelta(days=LEVEL_DAYS[-1][1]))
    stopped_clock = Q(limit_paused_from__isnull=False)
    return [still_open & near, still_open & stopped_clock & ~near, closed_later & (near | stopped_clock)]


def cases_near_levels(court: Court, as_of: dt.date, arm: Q | None = None) -> QuerySet[Case]:
    """Open cases of `court` that may be at a time-limit alert level on `as_of` (stored deadline
    within 30 days, or a stopped clock; `arm`: one of the `near_arms` only), with `limit_level`
    ("" below every level) and `limit_deadline` annotated."""
    if arm is None:
        arm = Q(pk__in=[])
        for each in near_arms(as_of):
            arm |= each
    return limits.annotate_clock(Case.objects.filter(court=court).filter(arm), as_of).annotate(
        limit_level=level_expression()
    )


def cases_at_levels(court: Court, as_of: dt.date) -> QuerySet[Case]:
    """Open cases of `court` at a time-limit alert level on `as_of`, with `limit_level` and
    `limit_deadline` annotated."""
    return cases_near_levels(court, as_of).exclude(limit_level="")


STATE_TABLE = LimitTrackingState._meta.db_table


def _fill_state(courts: list[Court], as_of: dt.date) -> int:
    """Create this connection's temporary table of the cases at a level or with a stopped clock on
    `as_of` and fill it: one index scan of the cases near their deadline, per court."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STATE_TABLE} (case_id bigint NOT NULL, court_id bigint NOT NULL, "
            "level varchar(20) NOT NULL, deadline date NOT NULL, stopped boolean NOT NULL, candidate boolean NOT NULL)"
        )
    filled = 0
    stopped = Q(limit_paused_from__lte=as_of)
    for court in courts:
        for arm in near_arms(as_of):  # one statement per index
            rows = (
                cases_near_levels(court, as_of, arm)
                .filter(~Q(limit_level="") | stopped)
                .annotate(
                    s_stopped=SqlCase(
                        When(stopped, then=Value(True)), default=Value(False), output_field=BooleanField()
                    ),
                    s_candidate=Value(False),
                )
                .values_list("pk", "court_id", "limit_level", "limit_deadline", "s_stopped", "s_candidate")
            )
            filled += insert_select(
                LimitTrackingState, ["case", "court_id", "level", "deadline", "stopped", "candidate"], rows
            )
    analyze(LimitTrackingState)  # autovacuum never analyses temporary tables (see alerts.tracking)
    return filled


def _drop_state() -> None:
    drop_table(LimitTrackingState)


def _track(courts: list[Court], as_of: dt.date) -> dict[str, int]:
    counts: dict[str, int] = {}
    _fill_state(courts, as_of)
    alerts = Alert.objects.time_limit()
    active = alerts.filter(resolved_on__isnull=True)
    state = LimitTrackingState.objects.all()

    # 1. Resolve alerts of cases no longer open, and alerts whose level no longer holds (an
    #    extension or an excluded period moved the deadline). While a period runs the level
    #    stays, so a suspended case keeps its alert. Every case in the state is open, so only the
    #    few alerts whose case is not there are looked up in the case table.
    counts["resolved_closed"] = (
        active.exclude(Exists(state.filter(case_id=OuterRef("case_id"))))
        .exclude(limits.open_on_q(as_of, prefix="case__"))
        .update(resolved_on=as_of, resolution=AlertResolution.CLOSED)
    )
    # A stopped clock (a running excluded period) keeps its alert: its days remaining only
    # wobble with the holidays the moving deadline lands on.
    same_level_or_stopped = state.filter(case_id=OuterRef("case_id")).filter(
        Q(level=OuterRef("level")) | Q(stopped=True)
    )
    counts["resolved_level_changed"] = active.exclude(Exists(same_level_or_stopped)).update(
        resolved_on=as_of, resolution=AlertResolution.LEVEL_CHANGED
    )

    # 2. Cases at a level without an active alert: reactivate the alert of the same level and
    #    deadline if there is one (a closing undone), else raise one. They are marked once, here,
    #    before the alerts table changes under the statistics the later statements are planned on.
    state.exclude(level="").filter(stopped=False).exclude(Exists(active.filter(case_id=OuterRef("case_id")))).update(
        candidate=True
    )
    candidates = state.filter(candidate=True)
    # Driven from the candidates through the unique (case, level, line) index.
    resolved_twin = alerts.filter(
        case_id=OuterRef("case_id"), level=OuterRef("level"), line_date=OuterRef("deadline"), resolved_on__isnull=False
    ).order_by()
    twins = candidates.annotate(twin=Subquery(resolved_twin.values("pk")[:1])).filter(twin__isnull=False)
    counts["reactivated"] = alerts.filter(pk__in=twins.values("twin")).update(resolved_on=None, resolution="")
    counts["raised"] = insert_alerts(
        candidates.exclude(Exists(active.filter(case_id=OuterRef("case_id")))),
        case="case_id",
        kind=AlertKind.TIME_LIMIT,
        level=F("level"),
        line=F("deadline"),
        as_of=as_of,
    )

    # 3. Escalate an overrun one step when it is still active N days after it was raised.
    counts["escalated"] = escalate(
        courts, as_of, active, lambda engine: [(LimitLevel.OVERDUE, engine.over_6m_escalation_days)]
    )

    # 4. Notifications keyed per alert: a rerun finds them written.
    written = notify_raised(active.filter(raised_on=as_of), owners=OWNERS, subjects=SUBJECTS, as_of=as_of)
    written += notify_escalated(
        active,
        as_of,
        ESCALATES_TO,
        lambda level: split_subject(_("Escalated: case %(number)s is over its statutory time limit")),
    )
    counts["notifications"] = written
    _drop_state()
    return counts


def track_limits(as_of: dt.date) -> dict[str, Any]:
    """The time-limit part of the daily job, for `as_of`. Called by `alerts.tracking.track_daily`,
    after the clocks' upkeep (the `clock_upkeep` job of limits, declared to run before daily
    tracking) brought the running clocks and the hidden-overrun flags to `as_of`."""
    totals: dict[str, Any] = {}
    totals.update(_track(list(Court.objects.order_by("pk")), as_of))
    raised = HiddenOverrunFlag.objects.filter(first_flagged_on=as_of, cleared_on__isnull=True).count()
    if raised:
        # Keyed by the date: a rerun of the day finds it written.
        notify_tracking_officers(
            kind=NotificationKind.ALERT_RAISED,
            key=f"hidden-overruns:{as_of.isoformat()}",
            subject=_("%(count)s new hidden-overrun flags") % {"count": raised},
            on=as_of,
        )
    totals["hidden_flagged_today"] = raised
    totals["active"] = Alert.objects.time_limit().filter(resolved_on__isnull=True).count()
    return totals
