from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models import F, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from . import ageing
from .case_numbers import CASE_TYPE_CHOICES, Category, Stage
from .roles import Role


class LimitVariant(models.TextChoices):
    """Distinctions the case number cannot make but the statutory time limit depends on. A
    fact about the case, entered with it; the limits app reads it to pick the rule."""

    NONE = "", _("As the procedure says")
    RULING_APPEAL = "ruling_appeal", _("Appeal against a ruling")
    PRIVATE_PROSECUTION = "private_prosecution", _("Private prosecution, accused not detained")


class Court(models.Model):
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("court code"),
        max_length=20,
        unique=True,
        help_text=_("The court code used in case numbers, e.g. 黔0281."),
    )
    warning_window_days = models.PositiveSmallIntegerField(
        _("warning window (days)"),
        default=ageing.DEFAULT_WARNING_DAYS,
        help_text=_("How many days before the 6- and 15-month lines a case counts as approaching."),
    )

    class Meta:
        verbose_name = _("court")
        verbose_name_plural = _("courts")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @classmethod
    def default(cls) -> Court | None:
        return cls.objects.order_by("id").first()


class DivisionKind(models.TextChoices):
    FILING = "filing", _("Filing")
    CIVIL = "civil", _("Civil")
    CRIMINAL = "criminal", _("Criminal")
    ADMINISTRATIVE = "administrative", _("Administrative")
    ENFORCEMENT = "enforcement", _("Enforcement")
    TRIBUNAL = "tribunal", _("Dispatched tribunal")
    TRIAL_MANAGEMENT = "trial_management", _("Trial management office")
    OTHER = "other", _("Other")


