"""Statutory time limits (审限): the rule table, the excluded-period ledger, extensions,
the working-day calendar and the hidden-overrun flags.

The rule that turns these rows into a deadline lives in limits/rule.py only. The clock's
stored result (deadline, raw deadline, stopped-from day) sits on the case row
(`cases.Case.limit_*`, `deadline`), written by limits/services.py only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.case_numbers import Category, Stage
from cases.models import LimitVariant

__all__ = [
    "Approver",
    "CalendarSource",
    "ExcludedPeriod",
    "ExclusionReason",
    "Extension",
    "ExtensionStatus",
    "ExtensionStep",
    "HiddenOverrunFlag",
    "HiddenOverrunRule",
    "LimitRule",
    "LimitUnit",
    "LimitVariant",
    "WorkingDay",
    "WorkingDayOverride",
]


class LimitUnit(models.TextChoices):
    MONTHS = "months", _("months")
    DAYS = "days", _("days")


class Approver(models.TextChoices):
    PRESIDENT = "president", _("Court president")
    HIGHER_COURT = "higher_court", _("Higher court")
    HIGH_COURT = "high_court", _("High court")
    SUPREME_COURT = "supreme_court", _("Supreme People's Court")


class LimitRule(models.Model):
    """One row of the statutory time-limit table. The most specific matching row wins:
    a row with a procedure beats a row for any procedure; a variant must match exactly."""

    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.CHOICES)
    stage = models.CharField(_("stage"), max_length=30, choices=Stage.CHOICES)
    procedure = models.CharField(
        _("procedure"), max_length=20, blank=True, help_text=_("Empty: any procedure not covered by another row.")
    )
    variant = models.CharField(_("variant"), max_length=30, blank=True, choices=LimitVariant.choices)
    base_length = models.PositiveSmallIntegerField(_("base limit"))
    base_unit = models.CharField(_("unit"), max_length=6, choices=LimitUnit.choices)
    request_lead_days = models.PositiveSmallIntegerField(
        _("request lead days"),
        default=10,
        help_text=_("An extension should be requested at least this many days before the deadline."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("time-limit rule")
        verbose_name_plural = _("time-limit rules")
        ordering = ["category", "stage", "procedure", "variant"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "stage", "procedure", "variant"],
                condition=Q(active=True),
                name="limit_rule_unique_active",
            ),
            models.CheckConstraint(condition=Q(base_length__gt=0), name="limit_rule_base_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ExtensionStep(models.Model):
    """The n-th extension a rule allows, who approves it and its legal maximum."""

    rule = models.ForeignKey(LimitRule, on_delete=models.CASCADE, related_name="steps", verbose_name=_("rule"))
    order = models.PositiveSmallIntegerField(_("step"))
    approver = models.CharField(_("approved by"), max_length=20, choices=Approver.choices)
    max_length = models.PositiveSmallIntegerField(
        _("maximum length"), null=True, blank=True, help_text=_("Empty: no fixed maximum (decided by the approver).")
    )
    unit = models.CharField(_("unit"), max_length=6, choices=LimitUnit.choices, default=LimitUnit.MONTHS)

    class Meta:
        verbose_name = _("extension step")
        verbose_name_plural = _("extension steps")
        ordering = ["rule", "order"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "order"], name="extension_step_unique"),
            models.CheckConstraint(condition=Q(order__gte=1), name="extension_step_order_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} #{self.order}"


class ExclusionReason(models.TextChoices):
    PUBLIC_NOTICE = "public_notice", _("Public notice service")
    APPRAISAL = "appraisal", _("Expert appraisal")
    AUDIT_VALUATION = "audit_valuation", _("Audit or valuation")
    JURISDICTION_OBJECTION = "jurisdiction_objection", _("Jurisdiction objection")
    SUSPENSION = "suspension", _("Suspension")
    SETTLEMENT = "settlement", _("Settlement period")
    DEFERRED_ENFORCEMENT = "deferred_enforcement", _("Deferred enforcement")
    AUCTION = "auction", _("Auction")


class ExcludedPeriod(models.Model):
    """A period not counted in the time limit (扣除审限). `end` is the last excluded day;
    an open period (no end) counts up to the as-of date."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="excluded_periods", verbose_name=_("case")
    )
    reason_code = models.CharField(_("reason"), max_length=30, choices=ExclusionReason.choices)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"), null=True, blank=True, help_text=_("Empty while the period runs."))
    reason = models.TextField(_("explanation"), blank=True)
    document_ref = models.CharField(_("document reference"), max_length=200, blank=True)
    awaited_case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("awaited case"),
        help_text=_("For a suspension waiting for another case: closing that case resumes this one."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    reviewed_on = models.DateField(
        _("last reviewed"), null=True, blank=True, help_text=_("When a running suspension was last reviewed.")
    )

    class Meta:
        verbose_name = _("excluded period")
        verbose_name_plural = _("excluded periods")
        ordering = ["case", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="excluded_period_end_not_before_start"
            ),
            # One running period of each kind per case (overlaps of closed ones: see the service).
            models.UniqueConstraint(
                fields=["case", "reason_code"], condition=Q(end__isnull=True), name="excluded_period_one_open_per_kind"
            ),
        ]
        indexes = [
            # Hidden-overrun check: running suspensions ("end IS NULL AND reason_code = 'suspension'").
            models.Index(fields=["reason_code", "start"], condition=Q(end__isnull=True), name="excluded_open"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_reason_code_display()} {self.start}–{self.end or '…'}"


class ExtensionStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class Extension(models.Model):
    """A request to extend the time limit (延长审限) and its decision."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="extensions", verbose_name=_("case"))
    step = models.PositiveSmallIntegerField(_("step"), help_text=_("1 for the first extension, 2 for the second …"))
    length = models.PositiveSmallIntegerField(_("length"))
    unit = models.CharField(_("unit"), max_length=6, choices=LimitUnit.choices, default=LimitUnit.MONTHS)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_on = models.DateField(_("requested on"))
    late_request = models.BooleanField(
        _("late request"), default=False, help_text=_("Requested later than the rule's lead days before the deadline.")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    by_higher_court = models.BooleanField(
        _("decided by a higher court"), default=False, help_text=_("Recorded here; decided by the higher court.")
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    document_ref = models.CharField(_("document reference"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["case", "step", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(length__gt=0), name="extension_length_positive"),
            models.UniqueConstraint(
                fields=["case", "step"], condition=Q(status="approved"), name="extension_one_approved_per_step"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="requested"), name="extension_one_pending_per_case"
            ),
            models.CheckConstraint(
                condition=Q(status="requested", decided_on__isnull=True)
                | (Q(status__in=["approved", "refused"]) & Q(decided_on__isnull=False)),
                name="extension_decision_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("requested_on")),
                name="extension_decided_after_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} +{self.length} {self.get_unit_display()} ({self.get_status_display()})"


class CalendarSource(models.TextChoices):
    OFFICIAL = "official", _("Official calendar")
    PROVISIONAL = "provisional", _("Weekends only (provisional)")
    OVERRIDE = "override", _("Override")


class WorkingDay(models.Model):
    """One calendar day and whether courts work on it: China's official calendar with
    make-up working days (调休), or weekends only for a year no source knows (provisional),
    with the admin's overrides applied on top."""

    day = models.DateField(_("day"), primary_key=True)
    is_working = models.BooleanField(_("working day"))
    source = models.CharField(_("source"), max_length=12, choices=CalendarSource.choices)
    name = models.CharField(_("name"), max_length=50, blank=True, help_text=_("Holiday name, if any."))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]
        indexes = [
            # next_working_day(): "day >= X AND is_working ORDER BY day LIMIT 1".
            models.Index(fields=["day"], condition=Q(is_working=True), name="working_day_next"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {'working' if self.is_working else 'rest'}"


class WorkingDayOverride(models.Model):
    """The admin's correction of one day (a late State Council notice, a local arrangement)."""

    day = models.DateField(_("day"), unique=True)
    is_working = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'working' if self.is_working else 'rest'}"


class HiddenOverrunRule(models.TextChoices):
    FILLED_BY_EXCLUSIONS = "filled_by_exclusions", _("Kept inside its limit by excluded periods")
    MANY_SUSPENSIONS = "many_suspensions", _("Many or overlapping suspensions")
    UNDOCUMENTED = "undocumented", _("Excluded period without explanation or document")
    STALE_SUSPENSION = "stale_suspension", _("Suspension running without review")


class HiddenOverrunFlag(models.Model):
    """A case the daily check found whose clock looks kept alive artificially (隐性超审限).
    One running flag per case and rule; cleared when the rule no longer trips."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="hidden_overrun_flags", verbose_name=_("case")
    )
    rule = models.CharField(_("rule"), max_length=30, choices=HiddenOverrunRule.choices)
    first_flagged_on = models.DateField(_("first flagged"))
    last_seen_on = models.DateField(_("last seen"))
    cleared_on = models.DateField(_("cleared"), null=True, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)

    class Meta:
        verbose_name = _("hidden-overrun flag")
        verbose_name_plural = _("hidden-overrun flags")
        ordering = ["-first_flagged_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "rule"], condition=Q(cleared_on__isnull=True), name="hidden_flag_one_running"
            ),
            models.CheckConstraint(
                condition=Q(cleared_on__isnull=True) | Q(cleared_on__gte=F("first_flagged_on")),
                name="hidden_flag_cleared_after_flagged",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_rule_display()}"
