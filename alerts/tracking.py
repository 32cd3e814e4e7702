"""Daily tracking (日跟踪): bring the alerts in line with every case's level on a date.

The state is recomputed, never incremented: each run compares every open case's level on the
as-of date (the one rule in `cases.ageing`) with its active alert, so a run after days without
one still covers every case, and a second run for the same date changes nothing. The unique
constraints on alerts and notifications make a concurrent or repeated run harmless.

Set-based, and the big table read once: the run first writes the level and line of every case at
an alerting level into a temporary table (one scan of the cases, with the ageing rule's queryset
expressions); every later step is one statement comparing alerts with that table
(UPDATE … WHERE, INSERT … SELECT … ON CONFLICT DO NOTHING). Steps, in this order:

1. resolve active alerts that are no longer the case's level and line (moved up a level, filing
   date corrected), and mark those whose case is no longer open as resolved by closing;
2. reactivate the alert that matches again (a closing recorded in error and undone);
3. for cases at an alerting level without an active alert, record the lower levels not yet
   recorded as superseded (first run, imported backlog, a gap of days);
4. raise the alert of the current level;
5. escalate over-6/over-15-month alerts raised N days ago or more without a standing plan;
6. write the notifications of the alerts raised and escalated on this date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.ageing import Level, level_expression, level_q, open_on_q
from cases.models import Case, Court
from common.sql import analyze, drop_table, insert_select, refresh_statistics, without_jit
from jobs.models import JobOutcome, JobRun

from .escalation import escalate, notify_escalated
from .limits import track_limits
from .models import (
    Alert,
    AlertKind,
    AlertResolution,
    EngineSettings,
    Job,
    Notification,
    TrackingState,
)
from .notifications import notify_raised, split_subject
from .selectors import has_standing_plan
from .sql import insert_alerts

SIX_MONTH_LEVELS = (Level.APPROACHING_6M, Level.OVER_6M)

# Who hears of an alert when it is raised (一级抓一级), and whom it escalates to.
OWNERS = {
    Level.APPROACHING_6M: ("handler",),
    Level.OVER_6M: ("handler", "head"),
    Level.APPROACHING_15M: ("head",),
    Level.OVER_15M: ("head", "vice_president"),
}
ESCALATES_TO = {Level.OVER_6M: "vice_president", Level.OVER_15M: "president"}


def _line_field(level: str) -> str:
    return "line_6m" if level in SIX_MONTH_LEVELS else "line_15m"


def _alerting_q(as_of: dt.date, warning_days: int, prefix: str = "", levels=Level.ALERTING) -> Q:
    q = Q(pk__in=[])
    for level in levels:
        q |= level_q(level, as_of, warning_days, prefix)
    return q


def _subject(template: str, level: str | None = None) -> tuple[str, str]:
    values = {} if level is None else {"level": dict(Level.CHOICES)[level]}
    return split_subject(template, **values)


RAISED_SUBJECTS = {
    Level.APPROACHING_6M: lambda: _("Case %(number)s is approaching 6 months"),
    Level.OVER_6M: lambda: _("Case %(number)s is over 6 months: file its clearance plan"),
    Level.APPROACHING_15M: lambda: _("Case %(number)s is approaching 15 months"),
    Level.OVER_15M: lambda: _("Case %(number)s is over 15 months (key warning)"),
}


def latest_daily_as_of() -> dt.date | None:
    """The latest date daily tracking ran for (successful runs and alerts raised)."""
    run = JobRun.objects.filter(job=Job.TRACK_DAILY, outcome=JobOutcome.SUCCESS).aggregate(m=Max("as_of"))["m"]
    raised = Alert.objects.aggregate(m=Max("raised_on"))["m"]
    dates = [d for d in (run, raised) if d is not None]
    return max(dates) if dates else None


def _check_as_of(as_of: dt.date) -> None:
    today = timezone.localdate()
    if as_of > today:
        raise ValidationError({"as_of": [_("Daily tracking cannot run for a future date.")]})
    latest = latest_daily_as_of()
    if latest is not None and as_of < latest:
        # Alerts carry the date they were raised and resolved; replaying an earlier day over
        # them would rewrite that history. Tracking lists of past days are read, not rebuilt.
        raise ValidationError(
            {
                "as_of": [
                    _("Daily tracking already ran for %(latest)s; run it for that date or later.")
                    % {"latest": latest.isoformat()}
                ]
            }
        )


STATE_TABLE = TrackingState._meta.db_table


def _fill_state(courts: list[Court], as_of: dt.date) -> int:
    """Create this connection's temporary table of alerting cases and fill it: one scan of cases."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")
        # No index: every statement reads the table whole in a hash join, and building an index
        # would cost a third of the run's time.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STATE_TABLE} (case_id bigint NOT NULL, court_id bigint NOT NULL, "
            "level varchar(20) NOT NULL, line date NOT NULL, line_6m date NOT NULL, line_15m date NOT NULL, "
            "candidate boolean NOT NULL)"
        )
    filled = 0
    for court in courts:
        wd = court.warning_window_days
        rows = (
            Case.objects.filter(court=court)
            .filter(_alerting_q(as_of, wd))
            .annotate(s_level=level_expression(as_of, wd))
            .annotate(
                s_line=SqlCase(When(s_level__in=SIX_MONTH_LEVELS, then=F("line_6m")), default=F("line_15m")),
            )
            .annotate(s_candidate=Value(False))
            .values_list("pk", "court_id", "s_level", "s_line", "line_6m", "line_15m", "s_candidate")
        )
        filled += insert_select(
            TrackingState, ["case", "court_id", "level", "line", "line_6m", "line_15m", "candidate"], rows
        )
    # Autovacuum never analyses temporary tables; without statistics the planner picks nested
    # loops over the whole table for the semi-joins below (seconds instead of milliseconds).
    analyze(TrackingState)
    return filled


