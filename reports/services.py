"""Writes of the reports app: the monthly bulletin (build, publish, sign off) and the daily
figure snapshot. Plain functions, called by the tasks, the management commands, the pages and
the API alike. Every statement works over all cases at once (INSERT … SELECT, aggregate
queries); nothing loops over cases in Python.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import ClearancePlan, NotificationKind, PlanStatus
from alerts.notifications import notify
from alerts.sql import insert_select, refresh_statistics, without_jit
from cases import ageing, permissions
from cases.models import Case, Court, Division, User
from common.history import record_bulk
from common.sql import DaysBetween
from jobs.locks import job_lock
from jobs.models import JobOutcome, JobRun
from jobs.queueing import Sent, send_job
from jobs.runs import run_job
from limits import rule as limits

from .fonts import CJKFontMissing
from .models import (
    BAND_FIELDS,
    Bulletin,
    BulletinFigure,
    BulletinItem,
    BulletinSignOff,
    BulletinStatus,
    FigureScope,
    FigureSnapshot,
    Job,
)
from .periods import Period
from .schedule_days import bulletins_due

log = logging.getLogger(__name__)

# Lock taken while a bulletin gets its issue number, so two publications never draw the same one.
NUMBERING_LOCK = "bulletin_numbering"


def _date(value: dt.date) -> Value:
    # Typed, so PostgreSQL reads `%s - filed_on` as date arithmetic rather than guessing.
    return Value(value, output_field=DateField())


def _court(court: Court | None) -> Court:
    court = court or Court.default()
    if court is None:
        raise ValidationError({"court": [_("No court is set up yet.")]})
    return court


def _person_name(prefix: str) -> Coalesce:
    """The name people read (User.name), else the login name."""
    return Coalesce(NullIf(F(f"{prefix}name"), Value("")), F(f"{prefix}username"), Value(""))


# --- monthly bulletin: build ------------------------------------------------------------------


@dataclass
class BuildResult:
    bulletin: Bulletin
    outcome: str  # "built", "rebuilt", "unchanged" (published) or "publishing" (skipped while being published)
    listed: int = 0
    key_warnings: int = 0

    def describe(self) -> str:
        """The operator's one-line report (English, like the other job commands' output)."""
        b = self.bulletin
        if self.outcome == "unchanged":
            return f"Bulletin {b.period} ({b.title}): published, unchanged."
        if self.outcome == "publishing":
            return f"Bulletin {b.period}: being published, unchanged."
        verb = "draft built" if self.outcome == "built" else "draft rebuilt"
        return (
            f"Bulletin {b.period} as of {b.as_of.isoformat()}: {verb}, {self.listed} cases over 6 months, "
            f"{self.key_warnings} over 15 months."
        )


def _insert_items(bulletin: Bulletin, court: Court, previous: Bulletin | None) -> int:
    """Freeze every case over 6 months on the bulletin's date, in one INSERT … SELECT."""
    as_of = bulletin.as_of
    listed = Case.objects.filter(court=court).filter(ageing.over_line_q(6, as_of))
    oldest = listed.aggregate(oldest=Min("filed_on"))["oldest"]
    if oldest is None:
        return 0
    # The latest plan the division can see (drafts are still the handler's own).
    plan = ClearancePlan.objects.filter(case=OuterRef("pk")).exclude(status=PlanStatus.DRAFT).order_by("-version")
    if previous is not None:
        newly_listed = ~Exists(BulletinItem.objects.filter(bulletin=previous, case=OuterRef("pk")))
    else:
        newly_listed = Value(True, output_field=BooleanField())
    columns = {
        "bulletin": Value(bulletin.pk),
        "case": F("pk"),
        "case_number": F("case_number"),
        "cause": F("cause"),
        "filed_on": F("filed_on"),
        "age_days": DaysBetween(_date(as_of), F("filed_on")),
        "age_months": ageing.months_since_filing_expression(_date(as_of)),  # listed: open on as_of
        "over_12m": ExpressionWrapper(ageing.over_line_q(12, as_of), output_field=BooleanField()),
        "key_warning": ExpressionWrapper(ageing.over_line_q(15, as_of), output_field=BooleanField()),
        "division": F("division_id"),
        "division_name": F("division__name"),
        "handler": F("handler_id"),
        "handler_name": _person_name("handler__"),
        # The register keeps no status history: "suspended" is the status when the job runs
        # (the morning after the month's end on schedule).
        "suspended": ExpressionWrapper(Q(status="suspended"), output_field=BooleanField()),
        "plan_status": Coalesce(Subquery(plan.values("status")[:1]), Value("")),
        "plan_reason": Coalesce(Subquery(plan.values("reason")[:1]), Value("")),
        "plan_reason_text": Coalesce(Substr(Subquery(plan.values("reason_text")[:1]), 1, 500), Value("")),
        "plan_expected_on": Subquery(plan.values("expected_close_on")[:1]),
        "newly_listed": newly_listed,
    }
    aliases = {f"col_{name}": expr for name, expr in columns.items()}
    rows = listed.annotate(**aliases).values_list(*aliases)
    return insert_select(BulletinItem, list(columns), rows)