class Division(models.Model):
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="divisions", verbose_name=_("court"))
    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Stable code used by integrations, e.g. civil-1."),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=DivisionKind.choices)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_divisions",
        verbose_name=_("head"),
    )
    acting_head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="acting_divisions",
        verbose_name=_("acting head"),
        help_text=_("Stands in for the head from the start to the end date."),
    )
    acting_from = models.DateField(_("acting from"), null=True, blank=True)
    acting_until = models.DateField(_("acting until"), null=True, blank=True)
    vice_president = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_divisions",
        verbose_name=_("supervising vice-president"),
    )
    tracking_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tracked_divisions",
        verbose_name=_("tracking officer"),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(acting_from__isnull=True)
                | Q(acting_until__isnull=True)
                | Q(acting_until__gte=F("acting_from")),
                name="division_acting_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of court staff (or an integration account). Roles are groups."""

    name = models.CharField(
        _("full name"), max_length=50, blank=True, help_text=_("The name as written in Chinese, e.g. 张伟.")
    )
    court = models.ForeignKey(
        Court, null=True, blank=True, on_delete=models.PROTECT, related_name="staff", verbose_name=_("court")
    )
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.PROTECT, related_name="staff", verbose_name=_("division")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the pages for this person, on any computer; empty: the court's default."),
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.name or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        names = {g.name for g in self.groups.all()}
        if self.is_superuser:
            names.add(Role.ADMIN)
        return frozenset(names & set(Role.ALL))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def set_roles(self, roles: list[str] | set[str]) -> None:
        unknown = set(roles) - set(Role.ALL)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}")
        groups = [Group.objects.get_or_create(name=r)[0] for r in roles]
        other = self.groups.exclude(name__in=roles).filter(name__in=Role.ALL)
        self.groups.remove(*other)
        self.groups.add(*groups)
        self.__dict__.pop("roles", None)


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class Procedure(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary procedure")
    SIMPLE = "simple", _("Simple procedure")
    SMALL_CLAIMS = "small_claims", _("Small claims")
    FAST_TRACK = "fast_track", _("Fast track")
    SPECIAL = "special", _("Special procedure")
    OTHER = "other", _("Other")


class ClosureMethod(models.TextChoices):
    JUDGMENT = "judgment", _("Judgment")
    MEDIATION = "mediation", _("Mediation")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    DISMISSAL = "dismissal", _("Dismissal")
    TRANSFER = "transfer", _("Transfer")
    RULING = "ruling", _("Ruling")
    TERMINATED_FOR_NOW = "terminated_for_now", _("Enforcement terminated for now")
    ENFORCEMENT_COMPLETED = "enforcement_completed", _("Enforcement completed")
    OTHER = "other", _("Other")


# What the daily job reads of an open case for the time-limit rule's queryset expressions
# (cases.limits.annotate_clock), held by the partial indexes it scans.
_CLOCK_READ = ["id", "court", "filed_on", "closed_on", "limit_raw", "limit_paused_from", "deadline", "limit_nominal"]


def _clock_include(key: str, *more: str) -> list[str]:
    return [name for name in _CLOCK_READ if name != key] + list(more)


class Case(models.Model):
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="cases", verbose_name=_("court"))
    case_number = models.CharField(
        _("case number"),
        max_length=60,
        help_text=_("Normal form with full-width parentheses, e.g. （2024）黔0281民初1234号."),
    )
    year = models.PositiveSmallIntegerField(_("year"), help_text=_("Year in the case number."))
    court_code = models.CharField(_("court code"), max_length=20)
    case_type = models.CharField(_("case type"), max_length=8, choices=CASE_TYPE_CHOICES)
    seq = models.PositiveIntegerField(_("sequence number"))
    category = models.CharField(_("category"), max_length=20, choices=Category.CHOICES)
    stage = models.CharField(_("stage"), max_length=30, choices=Stage.CHOICES)
    procedure = models.CharField(_("procedure"), max_length=20, choices=Procedure.choices, default=Procedure.ORDINARY)
    cause = models.CharField(_("cause of action"), max_length=200, blank=True)
    parties = models.CharField(
        _("parties"), max_length=500, blank=True, help_text=_("Summary of the parties, e.g. 张三诉李四.")
    )
    filed_on = models.DateField(_("filing date"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="cases", verbose_name=_("division"))
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
        verbose_name=_("handler"),
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clerked_cases",
        verbose_name=_("clerk"),
    )
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    closed_on = models.DateField(_("closing date"), null=True, blank=True)
    closure_method = models.CharField(_("closure method"), max_length=30, blank=True, choices=ClosureMethod.choices)
    business_environment = models.BooleanField(
        _("business environment"),
        default=False,
        help_text=_("Flagged as a case concerning the business environment (涉营商环境)."),
    )
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        null=True,
        blank=True,
        help_text=_("Key of this case in the court's main case system; unique when present."),
    )
    line_6m = models.DateField(
        _("6-month line"), editable=False, help_text=_("Filing date + 6 months, clipped to the month's end.")
    )
    line_12m = models.DateField(_("12-month line"), editable=False)
    line_15m = models.DateField(_("15-month line"), editable=False)
    # The statutory clock (审限) as of its last refresh: columns owned by the limits app and written
    # by limits.services only (through the hooks in cases/extensions.py). They stay on the case
    # row so that lists, filters and the daily job read one table.
    limit_rule = models.ForeignKey(
        "limits.LimitRule",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("time-limit rule"),
    )
    limit_variant = models.CharField(
        _("time-limit variant"),
        max_length=30,
        blank=True,
        default="",
        db_default="",
        choices=LimitVariant.choices,
        help_text=_("Only where the case number cannot tell, e.g. an appeal against a ruling."),
    )
    deadline = models.DateField(
        _("statutory deadline"),
        null=True,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("Last day of the time limit as of the last refresh (running periods counted to that day)."),
    )
    limit_raw = models.DateField(
        _("deadline before working-day adjustment"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Filing + base + extensions + excluded days counted so far."),
    )
    limit_paused_from = models.DateField(
        _("clock stopped from"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("First excluded day not yet counted in the raw deadline, while a period runs."),
    )
    limit_nominal = models.DateField(
        _("limit without exclusions"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Filing + base + approved extensions, no excluded days."),
    )
    # Database defaults too: bulk loaders (demo COPY, imports) write rows without these columns.
    limit_excluded_days = models.PositiveIntegerField(_("excluded days"), default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-filed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["court", "case_number"], name="case_number_unique_per_court"),
            models.UniqueConstraint(
                fields=["external_id"], condition=Q(external_id__isnull=False), name="case_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("filed_on")),
                name="case_closed_not_before_filed",
            ),
            models.CheckConstraint(
                condition=(Q(status="closed") & Q(closed_on__isnull=False) & ~Q(closure_method=""))
                | (Q(status__in=["open", "suspended"]) & Q(closed_on__isnull=True) & Q(closure_method="")),
                name="case_closed_fields_match_status",
            ),
            models.CheckConstraint(condition=Q(status__in=["open", "suspended", "closed"]), name="case_status_valid"),
        ]
        indexes = [
            # Jobs and dashboards: open cases by line ("line_6m < D AND closed_on IS NULL").
            models.Index(fields=["status", "filed_on"], name="case_status_filed"),
            models.Index(fields=["line_6m"], condition=Q(closed_on__isnull=True), name="case_open_line6"),
            models.Index(fields=["line_15m"], condition=Q(closed_on__isnull=True), name="case_open_line15"),
            # A division's cases at an ageing level (the API's and the case list's level filter).
            models.Index(
                fields=["division", "line_6m", "line_15m"],
                condition=Q(closed_on__isnull=True),
                name="case_open_division_lines",
            ),
            # Division and handler lists ordered by filing date.
            models.Index(fields=["division", "status", "filed_on"], name="case_division_status"),
            models.Index(fields=["handler", "status", "filed_on"], name="case_handler_status"),
            # Ordering by case number as year, court, type, sequence.
            models.Index(fields=["year", "court_code", "case_type", "seq"], name="case_number_order"),
            models.Index(fields=["closed_on"], name="case_closed_on"),
            # The daily job's time-limit part (cases.limits, alerts.limits): open cases whose stored
            # deadline is near, whose clock is stopped, or whose limit without exclusions has passed,
            # with the columns the rule reads, so that the job reads no table row for them.
            models.Index(
                fields=["deadline"],
                include=_clock_include("deadline"),
                condition=Q(closed_on__isnull=True),
                name="case_open_deadline",
            ),
            models.Index(
                fields=["limit_paused_from"],
                include=_clock_include("limit_paused_from"),
                condition=Q(closed_on__isnull=True, limit_paused_from__isnull=False),
                name="case_open_paused",
            ),
            models.Index(
                fields=["limit_nominal"],
                include=_clock_include("limit_nominal", "limit_excluded_days"),
                condition=Q(closed_on__isnull=True),
                name="case_open_nominal",
            ),
        ]

    def __str__(self) -> str:
        return self.case_number

    def set_lines(self) -> None:
        for name, value in ageing.lines_for(self.filed_on).items():
            setattr(self, name, value)

    def ageing(self, as_of: dt.date, warning_days: int | None = None) -> ageing.Ageing:
        if warning_days is None:
            warning_days = self.court.warning_window_days
        return ageing.age(self.filed_on, self.closed_on, as_of, warning_days)

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class CaseLinkKind(models.TextChoices):
    APPEAL_OF = "appeal_of", _("Appeal of")
    RESUMED_FROM = "resumed_from", _("Resumed enforcement of")
    RETRIAL_OF = "retrial_of", _("Retrial of")
    ENFORCEMENT_OF = "enforcement_of", _("Enforcement of")
    WAITS_FOR = "waits_for", _("Waits for")
    RELATED = "related", _("Related to")


class CaseLink(models.Model):
    """A directed link: `case` is an appeal / resumed enforcement / retrial … of `target`."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links", verbose_name=_("case"))
    target = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="linked_from", verbose_name=_("linked case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CaseLinkKind.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("case link")
        verbose_name_plural = _("case links")
        constraints = [
            models.UniqueConstraint(fields=["case", "target", "kind"], name="case_link_unique"),
            models.CheckConstraint(condition=~Q(case=F("target")), name="case_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()} {self.target}"


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    UPDATED = "updated", _("Details updated")
    SUSPENDED = "suspended", _("Suspended")
    RESUMED = "resumed", _("Resumed")
    TRANSFERRED = "transferred", _("Transferred")
    PROCEDURE_CHANGED = "procedure_changed", _("Procedure changed")
    NUMBER_CORRECTED = "number_corrected", _("Case number corrected")
    FILING_DATE_CORRECTED = "filing_date_corrected", _("Filing date corrected")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    LINKED = "linked", _("Linked")


class CaseEvent(models.Model):
    """One change to a case, written by the service that made it (never by a signal)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Who made the change; empty for the system."),
    )
    occurred_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    effective_on = models.DateField(_("effective on"), help_text=_("The date the change took effect."))
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["case", "occurred_at"], name="event_case_time")]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()}"
