"""The escalation engine's state: alerts, notifications, clearance plans and weekly dispatch
lists. The record of every job run is the jobs app's (jobs.models.JobRun).

State changes are rows (healthchecks' Flip pattern): the daily job writes an Alert when a case
reaches a level and a Notification for each person who must hear of it; delivery is a separate
step that claims rows with a conditional UPDATE. Unique constraints make a second run of a job
add nothing, whatever the lock did or did not prevent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.ageing import Level
from cases.models import Case, Court, Division


class EngineSettings(models.Model):
    """Per-court settings of the escalation engine, edited in the admin."""

    court = models.OneToOneField(
        Court, on_delete=models.CASCADE, related_name="engine_settings", verbose_name=_("court")
    )
    over_6m_escalation_days = models.PositiveSmallIntegerField(
        _("over 6 months: escalate after (days)"),
        default=7,
        help_text=_(
            "Days after an over-6-months alert was raised without a submitted clearance plan before it "
            "escalates to the supervising vice-president."
        ),
    )
    over_15m_escalation_days = models.PositiveSmallIntegerField(
        _("over 15 months: escalate after (days)"),
        default=7,
        help_text=_(
            "Days after an over-15-months alert was raised without a submitted clearance plan before it "
            "escalates to the president."
        ),
    )
    missing_plan_days = models.PositiveSmallIntegerField(
        _("plan due after (days)"),
        default=7,
        help_text=_("Days after the over-6-months alert after which a case without a submitted plan is listed."),
    )
    dispatch_catch_up_weeks = models.PositiveSmallIntegerField(
        _("weekly dispatch catch-up (weeks)"),
        default=8,
        help_text=_("How many missed weeks a weekly dispatch run builds at most, each for its own Monday."),
    )

    class Meta:
        verbose_name = _("engine settings")
        verbose_name_plural = _("engine settings")

    def __str__(self) -> str:
        return str(self.court)

    @classmethod
    def for_court(cls, court: Court) -> EngineSettings:
        obj, _created = cls.objects.get_or_create(court=court)
        return obj


class AlertResolution(models.TextChoices):
    CLOSED = "closed", _("Case closed")
    LEVEL_CHANGED = "level_changed", _("Level or line changed")


class AlertKind(models.TextChoices):
    """The two families of alerts, each on its own clock."""

    AGEING = "ageing", _("Ageing (6 and 15 months)")
    TIME_LIMIT = "time_limit", _("Statutory time limit")


class LimitLevel(models.TextChoices):
    """Time-limit alert levels: days left to the statutory deadline (limits.rule), and overrun."""

    DAYS_30 = "limit_30", _("30 days to the statutory deadline")
    DAYS_15 = "limit_15", _("15 days to the statutory deadline")
    DAYS_7 = "limit_7", _("7 days to the statutory deadline")
    OVERDUE = "limit_overdue", _("Over the statutory time limit")


class AlertQuerySet(models.QuerySet):
    def ageing(self) -> AlertQuerySet:
        """Alerts about the 6- and 15-month lines: what tracking lists, dispatch and escalation read."""
        return self.filter(kind=AlertKind.AGEING)

    def time_limit(self) -> AlertQuerySet:
        """Alerts about the statutory deadline (审限)."""
        return self.filter(kind=AlertKind.TIME_LIMIT)


class Alert(models.Model):
    """A case reached a level: approaching or over the 6- or 15-month line (ageing alerts), or
    30, 15 or 7 days before its statutory deadline or over it (time-limit alerts).

    One row per case, level and line date: a corrected filing date (or an extension, for the
    deadline) moves the line and may raise a new alert, while running the job again finds the row
    already there. The two families share owners, dedup, acknowledgement, digest and escalation;
    `kind` tells them apart, so that a case can carry one active alert of each.
    """

    AGEING_LEVEL_CHOICES = [(code, label) for code, label in Level.CHOICES if code in Level.ALERTING]
    TIME_LIMIT_LEVEL_CHOICES = LimitLevel.choices
    LEVEL_CHOICES = AGEING_LEVEL_CHOICES + TIME_LIMIT_LEVEL_CHOICES

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("case"))
    # Stored, not derived from the level: the "one active alert per case and family" index needs
    # the family as a column, filters and indexes read it, and a check ties it to the level.
    kind = models.CharField(
        _("kind"),
        max_length=12,
        choices=AlertKind.choices,
        default=AlertKind.AGEING,
        help_text=_("Ageing (6- and 15-month lines) or statutory time limit (审限)."),
    )
    level = models.CharField(_("level"), max_length=20, choices=LEVEL_CHOICES)
    line_date = models.DateField(
        _("line date"),
        help_text=_(
            "Ageing alerts: the 6- or 15-month line of the case; time-limit alerts: its statutory deadline; "
            "as it was when the alert was raised."
        ),
    )
    raised_on = models.DateField(_("raised on"), help_text=_("The as-of date of the daily run that raised it."))
    superseded = models.BooleanField(
        _("superseded"),
        default=False,
        help_text=_(
            "Recorded for a case first seen already past this level (first run, imported backlog); "
            "never active, notifies nobody."
        ),
    )
    resolved_on = models.DateField(
        _("resolved on"), null=True, blank=True, help_text=_("When the case closed or moved to another level.")
    )
    resolution = models.CharField(_("resolution"), max_length=20, blank=True, choices=AlertResolution.choices)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(
        _("acknowledged at"),
        null=True,
        blank=True,
        help_text=_("Records that the alert was seen; it does not stop escalation, only a submitted plan does."),
    )
    escalation_step = models.PositiveSmallIntegerField(
        _("escalation step"),
        default=0,
        help_text=_("0: the level's owners; 1: escalated one step up the ladder (vice-president or president)."),
    )
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "level", "line_date"], name="alert_unique_case_level_line"),
            # At most one active alert per case and family: the job resolves the old one before
            # raising the next; an ageing alert and a time-limit alert can be active together.
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(resolved_on__isnull=True, superseded=False),
                name="alert_one_active_per_case_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind=AlertKind.AGEING, level__in=Level.ALERTING)
                | Q(kind=AlertKind.TIME_LIMIT, level__in=LimitLevel.values),
                name="alert_level_valid",
            ),
            models.CheckConstraint(
                condition=(Q(resolved_on__isnull=True) & Q(resolution=""))
                | (Q(resolved_on__isnull=False) & ~Q(resolution="")),
                name="alert_resolution_matches_date",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("raised_on")),
                name="alert_resolved_not_before_raised",
            ),
            models.CheckConstraint(
                condition=(Q(escalation_step=0) & Q(escalated_on__isnull=True))
                | (Q(escalation_step__gt=0) & Q(escalated_on__isnull=False)),
                name="alert_escalation_date_matches_step",
            ),
            models.CheckConstraint(
                condition=Q(superseded=False) | (Q(escalation_step=0) & Q(resolved_on__isnull=True)),
                name="alert_superseded_inert",
            ),
        ]
        indexes = [
            # Escalation and tracking lists: active alerts by level and raised date.
            models.Index(
                fields=["level", "raised_on"],
                condition=Q(resolved_on__isnull=True, superseded=False),
                name="alert_active_level_raised",
            ),
            # Weekly dispatch: alerts raised in a week.
            models.Index(fields=["raised_on"], name="alert_raised_on"),
            # Daily tracking's notifications: "escalated_on = <as-of date>".
            models.Index(fields=["escalated_on"], condition=Q(escalation_step__gt=0), name="alert_escalated_on"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_level_display()} ({self.line_date})"

    @property
    def is_active(self) -> bool:
        return self.resolved_on is None and not self.superseded


class NotificationKind(models.TextChoices):
    ALERT_RAISED = "alert_raised", _("Alert raised")
    ALERT_ESCALATED = "alert_escalated", _("Alert escalated")
    PLAN_SUBMITTED = "plan_submitted", _("Clearance plan submitted")
    PLAN_APPROVED = "plan_approved", _("Clearance plan approved")
    PLAN_RETURNED = "plan_returned", _("Clearance plan returned")
    DISPATCH_READY = "dispatch_ready", _("Weekly dispatch list ready")
    URGING = "urging", _("Urging notice")
    URGING_ANSWERED = "urging_answered", _("Urging notice answered")
    JOB_FAILED = "job_failed", _("Job failed")
    DAILY_RUN_MISSING = "daily_run_missing", _("No daily tracking run")
    BULLETIN = "bulletin", _("Monthly bulletin")


class EmailDigest(models.Model):
    """The one email a person gets on a day, gathering their undelivered notifications.

    The unique (recipient, day) row is the claim that makes "at most one email per person per day"
    hold even with two delivery workers; `claimed_at` is claimed again with a conditional UPDATE
    before sending, so a digest is sent once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_digests", verbose_name=_("recipient")
    )
    day = models.DateField(_("day"), help_text=_("Local date the digest belongs to."))
    email = models.EmailField(_("sent to"), help_text=_("The address the digest was sent to."))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("email digest")
        verbose_name_plural = _("email digests")
        ordering = ["-day", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="email_digest_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.day}"


class Notification(models.Model):
    """A message in a person's in-app inbox; emailed later in their daily digest."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    key = models.CharField(
        _("key"),
        max_length=120,
        help_text=_(
            "What this notification is about, e.g. alert:42:raised. Unique per recipient, so a rerun notifies "
            "nobody twice."
        ),
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True, help_text=_("Path of the page to open."))
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("alert")
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("case")
    )
    created_on = models.DateField(_("date"), help_text=_("Local date (as-of date of the job that wrote it)."))
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    digest = models.ForeignKey(
        EmailDigest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
        verbose_name=_("email digest"),
        help_text=_("Set when claimed by a digest; empty until then."),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_unique_key"),
        ]
        indexes = [
            # The inbox: a person's notifications, newest first, unread count.
            models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox"),
            # Delivery: "recipient_id = … AND digest_id IS NULL".
            models.Index(fields=["recipient"], condition=Q(digest__isnull=True), name="notification_undelivered"),
        ]

    def __str__(self) -> str:
        return self.subject


class PlanReason(models.TextChoices):
    APPRAISAL = "appraisal", _("Expert appraisal")
    PUBLICATION = "publication", _("Service by public notice")
    SUSPENDED = "suspended", _("Suspended")
    RELATED_CASE = "related_case", _("Waiting for a related case")
    PARTIES = "parties", _("Parties' reasons")
    COMPLEX_FACTS = "complex_facts", _("Complex facts")
    NO_PROPERTY = "no_property", _("Enforcement: no property found")
    OTHER = "other", _("Other")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class ClearancePlan(models.Model):
    """One version of a case's clearance plan (清结计划). Versions are never edited once submitted:
    a returned plan is followed by a new version, and every version is kept."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plans", verbose_name=_("case"))
    version = models.PositiveSmallIntegerField(_("version"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=PlanReason.choices)
    reason_text = models.TextField(_("reason details"), blank=True, help_text=_("Required when the reason is Other."))
    expected_close_on = models.DateField(_("expected closing date"))
    steps = models.TextField(_("steps to close"))
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("clearance plan")
        verbose_name_plural = _("clearance plans")
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="plan_unique_version"),
            models.UniqueConstraint(fields=["case"], condition=Q(status="draft"), name="plan_one_draft_per_case"),
            models.CheckConstraint(condition=Q(version__gte=1), name="plan_version_positive"),
            models.CheckConstraint(condition=~Q(reason="other") | ~Q(reason_text=""), name="plan_other_needs_text"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False), name="plan_submitted_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "returned"])
                | (Q(reviewed_at__isnull=False) & Q(reviewer__isnull=False)),
                name="plan_reviewed_has_reviewer",
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(review_comment=""), name="plan_returned_has_comment"
            ),
        ]
        indexes = [
            # "Does the case have a standing plan": submitted or approved versions by case.
            models.Index(
                fields=["case", "submitted_at"],
                condition=Q(status__in=["submitted", "approved"]),
                name="plan_standing",
            ),
            models.Index(fields=["author", "expected_close_on"], name="plan_author_expected"),
        ]

    def __str__(self) -> str:
        return f"{self.case} v{self.version}"


