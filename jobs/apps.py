from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        # Every installed app declares its jobs in its own `jobs` module; importing them here, once,
        # makes the registry complete in every process (web, worker, beat, commands) before any
        # request or task runs. See jobs/registry.py.
        from . import checks, registry

        registry.discover()
        checks.register()
