"""The audit trail: who changed what, when, from where, with the values before and after.

django-simple-history keeps a historical row for every save and delete of the models listed
below. They are registered here, in an app of their own, so that the historical tables (and
their migrations) live apart from the apps whose models they follow, and so that no app has to
know it is audited. The dependency runs one way: audit reads cases, alerts and reports.

What the trail cannot see: `QuerySet.update()` does not call `save()`. The jobs change rows
set-wise on purpose; their changes are recorded per run (jobs.JobRun with its counts), not per
row. The bulk services of the register (bulk registration and bulk changes of cases, from the
API's bulk endpoint and file imports) write their historical rows in one INSERT through
`common.history.record_bulk`, with the same who, when, source and address.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import PeriodicTask
from simple_history import register
from simple_history.models import HistoricalRecords

from alerts.models import Alert, ClearancePlan, DispatchList, EngineSettings, UrgingNotice
from cases.models import Case, CaseLink, Court, Division, User
from limits.models import ExcludedPeriod, Extension, LimitRule, WorkingDayOverride
from reports.models import Bulletin, BulletinSignOff


class Source(models.TextChoices):
    BROWSER = "browser", _("Browser session")
    API_TOKEN = "api_token", _("API token")
    API_SESSION = "api_session", _("API, browser session")
    SYSTEM = "system", _("System (job or command)")


class AuditFields(models.Model):
    """Extra columns on every historical row."""

    history_source = models.CharField(
        _("from"),
        max_length=12,
        choices=Source.choices,
        default=Source.SYSTEM,
        help_text=_("How the change arrived: a browser session, an API token, or a job or command."),
    )
    history_ip = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def bulk_attrs(cls) -> dict:
        """The same columns for rows written in bulk (`common.history.record_bulk`), which
        simple-history's `bulk_history_create` fills without sending its hook."""
        source, ip = request_source(getattr(HistoricalRecords.context, "request", None))
        return {"history_source": source, "history_ip": ip}


def request_source(request) -> tuple[str, str | None]:
    """Classify the request that made a change (none: a job, a command, the shell)."""
    if request is None:
        return Source.SYSTEM, None
    ip = request.META.get("REMOTE_ADDR") or None
    if request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
        return Source.API_TOKEN, ip
    if request.path.startswith("/api/"):
        return Source.API_SESSION, ip
    return Source.BROWSER, ip


def stamp_source(sender, history_instance, **kwargs) -> None:
    """simple-history's hook before a historical row is saved: say where the change came from.

    Connected in AuditConfig.ready(). This is audit plumbing, not domain logic: it only copies
    facts about the request onto the row the library is about to write.
    """
    request = getattr(HistoricalRecords.context, "request", None)
    history_instance.history_source, history_instance.history_ip = request_source(request)


AUDITED = [
    (Court, {}),
    (Division, {}),
    (User, {"m2m_fields": ["groups"], "excluded_fields": ["password", "last_login"]}),
    (Case, {}),
    (CaseLink, {}),
    (Alert, {}),
    (ClearancePlan, {}),
    (DispatchList, {}),
    (UrgingNotice, {}),
    (EngineSettings, {}),
    (Bulletin, {}),
    (BulletinSignOff, {}),
    (LimitRule, {}),
    (ExcludedPeriod, {}),
    (Extension, {}),
    (WorkingDayOverride, {}),
    (PeriodicTask, {}),
]

for _model, _config in AUDITED:
    register(_model, app="audit", bases=[AuditFields], **_config)