class Job:
    """The names alerts' jobs are recorded under (JobRun.job). Each is declared, with its label, task
    and schedule, in alerts/jobs.py; the job machinery and its records are the jobs app's."""

    TRACK_DAILY = "track_daily"
    DISPATCH_WEEKLY = "dispatch_weekly"
    DELIVER_NOTIFICATIONS = "deliver_notifications"
    CHECK_DAILY_RUN = "check_daily_run"


class DispatchList(models.Model):
    """A division's weekly dispatch list (周调度): immutable once built.

    Built as of a Monday for the previous Monday–Sunday; acknowledged by the division head.
    """

    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="dispatch_lists", verbose_name=_("division")
    )
    week_start = models.DateField(_("week from"), help_text=_("Monday of the week covered."))
    week_end = models.DateField(_("week to"), help_text=_("Sunday of the week covered."))
    as_of = models.DateField(_("as of"), help_text=_("The Monday the list was built for."))
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent to"),
        help_text=_("The division head (or acting head) on the as-of date."),
    )
    built_at = models.DateTimeField(_("built at"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch list")
        verbose_name_plural = _("dispatch lists")
        ordering = ["-week_start", "division__sort_order", "division__code"]
        constraints = [
            models.UniqueConstraint(fields=["division", "week_start"], name="dispatch_one_per_division_week"),
            models.CheckConstraint(condition=Q(week_end__gt=F("week_start")), name="dispatch_week_ordered"),
        ]
        indexes = [models.Index(fields=["week_start"], name="dispatch_week")]

    def __str__(self) -> str:
        return f"{self.division} {self.week_start}–{self.week_end}"


class FollowUpOutcome(models.TextChoices):
    CLOSED = "closed", _("Closed")
    PLAN_FILED = "plan_filed", _("Plan filed")
    ANSWERED = "answered", _("Answered")
    STILL_OPEN = "still_open", _("Still open")


class DispatchItem(models.Model):
    """One case on a dispatch list, with why it is there and, for a case on last week's list,
    what became of it since."""

    dispatch_list = models.ForeignKey(
        DispatchList, on_delete=models.CASCADE, related_name="items", verbose_name=_("dispatch list")
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="dispatch_items", verbose_name=_("case"))
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handler"),
        help_text=_("The handler when the list was built."),
    )
    level = models.CharField(_("level on the as-of date"), max_length=20, choices=Level.CHOICES)
    crossed_level = models.CharField(
        _("crossed in the week"),
        max_length=20,
        blank=True,
        choices=Alert.AGEING_LEVEL_CHOICES,
        help_text=_("The highest level the case reached during the week, if it crossed one."),
    )
    missing_plan = models.BooleanField(_("missing a plan"), default=False)
    overdue_plan = models.BooleanField(_("plan overdue"), default=False)
    over_15m = models.BooleanField(_("over 15 months"), default=False)
    filed_on = models.DateField(
        _("filing date"),
        help_text=_("The filing date when the list was built; the age on the list is measured from it."),
    )
    expected_close_on = models.DateField(
        _("expected closing date"), null=True, blank=True, help_text=_("Of the standing plan, if any.")
    )
    previous_item = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_item",
        verbose_name=_("on last week's list"),
    )
    outcome = models.CharField(
        _("since last week"),
        max_length=12,
        blank=True,
        choices=FollowUpOutcome.choices,
        help_text=_("For a case on last week's list: what became of it."),
    )

    class Meta:
        verbose_name = _("dispatch item")
        verbose_name_plural = _("dispatch items")
        ordering = ["dispatch_list", "filed_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dispatch_list", "case"], name="dispatch_item_one_per_case"),
            models.CheckConstraint(
                condition=Q(previous_item__isnull=True, outcome="") | Q(previous_item__isnull=False) & ~Q(outcome=""),
                name="dispatch_item_outcome_with_previous",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dispatch_list}: {self.case}"

    @property
    def needs_action(self) -> bool:
        return bool(self.crossed_level or self.missing_plan or self.overdue_plan or self.over_15m)