# The time-limit aggregates of limits.rule.limit_aggregates → BulletinFigure columns.
BULLETIN_LIMIT_COLUMNS = {
    "closed": "closed_limited",
    "closed_on_time": "closed_on_time",
    "excluded_days": "excluded_days",
    "extended": "extended",
    "overdue": "overdue",
    "hidden_flags": "hidden_flags",
}
# … → FigureSnapshot columns (month to date, and on the day).
SNAPSHOT_LIMIT_COLUMNS = {
    "closed": "closed_month_limited",
    "closed_on_time": "closed_month_on_time",
    "excluded_days": "closed_month_excluded_days",
    "extended": "closed_month_extended",
    "overdue": "overdue",
    "hidden_flags": "hidden_flags",
}


def _limit_columns(start: dt.date, end: dt.date, columns: dict[str, str]) -> dict[str, Any]:
    """The time-limit aggregates for [start, end], under the given column names."""
    return {columns[name]: expression for name, expression in limits.limit_aggregates(start, end).items()}


FIGURE_COUNTS = (
    "open_cases",
    "listed",
    "over_12m",
    "over_15m",
    "new_listed",
    "still_listed",
    "cleared",
    "listed_last_year",
    "received",
    "closed",
    "open_age_days",
    "closed_days",
    *BULLETIN_LIMIT_COLUMNS.values(),
)


def _zero_figures() -> dict[str, int]:
    return dict.fromkeys(FIGURE_COUNTS, 0)


