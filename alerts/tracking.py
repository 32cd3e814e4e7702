"""Daily tracking (日跟踪): bring the alerts in line with every case's level on a date.

The state is recomputed, never incremented: each run compares every open case's level on the
as-of date (the one rule in `cases.ageing`) with its active alert, so a run after days without
one still covers every case, and a second run for the same date changes nothing. Each step is
one set-based statement per court (UPDATE … WHERE, INSERT … SELECT … ON CONFLICT DO NOTHING);
the unique constraints on alerts and notifications make a concurrent or repeated run harmless.

Steps, in this order (each relies on the one before):

1. resolve the active alerts of cases no longer open (resolution "closed");
2. resolve the active alerts that no longer match the case's level or line (moved up a level,
   filing date corrected);
3. reactivate the alert that matches again (a closing recorded in error and undone);
4. for cases at an alerting level without an active alert, record the lower levels not yet
   recorded as superseded (first run, imported backlog, a gap of days);
5. raise the alert of the current level;
6. escalate over-6/over-15-month alerts raised N days ago or more without a standing plan;
7. write the notifications of the alerts raised and escalated on this date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case as SqlCase
from django.db.models import CharField, Exists, F, Max, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.ageing import Level, level_expression, level_q, open_on_q
from cases.models import Case, Court, User
from cases.roles import Role

from .models import Alert, AlertResolution, EngineSettings, Job, JobOutcome, JobRun, Notification, NotificationKind
from .selectors import effective_head_expression, has_standing_plan
from .sql import insert_select

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


def _matches_current_q(as_of: dt.date, warning_days: int) -> Q:
    """An alert whose level and line are the case's level and line on `as_of`."""
    q = Q(pk__in=[])
    for level in Level.ALERTING:
        q |= (
            Q(level=level)
            & level_q(level, as_of, warning_days, prefix="case__")
            & Q(line_date=F(f"case__{_line_field(level)}"))
        )
    return q


def _subject(template: str, level: str | None = None) -> tuple[str, str]:
    """Split a translated "… %(number)s …" subject around the case number, for SQL concatenation."""
    marker = "\x00"
    values: dict[str, Any] = {"number": marker}
    if level is not None:
        values["level"] = dict(Level.CHOICES)[level]
    before, after = (template % values).split(marker)
    return before, after


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


def _notify_alerts(
    alerts: QuerySet[Alert], *, role: str, kind: str, key_suffix: str, subject: tuple[str, str], as_of: dt.date
) -> int:
    """INSERT … SELECT one notification per alert for the person holding `role` for its case."""
    if role == "handler":
        recipient = F("case__handler_id")
    elif role == "head":
        recipient = effective_head_expression(as_of, prefix="case__division__")
    elif role == "vice_president":
        recipient = F("case__division__vice_president_id")
    else:
        raise ValueError(role)
    before, after = subject
    rows = (
        alerts.annotate(
            n_recipient=recipient,
            n_kind=Value(kind),
            n_key=Concat(Value("alert:"), Cast("pk", CharField()), Value(f":{key_suffix}"), output_field=CharField()),
            n_subject=Concat(Value(before), F("case__case_number"), Value(after), output_field=CharField()),
            n_body=Value(""),
            n_link=Concat(Value("/cases/"), Cast("case_id", CharField()), Value("/"), output_field=CharField()),
            n_created_on=Value(as_of),
            n_created_at=Value(timezone.now()),
        )
        .filter(n_recipient__isnull=False)
        .values_list(
            "n_recipient",
            "n_kind",
            "n_key",
            "n_subject",
            "n_body",
            "n_link",
            "pk",
            "case_id",
            "n_created_on",
            "n_created_at",
        )
    )
    fields = ["recipient", "kind", "key", "subject", "body", "link", "alert", "case", "created_on", "created_at"]
    return insert_select(Notification, fields, rows)


def _notify_presidents(alerts: QuerySet[Alert], *, subject: tuple[str, str], as_of: dt.date) -> int:
    """Escalated over-15-month alerts go to the president(s): the last step of the ladder."""
    presidents = list(User.objects.filter(is_active=True, groups__name=Role.PRESIDENT).values_list("pk", flat=True))
    written = 0
    for president in presidents:  # one or two people, not one per case
        before, after = subject
        rows = alerts.annotate(
            n_recipient=Value(president),
            n_kind=Value(NotificationKind.ALERT_ESCALATED),
            n_key=Concat(Value("alert:"), Cast("pk", CharField()), Value(":escalated"), output_field=CharField()),
            n_subject=Concat(Value(before), F("case__case_number"), Value(after), output_field=CharField()),
            n_body=Value(""),
            n_link=Concat(Value("/cases/"), Cast("case_id", CharField()), Value("/"), output_field=CharField()),
            n_created_on=Value(as_of),
            n_created_at=Value(timezone.now()),
        ).values_list(
            "n_recipient",
            "n_kind",
            "n_key",
            "n_subject",
            "n_body",
            "n_link",
            "pk",
            "case_id",
            "n_created_on",
            "n_created_at",
        )
        fields = ["recipient", "kind", "key", "subject", "body", "link", "alert", "case", "created_on", "created_at"]
        written += insert_select(Notification, fields, rows)
    return written


