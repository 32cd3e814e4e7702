from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from .models import stamp_source

        pre_create_historical_record.connect(stamp_source, dispatch_uid="audit.stamp_source")