def _figure_rows(bulletin: Bulletin, court: Court, previous: Bulletin | None) -> list[BulletinFigure]:
    """Per handler within a division, per division and for the court: three aggregate queries
    over cases and items, summed up over a few dozen groups."""
    as_of = bulletin.as_of
    period = bulletin.period
    month = (period.first_day, as_of)
    year_before = period.a_year_earlier().last_day
    open_q = ageing.open_on_q(as_of)
    closed_in_month = Q(closed_on__range=month)
    groups: dict[tuple[int, int | None], dict[str, int]] = defaultdict(_zero_figures)

    # Cases open on the date, received or closed in the month, or over 6 months a year before:
    # all were filed by the date and not closed before the year-earlier date.
    cases = (
        Case.objects.filter(court=court, filed_on__lte=as_of)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=year_before))
        .values("division_id", "handler_id")
        .annotate(
            open_cases=Count("pk", filter=open_q),
            received=Count("pk", filter=Q(filed_on__range=month)),
            closed=Count("pk", filter=closed_in_month),
            listed_last_year=Count("pk", filter=ageing.over_line_q(6, year_before)),
            open_age_days=Coalesce(Sum(DaysBetween(_date(as_of), F("filed_on")), filter=open_q), 0),
            closed_days=Coalesce(Sum(DaysBetween(F("closed_on"), F("filed_on")), filter=closed_in_month), 0),
            **_limit_columns(period.first_day, as_of, BULLETIN_LIMIT_COLUMNS),
        )
        .order_by()
    )
    for row in cases:
        key = (row.pop("division_id"), row.pop("handler_id"))
        groups[key].update(row)

    items = (
        BulletinItem.objects.filter(bulletin=bulletin)
        .values("division_id", "handler_id")
        .annotate(
            listed=Count("pk"),
            over_12m=Count("pk", filter=Q(over_12m=True)),
            over_15m=Count("pk", filter=Q(key_warning=True)),
            new_listed=Count("pk", filter=Q(newly_listed=True)),
        )
        .order_by()
    )
    for row in items:
        key = (row.pop("division_id"), row.pop("handler_id"))
        groups[key].update(row)
        groups[key]["still_listed"] = row["listed"] - row["new_listed"]

    if previous is not None:
        # Cleared: listed last time, not now; counted where the case was listed last time.
        still = BulletinItem.objects.filter(bulletin=bulletin, case=OuterRef("case"))
        cleared = (
            BulletinItem.objects.filter(bulletin=previous)
            .exclude(Exists(still))
            .values("division_id", "handler_id")
            .annotate(cleared=Count("pk"))
            .order_by()
        )
        for row in cleared:
            groups[(row["division_id"], row["handler_id"])]["cleared"] = row["cleared"]

    division_names = dict(Division.objects.filter(id__in={d for d, _h in groups}).values_list("id", "name"))
    handler_names = dict(
        User.objects.filter(id__in={h for _d, h in groups if h is not None})
        .annotate(shown=_person_name(""))
        .values_list("id", "shown")
    )
    rows: list[BulletinFigure] = []
    divisions: dict[int, dict[str, int]] = defaultdict(_zero_figures)
    court_total = _zero_figures()
    for (division_id, handler_id), figures in groups.items():
        rows.append(
            BulletinFigure(
                bulletin=bulletin,
                scope=FigureScope.HANDLER,
                division_id=division_id,
                division_name=division_names[division_id],
                handler_id=handler_id,
                handler_name=handler_names.get(handler_id, ""),
                **figures,
            )
        )
        for name, value in figures.items():
            divisions[division_id][name] += value
            court_total[name] += value
    rows.extend(
        BulletinFigure(
            bulletin=bulletin,
            scope=FigureScope.DIVISION,
            division_id=division_id,
            division_name=division_names[division_id],
            **figures,
        )
        for division_id, figures in divisions.items()
    )
    rows.append(BulletinFigure(bulletin=bulletin, scope=FigureScope.COURT, **court_total))
    return rows


def build_bulletin(period: Period, *, court: Court | None = None) -> BuildResult:
    """Build (or rebuild) the draft bulletin of `period`, as of the month's last day.

    A draft is rebuilt in full in one transaction: readers see the old draft or the new one,
    never a mixture, and a worker killed half-way leaves the old draft. A published bulletin is
    never touched again ("published, unchanged"), even if cases have closed since.
    """
    court = _court(court)
    with transaction.atomic():
        bulletin, created = Bulletin.objects.get_or_create(
            court=court,
            period=period,
            defaults={"as_of": period.last_day, "built_at": timezone.now()},
        )
        # A bulletin being published keeps the draft its PDF is rendered from. Checked before the
        # row lock too, which the rendering holds for minutes: a build then skips at once.
        if bulletin.is_publishing:
            return BuildResult(bulletin, "publishing")
        # Serialises two builds of the same month, and a build racing the publication.
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if bulletin.is_published:
            return BuildResult(bulletin, "unchanged")
        if bulletin.is_publishing:
            return BuildResult(bulletin, "publishing")
        previous = Bulletin.objects.filter(court=court, period__lt=bulletin.period).order_by("-period").first()
        # The item INSERT's correlated subqueries are costed as if they ran for every case,
        # which triggers JIT compilation that takes longer than the query (on a million cases
        # the INSERT took 4.7 s with JIT, 2.7–3.5 s without).
        without_jit()
        bulletin.items.all().delete()
        bulletin.figures.all().delete()
        listed = _insert_items(bulletin, court, previous)
        # Statistics that still say the items table is (nearly) empty plan the "cleared" and
        # "newly listed" anti-joins as nested loops over seq scans: minutes instead of
        # milliseconds on a catch-up of several months. ANALYZE when the table changed much.
        refresh_statistics(BulletinItem)
        figures = _figure_rows(bulletin, court, previous)
        BulletinFigure.objects.bulk_create(figures)
        bulletin.previous = previous
        bulletin.built_at = timezone.now()
        bulletin.save(update_fields=["previous", "built_at"])
        key = next(f.over_15m for f in figures if f.scope == FigureScope.COURT)
        return BuildResult(bulletin, "built" if created else "rebuilt", listed=listed, key_warnings=key)


