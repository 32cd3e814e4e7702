"""The audit trail in the admin: every historical table, read-only, filterable by person and source."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin

from .models import AUDITED


class AuditTrailAdmin(ReadOnlyAdmin):
    list_display = ["history_date", "history_user", "history_type", "history_source", "history_ip", "record"]
    list_filter = ["history_type", "history_source", "history_date"]
    search_fields = ["history_user__username", "history_user__name"]
    list_select_related = ["history_user"]
    date_hierarchy = "history_date"
    show_full_result_count = False

    @admin.display(description=_("record"))
    def record(self, obj):
        return str(obj.instance)


for _model, _config in AUDITED:
    admin.site.register(_model.history.model, AuditTrailAdmin)