def _track_court(court: Court, as_of: dt.date) -> dict[str, Any]:
    wd = court.warning_window_days
    engine = EngineSettings.for_court(court)
    counts: dict[str, Any] = {}
    alerts = Alert.objects.filter(case__court=court)
    active = alerts.filter(resolved_on__isnull=True, superseded=False)

    # 1–2. Resolve what no longer holds. "Open" is judged by dates, as everywhere in the rule.
    counts["resolved_closed"] = active.exclude(open_on_q(as_of, prefix="case__")).update(
        resolved_on=as_of, resolution=AlertResolution.CLOSED
    )
    counts["resolved_level_changed"] = active.exclude(_matches_current_q(as_of, wd)).update(
        resolved_on=as_of, resolution=AlertResolution.LEVEL_CHANGED
    )

    # Cases at an alerting level with no active alert: new crossings, reopened cases, corrected
    # filing dates. On a normal day a few hundred; on a first run every alerting case.
    has_active = Exists(Alert.objects.filter(case=OuterRef("pk"), resolved_on__isnull=True, superseded=False))
    candidates = (
        Case.objects.filter(court=court)
        .filter(_alerting_q(as_of, wd))
        .exclude(has_active)
        .annotate(cur_level=level_expression(as_of, wd))
        .annotate(
            cur_line=SqlCase(
                When(cur_level__in=SIX_MONTH_LEVELS, then=F("line_6m")),
                default=F("line_15m"),
            )
        )
    )

    # 3. The same level and line again (a closing undone): the old alert comes back to life.
    counts["reactivated"] = (
        alerts.filter(superseded=False, resolved_on__isnull=False, case__in=candidates.values("pk"))
        .filter(_matches_current_q(as_of, wd))
        .update(resolved_on=None, resolution="")
    )

    # 4. Lower levels the case went past without an alert are recorded, inert.
    superseded = 0
    for lower in Level.ALERTING[:-1]:
        higher = [lvl for lvl in Level.ALERTING if Level.RANK[lvl] > Level.RANK[lower]]
        rows = (
            candidates.filter(_alerting_q(as_of, wd, levels=higher))
            .annotate(
                a_level=Value(lower),
                a_line=F(_line_field(lower)),
                a_raised=Value(as_of),
                a_superseded=Value(True),
                a_resolution=Value(""),
                a_step=Value(0),
            )
            .values_list("pk", "a_level", "a_line", "a_raised", "a_superseded", "a_resolution", "a_step")
        )
        superseded += insert_select(
            Alert,
            ["case", "level", "line_date", "raised_on", "superseded", "resolution", "escalation_step"],
            rows,
        )
    counts["superseded"] = superseded

    # 5. Raise the current level's alert.
    rows = candidates.annotate(
        a_raised=Value(as_of),
        a_superseded=Value(False),
        a_resolution=Value(""),
        a_step=Value(0),
    ).values_list("pk", "cur_level", "cur_line", "a_raised", "a_superseded", "a_resolution", "a_step")
    counts["raised"] = insert_select(
        Alert, ["case", "level", "line_date", "raised_on", "superseded", "resolution", "escalation_step"], rows
    )

    # 6. Escalate one step when no plan stands N days after the alert was raised. Acknowledging
    # does not stop this; only a submitted (or approved) plan does.
    escalated = 0
    for level, days in (
        (Level.OVER_6M, engine.over_6m_escalation_days),
        (Level.OVER_15M, engine.over_15m_escalation_days),
    ):
        escalated += (
            active.filter(level=level, escalation_step=0, raised_on__lte=as_of - dt.timedelta(days=days))
            .exclude(has_standing_plan(None, "case_id"))
            .update(escalation_step=1, escalated_on=as_of)
        )
    counts["escalated"] = escalated

    # 7. Notifications, keyed per alert: a rerun finds them written.
    written = 0
    raised_today = active.filter(raised_on=as_of)
    for level, roles in OWNERS.items():
        subject = _subject(RAISED_SUBJECTS[level]())
        for role in roles:
            written += _notify_alerts(
                raised_today.filter(level=level),
                role=role,
                kind=NotificationKind.ALERT_RAISED,
                key_suffix="raised",
                subject=subject,
                as_of=as_of,
            )
    escalated_today = active.filter(escalation_step=1, escalated_on=as_of)
    for level, role in ESCALATES_TO.items():
        subject = _subject(_("Escalated: case %(number)s is %(level)s with no clearance plan"), level)
        if role == "president":
            written += _notify_presidents(escalated_today.filter(level=level), subject=subject, as_of=as_of)
        else:
            written += _notify_alerts(
                escalated_today.filter(level=level),
                role=role,
                kind=NotificationKind.ALERT_ESCALATED,
                key_suffix="escalated",
                subject=subject,
                as_of=as_of,
            )
    counts["notifications"] = written
    return counts


def track_daily(as_of: dt.date | None = None) -> dict[str, Any]:
    """Run daily tracking for `as_of` (today by default). Returns what it did, in numbers.

    Call it inside a transaction (`alerts.runs.run_job` does): a failure part-way leaves nothing.
    """
    as_of = as_of or timezone.localdate()
    _check_as_of(as_of)
    totals: dict[str, Any] = {}
    for court in Court.objects.order_by("pk"):
        for name, value in _track_court(court, as_of).items():
            totals[name] = totals.get(name, 0) + value
    active = Alert.objects.filter(resolved_on__isnull=True, superseded=False)
    totals["active"] = active.count()
    return totals