def run_bulletin_job(
    period: Period, *, court: Court | None = None, trigger: str = "", wait: bool = False
) -> tuple[JobRun, BuildResult | None]:
    """`build_bulletin` under the job lock, recorded as a JobRun. Returns (JobRun, BuildResult | None);
    the result is None when another run held the lock (the JobRun says skipped)."""
    outcome: dict[str, BuildResult] = {}

    def work() -> dict[str, Any]:
        result = build_bulletin(period, court=court)
        outcome["result"] = result
        return {
            "period": period,
            "outcome": result.outcome,
            "listed": result.listed,
            "key_warnings": result.key_warnings,
        }

    run = run_job(Job.BUILD_BULLETIN, period.last_day, work, trigger=trigger, wait=wait)
    return run, outcome.get("result")


def build_due_bulletins(
    today: dt.date | None = None, *, court: Court | None = None, trigger: str = ""
) -> list[tuple[JobRun, BuildResult | None]]:
    """The monthly run: build every month due on `today` (reports.schedule_days.bulletins_due: none
    before the month's first working day nor once last month's is built), in order, each as its own
    recorded job run."""
    today = today or timezone.localdate()
    return [run_bulletin_job(p, court=court, trigger=trigger) for p in bulletins_due(today, court)]


# --- monthly bulletin: publish and sign off -------------------------------------------------


# The publishing task's hard time limit (reports.tasks.publish_bulletin_task): rendering the
# 24,000-case demo bulletin takes about 1.5 minutes on two cores (bench/RESULTS.md), up to 7 on a
# machine busy with other work; the limit leaves room for a slower, busier server.
PUBLISH_TIME_LIMIT = 25 * 60
# Attempts of one publication when the process rendering it dies (killed, out of memory): the
# task is sent again after each loss, at most PUBLISH_ATTEMPTS times in all, so a bulletin that
# kills its worker every time does not take the queue forever.
PUBLISH_ATTEMPTS = 3
# A bulletin still "publishing" this long after it was started has lost its worker (killed, or
# its message lost): the task's hard limit has passed, so nothing renders it any more, and it
# may be started again. return_stalled_publications puts it back to draft.
PUBLISH_STALE_AFTER = dt.timedelta(seconds=PUBLISH_TIME_LIMIT + 5 * 60)
PUBLISH_TASK = "reports.tasks.publish_bulletin_task"
# JobRun.job of a publication that waits for the broker (jobs.queueing).
PUBLISH_JOB = Job.PUBLISH_BULLETIN


def publishing_stalled(bulletin: Bulletin, now: dt.datetime | None = None) -> bool:
    """Whether `bulletin` is publishing since longer than any worker can still be rendering it."""
    now = now or timezone.now()
    return bulletin.is_publishing and bulletin.publishing_started_at < now - PUBLISH_STALE_AFTER


@dataclass
class PublishStart:
    bulletin: Bulletin
    sent: Sent


def start_publishing(bulletin: Bulletin, user: User, *, trigger: str = "") -> PublishStart:
    """Start publishing a draft in the background: mark it "publishing" and queue the task.

    The draft is claimed with a conditional UPDATE, so a double click or two officers at once
    start one job; the second is told it is already being published. A publication that has
    stalled (see PUBLISH_STALE_AFTER) may be claimed again. When the broker is away the job is
    recorded as waiting and sent again by the requeue task (jobs.queueing); the bulletin stays publishing.
    """
    if not permissions.can_publish_bulletin(user):
        raise PermissionDenied(_("Only the tracking officer publishes the bulletin."))
    now = timezone.now()
    claimable = Q(status=BulletinStatus.DRAFT) | Q(
        status=BulletinStatus.PUBLISHING, publishing_started_at__lt=now - PUBLISH_STALE_AFTER
    )
    claimed = (
        Bulletin.objects.filter(claimable, pk=bulletin.pk).update(
            status=BulletinStatus.PUBLISHING, publishing_by=user, publishing_started_at=now, publish_error=""
        )
        == 1
    )
    bulletin.refresh_from_db()
    if claimed:
        record_bulk(Bulletin, [bulletin], update=True)  # the claim is an UPDATE: its audit row by hand
    if not claimed:
        if bulletin.is_published:
            raise ValidationError({"status": [_("This bulletin is already published.")]})
        raise ValidationError(
            {
                "status": [
                    _("This bulletin is already being published (started by %(name)s at %(time)s).")
                    % {
                        "name": bulletin.publishing_by,
                        "time": timezone.localtime(bulletin.publishing_started_at).strftime("%Y-%m-%d %H:%M"),
                    }
                ]
            }
        )
    sent = send_job(
        PUBLISH_TASK, [bulletin.pk, user.pk], job=PUBLISH_JOB, as_of=bulletin.as_of, trigger=trigger or "publish"
    )
    return PublishStart(bulletin, sent)


