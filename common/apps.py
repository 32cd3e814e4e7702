from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared kit with no domain: pagination, form and API helpers, filters, SQL and audit
    helpers, the spelling of dates. Imports nothing from the domain apps."""

    name = "common"
    verbose_name = "Common"
