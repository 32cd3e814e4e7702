"""Monthly bulletins (月通报) and the daily figures the dashboards read.

A bulletin is built as a draft (rebuilt in full whenever the job runs again) and frozen
when the tracking officer publishes it: its items and figure rows are never written again,
and its PDF is stored once with a SHA-256 so the document people signed off can be shown
to be unchanged. `FigureSnapshot` holds per-division, per-handler counts for a day, written
by one INSERT … SELECT, so that a page reads a few dozen rows instead of counting a million.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Court, Division
from limits import rule as limits

from .periods import PeriodField

PERIOD_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class Job:
    """The names the reports app's jobs are recorded under (JobRun.job). Each is declared, with its
    label, task and schedule, in reports/jobs.py."""

    BUILD_BULLETIN = "build_bulletin"
    SNAPSHOT_FIGURES = "snapshot_figures"
    PUBLISH_BULLETIN = "publish_bulletin"


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    # Publishing was started and the PDF is being rendered in the background
    # (reports.services.start_publishing, then reports.tasks.publish_bulletin_task).
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")


class Bulletin(models.Model):
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="bulletins", verbose_name=_("court"))
    period = PeriodField(_("period"), help_text=_("The month the bulletin reports on, as YYYY-MM, e.g. 2025-05."))
    as_of = models.DateField(_("as of"), help_text=_("The last day of the period: every figure is taken on it."))
    status = models.CharField(_("status"), max_length=10, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT)
    issue_year = models.PositiveSmallIntegerField(
        _("issue year"), null=True, blank=True, help_text=_("Year of publication; set when published.")
    )
    issue_number = models.PositiveSmallIntegerField(
        _("issue number"),
        null=True,
        blank=True,
        help_text=_("Running number within the issue year, in order of publication (2025年第5期 is 5)."),
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("previous bulletin"),
        help_text=_("The bulletin the changes (new, cleared, still listed) are counted against."),
    )
    built_at = models.DateTimeField(_("built at"), help_text=_("When the items and figures were last (re)built."))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    publishing_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("publishing started by"),
        help_text=_("Who last started publishing this bulletin."),
    )
    publishing_started_at = models.DateTimeField(
        _("publishing started at"),
        null=True,
        blank=True,
        help_text=_(
            "When publishing was last started. A bulletin still publishing long after this lost its worker "
            "and may be published again."
        ),
    )
    publish_error = models.TextField(
        _("publishing error"),
        blank=True,
        help_text=_("Why the last attempt to publish failed (the bulletin went back to draft); empty otherwise."),
    )
    pdf = models.FileField(
        _("PDF"),
        upload_to="bulletins/%Y/",
        blank=True,
        help_text=_("The published document, rendered once at publication."),
    )
    pdf_sha256 = models.CharField(
        _("PDF SHA-256"),
        max_length=64,
        blank=True,
        help_text=_("Hex SHA-256 of the stored PDF, to show the signed-off document is unchanged."),
    )

    class Meta:
        verbose_name = _("monthly bulletin")
        verbose_name_plural = _("monthly bulletins")
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["court", "period"], name="bulletin_one_per_period"),
            models.UniqueConstraint(
                fields=["court", "issue_year", "issue_number"],
                condition=Q(issue_number__isnull=False),
                name="bulletin_issue_number_unique",
            ),
            models.CheckConstraint(condition=Q(period__regex=PERIOD_RE), name="bulletin_period_format"),
            models.CheckConstraint(condition=Q(status__in=BulletinStatus.values), name="bulletin_status_valid"),
            # A draft (or one being published) carries nothing of a publication; a published
            # bulletin carries all of it; one being published says who started it and when.
            models.CheckConstraint(
                condition=(
                    Q(status__in=[BulletinStatus.DRAFT, BulletinStatus.PUBLISHING])
                    & Q(issue_year__isnull=True)
                    & Q(issue_number__isnull=True)
                    & Q(published_at__isnull=True)
                    & Q(pdf_sha256="")
                    & (
                        Q(status=BulletinStatus.DRAFT)
                        | Q(publishing_started_at__isnull=False, publishing_by__isnull=False)
                    )
                )
                | (
                    Q(status=BulletinStatus.PUBLISHED)
                    & Q(issue_year__isnull=False)
                    & Q(issue_number__gte=1)
                    & Q(published_at__isnull=False)
                    & Q(pdf_sha256__regex=r"^[0-9a-f]{64}$")
                ),
                name="bulletin_publication_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.title}"

    @property
    def is_published(self) -> bool:
        return self.status == BulletinStatus.PUBLISHED

    @property
    def is_publishing(self) -> bool:
        return self.status == BulletinStatus.PUBLISHING

    @property
    def title(self) -> str:
        """The issue as people cite it: 2025年第5期 (a draft has no number yet)."""
        if self.issue_number is None:
            return str(_("draft"))
        return f"{self.issue_year}年第{self.issue_number}期"


class BulletinItem(models.Model):
    """One case over 6 months on the bulletin's date, frozen as it stood then."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="items", verbose_name=_("bulletin"))
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="bulletin_items", verbose_name=_("case")
    )
    case_number = models.CharField(_("case number"), max_length=60)
    cause = models.CharField(_("cause of action"), max_length=200, blank=True)
    filed_on = models.DateField(_("filing date"))
    age_days = models.PositiveIntegerField(_("age (days)"), help_text=_("Days from filing to the bulletin's date."))
    age_months = models.PositiveSmallIntegerField(
        _("age (months)"), help_text=_("Whole months from filing to the bulletin's date, by the ageing rule.")
    )
    over_12m = models.BooleanField(_("over 12 months"))
    key_warning = models.BooleanField(
        _("key warning"), help_text=_("Over 15 months on the bulletin's date (重点预警).")
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("division"))
    division_name = models.CharField(_("division name"), max_length=100)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handler"),
    )
    handler_name = models.CharField(_("handler name"), max_length=150, blank=True)
    suspended = models.BooleanField(
        _("suspended"), default=False, help_text=_("Suspended (中止) when the bulletin was built.")
    )
    plan_status = models.CharField(
        _("plan status"),
        max_length=20,
        blank=True,
        help_text=_("Status of the case's latest clearance plan on the build date; empty when none was filed."),
    )
    plan_reason = models.CharField(_("plan reason"), max_length=40, blank=True)
    plan_reason_text = models.CharField(_("plan reason (text)"), max_length=500, blank=True)
    plan_expected_on = models.DateField(_("expected closing date"), null=True, blank=True)
    newly_listed = models.BooleanField(
        _("newly listed"), help_text=_("Not in the previous bulletin (a new entry since then).")
    )

    class Meta:
        verbose_name = _("bulletin item")
        verbose_name_plural = _("bulletin items")
        ordering = ["bulletin", "division_name", "handler_name", "filed_on", "case_number"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "case"], name="bulletin_item_once_per_case"),
            models.CheckConstraint(
                condition=Q(key_warning=False) | Q(over_12m=True), name="bulletin_item_key_warning_over_12m"
            ),
        ]
        indexes = [
            # The case page lists the bulletins a case appeared in.
            models.Index(fields=["case", "bulletin"], name="bulletin_item_case"),
            # The bulletin document: by division, then key warnings apart.
            models.Index(fields=["bulletin", "division", "key_warning"], name="bulletin_item_division"),
        ]

    def __str__(self) -> str:
        return self.case_number