def publish_started(bulletin_id: int, user_id: int) -> str:
    """The background half of `start_publishing` (the task calls this): publish the bulletin if it
    is still waiting for it. A message delivered again after the bulletin was published, or after
    it went back to draft, changes nothing."""
    nothing = "not publishing: nothing to do"
    bulletin = Bulletin.objects.filter(pk=bulletin_id).first()
    if bulletin is None or not bulletin.is_publishing:
        return nothing
    bulletin = publish_bulletin(bulletin, User.objects.get(pk=user_id), only_if_publishing=True)
    return bulletin.title if bulletin.is_published else nothing


def publish_bulletin(bulletin: Bulletin, user: User, *, only_if_publishing: bool = False) -> Bulletin:
    """Publish a draft (or one marked publishing): give it the next issue number of the year,
    render and store its PDF with the SHA-256, freeze it and notify the division heads. Only the
    tracking officer may publish. If it fails, the bulletin is a draft again with the error
    recorded on it, and the error is raised.

    With `only_if_publishing` (the background task), a bulletin that is no longer publishing when
    its row is locked is returned unchanged: return_stalled_publications put it back to draft
    while this delivery of the task waited, and the officer has been told to publish it again."""
    from .exports import bulletin_pdf  # exports import selectors, which import this app's models

    if not permissions.can_publish_bulletin(user):
        raise PermissionDenied(_("Only the tracking officer publishes the bulletin."))
    now = timezone.now()
    pk = bulletin.pk
    try:
        # The numbering lock spans the transaction, so two publications in the same year draw
        # consecutive numbers instead of colliding on the unique constraint.
        with job_lock(NUMBERING_LOCK, wait=True, timeout=60) as acquired:
            if not acquired:
                raise ValidationError({"status": [_("Another bulletin is being published; try again.")]})
            with transaction.atomic():
                bulletin = Bulletin.objects.select_for_update().get(pk=pk)
                if only_if_publishing and not bulletin.is_publishing:
                    return bulletin
                if bulletin.is_published:
                    raise ValidationError({"status": [_("This bulletin is already published.")]})
                year = timezone.localdate(now).year
                last = (
                    Bulletin.objects.filter(court_id=bulletin.court_id, issue_year=year)
                    .order_by("-issue_number")
                    .values_list("issue_number", flat=True)
                    .first()
                )
                bulletin.status = BulletinStatus.PUBLISHED
                bulletin.issue_year = year
                bulletin.issue_number = (last or 0) + 1
                bulletin.published_by = user
                bulletin.published_at = now
                bulletin.publish_error = ""
                pdf = bulletin_pdf(bulletin)
                bulletin.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
                name = f"bulletin-{bulletin.period}-{bulletin.pdf_sha256[:12]}.pdf"
                bulletin.pdf.save(name, ContentFile(pdf), save=False)
                bulletin.save()
                _notify_published(bulletin)
    except BaseException as exc:  # also the task's soft time limit and a worker's shutdown
        _publishing_failed(pk, exc)
        raise
    return bulletin


def _publishing_failed(pk: int, exc: BaseException) -> None:
    """Back to draft with the error, for the officer to read and publish again. A bulletin that
    is published (a second attempt refused) is left alone."""
    if isinstance(exc, ValidationError):
        error = "; ".join(exc.messages)
    elif isinstance(exc, CJKFontMissing):
        log.error("publishing bulletin %s failed: %s", pk, exc)
        error = str(exc)
    else:
        log.exception("publishing bulletin %s failed", pk)
        error = f"{type(exc).__name__}: {exc}"
    reverted = Bulletin.objects.filter(pk=pk).exclude(status=BulletinStatus.PUBLISHED)
    if reverted.update(status=BulletinStatus.DRAFT, publish_error=error[:4000]):
        record_bulk(Bulletin, list(reverted), update=True)