def _drop_state() -> None:
    drop_table(TrackingState)


def _escalate(courts: list[Court], as_of: dt.date, active: QuerySet[Alert]) -> int:
    """Escalate one step when no plan stands N days after the alert was raised. Acknowledging does
    not stop this; only a submitted (or approved) plan does."""

    def waiting(engine: EngineSettings) -> list[tuple[str, int]]:
        return [(Level.OVER_6M, engine.over_6m_escalation_days), (Level.OVER_15M, engine.over_15m_escalation_days)]

    return escalate(courts, as_of, active, waiting, unless=has_standing_plan(None, "case_id"))


def _notify(as_of: dt.date, active: QuerySet[Alert]) -> int:
    """Notifications of the alerts raised and escalated on `as_of`, keyed per alert: a rerun finds
    them written."""
    written = notify_raised(active.filter(raised_on=as_of), owners=OWNERS, subjects=RAISED_SUBJECTS, as_of=as_of)
    written += notify_escalated(
        active,
        as_of,
        ESCALATES_TO,
        lambda level: _subject(_("Escalated: case %(number)s is %(level)s with no clearance plan"), level),
    )
    return written


def _track(courts: list[Court], as_of: dt.date) -> dict[str, Any]:
    counts: dict[str, Any] = {"alerting": _fill_state(courts, as_of)}
    # Ageing alerts only: the time-limit family is brought in line by alerts.limits.
    ageing = Alert.objects.ageing()
    active = ageing.filter(resolved_on__isnull=True, superseded=False)
    state = TrackingState.objects.all()
    same_state = Exists(state.filter(case_id=OuterRef("case_id"), level=OuterRef("level"), line=OuterRef("line_date")))

    # 1. Resolve every active alert that is no longer the case's level and line; then tell the
    # closed cases (not open on the as-of date, by dates as everywhere in the rule) from the rest.
    resolved = active.exclude(same_state).update(resolved_on=as_of, resolution=AlertResolution.LEVEL_CHANGED)
    closed = (
        ageing.filter(resolved_on=as_of, resolution=AlertResolution.LEVEL_CHANGED)
        .exclude(open_on_q(as_of, prefix="case__"))
        .update(resolution=AlertResolution.CLOSED)
    )
    counts["resolved_closed"], counts["resolved_level_changed"] = closed, max(resolved - closed, 0)

    # Cases at an alerting level without an active alert: new crossings, reopened cases, corrected
    # filing dates. On a normal day a few hundred; on a first run every alerting case.
    candidates = state.exclude(Exists(active.filter(case_id=OuterRef("case_id"))))

    # 2. The same level and line again (a closing undone): the old alert comes back to life.
    # Driven from the candidates through the unique (case, level, line) index, so its cost
    # follows the few candidates, not the ever-growing history of resolved alerts.
    resolved_twin = ageing.filter(
        case_id=OuterRef("case_id"),
        level=OuterRef("level"),
        line_date=OuterRef("line"),
        superseded=False,
        resolved_on__isnull=False,
    ).order_by()
    twins = candidates.annotate(twin=Subquery(resolved_twin.values("pk")[:1])).filter(twin__isnull=False)
    counts["reactivated"] = ageing.filter(pk__in=twins.values("twin")).update(resolved_on=None, resolution="")

    # The cases still without an active alert are marked once, here: the inserts below change the
    # alerts table, and a query planned on its statistics from before the first insert (empty, on
    # a first run) would probe it row by row.
    candidates.update(candidate=True)
    candidates = state.filter(candidate=True)

    # 3. Lower levels the case went past without an alert are recorded, inert.
    superseded = 0
    for lower in Level.ALERTING[:-1]:
        higher = [lvl for lvl in Level.ALERTING if Level.RANK[lvl] > Level.RANK[lower]]
        superseded += insert_alerts(
            candidates.filter(level__in=higher),
            case="case_id",
            kind=AlertKind.AGEING,
            level=Value(lower),
            line=F(_line_field(lower)),
            as_of=as_of,
            superseded=True,
        )
    counts["superseded"] = superseded

    # 4. Raise the current level's alert.
    counts["raised"] = insert_alerts(
        candidates, case="case_id", kind=AlertKind.AGEING, level=F("level"), line=F("line"), as_of=as_of
    )

    counts["escalated"] = _escalate(courts, as_of, active)
    counts["notifications"] = _notify(as_of, active)
    counts["active"] = active.count()
    _drop_state()
    return counts


def track_daily(as_of: dt.date | None = None) -> dict[str, Any]:
    """Run daily tracking for `as_of` (today by default). Returns what it did, in numbers.

    Call it inside a transaction (`alerts.runs.run_job` does): a failure part-way leaves nothing.
    """
    as_of = as_of or timezone.localdate()
    _check_as_of(as_of)
    without_jit()
    refresh_statistics(Alert, Notification)
    courts = list(Court.objects.order_by("pk"))
    totals = _track(courts, as_of)
    # Statutory time limits (审限): warnings at 30/15/7 days and on overrun, hidden-overrun check.
    totals.update({f"limits_{name}": value for name, value in track_limits(as_of).items()})
    return totals