class FigureScope(models.TextChoices):
    COURT = "court", _("Court")
    DIVISION = "division", _("Division")
    HANDLER = "handler", _("Handler")


class LimitRates:
    """The three time-limit rates of a row of figures that has `limit_rates` (limits.rule.limit_rates
    over its stored counts): for templates, exports and serializers alike."""

    limit_rates: dict[str, float | None]

    @property
    def on_time_rate(self) -> float | None:
        """Share of the cases closed with a time limit that closed within it."""
        return self.limit_rates["on_time_rate"]

    @property
    def average_excluded_days(self) -> float | None:
        return self.limit_rates["average_excluded_days"]

    @property
    def extension_rate(self) -> float | None:
        return self.limit_rates["extension_rate"]


class BulletinFigure(LimitRates, models.Model):
    """Frozen figures of a bulletin: one row for the court, one per division, one per handler
    within a division (a handler with no case owner is the row with an empty handler)."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="figures", verbose_name=_("bulletin"))
    scope = models.CharField(_("scope"), max_length=10, choices=FigureScope.choices)
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("division")
    )
    division_name = models.CharField(_("division name"), max_length=100, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handler"),
    )
    handler_name = models.CharField(_("handler name"), max_length=150, blank=True)
    open_cases = models.PositiveIntegerField(_("open cases"), help_text=_("Open on the bulletin's date."))
    listed = models.PositiveIntegerField(_("over 6 months"), help_text=_("Cases in the bulletin (over 6 months)."))
    over_12m = models.PositiveIntegerField(_("over 12 months"))
    over_15m = models.PositiveIntegerField(_("over 15 months"))
    new_listed = models.PositiveIntegerField(_("new"), help_text=_("Listed now, not in the previous bulletin."))
    still_listed = models.PositiveIntegerField(_("still listed"), help_text=_("Listed now and in the previous one."))
    cleared = models.PositiveIntegerField(
        _("cleared"), help_text=_("In the previous bulletin, no longer listed (counted where it was listed then).")
    )
    listed_last_year = models.PositiveIntegerField(
        _("over 6 months a year earlier"),
        help_text=_("Cases over 6 months on the same month's last day a year earlier, by the ageing rule."),
    )
    received = models.PositiveIntegerField(_("received in the month"))
    closed = models.PositiveIntegerField(_("closed in the month"))
    open_age_days = models.PositiveBigIntegerField(
        _("total age of open cases (days)"), help_text=_("Sum of open cases' ages; divided by open cases for the mean.")
    )
    closed_days = models.PositiveBigIntegerField(
        _("total time to disposition (days)"),
        help_text=_("Sum of filing-to-closing days of cases closed in the month."),
    )
    # Statutory time limits (审限), by the definitions in limits.rule.limit_aggregates. Database
    # defaults too: rows written before these columns existed, and INSERTs that omit them, hold 0.
    closed_limited = models.PositiveIntegerField(
        _("closed in the month with a time limit"),
        default=0,
        db_default=0,
        help_text=_("Cases closed in the month with a time limit."),
    )
    closed_on_time = models.PositiveIntegerField(
        _("closed within the time limit"),
        default=0,
        db_default=0,
        help_text=_("Of those, closed on or before the deadline."),
    )
    excluded_days = models.PositiveBigIntegerField(
        _("excluded days (total)"),
        default=0,
        db_default=0,
        help_text=_("Sum of the excluded days of those cases; divided by them for the average."),
    )
    extended = models.PositiveIntegerField(
        _("closed with an extension"),
        default=0,
        db_default=0,
        help_text=_("Of those, cases with an approved extension."),
    )
    overdue = models.PositiveIntegerField(
        _("over the time limit"),
        default=0,
        db_default=0,
        help_text=_("Open on the bulletin's date and past the deadline."),
    )
    hidden_flags = models.PositiveIntegerField(
        _("hidden-overrun flags"),
        default=0,
        db_default=0,
        help_text=_("Open cases with a hidden-overrun flag running on the bulletin's date."),
    )

    class Meta:
        verbose_name = _("bulletin figure")
        verbose_name_plural = _("bulletin figures")
        ordering = ["bulletin", "scope", "division_name", "handler_name"]
        constraints = [
            # One row per scope: NULLs are distinct in a plain unique constraint (and SQLite has no
            # NULLS NOT DISTINCT), so the rows without a division or a handler get their own.
            models.UniqueConstraint(
                fields=["bulletin", "scope", "division", "handler"],
                condition=Q(handler__isnull=False),
                name="bulletin_figure_unique_handler",
            ),
            models.UniqueConstraint(
                fields=["bulletin", "scope", "division"],
                condition=Q(handler__isnull=True, division__isnull=False),
                name="bulletin_figure_unique_division",
            ),
            models.UniqueConstraint(
                fields=["bulletin"], condition=Q(scope=FigureScope.COURT), name="bulletin_figure_unique_court"
            ),
            models.CheckConstraint(
                condition=(Q(scope=FigureScope.COURT) & Q(division__isnull=True) & Q(handler__isnull=True))
                | (Q(scope=FigureScope.DIVISION) & Q(division__isnull=False) & Q(handler__isnull=True))
                | (Q(scope=FigureScope.HANDLER) & Q(division__isnull=False)),
                name="bulletin_figure_scope_fields",
            ),
            models.CheckConstraint(
                condition=Q(listed=models.F("new_listed") + models.F("still_listed")),
                name="bulletin_figure_listed_is_new_plus_still",
            ),
            models.CheckConstraint(
                condition=Q(closed_limited__lte=models.F("closed"))
                & Q(closed_on_time__lte=models.F("closed_limited"))
                & Q(extended__lte=models.F("closed_limited"))
                & Q(overdue__lte=models.F("open_cases"))
                & Q(hidden_flags__lte=models.F("open_cases")),
                name="bulletin_figure_limit_counts_nested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} {self.scope} {self.division_name} {self.handler_name}".strip()

    @property
    def share_of_open(self) -> float | None:
        """Share of open cases that are over 6 months."""
        return self.listed / self.open_cases if self.open_cases else None

    @property
    def clearance_ratio(self) -> float | None:
        """结收比: closed ÷ received in the month."""
        return self.closed / self.received if self.received else None

    @property
    def average_age_days(self) -> float | None:
        return self.open_age_days / self.open_cases if self.open_cases else None

    @property
    def average_disposition_days(self) -> float | None:
        return self.closed_days / self.closed if self.closed else None

    @property
    def change_since_previous(self) -> int:
        return self.new_listed - self.cleared

    @property
    def change_since_last_year(self) -> int:
        return self.listed - self.listed_last_year

    @property
    def limit_rates(self) -> dict[str, float | None]:
        return limits.limit_rates(self.closed_limited, self.closed_on_time, self.excluded_days, self.extended)


class BulletinSignOff(models.Model):
    """A division head's record that they reviewed their division's part of a published bulletin."""

    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="sign_offs", verbose_name=_("bulletin")
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("division"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(_("signed at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("bulletin sign-off")
        verbose_name_plural = _("bulletin sign-offs")
        ordering = ["bulletin", "division"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "division"], name="bulletin_sign_off_once_per_division"),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id}/{self.division_id}: {self.signed_by_id} {self.signed_at:%Y-%m-%d}"


# Age-band columns of FigureSnapshot, in the order of cases.ageing.AGE_BANDS.
BAND_FIELDS = {
    "0-3": "band_0_3",
    "3-6": "band_3_6",
    "6-12": "band_6_12",
    "12-15": "band_12_15",
    "15-18": "band_15_18",
    "18+": "band_18_plus",
}


class FigureSnapshot(models.Model):
    """Counts for one day, one division and one handler (empty handler: cases with no handler).

    Division and court figures are sums of these rows. Written for every day by the daily
    snapshot job and for month ends by the backfill; the as-of rule on case dates makes a
    past day's counts right, with each case under its current division and handler.
    """

    as_of = models.DateField(_("as of"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("division"))
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handler"),
    )
    open_cases = models.PositiveIntegerField(_("open cases"), help_text=_("Open on the day (suspended included)."))
    over_6m = models.PositiveIntegerField(_("over 6 months"))
    over_12m = models.PositiveIntegerField(_("over 12 months"))
    over_15m = models.PositiveIntegerField(_("over 15 months"))
    approaching_6m = models.PositiveIntegerField(
        _("approaching 6 months"), help_text=_("Within the court's warning window before the 6-month line.")
    )
    approaching_15m = models.PositiveIntegerField(
        _("approaching 15 months"), help_text=_("Within the court's warning window before the 15-month line.")
    )
    band_0_3 = models.PositiveIntegerField(_("0–3 months"))
    band_3_6 = models.PositiveIntegerField(_("3–6 months"))
    band_6_12 = models.PositiveIntegerField(_("6–12 months"))
    band_12_15 = models.PositiveIntegerField(_("12–15 months"))
    band_15_18 = models.PositiveIntegerField(_("15–18 months"))
    band_18_plus = models.PositiveIntegerField(_("over 18 months"))
    received_day = models.PositiveIntegerField(_("received that day"))
    closed_day = models.PositiveIntegerField(_("closed that day"))
    received_month = models.PositiveIntegerField(_("received this month"), help_text=_("From the 1st to the day."))
    closed_month = models.PositiveIntegerField(_("closed this month"), help_text=_("From the 1st to the day."))
    open_age_days = models.PositiveBigIntegerField(
        _("total age of open cases (days)"), help_text=_("Divided by open cases for the mean age.")
    )
    closed_month_days = models.PositiveBigIntegerField(
        _("total time to disposition this month (days)"),
        help_text=_("Sum of filing-to-closing days of the cases closed this month."),
    )
    # Statutory time limits (审限), by the definitions in limits.rule.limit_aggregates. Database
    # defaults too: rows written before these columns existed, and INSERTs that omit them, hold 0.
    closed_month_limited = models.PositiveIntegerField(
        _("closed this month with a time limit"), default=0, db_default=0, help_text=_("From the 1st to the day.")
    )
    closed_month_on_time = models.PositiveIntegerField(
        _("closed this month within the time limit"),
        default=0,
        db_default=0,
        help_text=_("Closed on or before the deadline."),
    )
    closed_month_excluded_days = models.PositiveBigIntegerField(
        _("excluded days of cases closed this month"),
        default=0,
        db_default=0,
        help_text=_("Total; divided by the cases closed with a time limit for the average."),
    )
    closed_month_extended = models.PositiveIntegerField(
        _("closed this month with an extension"), default=0, db_default=0, help_text=_("With an approved extension.")
    )
    overdue = models.PositiveIntegerField(
        _("over the time limit"), default=0, db_default=0, help_text=_("Open on the day and past the deadline.")
    )
    hidden_flags = models.PositiveIntegerField(
        _("hidden-overrun flags"),
        default=0,
        db_default=0,
        help_text=_("Open cases with a hidden-overrun flag running on the day."),
    )

    class Meta:
        verbose_name = _("figure snapshot")
        verbose_name_plural = _("figure snapshots")
        ordering = ["-as_of", "division", "handler"]
        constraints = [
            # Leading as_of: every dashboard reads one day (or twelve month ends) at a time.
            models.UniqueConstraint(
                fields=["as_of", "division", "handler"],
                condition=Q(handler__isnull=False),
                name="figure_snapshot_unique",
            ),
            # The cases with no handler: one row per day and division.
            models.UniqueConstraint(
                fields=["as_of", "division"],
                condition=Q(handler__isnull=True),
                name="figure_snapshot_unique_no_handler",
            ),
            models.CheckConstraint(
                condition=Q(over_15m__lte=models.F("over_12m"))
                & Q(over_12m__lte=models.F("over_6m"))
                & Q(over_6m__lte=models.F("open_cases")),
                name="figure_snapshot_lines_nested",
            ),
            models.CheckConstraint(
                condition=Q(
                    open_cases=models.F("band_0_3")
                    + models.F("band_3_6")
                    + models.F("band_6_12")
                    + models.F("band_12_15")
                    + models.F("band_15_18")
                    + models.F("band_18_plus")
                ),
                name="figure_snapshot_bands_sum_to_open",
            ),
            models.CheckConstraint(
                condition=Q(closed_month_limited__lte=models.F("closed_month"))
                & Q(closed_month_on_time__lte=models.F("closed_month_limited"))
                & Q(closed_month_extended__lte=models.F("closed_month_limited"))
                & Q(overdue__lte=models.F("open_cases"))
                & Q(hidden_flags__lte=models.F("open_cases")),
                name="figure_snapshot_limit_counts_nested",
            ),
        ]
        indexes = [
            # The dashboards: "WHERE as_of = D" (one day) or "as_of IN (twelve month ends)",
            # grouped by division; the partial unique indexes above cannot serve both halves.
            models.Index(fields=["as_of", "division"], name="figure_snapshot_day"),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} {self.division_id} {self.handler_id}"