def return_stalled_publications(now: dt.datetime | None = None) -> list[Bulletin]:
    """Put back to draft every bulletin that has been publishing for longer than any worker can
    render it (PUBLISH_STALE_AFTER) and that nothing is rendering, with the reason on it, and tell
    whoever started publishing it. Run by beat every few minutes (reports.tasks).

    A bulletin being rendered has its row locked by publish_bulletin's transaction, so it is
    skipped (SKIP LOCKED), and so is one whose job still waits for the broker (jobs.queueing:
    requeue_waiting sends it once Redis is back). Returns the bulletins put back.
    """
    now = now or timezone.now()
    waiting = {
        (run.counts.get("args") or [None])[0]
        for run in JobRun.objects.filter(job=PUBLISH_JOB, outcome=JobOutcome.WAITING).only("counts")
    }
    minutes = int(PUBLISH_STALE_AFTER.total_seconds() // 60)
    error = _(
        "The worker rendering this bulletin was lost (stopped or killed) and nothing has rendered it "
        "for %(minutes)s minutes. Publish it again."
    ) % {"minutes": minutes}
    with transaction.atomic():
        stalled = list(
            Bulletin.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=BulletinStatus.PUBLISHING, publishing_started_at__lt=now - PUBLISH_STALE_AFTER)
            .exclude(pk__in=waiting - {None})
            .select_related("publishing_by")
        )
        if not stalled:
            return []
        Bulletin.objects.filter(pk__in=[b.pk for b in stalled]).update(status=BulletinStatus.DRAFT, publish_error=error)
        for bulletin in stalled:
            bulletin.status, bulletin.publish_error = BulletinStatus.DRAFT, error
        record_bulk(Bulletin, stalled, update=True)
        for bulletin in stalled:
            log.warning("bulletin %s lost its worker: back to draft", bulletin.pk)
            notify(
                [bulletin.publishing_by],
                kind=NotificationKind.BULLETIN,
                key=f"bulletin:{bulletin.pk}:publishing-lost:{bulletin.publishing_started_at.isoformat()}",
                subject=_("The bulletin for %(period)s was not published: the worker rendering it was lost")
                % {"period": bulletin.period},
                body=_("It is a draft again; open it and publish it again."),
                link=_bulletin_link(bulletin),
                on=timezone.localdate(now),
            )
    return stalled


def _notify_published(bulletin: Bulletin) -> None:
    """Tell each listed division's head (or acting head) that the bulletin awaits their sign-off.

    Rows only (the inbox); the daily digest delivers the email. Keyed per bulletin, so a
    notification is never written twice.
    """
    on = timezone.localdate()
    rows = bulletin.figures.filter(scope=FigureScope.DIVISION).select_related("division__head", "division__acting_head")
    for row in rows:  # one per division: a dozen at most
        head = permissions.effective_head(row.division, on)
        if head is None:
            continue
        notify(
            [head],
            kind=NotificationKind.BULLETIN,
            key=f"bulletin:{bulletin.pk}:published:{row.division_id}",
            subject=_("Monthly bulletin %(title)s published: %(division)s has %(listed)d cases over 6 months")
            % {"title": bulletin.title, "division": row.division_name, "listed": row.listed},
            body=_("%(key)d of them are over 15 months. Please review and sign off your division's part.")
            % {"key": row.over_15m},
            link=_bulletin_link(bulletin),
            on=on,
        )


def _bulletin_link(bulletin: Bulletin) -> str:
    # The bulletin page belongs to the web UI; link to it when it is installed.
    try:
        return reverse("reports:bulletin", args=[bulletin.pk])
    except NoReverseMatch:
        return ""