class UrgingNotice(models.Model):
    """An urging notice (催办) to the handler of a case on a dispatch list, and their answer (反馈)."""

    item = models.OneToOneField(
        DispatchItem, on_delete=models.CASCADE, related_name="urging", verbose_name=_("dispatch item")
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="urging_notices", verbose_name=_("handler")
    )
    sent_on = models.DateField(_("sent on"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    answer = models.TextField(_("what was done"), blank=True)
    new_expected_on = models.DateField(_("new expected closing date"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("urging notice")
        verbose_name_plural = _("urging notices")
        ordering = ["-sent_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(answer=""), name="urging_answer_has_text"
            ),
        ]
        indexes = [models.Index(fields=["handler", "answered_at"], name="urging_handler_open")]

    def __str__(self) -> str:
        return f"{self.item.case} → {self.handler}"


class TrackingState(models.Model):
    """The level and line of every case at an alerting level on the as-of date of one daily run.

    Not a stored table: daily tracking creates it as a temporary table on its own connection,
    fills it with one scan of the cases (the ageing rule's expressions), and compares alerts with
    it, so the million-row case table is read once per run instead of once per step.
    """

    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    court_id = models.BigIntegerField()
    level = models.CharField(max_length=20)
    line = models.DateField()
    line_6m = models.DateField()
    line_15m = models.DateField()
    candidate = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = "alerts_tracking_state"

    def __str__(self) -> str:
        return f"{self.case_id} {self.level}"


class LimitTrackingState(models.Model):
    """The time-limit level and deadline, on the as-of date of one daily run, of every open case at
    a time-limit alert level or with a stopped clock.

    Like `TrackingState`, not a stored table: `alerts.limits` creates it as a temporary table on its
    own connection, fills it with one index scan of the cases near their deadline (the rule's
    queryset expressions from `cases.limits`) and compares the time-limit alerts with it.
    """

    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    court_id = models.BigIntegerField()
    level = models.CharField(max_length=20, blank=True)  # "" for a stopped clock below every level
    deadline = models.DateField()
    stopped = models.BooleanField(default=False)  # a running excluded period on the as-of date
    candidate = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = "alerts_limit_tracking_state"

    def __str__(self) -> str:
        return f"{self.case_id} {self.level}"
