"""The record of every job run, and the lease lock where PostgreSQL's advisory locks are missing.

`JobRun.job` holds the name a job was declared under (jobs.registry); the names are not choices of
the field, so an app that declares a new job needs no migration. The label shown for a name comes
from the registry at runtime.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobOutcome(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCESS = "success", _("Success")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (another run held the lock)")
    WAITING = "waiting", _("Waiting for the queue (broker unavailable)")
    RESENT = "resent", _("Sent to the queue after waiting")


class JobRun(models.Model):
    """One run of a job, successful or not, for the tracking officer to see."""

    job = models.CharField(
        _("job"), max_length=30, help_text=_("Which job ran, by its code (track_daily, build_bulletin …).")
    )
    as_of = models.DateField(_("as of"), help_text=_("The date the job ran for (a Monday, a month's last day …)."))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=JobOutcome.choices, default=JobOutcome.RUNNING)
    counts = models.JSONField(_("counts"), default=dict, blank=True, help_text=_("What the run did, in numbers."))
    error = models.TextField(_("error"), blank=True)
    trigger = models.CharField(
        _("started by"), max_length=40, blank=True, help_text=_("beat, command, or the task id that ran it.")
    )

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="running") | Q(finished_at__isnull=False), name="jobrun_finished_has_time"
            ),
        ]
        indexes = [models.Index(fields=["job", "as_of", "outcome"], name="jobrun_job_asof")]

    def __str__(self) -> str:
        return f"{self.job_label} {self.as_of} {self.get_outcome_display()}"

    @property
    def job_label(self) -> str:
        """The job's label as declared (jobs.registry); its name when no installed app declares it."""
        from .registry import label_of

        return label_of(self.job)


class JobLock(models.Model):
    """A lease used as the job lock where PostgreSQL advisory locks are not available (SQLite).

    Claimed with a conditional UPDATE (free or expired → ours); the expiry frees the lock of a worker
    that was killed without releasing it.
    """

    name = models.CharField(_("name"), max_length=60, primary_key=True)
    holder = models.CharField(_("holder"), max_length=64, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job lock")
        verbose_name_plural = _("job locks")

    def __str__(self) -> str:
        return self.name
