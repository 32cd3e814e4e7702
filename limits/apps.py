from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LimitsConfig(AppConfig):
    """The statutory time-limit clock (审限). Sits above `cases`: a change to a case reaches the
    clock through the hooks this app registers in `cases.extensions` when Django starts."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "limits"
    verbose_name = _("Statutory time limits")

    def ready(self) -> None:
        from cases import extensions

        from .hooks import ClockExtension

        extensions.register(ClockExtension())