def sign_off_bulletin(bulletin: Bulletin, division: Division, user: User, *, note: str = "") -> BulletinSignOff:
    """The division head records that they reviewed their division's part of a published bulletin.
    Signing twice keeps the first sign-off."""
    if not bulletin.is_published:
        raise ValidationError({"bulletin": [_("Only a published bulletin can be signed off.")]})
    if not permissions.can_sign_off_bulletin(user, division, timezone.localdate()):
        raise PermissionDenied(_("Only the head of %(division)s signs off its part.") % {"division": division})
    if not bulletin.figures.filter(scope=FigureScope.DIVISION, division=division).exists():
        raise ValidationError({"division": [_("%(division)s is not in this bulletin.") % {"division": division}]})
    sign_off, _created = BulletinSignOff.objects.get_or_create(
        bulletin=bulletin,
        division=division,
        defaults={"signed_by": user, "signed_at": timezone.now(), "note": note},
    )
    return sign_off


# --- daily figure snapshot ------------------------------------------------------------------


def _snapshot_rows(as_of: dt.date, court: Court):
    """One grouped SELECT over the cases that matter on `as_of`: open then, or closed this month."""
    month_start = as_of.replace(day=1)
    open_q = ageing.open_on_q(as_of)
    closed_this_month = Q(closed_on__range=(month_start, as_of))
    warning = court.warning_window_days
    counts: dict[str, Any] = {
        "as_of": _date(as_of),
        "open_cases": Count("pk", filter=open_q),
        "over_6m": Count("pk", filter=ageing.over_line_q(6, as_of)),
        "over_12m": Count("pk", filter=ageing.over_line_q(12, as_of)),
        "over_15m": Count("pk", filter=ageing.over_line_q(15, as_of)),
        "approaching_6m": Count("pk", filter=ageing.level_q(ageing.Level.APPROACHING_6M, as_of, warning)),
        "approaching_15m": Count("pk", filter=ageing.level_q(ageing.Level.APPROACHING_15M, as_of, warning)),
    }
    for label, low, high in ageing.AGE_BANDS:
        counts[BAND_FIELDS[label]] = Count("pk", filter=ageing.age_band_q(low, high, as_of))
    counts.update(
        {
            "received_day": Count("pk", filter=Q(filed_on=as_of)),
            "closed_day": Count("pk", filter=Q(closed_on=as_of)),
            "received_month": Count("pk", filter=Q(filed_on__gte=month_start)),
            "closed_month": Count("pk", filter=closed_this_month),
            "open_age_days": Coalesce(Sum(DaysBetween(_date(as_of), F("filed_on")), filter=open_q), 0),
            "closed_month_days": Coalesce(Sum(DaysBetween(F("closed_on"), F("filed_on")), filter=closed_this_month), 0),
            **_limit_columns(month_start, as_of, SNAPSHOT_LIMIT_COLUMNS),
        }
    )
    aliases = {f"col_{name}": expr for name, expr in counts.items()}
    rows = (
        Case.objects.filter(court=court, filed_on__lte=as_of)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=month_start))
        .values("division_id", "handler_id")
        .annotate(**aliases)
        .values_list("division_id", "handler_id", *aliases)
        .order_by()
    )
    return ["division", "handler", *counts], rows


def snapshot_figures(as_of: dt.date, *, court: Court | None = None) -> int:
    """Write the day's counts per division and handler (replacing any earlier run for the day).

    Counts follow the ageing rule on case dates, so a past day (a month end in the backfill)
    comes out as it stood then, with each case under its current division and handler.
    Returns the number of rows written.
    """
    court = _court(court)
    columns, rows = _snapshot_rows(as_of, court)
    with transaction.atomic():
        FigureSnapshot.objects.filter(as_of=as_of, division__court=court).delete()
        return insert_select(FigureSnapshot, columns, rows)


def run_snapshot_job(
    as_of: dt.date | None = None, *, court: Court | None = None, trigger: str = "", wait: bool = False
) -> JobRun:
    """`snapshot_figures` (default: today) under its job lock, recorded as a JobRun."""
    as_of = as_of or timezone.localdate()
    return run_job(
        Job.SNAPSHOT_FIGURES,
        as_of,
        lambda: {"rows": snapshot_figures(as_of, court=court)},
        trigger=trigger,
        wait=wait,
    )


@dataclass
class BackfillResult:
    days: list[dt.date] = field(default_factory=list)
    rows: int = 0


def backfill_snapshots(days: Iterable[dt.date], *, court: Court | None = None) -> BackfillResult:
    """Snapshot several days (month ends for the trend charts), each in its own transaction."""
    result = BackfillResult()
    for day in days:
        result.rows += snapshot_figures(day, court=court)
        result.days.append(day)
    return result
